// A bare JSON-RPC WebSocket client for tests: keeps every message it gets, and how the
// connection closed.
import WebSocket from 'ws';
import { waitFor } from '../e2e/helpers.js';

export class WsClient {
  readonly messages: any[] = [];
  closed: { code: number; reason: string } | undefined;
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push(JSON.parse(d.toString())));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** Rejects with `status` set if the upgrade is answered with an HTTP status instead. */
  static open(url: string, options: { headers?: Record<string, string>; ca?: string } = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers: options.headers ?? {}, ...(options.ca ? { ca: options.ca } : {}) });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** The whole response to one request. */
  async request(method: string, params: unknown[] = []): Promise<any> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return waitFor(() => this.messages.find((m) => m.id === id), `the answer to ${method}`, 10_000, 5);
  }

  /** The result of a request that must succeed. */
  async result(method: string, params: unknown[] = []): Promise<any> {
    const response = await this.request(method, params);
    if (response.error) throw new Error(`${method}: ${response.error.code} ${response.error.message}`);
    return response.result;
  }

  /** Send `text` as it is; the next message that comes. */
  async raw(text: string): Promise<any> {
    const before = this.messages.length;
    this.ws.send(text);
    return waitFor(() => this.messages.length > before && this.messages[before], 'an answer', 10_000, 5);
  }

  /** The results delivered to subscription `id`, in order. */
  notifications(id: string): any[] {
    return this.messages.filter((m) => m.method === 'eth_subscription' && m.params.subscription === id).map((m) => m.params.result);
  }
}

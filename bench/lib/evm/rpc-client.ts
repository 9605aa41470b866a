// A minimal JSON-RPC-over-HTTP client for the load benchmark: node:http with a keep-alive
// agent (one socket per request in flight, reused), no retries, no batching.
import { Agent, request } from 'node:http';

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export class RpcClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private id = 0;

  constructor(readonly url: string, private readonly timeoutMs = 60_000) {
    const u = new URL(url);
    if (u.protocol !== 'http:') throw new Error(`only http:// URLs are supported: ${url}`);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.path = u.pathname || '/';
  }

  /** The call's result; throws RpcError for a JSON-RPC error, Error for transport failures. */
  async call<T = any>(method: string, params: unknown[] = []): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params });
    const text = await this.post(body);
    let response: any;
    try {
      response = JSON.parse(text);
    } catch {
      throw new Error(`${method}: response is not JSON: ${text.slice(0, 200)}`);
    }
    if (response.error) throw new RpcError(String(response.error.message), response.error.code, response.error.data);
    return response.result as T;
  }

  private post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          path: this.path,
          method: 'POST',
          agent: this.agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            else resolve(text);
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`HTTP request timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// The one JSON-RPC client of the project: a node forwarding to the primary and the
// command line (join, a local network's start) call other nodes through it. What carries
// the request is a transport: HTTP or HTTPS (with the service certificate as the CA), or
// the node-to-node channel. An error answer becomes a JsonRpcError with its code,
// message and data; no answer at all (refused, dropped, timed out) a TransportError.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Moves one encoded request to the server and brings back its encoded answer. */
export interface Transport {
  readonly description: string;
  exchange(body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
}

export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'JsonRpcError';
  }
}

/** The call got no answer: the cause says why (unreachable, aborted, timed out, not JSON-RPC). */
export class TransportError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface HttpTransportOptions {
  /** PEM certificate(s) to trust for https:// (the service certificate) */
  ca?: string;
  /** default 30 s */
  timeoutMs?: number;
}

/** JSON-RPC over HTTP or HTTPS; an https:// URL with `ca` trusts only that CA. */
export function httpTransport(url: string, options: HttpTransportOptions = {}): Transport {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TransportError(`${url}: not an http:// or https:// URL`);
  const secure = parsed.protocol === 'https:';
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    description: url,
    exchange: (body, signal) =>
      new Promise((resolve, reject) => {
        const send = secure ? httpsRequest : httpRequest;
        const req = send(
          parsed,
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
            timeout: timeoutMs,
            ...(signal ? { signal } : {}),
            ...(secure && options.ca ? { ca: options.ca } : {}),
          },
          (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
            res.on('error', (e) => reject(new TransportError(`${url}: ${e.message}`, e)));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', (e) => reject(new TransportError(`${url}: ${e.message}`, e)));
        req.end(body);
      }),
  };
}

export interface CallOptions {
  signal?: AbortSignal;
}

export class JsonRpcClient {
  private nextId = 1;

  constructor(readonly transport: Transport) {}

  /** Call `method`; resolves with its result, rejects with JsonRpcError or TransportError. */
  async call<T = unknown>(method: string, params: unknown[] = [], options: CallOptions = {}): Promise<T> {
    const id = this.nextId++;
    const request = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method, params }), 'utf8');
    const answer = await this.transport.exchange(request, options.signal);
    return parseResponse<T>(answer, this.transport.description);
  }
}

function parseResponse<T>(bytes: Uint8Array, from: string): T {
  let body: { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new TransportError(`${from}: the answer is not JSON`);
  }
  if (typeof body !== 'object' || body === null) throw new TransportError(`${from}: the answer is not a JSON-RPC response`);
  if (body.error !== undefined) {
    const { code, message, data } = body.error ?? {};
    if (typeof code !== 'number' || typeof message !== 'string') throw new TransportError(`${from}: a malformed JSON-RPC error`);
    throw new JsonRpcError(code, message, data);
  }
  if (!('result' in body)) throw new TransportError(`${from}: a JSON-RPC response without result or error`);
  return body.result as T;
}

// The JSON-RPC endpoint: HTTP or HTTPS (the node certificate, endorsed by the service
// certificate that clients use as CA), single and batch requests dispatched by jayson,
// CORS for browser DApps, and limits on body size and batch length. Whatever a client
// sends, it gets a JSON-RPC answer; nothing it sends can throw out of a handler. Who asks
// is the session its token stands for (rpc/auth/token.ts: URL path or Authorization
// header), anonymous without one; a token this service does not accept gets HTTP 401.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import jayson from 'jayson/promise/index.js';
import { ANONYMOUS, type Caller } from '../evm-adapter/access/caller.js';
import { EvmError } from '../evm-adapter/errors.js';
import { callerOfRequest } from './auth/request-caller.js';
import { JsonRpcError, type Transport } from './client.js';
import { isConsoleRequest, serveConsole } from './console/route.js';
import { UnavailableError } from './forwarder.js';
import type { Method } from './methods/eth.js';
import { WebSocketEndpoint, type WebSocketLimits } from './websocket.js';

export interface RpcServerOptions {
  host: string;
  port: number;
  /** PEM key and certificate: serve HTTPS instead of HTTP */
  tls?: { key: string; cert: string };
  maxBodyBytes?: number;
  maxBatchLength?: number;
  /** The caller a session token stands for now; undefined: none (the request gets 401). Without it, no token is accepted. */
  authenticate?: (token: string) => Caller | undefined;
  /** JSON-RPC over WebSocket on the same port (websocket.ts); defaults for what is not given */
  websocket?: Partial<WebSocketLimits>;
  log?: (message: string) => void;
  /** GET paths served besides JSON-RPC (/health, /metrics), without authentication */
  routes?: Record<string, Route>;
  /** Told of every request once answered (the request log, metrics): never its params or token. */
  observeRequest?: (request: RequestRecord) => void;
}

/** A GET endpoint's answer. */
export type Route = () => Promise<{ status: number; contentType: string; body: string }>;

/** What is told of an answered request: known method names (others as "other"), HTTP status, JSON-RPC error codes. */
export interface RequestRecord {
  /** `GET /path` for a route */
  methods: string[];
  status: number;
  errors: number[];
  durationMs: number;
}

const DEFAULT_MAX_BODY = 5 * 1024 * 1024; // geth's limit
const DEFAULT_MAX_BATCH = 1000;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INTERNAL_ERROR = -32603;

type RpcErrorObject = { code: number; message: string; data?: unknown };

/** Wrap a handler so that every failure becomes a JSON-RPC error object. */
function guarded(name: string, method: Method, log: (m: string) => void) {
  return async (params: unknown, caller: Caller): Promise<unknown> => {
    try {
      return await method(params, caller);
    } catch (e) {
      // (a JsonRpcError is the primary's answer to a forwarded call: passed on as it came)
      if (e instanceof EvmError || e instanceof JsonRpcError || e instanceof UnavailableError) {
        throw { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } satisfies RpcErrorObject;
      }
      log(`${name} failed: ${(e as Error).stack ?? e}`);
      throw { code: INTERNAL_ERROR, message: 'internal error' } satisfies RpcErrorObject;
    }
  };
}

export class RpcServer {
  private readonly jayson: InstanceType<typeof jayson.Server>;
  private readonly server: Server;
  private readonly maxBodyBytes: number;
  private readonly log: (m: string) => void;
  /** what a request's answer is told as (observeRequest), filled in as it is handled */
  private readonly records = new WeakMap<ServerResponse, Omit<RequestRecord, 'status' | 'durationMs'>>();
  private readonly websocket: WebSocketEndpoint;

  constructor(private readonly methods: Record<string, Method>, private readonly options: RpcServerOptions) {
    this.log = options.log ?? (() => {});
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.websocket = new WebSocketEndpoint(methods, { maxMessageBytes: this.maxBodyBytes, authenticate: options.authenticate, log: this.log, ...(options.websocket ? { limits: options.websocket } : {}) });
    const all = { ...methods, ...this.websocket.subscriptionMethods };
    const wrapped = Object.fromEntries(Object.entries(all).map(([name, m]) => [name, guarded(name, m, this.log)]));
    this.jayson = new jayson.Server(wrapped, { maxBatchLength: options.maxBatchLength ?? DEFAULT_MAX_BATCH, useContext: true });
    this.websocket.dispatchWith((message, context) => new Promise((resolve) => this.jayson.call(message as never, context as never, (error: unknown, success: unknown) => resolve(error ?? success))));
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttpServer(handler);
    this.server.keepAliveTimeout = 65_000;
    this.server.on('upgrade', (req, socket, head) => this.websocket.upgrade(req, socket, head));
  }

  get url(): string {
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    return `${this.options.tls ? 'https' : 'http'}://${this.options.host}:${port}`;
  }

  /** Calls dispatched in-process exactly as over HTTP (the node's own tools, before it listens). */
  transport(): Transport {
    return {
      description: 'this node (in-process)',
      exchange: async (body) => {
        const response = await new Promise<unknown>((resolve) => {
          this.jayson.call(JSON.parse(Buffer.from(body).toString('utf8')) as never, ANONYMOUS as never, (error: unknown, success: unknown) => resolve(error ?? success));
        });
        return new Uint8Array(Buffer.from(JSON.stringify(response), 'utf8'));
      },
    };
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.url);
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await Promise.all([closed, this.websocket.close()]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record = { methods: [] as string[], errors: [] as number[] };
    this.records.set(res, record);
    const started = performance.now();
    res.once('finish', () => this.options.observeRequest?.({ ...record, status: res.statusCode, durationMs: performance.now() - started }));
    if (isConsoleRequest(req)) return serveConsole(req, res, this.log);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
    res.setHeader('Access-Control-Max-Age', '86400');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const route = req.method === 'GET' ? this.options.routes?.[(req.url ?? '').split('?')[0]!] : undefined;
    if (route) {
      record.methods = [`GET ${(req.url ?? '').split('?')[0]}`];
      let answer: Awaited<ReturnType<Route>>;
      try {
        answer = await route();
      } catch (e) {
        this.log(`GET ${record.methods[0]} failed: ${(e as Error).message}`);
        answer = { status: 500, contentType: 'text/plain', body: 'internal error\n' };
      }
      const { status, contentType, body } = answer;
      return void res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }).end(body);
    }
    if (req.method !== 'POST') {
      return void res.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'POST, OPTIONS' }).end('JSON-RPC: send a POST request\n');
    }
    let body: string;
    try {
      body = await this.readBody(req);
    } catch (e) {
      return this.reply(res, 413, { jsonrpc: '2.0', id: null, error: { code: INVALID_REQUEST, message: (e as Error).message } });
    }
    let request: unknown;
    let parsed = true;
    try {
      request = JSON.parse(body);
    } catch {
      parsed = false;
    }
    if (parsed) record.methods = this.methodNames(request);
    // (a single request's id goes back with a refusal, so that a client can match it)
    const id = parsed && typeof request === 'object' && request !== null && !Array.isArray(request) ? ((request as { id?: unknown }).id ?? null) : null;
    const who = callerOfRequest(req, this.options.authenticate, this.log);
    if ('refused' in who) return this.reply(res, who.refused.status, { jsonrpc: '2.0', id, error: { code: who.refused.code, message: who.refused.message } });
    const caller = who.caller;
    if (!parsed) return this.reply(res, 200, { jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: 'parse error: body is not JSON' } });
    const response = await new Promise<unknown>((resolve) => {
      this.jayson.call(request as never, caller as never, (error: unknown, success: unknown) => resolve(error ?? success));
    });
    if (response === undefined || (Array.isArray(response) && response.length === 0)) return void res.writeHead(204).end();
    this.reply(res, 200, response);
  }

  private readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > this.maxBodyBytes) {
        req.resume();
        return reject(new Error(`request body too large: limit ${this.maxBodyBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          req.removeAllListeners('data');
          req.resume();
          reject(new Error(`request body too large: limit ${this.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  /** The methods a request calls, by name if this server has them (a name sent is not logged otherwise). */
  private methodNames(request: unknown): string[] {
    return (Array.isArray(request) ? request : [request]).map((r) => {
      const name = typeof r === 'object' && r !== null ? (r as { method?: unknown }).method : undefined;
      return typeof name === 'string' && Object.hasOwn(this.methods, name) ? name : 'other';
    });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    const record = this.records.get(res);
    if (record) record.errors = (Array.isArray(body) ? body : [body]).flatMap((r) => (typeof r?.error?.code === 'number' ? [r.error.code as number] : []));
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}) });
    res.end(text);
  }
}

// JSON-RPC over WebSocket on the RPC ports: an HTTP upgrade on the paths a POST may use
// (/, /rpc, /rpc/<token>), every method as over HTTP (single and batch, dispatched by the
// same jayson server), and eth_subscribe / eth_unsubscribe (subscriptions.ts).
//
// The caller is fixed when the connection opens, from the upgrade request's token (URL
// path or Authorization header: auth/request-caller.ts); a token refused there refuses the
// upgrade with the HTTP status a POST would get. A session that ends afterwards (signed
// out, expired, the user removed) is noticed on the connection's next request and before
// each new block's notifications: the connection is closed with SESSION_ENDED.
//
// Limits: a message as large as an HTTP body at most (larger: close 1009); at most
// `maxSubscriptions` per connection; a peer that lets more than `maxBufferedBytes` of
// answers and notifications pile up unread is dropped (TOO_SLOW); one that misses a ping
// interval's pong is dropped; at most MAX_IN_FLIGHT requests of a connection run at once
// (its socket is not read meanwhile).
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ANONYMOUS, type Caller } from '../evm-adapter/access/caller.js';
import { invalidParams } from '../evm-adapter/errors.js';
import { callerOfRequest } from './auth/request-caller.js';
import type { Method } from './methods/eth.js';
import { parseSubscribe, Subscriptions, type Subscription } from './subscriptions.js';

/** Close codes (4000–4999 are the application's). */
export const SESSION_ENDED = 4401;
export const TOO_SLOW = 4008;

export interface WebSocketLimits {
  maxSubscriptions: number;
  maxBufferedBytes: number;
  pingIntervalMs: number;
  /** how often the committed head is looked at while there are subscriptions */
  headPollMs: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  maxSubscriptions: 100,
  maxBufferedBytes: 16 * 1024 * 1024,
  pingIntervalMs: 30_000,
  headPollMs: 100,
};

const MAX_IN_FLIGHT = 32;
/** how long a closing peer has to acknowledge the close frame before its socket is cut */
const CLOSE_GRACE_MS = 5_000;
const PARSE_ERROR = -32700;

export interface WebSocketOptions {
  maxMessageBytes: number;
  authenticate: ((token: string) => Caller | undefined) | undefined;
  limits?: Partial<WebSocketLimits>;
  log: (message: string) => void;
}

/** Dispatch one JSON-RPC message (a request or a batch) as `context`; undefined: nothing to answer. */
export type Dispatch = (message: unknown, context: Caller) => Promise<unknown>;

/** What a message's context stands for: its connection and the subscriptions it made. */
interface MessageContext {
  connection: Connection;
  made: Subscription[];
}

export class WebSocketEndpoint {
  private readonly server: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly contexts = new WeakMap<Caller, MessageContext>();
  private readonly limits: WebSocketLimits;
  private dispatch: Dispatch | undefined;
  private poll: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout;
  private polling = false;
  private head = -1;

  constructor(
    /** the node's methods, for the subscriptions' reads */
    private readonly methods: Record<string, Method>,
    private readonly options: WebSocketOptions,
  ) {
    this.limits = { ...DEFAULT_WEBSOCKET_LIMITS, ...options.limits };
    this.server = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
    this.ping = setInterval(() => this.connections.forEach((c) => c.checkAlive()), this.limits.pingIntervalMs).unref();
  }

  /** The two methods that exist only on a connection; over HTTP they answer that they need one. */
  get subscriptionMethods(): Record<string, Method> {
    const contextOf = (caller: Caller) => {
      const context = this.contexts.get(caller);
      if (!context) throw invalidParams('subscriptions need a WebSocket connection: open ws:// (or wss://) on this port');
      return context;
    };
    return {
      eth_subscribe: async (params, caller) => {
        const context = contextOf(caller);
        const subscription = await context.connection.subscriptions.add(parseSubscribe(params), caller);
        context.made.push(subscription);
        this.startPolling();
        return subscription.id;
      },
      eth_unsubscribe: (params, caller) => {
        const context = contextOf(caller);
        if (!Array.isArray(params) || params.length !== 1) throw invalidParams('eth_unsubscribe takes [subscription id]');
        // (as for an unknown filter: one of another connection does not exist here)
        if (!context.connection.subscriptions.remove(params[0])) throw invalidParams('subscription not found');
        return true;
      },
    };
  }

  /** How messages are dispatched (the HTTP endpoint's jayson server); set before any upgrade. */
  dispatchWith(dispatch: Dispatch): void {
    this.dispatch = dispatch;
  }

  /** The HTTP server's 'upgrade' event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(socket, 400, { code: -32600, message: 'only WebSocket upgrades are served here' });
    const who = callerOfRequest(req, this.options.authenticate, this.options.log);
    if ('refused' in who) return refuse(socket, who.refused.status, who.refused);
    this.server.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ws, who.caller, who.token, this);
      this.connections.add(connection);
      ws.once('close', () => {
        this.connections.delete(connection);
        connection.subscriptions.clear();
      });
    });
  }

  /** Stops serving; resolves once nothing it started (a look at the head, a request, a delivery) still reads the node. */
  async close(): Promise<void> {
    clearInterval(this.ping);
    clearInterval(this.poll);
    const connections = [...this.connections];
    for (const c of connections) c.terminate();
    this.server.close();
    await Promise.all([...this.running, ...connections.map((c) => c.settled())]);
  }

  private readonly running = new Set<Promise<void>>();

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** @internal for Connection */
  run(message: unknown, connection: Connection): Promise<{ response: unknown; made: Subscription[] }> {
    // A context of its own per message: eth_subscribe finds its connection by it (the
    // methods see it as the caller it copies).
    const context: Caller = Object.freeze({ ...connection.caller });
    const made: Subscription[] = [];
    this.contexts.set(context, { connection, made });
    return this.dispatch!(message, context).then((response) => ({ response, made }));
  }

  /** @internal for Connection */
  get settings(): WebSocketLimits & { authenticate: WebSocketOptions['authenticate']; log: (m: string) => void; methods: Record<string, Method> } {
    return { ...this.limits, authenticate: this.options.authenticate, log: this.options.log, methods: this.methods };
  }

  // The committed head is looked at while some connection has subscriptions: core/node
  // tells no one of commits, and a look is one read of the committed HEAD record.
  private startPolling(): void {
    if (this.poll) return;
    this.poll = setInterval(() => void this.track(this.lookAtHead()), this.limits.headPollMs).unref();
  }

  private async lookAtHead(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const subscribed = [...this.connections].filter((c) => c.subscriptions.size > 0);
      if (subscribed.length === 0) {
        clearInterval(this.poll);
        this.poll = undefined;
        return;
      }
      const head = Number(BigInt((await this.methods.eth_blockNumber!([], ANONYMOUS)) as string));
      if (head <= this.head) return;
      this.head = head;
      for (const c of subscribed) c.newHead(head);
    } catch (e) {
      this.options.log(`reading the head for subscriptions failed: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}

class Connection {
  readonly subscriptions: Subscriptions;
  private alive = true;
  private inFlight = 0;
  private readonly waiting: RawData[] = [];
  private head = -1;
  private delivering = false;
  private closing = false;

  constructor(
    private readonly ws: WebSocket,
    readonly caller: Caller,
    /** the token the upgrade carried: checked again as the connection goes on */
    private readonly token: string | undefined,
    private readonly endpoint: WebSocketEndpoint,
  ) {
    const { methods, maxSubscriptions } = endpoint.settings;
    this.subscriptions = new Subscriptions(methods, maxSubscriptions);
    ws.on('pong', () => (this.alive = true));
    ws.on('message', (data) => void this.onMessage(data));
    ws.on('error', (e) => {
      endpoint.settings.log(`WebSocket connection: ${e.message}`);
      this.terminate();
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN && !this.closing;
  }

  /** Each ping interval: a peer that did not answer the last ping is gone. */
  checkAlive(): void {
    if (this.closing) return; // (its close has a grace of its own)
    // (not reading its socket, this node would not see the pong: the peer is not at fault)
    if (this.ws.isPaused) return;
    if (!this.alive) return this.terminate();
    this.alive = false;
    this.ws.ping();
  }

  terminate(): void {
    this.subscriptions.clear();
    this.waiting.length = 0;
    this.ws.terminate();
  }

  newHead(head: number): void {
    this.head = head;
    if (!this.delivering) this.track(this.deliver());
  }

  private readonly running = new Set<Promise<void>>();

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Resolves once its requests in flight and its delivery have ended. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async deliver(): Promise<void> {
    this.delivering = true;
    try {
      let done = -1;
      while (done < this.head && this.open) {
        const head = this.head;
        if (!this.stillSignedIn()) return;
        await this.subscriptions.deliver(head, this.caller, (n) => this.send(n), () => this.open);
        done = head;
      }
    } catch (e) {
      this.endpoint.settings.log(`subscription delivery failed: ${(e as Error).stack ?? e}`);
    } finally {
      this.delivering = false;
    }
  }

  // Past MAX_IN_FLIGHT, messages wait and the socket is not read (what arrived already in
  // the same read still comes: it waits in order).
  private onMessage(data: RawData): void {
    this.alive = true;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.waiting.push(data);
      this.ws.pause();
      return;
    }
    this.track(this.answer(data));
  }

  private async answer(data: RawData): Promise<void> {
    this.inFlight++;
    try {
      if (!this.stillSignedIn()) return;
      let message: unknown;
      try {
        message = JSON.parse(rawText(data));
      } catch {
        return this.send({ jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: 'parse error: message is not JSON' } });
      }
      const { response, made } = await this.endpoint.run(message, this);
      if (response !== undefined && !(Array.isArray(response) && response.length === 0)) this.send(response);
      for (const s of made) s.active = true;
      if (made.length > 0 && this.head >= 0) this.newHead(this.head);
    } finally {
      this.inFlight--;
      const next = this.waiting.shift();
      if (next) this.track(this.answer(next));
      else if (this.ws.isPaused) this.ws.resume();
    }
  }

  /** Whether the upgrade's session still stands; if not, the connection is closed. */
  private stillSignedIn(): boolean {
    if (this.token === undefined) return true;
    const { authenticate, log } = this.endpoint.settings;
    let caller: Caller | undefined;
    try {
      caller = authenticate?.(this.token);
    } catch (e) {
      log(`resolving a session token failed: ${(e as Error).message}`);
      return false;
    }
    if (caller) return true;
    this.close(SESSION_ENDED, 'session ended: sign in again');
    return false;
  }

  private send(message: unknown): void {
    if (!this.open) return;
    const { maxBufferedBytes } = this.endpoint.settings;
    if (this.ws.bufferedAmount > maxBufferedBytes) return this.close(TOO_SLOW, `too slow: more than ${maxBufferedBytes} bytes unread`);
    this.ws.send(JSON.stringify(message));
  }

  private close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.endpoint.settings.log(`closing a WebSocket connection (${code}): ${reason}`);
    this.subscriptions.clear();
    this.waiting.length = 0;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

/** A message's text (a binary frame is read as UTF-8 JSON too). */
function rawText(data: RawData): string {
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
}

/** Refuse an upgrade with an HTTP answer, the JSON-RPC error a POST would get in its body. */
function refuse(socket: Duplex, status: number, error: { code: number; message: string }): void {
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: error.code, message: error.message } });
  const headers = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  if (status === 401) headers.push('WWW-Authenticate: Bearer');
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

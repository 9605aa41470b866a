// Node-to-node channels: mutually authenticated TLS, both ends presenting node
// certificates endorsed by the service certificate. A peer whose certificate the service
// did not endorse fails the handshake; one whose node id the caller does not accept is
// dropped right after it. Length-prefixed frames carry opaque bytes: one-way messages
// (consensus) and requests with their responses (matched by id, answered on the
// responder's own connection, as messages are), so that a node can ask a peer something
// over the same authenticated channel. Both directions set TCP_NODELAY: small frames
// must not wait for Nagle's algorithm against the peer's delayed ACKs.
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { keyId } from '../crypto/keys.js';

export interface PeerNetworkOptions {
  /** this node's id, key and endorsed certificate (PEM) */
  nodeId: string;
  key: string;
  cert: string;
  /** the service certificate: the only CA for peer certificates */
  serviceCert: string;
  /** whether a node id may talk to us (a trusted or joining node) */
  accept: (nodeId: string) => boolean;
  onMessage: (from: string, payload: Uint8Array) => void;
  /** answers a peer's request (see request()); a throw is sent back as a refusal */
  onRequest?: (from: string, payload: Uint8Array) => Promise<Uint8Array>;
  log?: (message: string) => void;
}

/** Why a request got no answer. */
export type PeerRequestFailure = 'unreachable' | 'timeout' | 'aborted' | 'refused' | 'closed';

export class PeerRequestError extends Error {
  constructor(
    readonly reason: PeerRequestFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PeerRequestError';
  }
}

export interface PeerRequestOptions {
  /** give up after this long (default 30 s) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

// The first byte of every frame says what it carries; requests and responses then hold
// a 32-bit request id.
const enum FrameKind {
  Message = 0,
  Request = 1,
  Response = 2,
  /** the responder's handler failed: the rest is a UTF-8 reason */
  Refusal = 3,
}

const MAX_FRAME = 64 * 1024 * 1024;
const RECONNECT_MS = 200;
// Messages for an unreachable peer wait at most this long and this much: Raft resends
// what matters, and a stale backlog (or a queued snapshot) is only memory and noise.
const QUEUE_MAX_AGE_MS = 1_000;
const QUEUE_MAX_BYTES = 16 * 1024 * 1024;

function peerNodeId(socket: TLSSocket): string | undefined {
  const raw = socket.getPeerX509Certificate?.() as X509Certificate | undefined;
  return raw ? keyId(raw.publicKey) : undefined;
}

/** Splits a byte stream into length-prefixed frames. */
class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Uint8Array) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME) throw new Error(`frame of ${length} bytes exceeds the limit`);
      if (this.buffer.length < 4 + length) return;
      this.onFrame(new Uint8Array(this.buffer.subarray(4, 4 + length)));
      this.buffer = this.buffer.subarray(4 + length);
    }
  }
}

function frame(kind: FrameKind, payload: Uint8Array, id?: number): Buffer {
  const headerLength = id === undefined ? 5 : 9;
  const header = Buffer.alloc(headerLength);
  header.writeUInt32BE(payload.length + headerLength - 4);
  header.writeUInt8(kind, 4);
  if (id !== undefined) header.writeUInt32BE(id, 5);
  return Buffer.concat([header, payload]);
}

interface PendingRequest {
  to: string;
  resolve: (answer: Uint8Array) => void;
  reject: (e: PeerRequestError) => void;
}

interface Outgoing {
  address: { host: string; port: number };
  socket: TLSSocket | undefined;
  /** the socket completed its handshake and has not closed since */
  connected: boolean;
  queue: { data: Buffer; at: number }[];
  queuedBytes: number;
  timer: NodeJS.Timeout | undefined;
  /** the last failure reported, so that a peer that stays down is logged once */
  lastError?: string;
}

export class PeerNetwork {
  private server: Server | undefined;
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly accepted = new Map<TLSSocket, string>();
  /** every incoming connection, from before its handshake: close() ends them all (the server waits for each) */
  private readonly connections = new Set<Socket>();
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private closed = false;
  private readonly log: (m: string) => void;

  constructor(private readonly options: PeerNetworkOptions) {
    this.log = options.log ?? (() => {});
  }

  /** Accept peers on host:port; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const { key, cert, serviceCert } = this.options;
    this.server = createServer({ key, cert, ca: serviceCert, requestCert: true, rejectUnauthorized: true }, (socket) => this.incoming(socket));
    this.server.on('tlsClientError', (e) => this.log(`peer handshake refused: ${e.message}`));
    this.server.on('connection', (raw: Socket) => {
      this.connections.add(raw);
      raw.once('close', () => this.connections.delete(raw));
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve((this.server!.address() as { port: number }).port));
    });
  }

  private incoming(socket: TLSSocket): void {
    // A handshake that completes after close() began must not keep the server open.
    if (this.closed) return void socket.destroy();
    const from = peerNodeId(socket);
    if (!from || !this.options.accept(from)) {
      this.log(`peer ${from?.slice(0, 16) ?? '?'} is not a node of this service: dropped`);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.accepted.set(socket, from);
    socket.on('close', () => this.accepted.delete(socket));
    const reader = new FrameReader((data) => this.received(from, data));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        this.log(`peer ${from.slice(0, 16)}: ${(e as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
  }

  private received(from: string, data: Uint8Array): void {
    if (data.length < 1) throw new Error('empty frame');
    const kind = data[0] as FrameKind;
    if (kind === FrameKind.Message) return this.options.onMessage(from, data.subarray(1));
    if (data.length < 5) throw new Error('truncated frame');
    const id = new DataView(data.buffer, data.byteOffset + 1, 4).getUint32(0);
    const body = data.subarray(5);
    if (kind === FrameKind.Request) return void this.answer(from, id, body);
    if (kind !== FrameKind.Response && kind !== FrameKind.Refusal) throw new Error(`unknown frame kind ${kind}`);
    const request = this.pending.get(id);
    // Only the peer asked may answer (an unknown id: the asker gave up meanwhile).
    if (!request || request.to !== from) return;
    if (kind === FrameKind.Response) request.resolve(body);
    else request.reject(new PeerRequestError('refused', `peer ${from.slice(0, 16)} refused the request: ${Buffer.from(body).toString('utf8')}`));
  }

  private async answer(from: string, id: number, body: Uint8Array): Promise<void> {
    let response: Buffer;
    try {
      if (!this.options.onRequest) throw new Error('this node answers no requests');
      response = frame(FrameKind.Response, await this.options.onRequest(from, body), id);
    } catch (e) {
      response = frame(FrameKind.Refusal, Buffer.from((e as Error).message, 'utf8'), id);
    }
    this.deliver(from, response);
  }

  /**
   * Ask a peer: resolves with its answer. Fails at once if the peer is not connected
   * now (the caller decides whether to retry or ask another), and when the connection
   * drops, the time is up or `signal` aborts: a peer that stopped (SIGSTOP) keeps its
   * connection open and never answers.
   */
  request(to: string, payload: Uint8Array, options: PeerRequestOptions = {}): Promise<Uint8Array> {
    const peer = this.outgoing.get(to);
    if (this.closed) return Promise.reject(new PeerRequestError('closed', 'the peer network is closed'));
    if (!peer?.socket || !peer.connected) {
      return Promise.reject(new PeerRequestError('unreachable', `peer ${to.slice(0, 16)} is not connected`));
    }
    if (options.signal?.aborted) return Promise.reject(new PeerRequestError('aborted', 'the request was aborted'));
    const id = this.nextRequestId;
    this.nextRequestId = this.nextRequestId >= 0xffffffff ? 1 : this.nextRequestId + 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const timer = setTimeout(() => done(new PeerRequestError('timeout', `peer ${to.slice(0, 16)} did not answer within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => done(new PeerRequestError('aborted', 'the request was aborted'));
      const done = (outcome: Uint8Array | PeerRequestError) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (outcome instanceof PeerRequestError) reject(outcome);
        else resolve(outcome);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { to, resolve: done, reject: done });
      peer.socket!.write(frame(FrameKind.Request, payload, id));
    });
  }

  /** The peers this node has a working connection with, in either direction. */
  connectedPeers(): string[] {
    const peers = new Set(this.accepted.values());
    for (const [id, peer] of this.outgoing) if (peer.connected) peers.add(id);
    return [...peers];
  }

  /** Where to reach a peer (sends to it queue until it is known and reachable). */
  setAddress(nodeId: string, host: string, port: number): void {
    const existing = this.outgoing.get(nodeId);
    if (existing && existing.address.host === host && existing.address.port === port) return;
    if (existing?.socket) {
      existing.socket.destroy();
      this.failRequests(nodeId, new PeerRequestError('unreachable', `peer ${nodeId.slice(0, 16)} moved`));
    }
    this.outgoing.set(nodeId, { address: { host, port }, socket: undefined, connected: false, queue: existing?.queue ?? [], queuedBytes: existing?.queuedBytes ?? 0, timer: undefined });
    this.dial(nodeId);
  }

  send(to: string, payload: Uint8Array): void {
    this.deliver(to, frame(FrameKind.Message, payload));
  }

  private deliver(to: string, data: Buffer): void {
    const peer = this.outgoing.get(to);
    if (!peer) return; // unknown address: Raft retries on its own
    if (peer.socket && !peer.socket.connecting) return void peer.socket.write(data);
    // Keep the newest: drop what went stale, then the oldest while over the byte budget.
    const now = Date.now();
    peer.queue.push({ data, at: now });
    peer.queuedBytes += data.length;
    while (peer.queue.length > 0 && (peer.queue[0]!.at < now - QUEUE_MAX_AGE_MS || peer.queuedBytes > QUEUE_MAX_BYTES)) {
      peer.queuedBytes -= peer.queue.shift()!.data.length;
    }
  }

  private dial(nodeId: string): void {
    const peer = this.outgoing.get(nodeId);
    if (!peer || this.closed || peer.socket) return;
    const { key, cert, serviceCert } = this.options;
    const socket = connect({
      host: peer.address.host,
      port: peer.address.port,
      key,
      cert,
      ca: serviceCert,
      // The peer is named by its key, not by a host name.
      checkServerIdentity: (_host, certificate) => {
        const id = keyId(new X509Certificate(certificate.raw).publicKey);
        return id === nodeId ? undefined : new Error(`expected node ${nodeId.slice(0, 16)}, reached ${id.slice(0, 16)}`);
      },
    });
    peer.socket = socket;
    socket.setNoDelay(true);
    socket.on('secureConnect', () => {
      peer.connected = true;
      if (peer.lastError) this.log(`peer ${nodeId.slice(0, 16)}: connected`);
      peer.lastError = undefined;
      const fresh = Date.now() - QUEUE_MAX_AGE_MS;
      for (const { data, at } of peer.queue) if (at >= fresh) socket.write(data);
      // (what is older went stale while the connection was being made)
      peer.queue = [];
      peer.queuedBytes = 0;
    });
    const retry = () => {
      if (peer.socket !== socket) return;
      peer.socket = undefined;
      peer.connected = false;
      this.failRequests(nodeId, new PeerRequestError('unreachable', `the connection to peer ${nodeId.slice(0, 16)} closed`));
      if (!this.closed && this.outgoing.get(nodeId) === peer) peer.timer = setTimeout(() => this.dial(nodeId), RECONNECT_MS);
    };
    socket.on('error', (e) => {
      if (peer.lastError !== e.message) this.log(`peer ${nodeId.slice(0, 16)}: ${e.message}`);
      peer.lastError = e.message;
      socket.destroy();
    });
    socket.on('close', retry);
    socket.on('data', () => {}); // peers answer on their own outgoing connection
  }

  private failRequests(to: string, error: PeerRequestError): void {
    for (const request of [...this.pending.values()]) if (request.to === to) request.reject(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const peer of this.outgoing.values()) {
      if (peer.timer) clearTimeout(peer.timer);
      peer.socket?.destroy();
    }
    for (const socket of this.accepted.keys()) socket.destroy();
    // Connections still in their handshake too: the server's close waits for every one.
    for (const raw of this.connections) raw.destroy();
    for (const id of new Set([...this.pending.values()].map((r) => r.to))) this.failRequests(id, new PeerRequestError('closed', 'the peer network is closed'));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

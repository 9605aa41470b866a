// Node-to-node channels: mutually authenticated TLS, both ends presenting node
// certificates endorsed by the service certificate. A peer whose certificate the service
// did not endorse fails the handshake; one whose node id the caller does not accept is
// dropped right after it. Messages are length-prefixed frames of opaque bytes.
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
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
  log?: (message: string) => void;
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

function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

interface Outgoing {
  address: { host: string; port: number };
  socket: TLSSocket | undefined;
  queue: { data: Buffer; at: number }[];
  queuedBytes: number;
  timer: NodeJS.Timeout | undefined;
  /** the last failure reported, so that a peer that stays down is logged once */
  lastError?: string;
}

export class PeerNetwork {
  private server: Server | undefined;
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly accepted = new Set<TLSSocket>();
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
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve((this.server!.address() as { port: number }).port));
    });
  }

  private incoming(socket: TLSSocket): void {
    const from = peerNodeId(socket);
    if (!from || !this.options.accept(from)) {
      this.log(`peer ${from?.slice(0, 16) ?? '?'} is not a node of this service: dropped`);
      socket.destroy();
      return;
    }
    this.accepted.add(socket);
    socket.on('close', () => this.accepted.delete(socket));
    const reader = new FrameReader((payload) => this.options.onMessage(from, payload));
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

  /** Where to reach a peer (sends to it queue until it is known and reachable). */
  setAddress(nodeId: string, host: string, port: number): void {
    const existing = this.outgoing.get(nodeId);
    if (existing && existing.address.host === host && existing.address.port === port) return;
    existing?.socket?.destroy();
    this.outgoing.set(nodeId, { address: { host, port }, socket: undefined, queue: existing?.queue ?? [], queuedBytes: existing?.queuedBytes ?? 0, timer: undefined });
    this.dial(nodeId);
  }

  send(to: string, payload: Uint8Array): void {
    const peer = this.outgoing.get(to);
    if (!peer) return; // unknown address: Raft retries on its own
    const data = frame(payload);
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
    socket.on('secureConnect', () => {
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

  async close(): Promise<void> {
    this.closed = true;
    for (const peer of this.outgoing.values()) {
      if (peer.timer) clearTimeout(peer.timer);
      peer.socket?.destroy();
    }
    for (const socket of this.accepted) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

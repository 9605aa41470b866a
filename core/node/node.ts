// A node's lifecycle: create a service or reopen a data directory (replaying and
// verifying the ledger, from its start or from the snapshot it starts after), take part
// in consensus, run transactions as primary, emit signature transactions on schedule,
// take snapshots, tell when a transaction is committed (its covering signature is
// replicated to a majority and durable), and produce receipts and exports.
import { createPublicKey } from 'node:crypto';
import { signData } from '../crypto/keys.js';
import type { Sealer } from '../crypto/sealing.js';
import type { Entry, NodeId, PersistentState, Role } from '../consensus/types.js';
import { NODES_INFO, SERVICE_INFO } from '../governance/tables.js';
import { DataDir, writeFiles } from '../host/data-dir.js';
import { LevelLedgerStorage } from '../host/level-storage.js';
import { virtualSealer } from '../host/virtual-platform.js';
import { ConflictError } from '../kv/errors.js';
import type { CommittedTx } from '../kv/store.js';
import { Store } from '../kv/store.js';
import type { Transaction } from '../kv/transaction.js';
import type { TxID } from '../kv/txid.js';
import { chunkEntries } from '../ledger/chunks.js';
import { EntryKind } from '../ledger/entry.js';
import { Ledger } from '../ledger/ledger.js';
import { MerkleTree } from '../ledger/merkle.js';
import type { Receipt } from '../ledger/receipt.js';
import { SIGNATURE_KEY, SIGNATURES } from '../ledger/signature.js';
import type { LedgerStorage } from '../ledger/storage.js';
import { LedgerVerifier } from '../ledger/verifier.js';
import { readEvidence, SNAPSHOT_EVIDENCE, snapshotName, verifyCommittedSnapshot, type CommittedSnapshot } from '../ledger/snapshot.js';
import { SnapshotFiles } from '../host/snapshot-files.js';
import { fromHex } from '../util/bytes.js';
import { DEFAULT_SNAPSHOT_INTERVAL, Snapshotter, type SnapshotHost } from './snapshotter.js';
import { firstStoredSeqno, loadSnapshots, replay, type HeldSnapshot, type Replayed } from './replay.js';
import { configAfter, trustedNodes } from './membership.js';
import { createServiceIdentity, loadIdentity, loadVote, saveIdentity, saveVote, type NodeIdentity } from './identity.js';
import { DEFAULT_REPLICATION, Replication, type ReplicationHost } from './replication.js';
import { PeerNetwork, type PeerRequestOptions } from '../host/peer-network.js';
import { createNodeCertificate } from '../crypto/certificates.js';
import { JoinError, joinResponse, parseJoinRequest, type JoinResponse, type PeerInfo } from './join.js';

export type TxStatus = 'Unknown' | 'Pending' | 'Committed' | 'Invalid';

export interface SignaturePolicy {
  /** Sign after this many transactions since the last signature. */
  transactions: number;
  /** Sign at most this long after the first unsigned transaction. */
  milliseconds: number;
}

export interface NodeOptions {
  dataDir: string;
  /** `fsync`: a commit is acknowledged only once its signature is fsync'd (default). `os`: once handed to the OS. */
  durability?: 'fsync' | 'os';
  signatures?: Partial<SignaturePolicy>;
  serviceName?: string;
  subjectAltNames?: string[];
  /** Defaults to the virtual platform's file-backed sealer. */
  sealer?: Sealer;
  /** Storage override (tests, simulator); defaults to a level database under dataDir. */
  storage?: LedgerStorage;
  /** The application built on this node (the EVM); core knows it only by these hooks. */
  application?: ApplicationHooks;
  /** Node-to-node channel: where to listen, and the host others reach it by. */
  network?: { host: string; port: number; advertise?: string };
  /** This node's JSON-RPC URL, recorded for other nodes (they forward writes to the primary). */
  rpcAddress?: string;
  /**
   * Admit nodes that ask to join. Off by default: until governance decides who may join
   * (attestation, member votes), admitting hands the service's secrets to whoever asks.
   */
  admitJoiners?: boolean;
  /** Take a snapshot at the first signature past every multiple of this many seqnos (default 10 000); the same on every node. */
  snapshotInterval?: number;
  /** Start as a node that joined an existing service (see join.ts). */
  joined?: { identity: NodeIdentity; peers: PeerInfo[] };
  log?: (message: string) => void;
}

export interface ApplicationHooks {
  /** Adds the application's part to the new service's first transaction. */
  genesis?(tx: Transaction): void;
  /**
   * Runs in a transaction of its own just before every signature transaction, so the
   * application can record what that signature seals (for the EVM: a block). `root` is
   * the ledger's Merkle root over every transaction before this one.
   */
  seal?(tx: Transaction, root: Uint8Array): void;
}

/** How long stop() waits for its final signature to commit. */
const STOP_GRACE_MS = 2_000;

export const DEFAULT_SIGNATURES: SignaturePolicy = { transactions: 1000, milliseconds: 20 };

interface CommitWaiter {
  seqno: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class NotPrimaryError extends Error {
  constructor() {
    super('this node is not the primary');
    this.name = 'NotPrimaryError';
  }
}

export class Node implements ReplicationHost {
  private committedSeqno = 0;
  private unsignedSince: number | undefined;
  private signTimer: NodeJS.Timeout | undefined;
  private signScheduled = false;
  private idleSignScheduled = false;
  private waiters: CommitWaiter[] = [];
  private stopped = false;
  private replication!: Replication;
  /** checks entries a primary sends before they touch the store (rebuilt after a truncation) */
  private verifier: LedgerVerifier | undefined;
  private becamePrimary: (() => void) | undefined;
  private network: PeerNetwork | undefined;
  /** this primary retired itself and awaits stepping down */
  private retiring = false;
  /** peers known before the ledger names them (a joining node's first contacts) */
  private initialPeers: PeerInfo[] = [];
  private peerAddress: string | undefined;
  private rpcAddress: string | undefined;
  private admitJoiners = false;
  private snapshots!: Snapshotter;
  private snapshotFiles!: SnapshotFiles;
  /** a compaction waiting for consensus to commit that far */
  private pendingCompaction: { seqno: number; snapshot: Uint8Array } | undefined;
  /** snapshots from the primary already verified (Replication checks before Raft sees them) */
  private readonly verifiedSnapshots = new WeakMap<Uint8Array, CommittedSnapshot>();

  private constructor(
    readonly store: Store,
    readonly ledger: Ledger,
    private readonly identity: NodeIdentity,
    private readonly policy: SignaturePolicy,
    private readonly log: (message: string) => void,
    private readonly application: ApplicationHooks,
    private readonly dir: DataDir,
    private readonly sealer: Sealer,
  ) {
    store.onCommit((committed) => this.onLocalCommit(committed));
  }

  static async start(options: NodeOptions): Promise<Node> {
    const log = options.log ?? (() => {});
    const dir = new DataDir(options.dataDir);
    await dir.ensure();
    const sealer = options.sealer ?? (await virtualSealer(dir));
    const policy = { ...DEFAULT_SIGNATURES, ...options.signatures };
    let identity = await loadIdentity(dir, sealer);
    const storage = options.storage ?? (await LevelLedgerStorage.open(dir.file('ledger'), { sync: (options.durability ?? 'fsync') === 'fsync' }));
    try {
      const snapshotFiles = new SnapshotFiles(dir.file('snapshots'));
      const firstStored = await firstStoredSeqno(storage);
      const empty = firstStored === undefined && (await snapshotFiles.list()).length === 0;
      if (!identity) {
        if (!empty) throw new Error(`${dir.path} holds a ledger but no sealed node state; refusing to start a new service over it`);
        identity = options.joined?.identity ?? (await createServiceIdentity(options));
        await saveIdentity(dir, sealer, identity);
        log(options.joined ? `joined service as ${identity.nodeId.slice(0, 16)} in ${dir.path}` : `created service ${identity.nodeId.slice(0, 16)} in ${dir.path}`);
      }
      // A new service starts from nothing; so does a node that joined and has received
      // nothing yet (the primary sends it the ledger).
      const creating = empty && !options.joined && !(await loadVote(dir, sealer)).term;
      // Committed snapshots on disk; the ledger starts at seqno 1 or right after one of them.
      const held = await loadSnapshots(snapshotFiles, identity, log);
      let base: HeldSnapshot | undefined;
      if (firstStored === undefined) base = held[held.length - 1];
      else if (firstStored > 1) {
        base = held.find((h) => h.seqno === firstStored - 1);
        if (!base) throw new Error(`the ledger starts at seqno ${firstStored}, and there is no valid committed snapshot at ${firstStored - 1} to start it from; refusing to start`);
      }
      const replayed: Replayed = empty ? { store: new Store(), tree: new MerkleTree(), views: [], entries: [], highestView: 0 } : await replay(storage, identity, base);
      const { store } = replayed;
      const vote = await loadVote(dir, sealer);
      const ledger = new Ledger(storage, identity.secrets, replayed.tree, replayed.views);
      for (const e of replayed.entries) ledger.adoptVerified({ seqno: e.index, view: e.term, kind: e.kind === 'signature' ? EntryKind.Signature : EntryKind.Normal });
      const node = new Node(store, ledger, identity, policy, log, options.application ?? {}, dir, sealer);
      node.snapshotFiles = snapshotFiles;
      node.snapshots = new Snapshotter(options.snapshotInterval ?? DEFAULT_SNAPSHOT_INTERVAL, snapshotFiles, node.snapshotHost());
      node.committedSeqno = replayed.base?.index ?? 0;
      const state: PersistentState<Uint8Array> = {
        // Never below a view the ledger has used, even in entries since discarded.
        term: Math.max(vote.term, replayed.highestView),
        votedFor: vote.term >= replayed.highestView ? vote.votedFor : undefined,
        entries: replayed.entries,
        base: replayed.base ? { index: replayed.base.index, term: replayed.base.term } : { index: 0, term: 0 },
        baseConfig: replayed.base?.config ?? (creating ? [identity.nodeId] : []),
        ...(replayed.base ? { snapshot: replayed.base.snapshot } : {}),
      };
      node.replication = new Replication(identity.nodeId, state, node, (to, bytes) => node.network?.send(to, bytes), { ...DEFAULT_REPLICATION, random: Math.random });
      ledger.onWritten((seqno) => node.replication.persisted(seqno));
      for (const h of held) if (h.seqno >= (replayed.base?.index ?? 0)) await node.snapshots.adopt(h.seqno, h.bytes);
      node.initialPeers = options.joined?.peers ?? [];
      node.rpcAddress = options.rpcAddress;
      node.admitJoiners = options.admitJoiners ?? false;
      if (options.network) await node.listen(options.network);
      node.refreshPeers();
      const alone = (() => {
        const voters = new Set(node.replication.raft.activeConfigs().flat());
        return voters.size === 1 && voters.has(identity.nodeId);
      })();
      const primary = new Promise<void>((resolve) => (node.becamePrimary = resolve));
      node.replication.start();
      if (alone) {
        // Alone in its configuration, the node leads at once; wait for that and for the
        // first commit of its term, so that it opens knowing what is committed.
        await primary;
        if (creating) await node.genesis();
        else await node.waitTermCommitted();
      }
      const from = replayed.base ? ` after the snapshot at seqno ${replayed.base.index}` : '';
      if (!creating) log(`replayed and verified ${replayed.entries.length} entries${from}; ${alone ? `resuming in view ${store.view}` : 'following the primary'}`);
      return node;
    } catch (e) {
      await storage.close();
      throw e;
    }
  }

  get nodeId(): string {
    return this.identity.nodeId;
  }

  get serviceCertificate(): string {
    return this.identity.serviceCert;
  }

  get nodeCertificate(): string {
    return this.identity.nodeCert;
  }

  get role(): Role {
    return this.replication.role;
  }

  /** Key and certificate for the node's TLS endpoints; the key never leaves the process. */
  tlsCredentials(): { key: string; cert: string } {
    return { key: this.identity.nodeKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: this.identity.nodeCert };
  }

  /** Seqno up to which everything is committed (signed, replicated to a majority, durable). */
  get committed(): number {
    return this.committedSeqno;
  }

  /** Consensus holds its log from here on; earlier entries are in a committed snapshot. */
  get compactedTo(): number {
    return this.replication.raft.baseIndex;
  }

  get lastSigned(): number {
    return this.ledger.lastSigned;
  }

  /**
   * Run `body` in a transaction and commit it, retrying on conflicts. Resolves with the
   * body's result and the transaction id (undefined if it wrote nothing); the commit is
   * not yet durable: await `waitCommitted(txid)` for that. Only the primary writes.
   */
  async transact<T>(body: (tx: Transaction) => T | Promise<T>, maxAttempts = 16): Promise<{ result: T; txid: TxID | undefined }> {
    for (let attempt = 1; ; attempt++) {
      this.ensureRunning();
      const tx = this.store.begin();
      try {
        const result = await body(tx);
        if (tx.hasWrites && (!this.replication.isPrimary || this.retiring)) throw new NotPrimaryError();
        const txid = tx.commit();
        return { result, txid };
      } catch (e) {
        tx.abort();
        if (!(e instanceof ConflictError) || attempt >= maxAttempts) throw e;
      }
    }
  }

  /** A read-only transaction over the committed state. */
  committedSnapshot(): Transaction {
    return this.store.snapshot(Math.min(this.committedSeqno, this.store.txid.seqno));
  }

  /** Resolves once `txid` is committed; rejects if it never can be (rolled back). */
  waitCommitted(txid: TxID): Promise<void> {
    if (txid.seqno <= this.committedSeqno) {
      return this.status(txid) === 'Committed' ? Promise.resolve() : Promise.reject(new Error(`transaction ${txid.view}.${txid.seqno} is invalid`));
    }
    return new Promise((resolve, reject) => this.waiters.push({ seqno: txid.seqno, resolve, reject }));
  }

  status(txid: TxID): TxStatus {
    const at = this.ledger.txidAt(txid.seqno);
    if (txid.seqno <= this.committedSeqno) return at && at.view === txid.view ? 'Committed' : 'Invalid';
    if (at && at.view === txid.view) return 'Pending';
    if (at && txid.view < at.view) return 'Invalid';
    return 'Unknown';
  }

  /** A receipt for a committed transaction; undefined while it is not committed. */
  receipt(txid: TxID): Promise<Receipt | undefined> {
    return this.ledger.receipt(txid, this.committedSeqno);
  }

  /**
   * The application has no more work queued: sign what is unsigned once the event loop has
   * handled the I/O already waiting (so a burst still shares one signature). Under light
   * load this turns the signature interval into a few milliseconds of commit latency;
   * under sustained load the application is never idle and the policy's limits apply.
   */
  signWhenIdle(): void {
    if (this.idleSignScheduled || this.unsignedSince === undefined) return;
    this.idleSignScheduled = true;
    setImmediate(() => {
      this.idleSignScheduled = false;
      this.emitSignature();
    });
  }

  /**
   * As primary, sign if anything is unsigned (or always, with `force`: a new primary signs
   * at once so that its view can commit); returns the signature's txid.
   */
  emitSignature(force = false): TxID | undefined {
    this.clearSignTimer();
    if (this.stopped || !this.replication.isPrimary || this.retiring) return undefined;
    if (!force && this.store.txid.seqno === this.ledger.lastSigned) return undefined;
    if (this.application.seal) {
      const sealTx = this.store.begin();
      this.application.seal(sealTx, this.ledger.tree.root());
      sealTx.commit();
    }
    const seqno = this.store.txid.seqno + 1;
    const view = this.store.view;
    const root = this.ledger.tree.root(seqno - 1);
    const tx = this.store.begin();
    tx.setKind('signature');
    tx.map(SIGNATURES).set(SIGNATURE_KEY, {
      node: this.identity.nodeId,
      view,
      seqno,
      root,
      signature: signData(this.identity.nodeKey, root),
      cert: this.identity.nodeCert,
    });
    const txid = tx.commit()!;
    this.clearSignTimer(); // the seal transaction above counted as unsigned
    return txid;
  }

  /** Write committed ledger chunks (each ending on a signature) into `dir`. */
  async exportLedger(dir: string, chunkBytes = 1 << 20): Promise<string[]> {
    await this.ledger.flush();
    const committed = this.committedSeqno;
    const storage = this.ledger.storage;
    const base = this.ledger.base;
    async function* upToCommitted() {
      for await (const e of storage.scan(base + 1)) {
        if (e.seqno > committed) return;
        yield e;
      }
    }
    const files: { name: string; bytes: Uint8Array }[] = [];
    // A ledger that starts from a snapshot is exported with it: auditing starts there.
    if (base > 0) files.push({ name: snapshotName(base), bytes: await this.snapshotFiles.read(base) });
    for await (const chunk of chunkEntries(upToCommitted(), chunkBytes)) files.push(chunk);
    return writeFiles(dir, files);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    const last = this.emitSignature();
    // Give the last signature a moment to commit; a primary cut off from its peers
    // cannot, and stopping must not wait for them.
    if (last) await Promise.race([this.waitCommitted(last).catch(() => undefined), new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
    this.stopped = true;
    this.replication.stop();
    this.clearSignTimer();
    await this.network?.close();
    await this.snapshots.idle();
    await this.ledger.flush();
    this.failWaiters(new Error('node stopped'));
    await this.ledger.storage.close();
  }

  /**
   * As primary, admit a joining node: record it as trusted (consensus adds it to the
   * configuration) and answer with its endorsed certificate and the service's secrets
   * sealed to its key. Every well-formed request is admitted (see join.ts).
   */
  async admit(request: unknown): Promise<JoinResponse> {
    if (!this.admitJoiners) throw new JoinError('this node does not admit joining nodes (it was not started to: --admit-joiners)');
    if (!this.replication.isPrimary) throw new NotPrimaryError();
    const parsed = parseJoinRequest(request);
    const host = parsed.rpcAddress.replace(/^https?:\/\//, '').replace(/:\d+.*$/, '').replace(/^\[|\]$/g, '');
    const read = this.store.begin();
    const existing = read.map(NODES_INFO).get(parsed.nodeId);
    read.abort();
    const cert =
      existing?.cert ??
      (await createNodeCertificate(createPublicKey(parsed.publicKey), this.identity.serviceKey, this.identity.serviceCert, {
        nodeId: parsed.nodeId,
        subjectAltNames: [...new Set(['localhost', '127.0.0.1', host])],
      }));
    if (!existing || existing.status !== 'Trusted' || existing.peerAddress !== parsed.peerAddress || existing.rpcAddress !== parsed.rpcAddress) {
      await this.transact((tx) => tx.map(NODES_INFO).set(parsed.nodeId, { cert, status: 'Trusted', peerAddress: parsed.peerAddress, rpcAddress: parsed.rpcAddress }));
      this.emitSignature();
    }
    const peers = this.peerList().filter((p) => p.nodeId !== parsed.nodeId);
    this.log(`admitted node ${parsed.nodeId.slice(0, 16)} at ${parsed.peerAddress}`);
    return joinResponse(parsed, cert, this.identity, peers);
  }

  /**
   * As primary, retire a node: it leaves the configuration once the change commits under
   * the quorums of both the old and the new configuration; a retired primary then steps
   * down and the others elect a successor. (Who may ask for this is governance's to
   * decide; this is the mechanism.)
   */
  async retire(nodeId: string): Promise<TxID> {
    if (!this.replication.isPrimary) throw new NotPrimaryError();
    const { txid } = await this.transact((tx) => {
      const nodes = tx.map(NODES_INFO);
      const info = nodes.get(nodeId);
      if (!info || info.status !== 'Trusted') throw new Error(`node ${nodeId.slice(0, 16)} is not a trusted node`);
      const remaining = [...nodes.entries()].filter(([id, n]) => n.status === 'Trusted' && id !== nodeId);
      if (remaining.length === 0) throw new Error('cannot retire the last node');
      nodes.set(nodeId, { ...info, status: 'Retired' });
    });
    this.emitSignature();
    // Having retired itself, the primary writes nothing more: the signature above is
    // the last a retired node may sign; it steps down once the change commits.
    if (nodeId === this.identity.nodeId) this.retiring = true;
    return txid!;
  }

  /** The trusted nodes and where they listen. */
  peerList(): PeerInfo[] {
    const tx = this.store.begin();
    try {
      return [...tx.map(NODES_INFO).entries()]
        .filter(([, info]) => info.status === 'Trusted' && info.peerAddress)
        .map(([nodeId, info]) => ({ nodeId, peerAddress: info.peerAddress! }));
    } finally {
      tx.abort();
    }
  }

  /** The JSON-RPC URL of the current primary, if known (for forwarding writes). */
  primaryRpcAddress(): string | undefined {
    const primary = this.replication.raft.primary;
    if (!primary) return undefined;
    const tx = this.store.begin();
    try {
      return tx.map(NODES_INFO).get(primary)?.rpcAddress;
    } finally {
      tx.abort();
    }
  }

  // -- for the front end (rpc/): the current primary, and requests between nodes -------
  // Forwarding a write to the primary needs to know who it is, to hear at once when that
  // changes (a request in flight to a primary that was replaced is abandoned), and a way
  // to ask it over the authenticated node-to-node channel. Core carries opaque bytes;
  // what they mean is the front end's business.
  private primaryListeners = new Set<(primary: string | undefined) => void>();
  private lastPrimary: string | undefined;
  private peerHandler: ((from: string, payload: Uint8Array) => Promise<Uint8Array>) | undefined;

  /** The node id of the primary this node knows of (itself, as primary), if any. */
  get primaryId(): string | undefined {
    return this.replication.raft.primary;
  }

  /** Call `listener` whenever the known primary changes (to another node or to none); returns the unsubscribe. */
  onPrimaryChange(listener: (primary: string | undefined) => void): () => void {
    this.primaryListeners.add(listener);
    return () => this.primaryListeners.delete(listener);
  }

  /** Answer other nodes' requests with `handler` (a throw refuses the request). */
  servePeerRequests(handler: (from: string, payload: Uint8Array) => Promise<Uint8Array>): void {
    this.peerHandler = handler;
  }

  /** Ask another node of the service (see PeerNetwork.request for how it fails). */
  peerRequest(to: string, payload: Uint8Array, options?: PeerRequestOptions): Promise<Uint8Array> {
    if (!this.network) return Promise.reject(new Error('this node has no node-to-node channel'));
    return this.network.request(to, payload, options);
  }

  /** How many other nodes this node is connected to right now. */
  get connectedPeers(): number {
    return this.network?.connectedPeers().length ?? 0;
  }

  private notePrimary(): void {
    const primary = this.replication.raft.primary;
    if (primary === this.lastPrimary) return;
    this.lastPrimary = primary;
    for (const listener of [...this.primaryListeners]) listener(primary);
  }

  private answerPeer(from: string, payload: Uint8Array): Promise<Uint8Array> {
    if (!this.peerHandler) return Promise.reject(new Error('this node does not answer requests yet'));
    return this.peerHandler(from, payload);
  }
  // -- (end of the front end's part) --------------------------------------------------

  private async listen(network: { host: string; port: number; advertise?: string }): Promise<void> {
    const { key, cert } = this.tlsCredentials();
    this.network = new PeerNetwork({
      nodeId: this.identity.nodeId,
      key,
      cert,
      serviceCert: this.identity.serviceCert,
      accept: (id) => this.knownNode(id),
      onMessage: (from, payload) => {
        this.replication.receive(from, payload);
        this.notePrimary(); // a message may name a new primary (see "for the front end")
      },
      onRequest: (from, payload) => this.answerPeer(from, payload),
      log: this.log,
    });
    const port = await this.network.listen(network.host, network.port);
    this.peerAddress = `${network.advertise ?? network.host}:${port}`;
  }


  private knownNode(id: string): boolean {
    if (this.initialPeers.some((p) => p.nodeId === id)) return true;
    const tx = this.store.begin();
    try {
      return tx.map(NODES_INFO).has(id);
    } finally {
      tx.abort();
    }
  }

  /** Point the network at every known peer's address. */
  private refreshPeers(): void {
    if (!this.network) return;
    for (const peer of [...this.initialPeers, ...this.peerList()]) {
      if (peer.nodeId === this.identity.nodeId) continue;
      const at = peer.peerAddress.lastIndexOf(':');
      this.network.setAddress(peer.nodeId, peer.peerAddress.slice(0, at), Number(peer.peerAddress.slice(at + 1)));
    }
  }

  // -- what consensus tells the node (ReplicationHost) ----------------------------------

  applyReplicated(entries: Entry<Uint8Array>[]): void {
    for (const e of entries) {
      this.verifier ??= new LedgerVerifier({ serviceCert: this.identity.serviceCert, secrets: this.identity.secrets, store: this.store, tree: this.ledger.tree });
      const entry = this.verifier.verify(e.payload);
      if (entry.seqno !== e.index || entry.view !== e.term) throw new Error(`replicated entry ${e.term}.${e.index} holds ${entry.view}.${entry.seqno}`);
      const previousSignature = this.ledger.lastSigned;
      this.ledger.appendReplicated(entry);
      if (configAfter(entry, this.store)) this.refreshPeers();
      if (entry.kind === EntryKind.Signature) this.snapshots.signed(entry.seqno, previousSignature);
      const evidence = entry.publicDomain.length > 0 ? readEvidence(entry) : undefined;
      if (evidence) this.snapshots.evidenceAt(entry.seqno, evidence);
    }
  }

  truncated(after: number): void {
    this.store.rollback(after);
    this.verifier = undefined;
    const lost = this.waiters.filter((w) => w.seqno > after);
    this.waiters = this.waiters.filter((w) => w.seqno <= after);
    for (const w of lost) w.reject(new Error(`transaction at seqno ${w.seqno} was rolled back by an election`));
    this.snapshots.truncated(after);
    // At once, not later: entries that replace the dropped ones may follow immediately.
    this.ledger.truncate(after).catch((e: Error) => this.fatal(e));
  }

  acceptSnapshot(data: Uint8Array): boolean {
    try {
      this.verifiedSnapshots.set(data, verifyCommittedSnapshot(data, this.identity.serviceCert, this.identity.secrets));
      return true;
    } catch (e) {
      this.log(`refused a snapshot from the primary: ${(e as Error).message}`);
      return false;
    }
  }

  installSnapshot(index: number, term: number, data: Uint8Array): void {
    const committed = this.verifiedSnapshots.get(data) ?? verifyCommittedSnapshot(data, this.identity.serviceCert, this.identity.secrets);
    const { txid, state, peaks, views } = committed.snapshot;
    if (txid.seqno !== index || txid.view !== term) throw new Error(`a snapshot of ${txid.view}.${txid.seqno} was installed as ${term}.${index}`);
    // Whatever this node had beyond its commit index is replaced; callers can ask the status.
    this.failWaiters(new Error('superseded by a snapshot from the primary; ask for the transaction status'));
    this.store.restore(txid, state);
    this.verifier = undefined;
    this.snapshots.installed();
    this.ledger.restore(index, peaks, views, () => this.snapshotFiles.write(index, data)).catch((e: Error) => this.fatal(e));
    this.advanceCommit(index);
    this.snapshots.adopt(index, data).catch((e: Error) => this.log(`snapshot files: ${e.message}`));
    this.refreshPeers();
    this.log(`installed the primary's snapshot at ${txid.view}.${txid.seqno}`);
  }

  commitAdvanced(index: number): void {
    this.advanceCommit(index);
  }

  roleChanged(role: Role, term: number): void {
    this.notePrimary();
    // The verifier of replicated entries tracks the ledger's end; as primary the node
    // appended its own entries, so start a fresh one from wherever the ledger now ends.
    this.verifier = undefined;
    if (role === 'primary') {
      this.store.setView(term);
      // A new primary signs at once so that its view can commit (a new service's first
      // signature comes after its genesis transaction instead).
      if (this.ledger.position.seqno > 0) this.emitSignature(true);
      this.becamePrimary?.();
    } else {
      this.clearSignTimer();
    }
  }

  async makeDurable(): Promise<number> {
    await this.ledger.flush();
    return this.ledger.writtenSeqno;
  }

  saveVote(term: number, votedFor: NodeId | undefined): Promise<void> {
    return saveVote(this.dir, this.sealer, { term, votedFor });
  }

  fatal(error: Error): void {
    this.log(`fatal: ${error.stack ?? error.message}`);
    this.failWaiters(error);
    this.stopped = true;
    this.replication.stop();
  }

  // -- internals ------------------------------------------------------------------------

  private onLocalCommit(committed: CommittedTx): void {
    const previousSignature = this.ledger.lastSigned;
    const entry = this.ledger.appendLocal(committed);
    // A local commit still has its write set: no need to decode the entry to see it.
    const config = committed.writes.has(NODES_INFO.name) ? trustedNodes(this.store) : undefined;
    this.replication.propose(committed.kind === 'signature' ? 'signature' : 'data', entry.bytes, config);
    if (config) this.refreshPeers();
    if (committed.kind === 'signature') this.snapshots.signed(committed.txid.seqno, previousSignature);
    else this.noteUnsigned(committed.txid.seqno);
    if (committed.writes.has(SNAPSHOT_EVIDENCE.name)) this.snapshots.evidenceAt(committed.txid.seqno, readEvidence(entry)!);
  }

  /** What the snapshotter may ask of the node. */
  private snapshotHost(): SnapshotHost {
    return {
      store: this.store,
      ledger: this.ledger,
      isPrimary: () => this.replication.isPrimary && !this.retiring,
      writeEvidence: (evidence, failed) => {
        this.transact((tx) => {
          tx.map(SNAPSHOT_EVIDENCE).set(0, evidence);
          tx.setClaimsDigest(fromHex(evidence.digest));
        }).catch(failed);
      },
      receipt: (txid) => this.receipt(txid),
      compact: (seqno, snapshot) => {
        this.pendingCompaction = { seqno, snapshot };
        this.compactIfCommitted();
      },
      log: this.log,
    };
  }

  private compactIfCommitted(): void {
    const pending = this.pendingCompaction;
    if (!pending || pending.seqno > this.replication.raft.committed) return;
    this.pendingCompaction = undefined;
    this.replication.compact(pending.seqno, pending.snapshot);
  }

  /** Wait for the signature a new primary made in its view: then it knows what is committed. */
  private waitTermCommitted(): Promise<void> {
    return this.waitCommitted({ view: this.store.view, seqno: this.ledger.lastSigned });
  }

  private async genesis(): Promise<void> {
    const { txid } = await this.transact((tx) => {
      tx.map(SERVICE_INFO).set(0, { cert: this.identity.serviceCert, status: 'Open' });
      tx.map(NODES_INFO).set(this.identity.nodeId, { cert: this.identity.nodeCert, status: 'Trusted', peerAddress: this.peerAddress, rpcAddress: this.rpcAddress });
      this.application.genesis?.(tx);
    });
    this.emitSignature();
    await this.waitCommitted(txid!);
    this.log(`service open, genesis committed at ${txid!.view}.${txid!.seqno}`);
  }

  private noteUnsigned(seqno: number): void {
    if (this.unsignedSince === undefined) this.unsignedSince = seqno;
    if (seqno - this.unsignedSince + 1 >= this.policy.transactions) {
      if (!this.signScheduled) {
        this.signScheduled = true;
        // Not inside the commit listener: the signature is a transaction of its own.
        queueMicrotask(() => {
          this.signScheduled = false;
          this.emitSignature();
        });
      }
    } else if (!this.signTimer) {
      this.signTimer = setTimeout(() => {
        this.signTimer = undefined;
        this.emitSignature();
      }, this.policy.milliseconds);
    }
  }

  private clearSignTimer(): void {
    if (this.signTimer) clearTimeout(this.signTimer);
    this.signTimer = undefined;
    this.unsignedSince = undefined;
  }

  private advanceCommit(seqno: number): void {
    if (seqno <= this.committedSeqno) return;
    this.committedSeqno = seqno;
    this.store.compact(seqno);
    const ready = this.waiters.filter((w) => w.seqno <= seqno);
    this.waiters = this.waiters.filter((w) => w.seqno > seqno);
    for (const w of ready) w.resolve();
    this.snapshots.committed(seqno);
    this.compactIfCommitted();
  }

  private failWaiters(e: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(e);
  }

  private ensureRunning(): void {
    if (this.stopped) throw new Error('node stopped');
  }
}

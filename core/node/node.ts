// A node: the façade that wires its parts together and what the application and the RPC
// layer may ask of it. Booting (create / join / restart) is boot.ts; the glue to
// consensus consensus-host.ts; when to sign signatures.ts, how signing.ts; commit waiting
// commit-waiters.ts; who the peers are peers.ts; admitting nodes admission.ts; running
// governance messages governance.ts; node-table changes core/governance/nodes.ts; exports
// export.ts.
import type { NodeId, Role } from '../consensus/types.js';
import type { GovernanceOutcome } from '../governance/engine.js';
import type { AuthenticatedMessage } from '../governance/messages.js';
import { retireNode } from '../governance/nodes.js';
import { PeerNetwork, type PeerRequestOptions } from '../host/peer-network.js';
import { ConflictError } from '../kv/errors.js';
import type { MapDef } from '../kv/map-def.js';
import { readOnly, type ReadOnlyTransaction } from '../kv/read-only.js';
import type { Store } from '../kv/store.js';
import type { Transaction } from '../kv/transaction.js';
import type { TxID } from '../kv/txid.js';
import type { LedgerEntry } from '../ledger/entry.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Receipt } from '../ledger/receipt.js';
import { verifyCommittedSnapshot } from '../ledger/snapshot.js';
import { admit, trustedAnswer, type AdmittingNode } from './admission.js';
import { bootNode, type NodeOptions, type NodeSetup } from './boot.js';
import { CommitRecord } from './commit-record.js';
import { CommitTracker, type TxStatus } from './commit-waiters.js';
import { ConsensusHost } from './consensus-host.js';
import { writeExport } from './export.js';
import { Governance } from './governance.js';
import { HistoricalStates } from './historical-state.js';
import type { NodeIdentity } from './identity.js';
import type { JoinAnswer, PeerInfo } from './join.js';
import { PeerDirectory } from './peers.js';
import { PendingWrites } from './pending-writes.js';
import { PrimaryWatch, type PrimaryListener } from './primary-watch.js';
import { commitSignature } from './signing.js';
import { DEFAULT_REPLICATION, Replication } from './replication.js';
import { SignatureScheduler } from './signatures.js';
import { Snapshotter } from './snapshotter.js';

export type { NodeOptions } from './boot.js';
export type { TxStatus } from './commit-waiters.js';
export { DEFAULT_SIGNATURES, type SignaturePolicy } from './signatures.js';
export type { ApplicationHooks } from './application.js';
export type { NodeEvent, NodeObserver } from './observer.js';


export class NotPrimaryError extends Error {
  constructor() {
    super('this node is not the primary');
    this.name = 'NotPrimaryError';
  }
}

/** How long stop() waits for its final signature to commit. */
const STOP_GRACE_MS = 2_000;

export class Node {
  static create(options: NodeOptions): Promise<Node> {
    return bootNode({ ...options, mode: 'create' });
  }

  static join(options: NodeOptions & { joined: { identity: NodeIdentity; peers: PeerInfo[] } }): Promise<Node> {
    return bootNode({ ...options, mode: 'join' });
  }

  static restart(options: NodeOptions): Promise<Node> {
    return bootNode({ ...options, mode: 'restart' });
  }

  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly identity: NodeIdentity;
  private readonly commits: CommitTracker;
  private readonly signatures: SignatureScheduler;
  private readonly peers: PeerDirectory;
  private readonly writes = new PendingWrites();
  private readonly commitRecord: CommitRecord;
  private readonly consensus: ConsensusHost;
  private readonly replication: Replication;
  private readonly snapshots: Snapshotter;
  private readonly governance: Governance;
  private readonly history: HistoricalStates;
  /** what admission.ts may ask of this node */
  private readonly admitting: AdmittingNode;
  private readonly log: (message: string) => void;
  private network: PeerNetwork | undefined;
  private listeningAt: string | undefined;
  private stopped = false;
  /** this primary retired itself and awaits stepping down */
  private retiring = false;
  private becamePrimary: (() => void) | undefined;
  private readonly primaryWatch = new PrimaryWatch(() => this.replication.raft.primary);
  /** answers other nodes' requests (the front end's forwarding); unset until it serves */
  private peerHandler: ((from: NodeId, payload: Uint8Array) => Promise<Uint8Array>) | undefined;

  /** @internal use Node.create, Node.join or Node.restart */
  constructor(private readonly setup: NodeSetup) {
    ({ store: this.store, ledger: this.ledger, identity: this.identity, log: this.log } = setup);
    this.commits = new CommitTracker((seqno) => this.ledger.txidAt(seqno), setup.committed);
    this.signatures = new SignatureScheduler(setup.policy, () => this.emitSignature());
    this.peers = new PeerDirectory(this.nodeId, (read) => this.readPending(read), setup.initialPeers);
    this.commitRecord = new CommitRecord(setup.dir, setup.sealer, this.writes, this.log);
    const parts = { ...setup, commits: this.commits, commitRecord: this.commitRecord, signatures: this.signatures, writes: this.writes };
    this.consensus = new ConsensusHost(parts, {
      primaryChanged: () => this.primaryWatch.check(),
      becamePrimary: () => {
        // A new primary signs at once so that its view can commit (a new service's first
        // signature comes after its genesis transaction instead).
        if (this.ledger.position.seqno > 0) this.emitSignature(true);
        this.becamePrimary?.();
      },
      writable: () => this.replication.isPrimary && !this.retiring,
      transact: (body) => this.transact(body),
      peersChanged: () => this.network && this.peers.refresh(this.network),
      halt: (e) => this.halt(e),
    });
    this.replication = new Replication(this.nodeId, setup.raft, this.consensus, (to, bytes) => this.network?.send(to, bytes), { ...DEFAULT_REPLICATION, random: Math.random });
    this.snapshots = new Snapshotter(setup.snapshotInterval, setup.snapshotFiles, this.consensus.snapshotHost());
    this.consensus.attach(this.replication, this.snapshots);
    this.admitting = {
      identity: this.identity,
      peers: this.peers,
      pendingJoins: setup.pendingJoins,
      read: (r) => this.readPending(r),
      readCommitted: (r) => this.readCommitted(r),
      transact: (b) => this.transact(b),
      sign: () => this.emitSignature(),
      waitCommitted: (txid) => this.waitCommitted(txid),
      log: this.log,
      observe: setup.observe,
    };
    this.governance = new Governance({ transact: (body) => this.transact(body), emitSignature: () => this.emitSignature(), waitCommitted: (txid) => this.waitCommitted(txid) }, this.governanceTables);
    this.history = new HistoricalStates({
      ledgerBase: () => this.ledger.base,
      committed: () => this.commits.committed,
      readEntry: async (seqno) => {
        await this.ledger.durable(seqno);
        return this.ledger.readEntry(seqno);
      },
      secrets: this.identity.secrets,
      snapshotSeqnos: () => setup.snapshotFiles.list(),
      loadSnapshot: async (seqno) => verifyCommittedSnapshot(await setup.snapshotFiles.read(seqno), this.identity.serviceCert, this.identity.secrets).snapshot,
    }, setup.historyLimits);
    this.store.onCommit((committed) => this.consensus.localCommit(committed));
    this.ledger.onWritten((seqno) => this.replication.persisted(seqno));
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

  /** host:port of the node-to-node channel, once it listens. */
  get peerAddress(): string | undefined {
    return this.listeningAt;
  }

  /** The view (Raft term) the node's state is in. */
  get view(): number {
    return this.store.view;
  }

  /** Key and certificate for the node's TLS endpoints; the key never leaves the process. */
  tlsCredentials(): { key: string; cert: string } {
    return { key: this.identity.nodeKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: this.identity.nodeCert };
  }

  /** Seqno up to which everything is committed (signed, replicated to a majority, durable). */
  get committed(): number {
    return this.commits.committed;
  }

  /** Consensus holds its log from here on; earlier entries are in a committed snapshot. */
  get compactedTo(): number {
    return this.replication.raft.baseIndex;
  }

  /** The committed snapshot the ledger starts from (0: the ledger starts at seqno 1). */
  get ledgerBase(): number {
    return this.ledger.base;
  }

  get lastSigned(): number {
    return this.ledger.lastSigned;
  }

  /** The last seqno appended (committed locally, maybe not yet replicated or signed). */
  get lastSeqno(): number {
    return this.ledger.position.seqno;
  }

  /** The txid at `seqno` in this node's ledger, if it holds one there. */
  txidAt(seqno: number): TxID | undefined {
    return this.ledger.txidAt(seqno);
  }

  /** The entry at `seqno` as this node stores it. */
  readEntry(seqno: number): Promise<LedgerEntry> {
    return this.ledger.readEntry(seqno);
  }

  /** The ledger's Merkle root over the entries up to `seqno` (default: all). */
  ledgerRoot(seqno?: number): Uint8Array {
    return this.ledger.tree.root(seqno);
  }

  /** Hand everything appended so far to storage (it is durable as the durability option says). */
  flushLedger(): Promise<void> {
    return this.ledger.flush();
  }

  /** Keys of the store holding history compaction has not dropped yet (diagnostics). */
  get retainedHistory(): number {
    return this.store.retainedHistory;
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
        // The body may have awaited while stop() began: its commit would reach a ledger being closed.
        this.ensureRunning();
        if (tx.hasWrites && (!this.replication.isPrimary || this.retiring)) throw new NotPrimaryError();
        const txid = tx.commit();
        return { result, txid };
      } catch (e) {
        tx.abort();
        if (!(e instanceof ConflictError) || attempt >= maxAttempts) throw e;
      }
    }
  }

  /** Read the committed state (closed when `read` returns, or its promise settles). */
  readCommitted<T>(read: (tx: ReadOnlyTransaction) => T): T {
    return readOnly(this.store.snapshot(Math.min(this.commits.committed, this.store.txid.seqno)), read);
  }

  /**
   * Read the committed state as it was at `seqno`, rebuilt from the ledger (see
   * historical-state.ts); rejects with HistoryUnavailableError past the committed seqno or
   * before what this node's ledger holds.
   */
  readAt<T>(seqno: number, read: (tx: ReadOnlyTransaction) => T | Promise<T>): Promise<T> {
    return this.history.read(seqno, read);
  }

  /** Estimated memory of the rebuilt past states this node keeps (diagnostics). */
  get historyUsage(): HistoricalStates['usage'] {
    return this.history.usage;
  }

  /** Read this node's current state, including what is not committed yet. */
  readPending<T>(read: (tx: ReadOnlyTransaction) => T): T {
    return readOnly(this.store.begin(), read);
  }

  /** Resolves once `txid` is committed; rejects if it never can be (rolled back). */
  waitCommitted(txid: TxID): Promise<void> {
    return this.commits.wait(txid);
  }

  status(txid: TxID): TxStatus {
    return this.commits.status(txid);
  }

  /** A receipt for a committed transaction; undefined while it is not committed. */
  receipt(txid: TxID): Promise<Receipt | undefined> {
    return this.ledger.receipt(txid, this.commits.committed);
  }

  /** Does `data` verify as a committed snapshot of this service (as one from the primary must)? */
  acceptSnapshot(data: Uint8Array): boolean {
    return this.consensus.acceptSnapshot(data);
  }

  /** The application has no more work queued: sign soon (see SignatureScheduler.whenIdle). */
  signWhenIdle(): void {
    this.signatures.whenIdle();
  }

  /**
   * As primary, sign if anything is unsigned (or always, with `force`: a new primary signs
   * at once so that its view can commit); returns the signature's txid.
   */
  emitSignature(force = false): TxID | undefined {
    this.signatures.signed();
    if (this.stopped || !this.replication.isPrimary || this.retiring) return undefined;
    if (!force && this.store.txid.seqno === this.ledger.lastSigned) return undefined;
    const txid = commitSignature(this.store, this.ledger, this.identity, this.setup.application.seal, this.log);
    this.signatures.signed(); // the seal transaction counted as unsigned
    return txid;
  }

  /** Write this running node's committed ledger as chunk files into `dir` (a stopped node: exportDataDir). */
  async exportLedger(dir: string, chunkBytes?: number): Promise<string[]> {
    await this.ledger.flush();
    return writeExport(this.ledger.storage, this.setup.snapshotFiles, this.ledger.base, this.commits.committed, dir, chunkBytes);
  }

  /** Any node: the answer to a joining node this node's state records as trusted (see admission.ts trustedAnswer). */
  answerTrustedJoin(request: unknown): JoinAnswer | undefined {
    return trustedAnswer(this.admitting, request);
  }

  /** As primary, answer a joining node: pending until the members trust it, then its certificate and the secrets (see admission.ts). */
  async admit(request: unknown): Promise<JoinAnswer> {
    if (!this.replication.isPrimary) throw new NotPrimaryError();
    return admit(this.admitting, request);
  }

  /**
   * A secret key for `label` that every trusted node of the service derives alike (from
   * the current ledger secret), for the application's own MACs; it never leaves the process.
   */
  deriveServiceKey(label: string): Uint8Array {
    return this.identity.secrets.derivedKey(label);
  }

  /** Is `nodeId` a trusted node of the service, as this node knows? */
  isTrusted(nodeId: string): boolean {
    return this.peers.trusts(nodeId);
  }

  /** The application's governance maps (part of the state members acknowledge; the constitution may write them). */
  get governanceTables(): readonly MapDef<any, any>[] {
    return this.setup.application.governanceTables ?? [];
  }

  /**
   * As primary, run a signed and checked governance message (see core/node/governance.ts);
   * resolves once its effect is committed. A refused message throws GovernanceError.
   */
  submitGovernance(message: AuthenticatedMessage): Promise<GovernanceOutcome> {
    if (!this.replication.isPrimary) return Promise.reject(new NotPrimaryError());
    return this.governance.submit(message);
  }

  /**
   * As primary, retire a node: it leaves the configuration once the change commits under
   * the quorums of both the old and the new configuration; a retired primary then steps
   * down and the others elect a successor. (Who may ask for this is governance's to
   * decide; this is the mechanism.)
   */
  async retire(nodeId: string): Promise<TxID> {
    if (!this.replication.isPrimary) throw new NotPrimaryError();
    const { txid } = await this.transact((tx) => retireNode(tx, nodeId));
    this.emitSignature();
    // Having retired itself, the primary writes nothing more: the signature above is
    // the last a retired node may sign; it steps down once the change commits.
    if (nodeId === this.nodeId) this.retiring = true;
    return txid!;
  }

  /** The trusted nodes and where they listen. */
  peerList(): PeerInfo[] {
    return this.peers.trusted();
  }

  /** The node id of the primary this node knows of (itself, as primary), if any. */
  get primaryId(): NodeId | undefined {
    return this.replication.raft.primary;
  }

  /** Call `listener` whenever the known primary changes; returns the unsubscribe. */
  onPrimaryChange(listener: PrimaryListener): () => void {
    return this.primaryWatch.subscribe(listener);
  }

  /** Answer other nodes' requests over the node-to-node channel with `handler` (a throw refuses the request); core carries opaque bytes. */
  servePeerRequests(handler: (from: NodeId, payload: Uint8Array) => Promise<Uint8Array>): void {
    this.peerHandler = handler;
  }

  /** Ask another node of the service over the node-to-node channel (see PeerNetwork.request for how it fails). */
  peerRequest(to: NodeId, payload: Uint8Array, options?: PeerRequestOptions): Promise<Uint8Array> {
    if (!this.network) return Promise.reject(new Error('this node has no node-to-node channel'));
    return this.network.request(to, payload, options);
  }

  /** How many other nodes this node is connected to right now. */
  get connectedPeers(): number {
    return this.connectedPeerIds.length;
  }

  /** The other nodes this node is connected to right now. */
  get connectedPeerIds(): NodeId[] {
    return this.network?.connectedPeers() ?? [];
  }

  /** The JSON-RPC URL of the current primary, if known (for forwarding writes). */
  primaryRpcAddress(): string | undefined {
    const primary: NodeId | undefined = this.replication.raft.primary;
    return primary && this.peers.rpcAddressOf(primary);
  }

  /** Stop, after every write the node started has finished: nothing touches the data directory after this resolves. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const last = this.emitSignature();
    // Give the last signature a moment to commit; a primary cut off from its peers
    // cannot, and stopping must not wait for them.
    if (last) await Promise.race([this.waitCommitted(last).catch(() => undefined), new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
    this.stopped = true;
    this.signatures.signed();
    await this.replication.stop(); // vote saves and sends already under way
    await this.network?.close();
    await this.snapshots.idle();
    await this.writes.settled();
    await this.ledger.flush();
    await this.commitRecord.flush();
    this.commits.failAll(new Error('node stopped'));
    await this.ledger.storage.close();
    await this.setup.lock.release();
  }

  /** @internal boot.ts: listen and take part in consensus; alone in its configuration, resolves once primary. */
  async launch(network: { host: string; port: number; advertise?: string } | undefined): Promise<{ alone: boolean }> {
    if (network) await this.listen(network);
    if (this.network) this.peers.refresh(this.network);
    const voters = new Set(this.replication.raft.activeConfigs().flat());
    const alone = voters.size === 1 && voters.has(this.nodeId);
    const primary = new Promise<void>((resolve) => (this.becamePrimary = resolve));
    this.replication.start();
    if (alone) await primary; // no one to wait for: it leads at once
    return { alone };
  }

  /** @internal boot.ts: committed snapshots found on disk. */
  adoptSnapshot(seqno: number, bytes: Uint8Array): Promise<void> {
    return this.snapshots.adopt(seqno, bytes);
  }

  private async listen(network: { host: string; port: number; advertise?: string }): Promise<void> {
    const { key, cert } = this.tlsCredentials();
    this.network = new PeerNetwork({
      nodeId: this.nodeId,
      key,
      cert,
      serviceCert: this.identity.serviceCert,
      accept: (id) => this.peers.knows(id),
      onMessage: (from, payload) => this.replication.receive(from, payload),
      onRequest: (from, payload) => (this.peerHandler ? this.peerHandler(from, payload) : Promise.reject(new Error('this node does not answer requests yet'))),
      log: this.log,
    });
    const port = await this.network.listen(network.host, network.port);
    this.listeningAt = `${network.advertise ?? network.host}:${port}`;
  }

  private halt(error: Error): void {
    this.commits.failAll(error);
    this.stopped = true;
    void this.replication.stop();
  }

  private ensureRunning(): void {
    if (this.stopped) throw new Error('node stopped');
  }
}

// Booting a node, in a mode the caller chooses:
// - create:  a new service in an empty data directory (this node is its first node);
// - join:    an empty data directory for a node an existing service admitted (join.ts);
//            the primary sends it the ledger;
// - restart: reopen a data directory: replay and verify its ledger (from its start or
//            from the committed snapshot it starts after) and take part in consensus again.
// A mode that does not fit the directory is refused. (Recovery of a service from ledger
// files with the members' key shares will be a fourth mode, `recover`.)
import type { PersistentState } from '../consensus/types.js';
import { writeGovernanceGenesis, type GovernanceGenesis } from '../governance/genesis.js';
import { MAX_PENDING_JOINS, PENDING_JOIN_TTL_MS, trustNode, type PendingJoinLimits } from '../governance/nodes.js';
import { SERVICE_INFO } from '../governance/tables.js';
import { SnapshotFiles } from '../host/snapshot-files.js';
import type { Store } from '../kv/store.js';
import type { Sealer } from '../crypto/sealing.js';
import { DataDir } from '../host/data-dir.js';
import { DirLock } from '../host/dir-lock.js';
import { LevelLedgerStorage } from '../host/level-storage.js';
import { virtualSealer } from '../host/virtual-platform.js';
import { EntryKind } from '../ledger/entry.js';
import { Ledger } from '../ledger/ledger.js';
import type { LedgerStorage } from '../ledger/storage.js';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from './historical-state.js';
import { createServiceIdentity, loadIdentity, loadVote, saveIdentity, SEALED_STATE_FILE, type NodeIdentity } from './identity.js';
import type { PeerInfo } from './join.js';
import type { ApplicationHooks } from './application.js';
import { Node } from './node.js';
import type { NodeObserver } from './observer.js';
import { holdsNothing, reopen } from './replay.js';
import { DEFAULT_SIGNATURES, type SignaturePolicy } from './signatures.js';
import { DEFAULT_SNAPSHOT_INTERVAL } from './snapshotter.js';

export type BootMode = 'create' | 'join' | 'restart';

export interface NodeOptions {
  /** The data directory (a DataDir: tests that need to watch what is written to it). */
  dataDir: string | DataDir;
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
  /** Bounds on the join requests waiting for the members' vote (defaults: MAX_PENDING_JOINS, PENDING_JOIN_TTL_MS). */
  pendingJoins?: { max?: number; ttlMs?: number };
  /** A new service's consortium: its members, users and constitution (create only). */
  governance?: GovernanceGenesis;
  /** Take a snapshot at the first signature past every multiple of this many seqnos (default 10 000); the same on every node. */
  snapshotInterval?: number;
  /** Bounds on the past states kept rebuilt for reads at past seqnos (default DEFAULT_HISTORY_LIMITS). */
  historyLimits?: HistoryLimits;
  log?: (message: string) => void;
  /** Told of elections, votes, ledger entries and snapshots (logs, metrics). */
  observe?: NodeObserver;
}

export type BootOptions = NodeOptions &
  ({ mode: 'create' } | { mode: 'restart' } | { mode: 'join'; joined: { identity: NodeIdentity; peers: PeerInfo[] } });

/** @internal What boot.ts assembles a node from. */
export interface NodeSetup {
  store: Store;
  ledger: Ledger;
  identity: NodeIdentity;
  dir: DataDir;
  /** held from boot until stop() has finished every write */
  lock: DirLock;
  sealer: Sealer;
  snapshotFiles: SnapshotFiles;
  snapshotInterval: number;
  historyLimits: HistoryLimits;
  policy: SignaturePolicy;
  application: ApplicationHooks;
  raft: PersistentState<Uint8Array>;
  /** committed at boot: the snapshot the ledger starts from */
  committed: number;
  initialPeers: PeerInfo[];
  rpcAddress: string | undefined;
  pendingJoins: PendingJoinLimits;
  log: (message: string) => void;
  observe: NodeObserver;
}

export class BootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootError';
  }
}

/** The mode a plain `start` means for a directory: create in an empty one, restart otherwise. */
export async function startMode(dataDir: string): Promise<'create' | 'restart'> {
  return (await new DataDir(dataDir).exists(SEALED_STATE_FILE)) ? 'restart' : 'create';
}

export async function bootNode(options: BootOptions): Promise<Node> {
  const log = options.log ?? (() => {});
  const dir = typeof options.dataDir === 'string' ? new DataDir(options.dataDir) : options.dataDir;
  // One node per data directory, before anything reads or writes it; Node.stop releases it.
  const lock = await DirLock.acquire(dir.path);
  try {
    return await bootLocked(options, dir, lock, log);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function bootLocked(options: BootOptions, dir: DataDir, lock: DirLock, log: (message: string) => void): Promise<Node> {
  const { mode } = options;
  // Refused before anything is written to the directory.
  const holdsNode = await dir.exists(SEALED_STATE_FILE);
  if (holdsNode && mode !== 'restart') throw new BootError(`${dir.path} already holds a node: restart it, or use an empty directory to ${mode === 'create' ? 'create a new service' : 'join'}`);
  if (!holdsNode && mode === 'restart') throw new BootError(`${dir.path} holds no node to restart (no ${SEALED_STATE_FILE}): create a service or join one`);
  await dir.ensure();
  const sealer = options.sealer ?? (await virtualSealer(dir));
  const found = holdsNode ? await loadIdentity(dir, sealer) : undefined;
  const storage = options.storage ?? (await LevelLedgerStorage.open(dir.file('ledger'), { sync: (options.durability ?? 'fsync') === 'fsync' }));
  try {
    const snapshotFiles = new SnapshotFiles(dir.file('snapshots'));
    let identity = found;
    if (!identity) {
      if (!(await holdsNothing(storage, snapshotFiles))) throw new BootError(`${dir.path} holds a ledger but no sealed node state; refusing to ${mode} over it`);
      identity = mode === 'join' ? options.joined.identity : await createServiceIdentity(options);
      await saveIdentity(dir, sealer, identity);
      log(mode === 'join' ? `joined service as ${identity.nodeId.slice(0, 16)} in ${dir.path}` : `created service ${identity.nodeId.slice(0, 16)} in ${dir.path}`);
      if (mode === 'join') options.observe?.({ kind: 'joined', nodeId: identity.nodeId });
    }
    const creating = mode === 'create';
    const replayed = await reopen(storage, snapshotFiles, identity, log);
    const vote = await loadVote(dir, sealer);
    const ledger = new Ledger(storage, identity.secrets, replayed.tree, replayed.views);
    for (const e of replayed.entries) ledger.adoptVerified({ seqno: e.index, view: e.term, kind: e.kind === 'signature' ? EntryKind.Signature : EntryKind.Normal });
    const raft: PersistentState<Uint8Array> = {
      // Never below a view the ledger has used, even in entries since discarded.
      term: Math.max(vote.term, replayed.highestView),
      votedFor: vote.term >= replayed.highestView ? vote.votedFor : undefined,
      entries: replayed.entries,
      base: replayed.base ? { index: replayed.base.index, term: replayed.base.term } : { index: 0, term: 0 },
      baseConfig: replayed.base?.config ?? (creating ? [identity.nodeId] : []),
      ...(replayed.base ? { snapshot: replayed.base.snapshot } : {}),
    };
    const node = new Node({
      store: replayed.store,
      ledger,
      identity,
      dir,
      lock,
      sealer,
      snapshotFiles,
      snapshotInterval: options.snapshotInterval ?? DEFAULT_SNAPSHOT_INTERVAL,
      historyLimits: options.historyLimits ?? DEFAULT_HISTORY_LIMITS,
      policy: { ...DEFAULT_SIGNATURES, ...options.signatures },
      application: options.application ?? {},
      raft,
      committed: replayed.base?.index ?? 0,
      initialPeers: mode === 'join' ? options.joined.peers : [],
      rpcAddress: options.rpcAddress,
      pendingJoins: { max: options.pendingJoins?.max ?? MAX_PENDING_JOINS, ttlMs: options.pendingJoins?.ttlMs ?? PENDING_JOIN_TTL_MS },
      log,
      observe: options.observe ?? (() => {}),
    });
    for (const h of replayed.held) if (h.seqno >= (replayed.base?.index ?? 0)) await node.adoptSnapshot(h.seqno, h.bytes);
    const { alone } = await node.launch(options.network);
    // Alone in its configuration the node is primary now; it opens once it knows what is
    // committed: a new service's genesis, or the signature it made in its new view.
    if (alone && creating) await genesis(node, options);
    else if (alone) await node.waitCommitted({ view: node.view, seqno: node.lastSigned });
    const from = replayed.base ? ` after the snapshot at seqno ${replayed.base.index}` : '';
    if (!creating) log(`replayed and verified ${replayed.entries.length} entries${from}; ${alone ? `resuming in view ${node.view}` : 'following the primary'}`);
    return node;
  } catch (e) {
    await storage.close();
    throw e;
  }
}

/** A new service's first transaction: the service and its first node, and the application's part. */
async function genesis(node: Node, options: NodeOptions): Promise<void> {
  const { txid } = await node.transact((tx) => {
    tx.map(SERVICE_INFO).set(0, { cert: node.serviceCertificate, status: 'Opening' });
    trustNode(tx, node.nodeId, { cert: node.nodeCertificate, peerAddress: node.peerAddress, rpcAddress: options.rpcAddress });
    if (options.governance) writeGovernanceGenesis(tx, options.governance);
    options.application?.genesis?.(tx);
  });
  node.emitSignature();
  await node.waitCommitted(txid!);
  options.log?.(`service created (Opening), genesis committed at ${txid!.view}.${txid!.seqno}`);
}

// Offline audit of exported ledger chunks: contiguity across files, then every entry
// through the ledger verifier. With the ledger secrets the private domains are checked
// too, and an injected check re-derives what each transaction claims; without them (an
// auditor's usual position) only what is public. An export from a node that started from
// a snapshot begins after it: the committed snapshot is verified (evidence and receipt)
// and the audit goes on from its state and tree peaks. Every failure says where it is:
// the file, the entry's seqno and the byte offset of the entry (or of the bad bytes).
import { NODES_INFO, SERVICE_INFO, type NodeStatus, type ServiceStatus } from '../governance/tables.js';
import { Store } from '../kv/store.js';
import type { TxID } from '../kv/txid.js';
import { deserialiseDomain, type Writes } from '../kv/write-set.js';
import { bytesToKey } from '../util/bytes.js';
import { DecodeError } from '../util/binary.js';
import { ChunkFormatError, CHUNK_RANGE_OFFSET, decodeChunk, decodeChunkHeader, rangeInName, type ChunkHeader } from './chunks.js';
import { decryptPrivateDomain, EntryKind, type LedgerEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { MerkleTree } from './merkle.js';
import type { LedgerSecrets } from './secrets.js';
import { parseSignatureRecord, SIGNATURE_KEY, SIGNATURES } from './signature.js';
import { SnapshotError, verifyCommittedSnapshot } from './snapshot.js';
import { LedgerVerifier } from './verifier.js';

/**
 * A check of one verified normal entry with its private domain decrypted: what the
 * transaction claims (its claims digest) re-derived from what it wrote. Returns why
 * the entry fails, or undefined; throwing is a bug in the check, not a finding about
 * the ledger. Injected: core knows no application.
 */
export type EntryCheck = (txid: TxID, writes: Writes, claimsDigest: Uint8Array) => string | undefined;

export interface AuditOptions {
  /** Called with entries verified so far and the total the chunk headers announce. */
  onProgress?: (done: number, total: number) => void;
  /** At most one progress call per this many milliseconds (default 250), and one at the end. */
  progressIntervalMs?: number;
  /** Run on every normal entry when the secrets are given. */
  checkEntry?: EntryCheck;
}

export interface NodeStatusChange {
  seqno: number;
  node: string;
  /** undefined: the node's record was removed */
  status: NodeStatus | undefined;
}

export interface AuditResult {
  entries: number;
  signatures: number;
  firstSeqno: number;
  firstView: number;
  lastSeqno: number;
  lastView: number;
  /** ids of the nodes that signed, in the order of their first signature */
  signers: string[];
  /** every change of a node's status, in seqno order */
  nodeChanges: NodeStatusChange[];
  /** every write of the service identity record */
  serviceRecords: { seqno: number; status: ServiceStatus }[];
  /** whether private domains were decrypted and verified (the secrets were given) */
  privateChecked: boolean;
  /** normal entries `checkEntry` passed */
  checkedEntries: number;
  /** The store rebuilt from the audited entries (public maps only without secrets). */
  store: Store;
  /** seqno of the committed snapshot the audit started from (0: from the first entry) */
  from: number;
}

interface Chunk {
  name: string;
  bytes: Uint8Array;
}

/** The chunk's header, or why it has none. */
function headerOf(chunk: Chunk): ChunkHeader | ChunkFormatError {
  try {
    return decodeChunkHeader(chunk.bytes, chunk.name);
  } catch (e) {
    if (e instanceof ChunkFormatError) return e;
    throw e;
  }
}

export function auditChunks(
  chunks: readonly Chunk[],
  serviceCert: string,
  secrets?: LedgerSecrets,
  snapshot?: Chunk,
  options: AuditOptions = {},
): AuditResult {
  // In the order their headers say (a renamed file is caught below, by name); a file
  // without a header where its name puts it.
  const ordered = chunks.map((chunk) => ({ chunk, header: headerOf(chunk) }));
  const startOf = ({ chunk, header }: (typeof ordered)[number]) => (header instanceof ChunkFormatError ? (rangeInName(chunk.name)?.first ?? Infinity) : header.first);
  ordered.sort((a, b) => startOf(a) - startOf(b));
  const store = new Store();
  let tree = new MerkleTree();
  if (snapshot) {
    let start;
    try {
      start = verifyCommittedSnapshot(snapshot.bytes, serviceCert, secrets).snapshot;
    } catch (e) {
      if (e instanceof SnapshotError) throw new LedgerIntegrityError(1, e.message, { file: snapshot.name });
      throw e;
    }
    store.restore(start.txid, start.state);
    tree = MerkleTree.fromPeaks(start.txid.seqno, start.peaks);
  }
  const from = store.txid.seqno;
  const verifier = new LedgerVerifier({ serviceCert, store, tree, secrets });
  const summary = new SummaryBuilder();
  const progress = new Progress(options, ordered.reduce((n, { header }) => (header instanceof ChunkFormatError ? n : n + header.last - header.first + 1), 0));
  let first: TxID | undefined;
  let previous: string | undefined;
  for (const { chunk, header } of ordered) {
    const expected = verifier.seqno + 1;
    if (header instanceof ChunkFormatError) throw new LedgerIntegrityError(expected, header.problem, { file: chunk.name, offset: header.offset });
    const named = rangeInName(chunk.name);
    if (named && (named.first !== header.first || named.last !== header.last)) {
      throw new LedgerIntegrityError(expected, `the file is named for entries ${named.first}..${named.last} but its header says ${header.first}..${header.last} (renamed or altered)`, { file: chunk.name, offset: CHUNK_RANGE_OFFSET });
    }
    if (header.first !== expected) {
      const problem = header.first > expected
        ? `no chunk holds entries ${expected}..${header.first - 1}${previous ? ` (${previous} ends before them)` : from === 0 ? '' : ` (the snapshot ends at ${from})`}`
        : `this one starts at ${header.first}, but ${previous ? `${previous} holds entries up to ${expected - 1}` : `the snapshot covers entries up to ${expected - 1}`}`;
      throw new LedgerIntegrityError(expected, `chunks are missing or overlap: ${problem}`, { file: chunk.name, offset: CHUNK_RANGE_OFFSET });
    }
    let entries;
    try {
      entries = decodeChunk(chunk.bytes, chunk.name);
    } catch (e) {
      if (e instanceof ChunkFormatError) throw new LedgerIntegrityError(e.seqno ?? expected, e.problem, { file: e.file, offset: e.offset });
      throw e;
    }
    for (const stored of entries) {
      const at = { file: chunk.name, offset: stored.offset };
      let entry: LedgerEntry;
      try {
        entry = verifier.verify(stored.bytes);
      } catch (e) {
        if (e instanceof LedgerIntegrityError) throw new LedgerIntegrityError(e.seqno, e.reason, at);
        throw e;
      }
      first ??= { view: entry.view, seqno: entry.seqno };
      const publicWrites = deserialiseDomain(entry.publicDomain, 'public');
      summary.add(entry, publicWrites);
      if (secrets && options.checkEntry && entry.kind === EntryKind.Normal) {
        const writes = entry.privateCiphertext.length === 0 ? publicWrites : deserialiseDomain(decryptPrivateDomain(entry, secrets.forSeqno(entry.seqno).key), 'private', publicWrites);
        const problem = options.checkEntry({ view: entry.view, seqno: entry.seqno }, writes, entry.claimsDigest);
        if (problem !== undefined) throw new LedgerIntegrityError(entry.seqno, problem, at);
        summary.checkedEntries++;
      }
      progress.advance();
    }
    if (verifier.lastSigned !== verifier.seqno) {
      throw new LedgerIntegrityError(verifier.seqno, 'the chunk does not end on a signature', { file: chunk.name, offset: entries[entries.length - 1]!.offset });
    }
    previous = chunk.name;
  }
  if (!first) throw new LedgerIntegrityError(from + 1, 'no ledger chunks to audit');
  progress.finish();
  return {
    entries: verifier.seqno - from,
    firstSeqno: first.seqno,
    firstView: first.view,
    lastSeqno: verifier.seqno,
    lastView: verifier.view,
    ...summary.result(),
    privateChecked: secrets !== undefined,
    store,
    from,
  };
}

/** What the summary lists, gathered from entries the verifier accepted. */
class SummaryBuilder {
  signatures = 0;
  checkedEntries = 0;
  private readonly signers = new Set<string>();
  private readonly nodeStatus = new Map<string, NodeStatus | undefined>();
  private readonly nodeChanges: NodeStatusChange[] = [];
  private readonly serviceRecords: { seqno: number; status: ServiceStatus }[] = [];

  add(entry: LedgerEntry, writes: Writes): void {
    if (entry.kind === EntryKind.Signature) {
      this.signatures++;
      const record = writes.get(SIGNATURES.name)!.get(bytesToKey(SIGNATURES.key.encode(SIGNATURE_KEY)))!;
      this.signers.add(parseSignatureRecord(record).node);
      return;
    }
    for (const [key, value] of writes.get(NODES_INFO.name) ?? []) {
      const node = NODES_INFO.key.decode(Buffer.from(key, 'latin1'));
      const status = value === undefined ? undefined : decodeOr(() => NODES_INFO.value.decode(value).status);
      if (this.nodeStatus.has(node) && this.nodeStatus.get(node) === status) continue;
      this.nodeStatus.set(node, status);
      this.nodeChanges.push({ seqno: entry.seqno, node, status });
    }
    for (const value of writes.get(SERVICE_INFO.name)?.values() ?? []) {
      // (the verifier has checked the record holds this service's certificate)
      if (value) this.serviceRecords.push({ seqno: entry.seqno, status: SERVICE_INFO.value.decode(value).status });
    }
  }

  result() {
    return { signatures: this.signatures, checkedEntries: this.checkedEntries, signers: [...this.signers], nodeChanges: this.nodeChanges, serviceRecords: this.serviceRecords };
  }
}

/** A node record the verifier let through but that does not decode has no status to show. */
function decodeOr<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

/** Calls the progress callback at most once per interval, and once at the end. */
class Progress {
  private done = 0;
  private last = Date.now();

  constructor(
    private readonly options: AuditOptions,
    private readonly total: number,
  ) {}

  advance(): void {
    this.done++;
    if (!this.options.onProgress) return;
    const now = Date.now();
    if (now - this.last < (this.options.progressIntervalMs ?? 250)) return;
    this.last = now;
    this.options.onProgress(this.done, this.total);
  }

  finish(): void {
    this.options.onProgress?.(this.done, this.total);
  }
}

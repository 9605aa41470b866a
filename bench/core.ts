// Micro-benchmarks of the core framework: KV store, ledger entries, Merkle tree, node
// commits (with and without fsync, with group commit), receipts, restart and snapshots. Prints
// figures only; nothing here asserts on timings.
//
//   npx tsx bench/core.ts [--seconds S] [--runs R] [--quick] [--restart-n N] [--snapshot-keys K] [--only kv,node,entry,merkle,receipt,restart,snapshot]
//
// --seconds  length of each timed run (default 0.5)
// --runs     runs per figure; the median is printed (default 3)
// --quick    short smoke run (0.15 s, 1 run, restart ledger of 5k)
// --only     comma-separated sections; `node-os` / `node-fsync` pick one durability
//
// Profile one section:  node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/core.ts --only node-fsync
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEndorsedBy, certificatePublicKey } from '../core/crypto/certificates.js';
import { keyId, verifyData } from '../core/crypto/keys.js';
import { DataDir } from '../core/host/data-dir.js';
import { LevelLedgerStorage } from '../core/host/level-storage.js';
import { MemoryLedgerStorage } from '../core/host/memory-storage.js';
import { virtualSealer } from '../core/host/virtual-platform.js';
import { rawMap } from '../core/kv/map-def.js';
import { Store, type CommitListener } from '../core/kv/store.js';
import type { Transaction } from '../core/kv/transaction.js';
import type { TxID } from '../core/kv/txid.js';
import { deserialiseDomain, serialiseWrites, type Writes } from '../core/kv/write-set.js';
import { decodeEntry, decryptPrivateDomain, encodeEntry, entryLeaf, EntryKind, ZERO_DIGEST } from '../core/ledger/entry.js';
import { Ledger } from '../core/ledger/ledger.js';
import { MerkleTree, verifyInclusion, type ProofStep } from '../core/ledger/merkle.js';
import { verifyReceipt, type Receipt } from '../core/ledger/receipt.js';
import { commitEvidenceDigest, LedgerSecrets } from '../core/ledger/secrets.js';
import { LedgerVerifier } from '../core/ledger/verifier.js';
import { decodeSnapshot, encodeSnapshot } from '../core/ledger/snapshot.js';
import { loadIdentity } from '../core/node/identity.js';
import { startMode } from '../core/node/boot.js';
import { DEFAULT_SIGNATURES, Node, type NodeOptions } from '../core/node/node.js';
import { bytesToKey, utf8 } from '../core/util/bytes.js';
import { forEachFlag } from './lib/args.js';
import { CountingStorage } from './lib/counting-storage.js';
import { fmt, machineInfo, now, percentile, rateSync, repeat, stat, Table, yieldToEventLoop } from './lib/measure.js';

// ---------------------------------------------------------------------------------------
// options

function parseArgs(argv: string[]) {
  const opts = { seconds: 0.5, runs: 3, restartN: 20_000, snapshotKeys: 100_000, merkleLeaves: 100_000, only: undefined as Set<string> | undefined };
  forEachFlag(argv, (a, next) => {
    if (a === '--quick') Object.assign(opts, { seconds: 0.15, runs: 1, restartN: 5_000, snapshotKeys: 10_000 });
    else if (a === '--seconds') opts.seconds = Number(next());
    else if (a === '--runs') opts.runs = Math.max(1, Math.floor(Number(next())));
    else if (a === '--restart-n') opts.restartN = Math.max(100, Math.floor(Number(next())));
    else if (a === '--snapshot-keys') opts.snapshotKeys = Math.max(100, Math.floor(Number(next())));
    else if (a === '--only') opts.only = new Set(next().split(',').map((s) => s.trim()).filter(Boolean));
    else if (a === '--help' || a === '-h') {
      console.log('usage: npx tsx bench/core.ts [--seconds S] [--runs R] [--quick] [--restart-n N] [--snapshot-keys K] [--only kv,node,node-os,node-fsync,entry,merkle,receipt,restart,snapshot]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  });
  if (!(opts.seconds > 0)) throw new Error('--seconds must be positive');
  return opts;
}

const OPTS = parseArgs(process.argv.slice(2));
const S = OPTS.seconds;
const RUNS = OPTS.runs;
/** Cheap CPU-only figures get more (shorter) runs: their medians are noisier on a shared VM. */
const CPU_RUNS = RUNS === 1 ? 1 : Math.max(RUNS, 5);
const wants = (section: string) => !OPTS.only || OPTS.only.has(section) || [...OPTS.only].some((o) => o.startsWith(`${section}-`) || section.startsWith(`${o}-`));

const table = new Table();
const tempDirs = new Set<string>();

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ccevm-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

function cleanup(): void {
  for (const dir of [...tempDirs]) removeDir(dir);
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function section(title: string): void {
  console.log(`\n== ${title}`);
}

const VALUE_100 = new Uint8Array(randomBytes(100));

/** The benchmark transaction: read one key, write one ~100 B value, private map. */
const BENCH_MAP = rawMap('bench.accounts');
function keyOf(i: number): Uint8Array {
  return utf8(`key-${i.toString().padStart(8, '0')}`);
}

// ---------------------------------------------------------------------------------------
// 1. KV store alone

async function benchKv(): Promise<void> {
  section('1. KV store (in memory, no ledger): read 1 key + write 1 x 100 B, private map');
  const K = 10_000;
  const keys = Array.from({ length: K }, (_, i) => keyOf(i));

  function makeStore(listener?: CommitListener): Store {
    const store = new Store();
    if (listener) store.onCommit(listener);
    const tx = store.begin();
    const h = tx.map(BENCH_MAP);
    for (const k of keys) h.set(k, VALUE_100);
    tx.commit();
    return store;
  }

  // A node compacts at every commit point; without it, history would grow without bound.
  const txBody = (store: Store) => (i: number) => {
    const tx = store.begin();
    const h = tx.map(BENCH_MAP);
    h.get(keys[i % K]!);
    h.set(keys[(i * 7919 + 1) % K]!, VALUE_100);
    tx.commit();
    if ((i & 1023) === 1023) store.compact(store.txid.seqno);
  };

  const cases: { what: string; make: () => { store: Store; after?: () => Promise<void> } }[] = [
    { what: 'Store commits, no listener', make: () => ({ store: makeStore() }) },
    { what: 'Store commits, no-op commit listener', make: () => ({ store: makeStore(() => {}) }) },
    {
      what: 'Store + Ledger.appendLocal (memory storage, no signatures)',
      make: () => {
        const secrets = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]);
        const ledger = new Ledger(new MemoryLedgerStorage(), secrets);
        const store = makeStore((c) => ledger.appendLocal(c));
        return { store, after: () => ledger.flush() };
      },
    },
  ];
  for (const c of cases) {
    const { store, after } = c.make();
    rateSync(S / 2, txBody(store)); // warm-up
    await after?.();
    const s = await repeat(CPU_RUNS, async () => {
      const r = rateSync(S * 0.6, txBody(store));
      // Count the time the ledger writer needs to catch up as part of the run.
      const t = now();
      await after?.();
      return (r.n * 1000) / (r.ms + (now() - t));
    });
    table.addStat('1 kv', c.what, s, 'tx/s');
  }
}

// ---------------------------------------------------------------------------------------
// 2. Node commits

interface BenchNode {
  node: Node;
  storage: CountingStorage;
  dir: string;
  stop(): Promise<void>;
}

async function startBenchNode(label: string, durability: 'os' | 'fsync', signatures?: NodeOptions['signatures'], dir = tempDir(label)): Promise<BenchNode> {
  const storage = new CountingStorage(await LevelLedgerStorage.open(join(dir, 'ledger'), { sync: durability === 'fsync' }));
  const node = await Node[await startMode(dir)]({ dataDir: dir, durability, signatures, storage });
  return {
    node,
    storage,
    dir,
    async stop() {
      await node.stop();
    },
  };
}

/** Write `key`, after reading it: one small private transaction. */
function nodeTx(key: Uint8Array) {
  return (tx: Transaction) => {
    const h = tx.map(BENCH_MAP);
    h.get(key);
    h.set(key, VALUE_100);
  };
}

const SEQ_KEYS = Array.from({ length: 4096 }, (_, i) => keyOf(i));

async function sequentialRun(node: Node): Promise<{ commitRate: number; durableRate: number; drainMs: number; n: number }> {
  let n = 0;
  let last: TxID | undefined;
  const t0 = now();
  const end = t0 + S * 1000;
  // Note: awaiting transact() only ever yields to microtasks, so the writer (libuv I/O)
  // and the signature timer do not run until this loop ends: the figure is the commit
  // path alone, and the drain that follows is what the disk needs for the backlog.
  while (now() < end) {
    const { txid } = await node.transact(nodeTx(SEQ_KEYS[n++ & 4095]!));
    last = txid;
  }
  const t1 = now();
  await node.waitCommitted(last!);
  const t2 = now();
  return { commitRate: (n * 1000) / (t1 - t0), durableRate: (n * 1000) / (t2 - t0), drainMs: t2 - t1, n };
}

async function waitedRun(node: Node, inFlight: number): Promise<{ rate: number; latencies: number[]; n: number }> {
  let n = 0;
  const latencies: number[] = [];
  const t0 = now();
  const end = t0 + S * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      const keys = Array.from({ length: 16 }, (_, i) => utf8(`w${w}-${i}`));
      let i = 0;
      while (now() < end) {
        const start = now();
        const { txid } = await node.transact(nodeTx(keys[i++ & 15]!));
        await node.waitCommitted(txid!);
        latencies.push(now() - start);
        n++;
      }
    }),
  );
  const ms = now() - t0;
  return { rate: (n * 1000) / ms, latencies, n };
}

function storageNote(st: CountingStorage, withTimes = true): string {
  if (st.writes === 0) return '';
  const times = withTimes ? `, ${fmt(st.writeMs / st.writes)} ms/write (p99 ${fmt(percentile(st.writeTimes, 0.99))})` : '';
  return `${fmt(st.entries / st.writes)} entries/write${times}, ${fmt((st.entries - st.signatures) / Math.max(1, st.signatures))} tx/signature`;
}

async function benchNode(durability: 'os' | 'fsync'): Promise<void> {
  const label = durability === 'fsync' ? 'fsync' : 'os (no fsync)';
  section(`2. Node commits, durability ${label}, level storage, read 1 + write 1 x 100 B`);
  const sec = `2 node ${durability}`;
  const policies: { name: string; signatures?: NodeOptions['signatures'] }[] = [
    { name: `sig ${DEFAULT_SIGNATURES.milliseconds} ms/${DEFAULT_SIGNATURES.transactions} tx` },
  ];
  if (durability === 'fsync') policies.push({ name: 'sig 1 ms/1000 tx', signatures: { milliseconds: 1 } });

  // sequential
  {
    const bn = await startBenchNode(`node-${durability}`, durability);
    try {
      await sequentialRun(bn.node); // warm-up
      bn.storage.reset();
      const runs = [];
      for (let r = 0; r < RUNS; r++) runs.push(await sequentialRun(bn.node));
      table.addStat(sec, 'sequential transact(), no wait: commits/s', stat(runs.map((r) => r.commitRate)), 'tx/s', `~${fmt(runs[0]!.n)} tx per run`);
      table.addStat(
        sec,
        'same, until the last is committed (incl. drain)',
        stat(runs.map((r) => r.durableRate)),
        'tx/s',
        `drain ${fmt(stat(runs.map((r) => r.drainMs)).median)} ms after the loop; ${storageNote(bn.storage, false)}`,
      );
    } finally {
      await bn.stop();
      removeDir(bn.dir);
    }
  }

  // N in flight, each waiting for waitCommitted
  for (const policy of policies) {
    for (const inFlight of [1, 64]) {
      const bn = await startBenchNode(`node-${durability}`, durability, policy.signatures);
      try {
        await waitedRun(bn.node, inFlight); // warm-up
        bn.storage.reset();
        const runs = [];
        for (let r = 0; r < RUNS; r++) runs.push(await waitedRun(bn.node, inFlight));
        const lat = runs.flatMap((r) => r.latencies);
        table.addStat(
          sec,
          `${inFlight} in flight, transact + waitCommitted (${policy.name})`,
          stat(runs.map((r) => r.rate)),
          'tx/s',
          `commits/s = committed/s; latency p50 ${fmt(percentile(lat, 0.5))} ms, p99 ${fmt(percentile(lat, 0.99))} ms; ${storageNote(bn.storage)}`,
        );
      } finally {
        await bn.stop();
        removeDir(bn.dir);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// 3. Entry encode, isolated

async function benchEntry(): Promise<void> {
  section('3. Ledger entry, ~200 B private write set, isolated');
  const sec = '3 entry';
  const secrets = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]);
  const key = secrets.forSeqno(1).key;
  const writes: Writes = new Map([['bench.private', new Map([[bytesToKey(randomBytes(32)), new Uint8Array(randomBytes(150))]])]]);
  const { publicDomain, privateDomain } = serialiseWrites(writes);
  const ced = commitEvidenceDigest(secrets.commitEvidence({ view: 2, seqno: 1 }));
  const contents = (seqno: number) => ({
    kind: EntryKind.Normal,
    txid: { view: 2, seqno },
    publicDomain,
    privateDomain,
    claimsDigest: ZERO_DIGEST,
    commitEvidenceDigest: ced,
  });
  const sample = encodeEntry(contents(1), key);
  const note = `private domain ${privateDomain.length} B, entry ${sample.bytes.length} B`;

  const cases: [string, (i: number) => void, string?][] = [
    ['serialiseWrites (1 map, 1 write)', () => serialiseWrites(writes)],
    ['commit evidence (HMAC + SHA-256)', (i) => commitEvidenceDigest(secrets.commitEvidence({ view: 2, seqno: i + 1 }))],
    ['encodeEntry (AES-256-GCM + framing)', (i) => encodeEntry(contents(i + 1), key), note],
    ['entryLeaf (write-set SHA-256 + leaf SHA-256)', () => entryLeaf(sample)],
    ['encodeEntry + entryLeaf', (i) => entryLeaf(encodeEntry(contents(i + 1), key))],
    [
      'all of Ledger.appendLocal but the tree (serialise, evidence, encode, leaf)',
      (i) => {
        const sw = serialiseWrites(writes);
        const e = encodeEntry(
          { ...contents(i + 1), ...sw, commitEvidenceDigest: commitEvidenceDigest(secrets.commitEvidence({ view: 2, seqno: i + 1 })) },
          key,
        );
        entryLeaf(e);
      },
    ],
    [
      'replay side: decode + decrypt + deserialise',
      () => {
        const e = decodeEntry(sample.bytes);
        deserialiseDomain(decryptPrivateDomain(e, key), 'private');
      },
    ],
  ];
  for (const [what, body, n] of cases) {
    rateSync(S / 3, body); // warm-up
    table.addStat(sec, what, await repeat(CPU_RUNS, () => rateSync(S / 3, body).rate), 'ops/s', n);
  }
}

// ---------------------------------------------------------------------------------------
// 4. Merkle tree

async function benchMerkle(): Promise<void> {
  const N = OPTS.merkleLeaves;
  section(`4. Merkle tree (SHA-256), ${N.toLocaleString('en-US')} leaves`);
  const sec = '4 merkle';
  const pool = new Uint8Array(randomBytes(32 * N));
  const leaves = Array.from({ length: N }, (_, i) => pool.subarray(32 * i, 32 * (i + 1)));
  let tree = new MerkleTree();
  const appendRun = () => {
    tree = new MerkleTree();
    const t0 = now();
    for (const leaf of leaves) tree.append(leaf);
    return (N * 1000) / (now() - t0);
  };
  appendRun(); // warm-up
  table.addStat(sec, `append (building a tree of ${N.toLocaleString('en-US')})`, await repeat(CPU_RUNS, appendRun), 'leaves/s');
  const size = tree.size;
  const root = tree.root();
  table.addStat(sec, `root() at ${size.toLocaleString('en-US')} leaves`, await repeat(CPU_RUNS, () => rateSync(S / 3, () => tree.root()).rate), 'ops/s');
  const proofBody = (i: number) => tree.proof((i * 7919) % size, size);
  rateSync(S / 3, proofBody);
  const steps = tree.proof(12345 % size).length;
  table.addStat(sec, `inclusion proof at ${size.toLocaleString('en-US')} leaves`, await repeat(CPU_RUNS, () => rateSync(S / 3, proofBody).rate), 'proofs/s', `${steps} steps`);
  const samples: { leaf: Uint8Array; proof: ProofStep[] }[] = Array.from({ length: 1024 }, (_, j) => {
    const i = (j * 7919) % size;
    return { leaf: leaves[i]!, proof: tree.proof(i, size) };
  });
  const verifyBody = (i: number) => {
    const s = samples[i & 1023]!;
    if (!verifyInclusion(s.leaf, s.proof, root)) throw new Error('bench: proof does not verify');
  };
  rateSync(S / 3, verifyBody);
  table.addStat(sec, 'verifyInclusion', await repeat(CPU_RUNS, () => rateSync(S / 3, verifyBody).rate), 'ops/s');
}

// ---------------------------------------------------------------------------------------
// 5 + 6. Restart of a ledger of N transactions, then receipts from it

async function buildLedger(dir: string, n: number): Promise<TxID[]> {
  const bn = await startBenchNode('restart', 'os', undefined, dir);
  const txids: TxID[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const { txid } = await bn.node.transact(nodeTx(SEQ_KEYS[i & 4095]!));
      txids.push(txid!);
      if ((i & 1023) === 1023) await yieldToEventLoop(); // let the writer and signatures keep up
    }
    await bn.node.waitCommitted(txids[txids.length - 1]!);
  } finally {
    await bn.stop();
  }
  return txids;
}

async function benchRestartAndReceipts(doRestart: boolean, doReceipts: boolean): Promise<void> {
  const N = doRestart ? OPTS.restartN : Math.min(OPTS.restartN, 5_000);
  const dir = tempDir('restart');
  try {
    const tb = now();
    const txids = await buildLedger(dir, N);
    const buildMs = now() - tb;
    const storedEntries = await (async () => {
      const st = await LevelLedgerStorage.open(join(dir, 'ledger'), { sync: false });
      const out: Uint8Array[] = [];
      for await (const e of st.scan(1)) out.push(e.bytes);
      await st.close();
      return out;
    })();

    if (doRestart) {
      section(`6. Restart: replay and verify a ledger of ${N.toLocaleString('en-US')} transactions (${storedEntries.length.toLocaleString('en-US')} entries)`);
      const sec = '6 restart';
      table.add(sec, `build the ledger (sequential transact, durability os)`, (N * 1000) / buildMs, 'tx/s', `${fmt(buildMs)} ms`);
      const restartMs = await repeat(RUNS, async () => {
        const t0 = now();
        const node = await Node.restart({ dataDir: dir, durability: 'os' });
        const ms = now() - t0;
        await node.stop();
        return ms;
      });
      table.addStat(sec, 'Node.restart of the stopped ledger (replay + verify all)', restartMs, 'ms', `${fmt((storedEntries.length * 1000) / restartMs.median)} entries/s`);
      const scanMs = await repeat(RUNS, async () => {
        const t0 = now();
        const st = await LevelLedgerStorage.open(join(dir, 'ledger'), { sync: false });
        let count = 0;
        for await (const e of st.scan(1)) count += e.bytes.length > 0 ? 1 : 0;
        await st.close();
        return now() - t0;
      });
      table.addStat(sec, '  part: level open + scan, nothing else', scanMs, 'ms');
      const ddir = new DataDir(dir);
      const identity = (await loadIdentity(ddir, await virtualSealer(ddir)))!;
      const verifyMs = await repeat(RUNS, () => {
        const verifier = new LedgerVerifier({ serviceCert: identity.serviceCert, secrets: identity.secrets, store: new Store(), tree: new MerkleTree() });
        const t0 = now();
        for (const bytes of storedEntries) verifier.verify(bytes);
        return now() - t0;
      });
      table.addStat(sec, '  part: LedgerVerifier over the entries in memory', verifyMs, 'ms', `${fmt((storedEntries.length * 1000) / verifyMs.median)} entries/s`);
    }

    if (doReceipts) {
      section('5. Receipts');
      const sec = '5 receipt';
      const node = await Node.restart({ dataDir: dir, durability: 'os' });
      try {
        const pick = (i: number) => txids[(i * 7919) % txids.length]!;
        const produce = async (i: number) => {
          const r = await node.receipt(pick(i));
          if (!r) throw new Error('bench: no receipt');
          return r;
        };
        for (let i = 0; i < 200; i++) await produce(i); // warm-up
        const seqRate = await repeat(RUNS, async () => {
          let n = 0;
          const t0 = now();
          const end = t0 + S * 1000;
          while (now() < end) await produce(n++);
          return (n * 1000) / (now() - t0);
        });
        table.addStat(sec, `node.receipt(), sequential (ledger of ${txids.length.toLocaleString('en-US')})`, seqRate, 'receipts/s');
        const parRate = await repeat(RUNS, async () => {
          let n = 0;
          const t0 = now();
          const end = t0 + S * 1000;
          await Promise.all(
            Array.from({ length: 16 }, async () => {
              while (now() < end) await produce(n++);
            }),
          );
          return (n * 1000) / (now() - t0);
        });
        table.addStat(sec, 'node.receipt(), 16 in flight', parRate, 'receipts/s');

        const receipts: Receipt[] = [];
        for (let i = 0; i < 256; i++) receipts.push(await produce(i * 31));
        const cert = node.serviceCertificate;
        const verifyBody = (i: number) => verifyReceipt(receipts[i & 255]!, cert);
        rateSync(S / 3, verifyBody, 8);
        table.addStat(sec, 'verifyReceipt (core)', await repeat(CPU_RUNS, () => rateSync(S / 3, verifyBody, 8).rate), 'ops/s', `proof ${receipts[0]!.proof.length} steps, ${JSON.stringify(receipts[0]).length} B JSON`);
        const r0 = receipts[0]!;
        const nodeKey = certificatePublicKey(r0.cert);
        const root = verifyReceipt(r0, cert).root;
        const sig = Buffer.from(r0.signature, 'base64');
        const parts: [string, (i: number) => void][] = [
          ['  part: isEndorsedBy (2 x X509 parse + ECDSA verify)', () => isEndorsedBy(r0.cert, cert)],
          ['  part: certificatePublicKey + keyId', () => keyId(certificatePublicKey(r0.cert))],
          ['  part: ECDSA P-256 verify of the root', () => verifyData(nodeKey, root, sig)],
        ];
        for (const [what, body] of parts) {
          rateSync(S / 4, body, 8);
          table.addStat(sec, what, await repeat(CPU_RUNS, () => rateSync(S / 5, body, 8).rate), 'ops/s');
        }
      } finally {
        await node.stop();
      }
    }
  } finally {
    removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------

/** Taking, reading and restoring a snapshot of a store of K private keys (100 B) plus K/10 public ones. */
async function benchSnapshot(): Promise<void> {
  const K = OPTS.snapshotKeys;
  section(`7. Snapshots of a store of ${K.toLocaleString('en-US')} private + ${(K / 10).toLocaleString('en-US')} public keys`);
  const sec = '7 snapshot';
  const secrets = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]);
  const store = new Store();
  store.setView(1);
  const priv = rawMap('bench');
  const pub = rawMap('public:bench');
  const value = new Uint8Array(randomBytes(100));
  for (let i = 0; i < K; i += 1000) {
    const tx = store.begin();
    for (let j = i; j < Math.min(K, i + 1000); j++) {
      tx.map(priv).set(keyOf(j), value);
      if (j % 10 === 0) tx.map(pub).set(keyOf(j), value);
    }
    tx.commit();
  }
  const tree = new MerkleTree();
  for (let i = 0; i < store.txid.seqno; i++) tree.append(new Uint8Array(32));
  const seqno = store.txid.seqno;
  let bytes: Uint8Array = new Uint8Array(0);
  const takeMs = await repeat(RUNS, () => {
    const t0 = now();
    bytes = encodeSnapshot({ txid: store.txid, state: store.state(seqno), peaks: tree.peaks(), views: [{ view: 1, seqno: 1 }] }, secrets);
    return now() - t0;
  });
  table.addStat(sec, 'take: store state + serialise + encrypt (blocks the node)', takeMs, 'ms', `${fmt(bytes.length / 1e6)} MB`);
  let decoded = decodeSnapshot(bytes, secrets);
  const readMs = await repeat(RUNS, () => {
    const t0 = now();
    decoded = decodeSnapshot(bytes, secrets);
    return now() - t0;
  });
  table.addStat(sec, 'read: decrypt + strict decode', readMs, 'ms');
  const restoreMs = await repeat(RUNS, () => {
    const t0 = now();
    new Store().restore(decoded.txid, decoded.state);
    return now() - t0;
  });
  table.addStat(sec, 'restore into an empty store', restoreMs, 'ms');
}

async function main(): Promise<void> {
  const t0 = now();
  console.log('ccevm core micro-benchmark');
  for (const line of machineInfo()) console.log(`  ${line}`);
  console.log(`  ${S} s per timed run, median of ${RUNS} run(s) (${CPU_RUNS} shorter runs for CPU-only figures)${OPTS.only ? `, only ${[...OPTS.only].join(',')}` : ''}`);
  try {
    if (wants('kv')) await benchKv();
    if (wants('node-os')) await benchNode('os');
    if (wants('node-fsync')) await benchNode('fsync');
    if (wants('entry')) await benchEntry();
    if (wants('merkle')) await benchMerkle();
    if (wants('restart') || wants('receipt')) await benchRestartAndReceipts(wants('restart'), wants('receipt'));
    if (wants('snapshot')) await benchSnapshot();
  } finally {
    cleanup();
  }
  console.log('\n== Summary (figures are medians; absolute numbers drift run to run)\n');
  for (const line of machineInfo()) console.log(line);
  console.log('');
  console.log(table.render());
  console.log(`\ntotal ${fmt((now() - t0) / 1000)} s`);
}

await main();

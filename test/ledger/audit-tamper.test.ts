// `auditChunks` over real exported chunk files: every kind of tampering with the files is
// detected, and the error says where: the file, the entry's seqno and the byte offset of
// the entry (or of the bad bytes) in that file. One ledger is exported once; each case
// changes its own copy of the files.
import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NODES_INFO } from '../../core/governance/tables.js';
import { rawMap } from '../../core/kv/map-def.js';
import { auditChunks, type AuditOptions } from '../../core/ledger/audit.js';
import { CHUNK_NAME, chunkName, decodeChunk, encodeChunk, type ChunkEntry } from '../../core/ledger/chunks.js';
import { decodeEntry, EntryKind, HEADER_SIZE, ZERO_DIGEST } from '../../core/ledger/entry.js';
import { LedgerIntegrityError } from '../../core/ledger/errors.js';
import { LedgerSecrets } from '../../core/ledger/secrets.js';
import { Node } from '../../core/node/node.js';
import { equalBytes, fromUtf8, utf8 } from '../../core/util/bytes.js';
import { unsealLedgerSecrets } from '../support/ledger-secrets.js';
import { tempDirs } from '../support/tmpdir.js';

const accounts = rawMap('accounts');
const records = rawMap('public:records');
const MANUAL_SIGNATURES = { transactions: 1_000_000, milliseconds: 600_000 };

interface Chunk {
  name: string;
  bytes: Uint8Array;
}

/** The same transactions, signed at the same points, whatever the service. */
async function buildLedger(dataDir: string): Promise<Node> {
  const node = await Node.create({ dataDir, signatures: MANUAL_SIGNATURES });
  for (let i = 0; i < 24; i++) {
    await node.transact((tx) => {
      if (i % 2 === 0) tx.map(accounts).set(utf8(`acct ${i}`), utf8(`secret ${i}`));
      tx.map(records).set(utf8(`rec ${i}`), utf8(`public ${i} `.repeat(6)));
      if (i % 3 === 0) tx.setClaimsDigest(new Uint8Array(32).fill(i + 1));
    });
    if (i % 4 === 3) await node.waitCommitted(node.emitSignature()!);
  }
  // The node's record written again, its status unchanged: not a change for the summary.
  await node.transact((tx) => {
    const nodes = tx.map(NODES_INFO);
    nodes.set(node.nodeId, { ...nodes.get(node.nodeId)!, rpcAddress: 'http://127.0.0.1:1' });
  });
  await node.waitCommitted(node.emitSignature()!);
  return node;
}

async function exportChunks(node: Node, dir: string): Promise<Chunk[]> {
  await node.exportLedger(dir, 1_500);
  const names = (await readdir(dir)).filter((n) => CHUNK_NAME.test(n));
  return Promise.all(names.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(dir, name))) })));
}

const firstOf = (c: Chunk) => Number(CHUNK_NAME.exec(c.name)![1]);
const sorted = (chunks: Chunk[]) => [...chunks].sort((a, b) => firstOf(a) - firstOf(b));

/** Offsets (in the chunk file) of an entry's parts, from its header as FORMAT.md lays it out. */
function partsOf(e: ChunkEntry) {
  const dv = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  const P = dv.getUint32(18);
  const Q = dv.getUint32(22);
  const at = e.offset;
  return { header: at, publicAt: at + HEADER_SIZE, privateAt: at + HEADER_SIZE + P, claimsAt: at + HEADER_SIZE + P + Q, evidenceAt: at + HEADER_SIZE + P + Q + 32, P, Q };
}

interface Expected {
  file: string;
  seqno: number;
  offset: number | undefined;
  reason: RegExp;
}

function expectFailure(chunks: Chunk[], expected: Expected, secrets?: LedgerSecrets, options?: AuditOptions): LedgerIntegrityError {
  let error: unknown;
  try {
    auditChunks(chunks, serviceCert, secrets, undefined, options);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof LedgerIntegrityError, `expected a LedgerIntegrityError, got ${String(error)}`);
  const where = expected.offset === undefined ? ` in ${expected.file}` : ` in ${expected.file} at byte ${expected.offset}`;
  assert.deepEqual({ file: error.file, seqno: error.seqno, offset: error.offset }, { file: expected.file, seqno: expected.seqno, offset: expected.offset }, error.message);
  assert.ok(error.message.startsWith(`ledger entry at seqno ${expected.seqno}${where}: `), error.message);
  assert.match(error.reason, expected.reason);
  return error;
}

let serviceCert: string;

describe('ledger / audit of tampered chunk files: detected, and located', function () {
  const dirs = tempDirs();
  let node: Node;
  let golden: Chunk[];
  let foreign: Chunk[];
  let secrets: LedgerSecrets;
  /** a chunk in the middle of the export, with its decoded entries */
  let mid: Chunk;
  let midEntries: ChunkEntry[];

  const copy = () => golden.map((c) => ({ name: c.name, bytes: new Uint8Array(c.bytes) }));
  const withMid = (bytes: Uint8Array) => copy().map((c) => (c.name === mid.name ? { name: c.name, bytes } : c));
  const flipped = (offset: number) => {
    const bytes = new Uint8Array(mid.bytes);
    bytes[offset]! ^= 0x01;
    return withMid(bytes);
  };
  const signatures = () => midEntries.filter((e) => decodeEntry(e.bytes).kind === EntryKind.Signature);
  const normal = (test: (parts: ReturnType<typeof partsOf>, e: ChunkEntry) => boolean) => {
    const found = midEntries.find((e, i) => decodeEntry(e.bytes).kind === EntryKind.Normal && i < midEntries.length - 1 && test(partsOf(e), e));
    assert.ok(found, 'the middle chunk holds such an entry');
    return found;
  };
  /** The first signature after `seqno` in the middle chunk: where a change the Merkle root covers shows. */
  const signatureAfter = (seqno: number) => signatures().find((s) => s.seqno > seqno)!;

  before(async () => {
    const dataDir = await dirs.make('audit-golden');
    node = await buildLedger(dataDir);
    serviceCert = node.serviceCertificate;
    secrets = await unsealLedgerSecrets(dataDir);
    golden = sorted(await exportChunks(node, await dirs.make('audit-golden-export')));
    assert.ok(golden.length >= 4, `${golden.length} chunks`);
    mid = golden[Math.floor(golden.length / 2)]!;
    midEntries = decodeChunk(mid.bytes, mid.name);
    assert.ok(signatures().length >= 1 && midEntries.length >= 4);

    const other = await buildLedger(await dirs.make('audit-other-service'));
    foreign = sorted(await exportChunks(other, await dirs.make('audit-other-export')));
    await other.stop();
  });

  after(async () => {
    await node?.stop();
    await dirs.cleanup();
  });

  it('the untouched export audits, with or without the secrets', () => {
    assert.equal(auditChunks(copy(), serviceCert).lastSeqno, node.committed);
    assert.equal(auditChunks(copy(), serviceCert, secrets).lastSeqno, node.committed);
  });

  describe('a flipped byte', () => {
    it('in an entry header (its seqno): at that entry', () => {
      const e = midEntries[1]!;
      expectFailure(flipped(e.offset + 17), { file: mid.name, seqno: e.seqno, offset: e.offset, reason: new RegExp(`(missing|out of order) \\(found seqno ${e.seqno ^ 1} (instead|again)\\)`) });
    });

    it('in an entry header (its kind): at that entry', () => {
      const e = midEntries[1]!;
      const bytes = new Uint8Array(mid.bytes);
      bytes[e.offset + 1] = 7;
      expectFailure(withMid(bytes), { file: mid.name, seqno: e.seqno, offset: e.offset, reason: /malformed: .*unknown kind 7/ });
    });

    it('in a public value: at the next signature, whose range holds the entry', () => {
      const e = normal(({ Q }) => Q === 0);
      const value = Buffer.from(mid.bytes).indexOf('public ', partsOf(e).publicAt);
      assert.ok(value < partsOf(e).privateAt);
      const sig = signatureAfter(e.seqno);
      const error = expectFailure(flipped(value), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signed Merkle root does not match/ });
      const [, from, to] = /an entry in (\d+)\.\.(\d+) was altered/.exec(error.reason)!.map(Number);
      assert.ok(from! <= e.seqno && e.seqno <= to!, error.reason);
    });

    it('in the public domain of an entry with a private domain: with the secrets, at that entry', () => {
      const e = normal(({ Q }) => Q > 0);
      const value = Buffer.from(mid.bytes).indexOf('public ', partsOf(e).publicAt);
      const sig = signatureAfter(e.seqno);
      expectFailure(flipped(value), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signed Merkle root does not match/ });
      expectFailure(flipped(value), { file: mid.name, seqno: e.seqno, offset: e.offset, reason: /private domain fails authentication/ }, secrets);
    });

    it('in a private ciphertext: at the next signature; with the secrets, at that entry', () => {
      const e = normal(({ Q }) => Q > 0);
      const sig = signatureAfter(e.seqno);
      expectFailure(flipped(partsOf(e).privateAt + 1), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signed Merkle root does not match/ });
      expectFailure(flipped(partsOf(e).privateAt + 1), { file: mid.name, seqno: e.seqno, offset: e.offset, reason: /private domain fails authentication/ }, secrets);
    });

    it('in a claims digest: at the next signature', () => {
      const e = normal((_, x) => !equalBytes(decodeEntry(x.bytes).claimsDigest, ZERO_DIGEST));
      const sig = signatureAfter(e.seqno);
      expectFailure(flipped(partsOf(e).claimsAt + 5), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signed Merkle root does not match/ });
    });

    it('in a commit evidence digest: at the next signature; with the secrets, at that entry', () => {
      const e = normal(() => true);
      const sig = signatureAfter(e.seqno);
      expectFailure(flipped(partsOf(e).evidenceAt + 31), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signed Merkle root does not match/ });
      expectFailure(flipped(partsOf(e).evidenceAt + 31), { file: mid.name, seqno: e.seqno, offset: e.offset, reason: /commit evidence digest does not match/ }, secrets);
    });

    it("in the last signature's commit evidence digest (no later signature covers it): with the secrets, at that entry", () => {
      const lastChunk = golden.at(-1)!;
      const last = decodeChunk(lastChunk.bytes).at(-1)!;
      const bytes = new Uint8Array(lastChunk.bytes);
      bytes[partsOf(last).evidenceAt]! ^= 0x01;
      const chunks = copy().map((c) => (c.name === lastChunk.name ? { name: c.name, bytes } : c));
      expectFailure(chunks, { file: lastChunk.name, seqno: last.seqno, offset: last.offset, reason: /commit evidence digest does not match/ }, secrets);
      // Without the secrets nothing can tell: what the last signature signs ends before its own entry.
      assert.equal(auditChunks(chunks, serviceCert).lastSeqno, last.seqno);
    });

    it("in a signature's signed root: at that signature", () => {
      const sig = signatures()[0]!;
      const root = Buffer.from(mid.bytes).indexOf(Buffer.from(node.ledgerRoot(sig.seqno - 1)), partsOf(sig).publicAt);
      assert.ok(root > 0 && root < partsOf(sig).privateAt);
      expectFailure(flipped(root + 3), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signed Merkle root does not match/ });
    });

    it('in the chunk header, making its range no range: at the header', () => {
      const bytes = new Uint8Array(mid.bytes);
      new DataView(bytes.buffer).setBigUint64(12, BigInt(midEntries.at(-1)!.seqno + 1));
      expectFailure(withMid(bytes), { file: mid.name, seqno: firstOf(mid), offset: 12, reason: /header says entries \d+\.\.\d+: not a range/ });
    });

    it('in the high byte of the header range: unreadable, at the header', () => {
      expectFailure(flipped(12), { file: mid.name, seqno: firstOf(mid), offset: 12, reason: /header seqno range unreadable/ });
    });

    const header: [string, number, RegExp][] = [
      ['magic', 0, /not a ccevm ledger chunk/],
      ['version', 11, /unknown chunk version/],
      ['first seqno', 19, /named for entries .* but its header says/],
      ['last seqno', 27, /named for entries .* but its header says/],
    ];
    for (const [field, at, reason] of header) {
      it(`in the chunk header (${field}): at that file's header`, () => {
        const offset = at < 8 ? 0 : at < 12 ? 8 : 12;
        expectFailure(flipped(at), { file: mid.name, seqno: firstOf(mid), offset, reason });
      });
    }
  });

  describe('truncation', () => {
    it('cut in the middle of an entry: at that entry', () => {
      const e = midEntries[2]!;
      const bytes = mid.bytes.subarray(0, e.offset + 10);
      expectFailure(withMid(bytes), { file: mid.name, seqno: e.seqno, offset: e.offset - 4, reason: new RegExp(`truncated: entry ${e.seqno} of ${e.bytes.length} bytes is cut after 10`) });
    });

    it('cut in the length of an entry: at that entry', () => {
      const e = midEntries[2]!;
      expectFailure(withMid(mid.bytes.subarray(0, e.offset - 2)), { file: mid.name, seqno: e.seqno, offset: e.offset - 4, reason: /truncated: the length of entry \d+ is cut \(2 of 4 bytes\)/ });
    });

    it('a whole trailing entry cut: at the end of the file, naming the missing entry', () => {
      const last = midEntries[midEntries.length - 1]!;
      const bytes = mid.bytes.subarray(0, last.offset - 4);
      expectFailure(withMid(bytes), { file: mid.name, seqno: last.seqno, offset: bytes.length, reason: new RegExp(`truncated: header says \\d+\\.\\.${last.seqno}, holds ${midEntries.length - 1} entries`) });
    });

    it('a trailing entry cut and the header rewritten to match: the chunk does not end on a signature', () => {
      const kept = midEntries.slice(0, -1);
      const bytes = encodeChunk(kept);
      const name = chunkName(kept[0]!.seqno, kept[kept.length - 1]!.seqno);
      const chunks = copy().map((c) => (c.name === mid.name ? { name, bytes } : c));
      expectFailure(chunks, { file: name, seqno: kept[kept.length - 1]!.seqno, offset: kept[kept.length - 1]!.offset, reason: /does not end on a signature/ });
    });

    it('an entry appended after the range the header says: at that entry', () => {
      const extra = midEntries[1]!.bytes;
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, extra.length);
      const bytes = new Uint8Array(Buffer.concat([mid.bytes, length, extra]));
      expectFailure(withMid(bytes), { file: mid.name, seqno: midEntries.at(-1)!.seqno + 1, offset: mid.bytes.length, reason: /holds more entries than its header's \d+\.\.\d+/ });
    });

    it('an empty file: at its byte 0', () => {
      expectFailure(withMid(new Uint8Array(0)), { file: mid.name, seqno: firstOf(mid), offset: 0, reason: /empty file/ });
    });

    it('a file cut inside its header', () => {
      expectFailure(withMid(mid.bytes.subarray(0, 20)), { file: mid.name, seqno: firstOf(mid), offset: 20, reason: /truncated in its header/ });
    });
  });

  describe('reordering', () => {
    it('two entries swapped within a chunk: at the first of the two places', () => {
      const [a, b] = [midEntries[1]!, midEntries[2]!];
      const swapped = midEntries.map((e) => (e === a ? { ...e, bytes: b.bytes } : e === b ? { ...e, bytes: a.bytes } : e));
      expectFailure(withMid(encodeChunk(swapped)), { file: mid.name, seqno: a.seqno, offset: a.offset, reason: new RegExp(`missing \\(found seqno ${b.seqno} instead\\)`) });
    });

    it('two chunk files renamed as each other: at the header of the first', () => {
      const [x, y] = [golden[1]!, golden[2]!];
      const chunks = copy().map((c) => (c.name === x.name ? { name: y.name, bytes: c.bytes } : c.name === y.name ? { name: x.name, bytes: c.bytes } : c));
      expectFailure(chunks, { file: y.name, seqno: firstOf(x), offset: 12, reason: /named for entries .* but its header says/ });
    });

    it('a missing middle chunk: at the header of the chunk after the gap', () => {
      const i = golden.indexOf(mid);
      const after = golden[i + 1]!;
      expectFailure(copy().filter((c) => c.name !== mid.name), {
        file: after.name,
        seqno: firstOf(mid),
        offset: 12,
        reason: new RegExp(`chunks are missing or overlap: no chunk holds entries ${firstOf(mid)}\\.\\.${firstOf(after) - 1} \\(${golden[i - 1]!.name} ends before them\\)`),
      });
    });

    it('overlapping chunks: at the header of the one that starts too early', () => {
      const i = golden.indexOf(mid);
      const next = decodeChunk(golden[i + 1]!.bytes);
      const overlap = [...midEntries.slice(2), ...next];
      const name = chunkName(overlap[0]!.seqno, overlap[overlap.length - 1]!.seqno);
      const chunks = [...copy().filter((c) => c.name !== golden[i + 1]!.name), { name, bytes: encodeChunk(overlap) }];
      expectFailure(chunks, { file: name, seqno: next[0]!.seqno, offset: 12, reason: new RegExp(`overlap: this one starts at ${overlap[0]!.seqno}, but ${mid.name} holds entries up to ${next[0]!.seqno - 1}`) });
    });
  });

  describe('substituted signatures and foreign chunks', () => {
    it('a signature entry replaced by the signature entry of another point of the same ledger: at that place', () => {
      const sig = signatures()[0]!;
      const elsewhere = decodeChunk(golden[0]!.bytes).filter((e) => decodeEntry(e.bytes).kind === EntryKind.Signature).pop()!;
      const substituted = midEntries.map((e) => (e === sig ? { ...e, bytes: elsewhere.bytes } : e));
      expectFailure(withMid(encodeChunk(substituted)), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: new RegExp(`out of order \\(found seqno ${elsewhere.seqno} again\\)`) });
    });

    it("a signature entry replaced by another service's signature at the same seqno: at that signature", () => {
      const sig = signatures()[0]!;
      const theirs = foreign.flatMap((c) => decodeChunk(c.bytes)).find((e) => e.seqno === sig.seqno)!;
      assert.equal(decodeEntry(theirs.bytes).kind, EntryKind.Signature, 'the other service signed at the same seqno');
      const substituted = midEntries.map((e) => (e === sig ? { ...e, bytes: theirs.bytes } : e));
      expectFailure(withMid(encodeChunk(substituted)), { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signer certificate is not endorsed by the service \(a signature from another service\?\)/ });
    });

    it("a whole chunk from another service's ledger, same name and range: at its first signature", () => {
      const theirs = foreign.find((c) => c.name === mid.name);
      assert.ok(theirs, 'the other service exported a chunk of the same range');
      const sig = decodeChunk(theirs.bytes).find((e) => decodeEntry(e.bytes).kind === EntryKind.Signature)!;
      const chunks = copy().map((c) => (c.name === mid.name ? theirs : c));
      expectFailure(chunks, { file: mid.name, seqno: sig.seqno, offset: sig.offset, reason: /signer certificate is not endorsed by the service \(a signature from another service\?\)/ });
    });

    it("another service's first chunk (its genesis): at the entry recording its identity", () => {
      const theirs = foreign[0]!;
      const chunks = copy().map((c) => (c.name === theirs.name ? theirs : c));
      expectFailure(chunks, { file: theirs.name, seqno: 1, offset: 28 + 4, reason: /service identity differs/ });
    });
  });

  describe('the entry check (claims re-derivation) with the ledger secrets', () => {
    it('runs on every normal entry with its private writes decrypted and its claims digest', () => {
      const seen: number[] = [];
      const result = auditChunks(copy(), serviceCert, secrets, undefined, {
        checkEntry: (txid, writes, claimsDigest) => {
          seen.push(txid.seqno);
          const acct = writes.get(accounts.name);
          for (const [key, value] of acct ?? []) assert.equal(fromUtf8(value!), `secret ${fromUtf8(Buffer.from(key, 'latin1')).split(' ')[1]}`);
          assert.equal(claimsDigest.length, 32);
          return undefined;
        },
      });
      const all = golden.flatMap((c) => decodeChunk(c.bytes));
      const normals = all.filter((e) => decodeEntry(e.bytes).kind === EntryKind.Normal).map((e) => e.seqno);
      assert.deepEqual(seen, normals);
      assert.equal(result.checkedEntries, normals.length);
      const decrypted = all.find((e) => decodeEntry(e.bytes).privateCiphertext.length > 0)!;
      assert.ok(seen.includes(decrypted.seqno));
      const withClaims = normal((_, x) => !equalBytes(decodeEntry(x.bytes).claimsDigest, ZERO_DIGEST));
      let digest: Uint8Array | undefined;
      auditChunks(copy(), serviceCert, secrets, undefined, { checkEntry: (t, _w, d) => void (t.seqno === withClaims.seqno && (digest = d)) });
      assert.deepEqual(digest, decodeEntry(withClaims.bytes).claimsDigest);
    });

    it('a failure it reports is an integrity error at that entry, with its file and offset', () => {
      const e = normal(({ Q }) => Q > 0);
      expectFailure(copy(), { file: mid.name, seqno: e.seqno, offset: e.offset, reason: /^claims do not match: made up$/ }, secrets, {
        checkEntry: (txid, writes) => (txid.seqno === e.seqno && writes.has(accounts.name) ? 'claims do not match: made up' : undefined),
      });
    });

    it('does not run without the secrets', () => {
      const result = auditChunks(copy(), serviceCert, undefined, undefined, { checkEntry: () => 'should not run' });
      assert.equal(result.checkedEntries, 0);
      assert.equal(result.privateChecked, false);
    });
  });

  describe('summary and progress', () => {
    it('counts entries and signatures, lists signers, node and service identity changes, first and last txid', () => {
      const all = golden.flatMap((c) => decodeChunk(c.bytes)).map((e) => decodeEntry(e.bytes));
      const result = auditChunks(copy(), serviceCert, secrets);
      assert.equal(result.entries, all.length);
      assert.equal(result.signatures, all.filter((e) => e.kind === EntryKind.Signature).length);
      assert.deepEqual([result.firstView, result.firstSeqno], [all[0]!.view, 1]);
      assert.deepEqual([result.lastView, result.lastSeqno], [all.at(-1)!.view, all.at(-1)!.seqno]);
      assert.deepEqual(result.signers, [node.nodeId]);
      const writes = all.filter((e) => Buffer.from(e.publicDomain).includes(NODES_INFO.name)).length;
      assert.ok(writes >= 2, 'the node record is written more than once');
      assert.deepEqual(result.nodeChanges.filter((c) => c.node === node.nodeId).map((c) => c.status), ['Trusted'], 'changes only');
      assert.ok(result.serviceRecords.length >= 1 && result.serviceRecords.every((r) => r.seqno >= 1), JSON.stringify(result.serviceRecords));
      assert.ok(result.serviceRecords.some((r) => r.status === 'Open') || result.serviceRecords.some((r) => r.status === 'Opening'));
      assert.equal(result.privateChecked, true);
    });

    it('reports progress against the total the chunk headers announce, ending at the total', () => {
      const calls: [number, number][] = [];
      auditChunks(copy(), serviceCert, undefined, undefined, { onProgress: (done, total) => calls.push([done, total]), progressIntervalMs: 0 });
      const total = node.committed;
      assert.ok(calls.length > 2);
      assert.ok(calls.every(([, t]) => t === total));
      assert.ok(calls.every(([d], i) => i === 0 || d >= calls[i - 1]![0]));
      assert.deepEqual(calls.at(-1), [total, total]);
    });

    it('at most one call per interval (and the one at the end)', () => {
      const calls: number[] = [];
      auditChunks(copy(), serviceCert, undefined, undefined, { onProgress: (done) => calls.push(done), progressIntervalMs: 60_000 });
      assert.deepEqual(calls, [node.committed]);
    });
  });
});

// Ledger export: chunk files as FORMAT.md describes them, contiguous, each ending on a
// signature, holding only committed entries, and verifiable offline by an auditor who
// has the service certificate and nothing else.
import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { rawMap } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import type { TxID } from '../../core/kv/txid.js';
import { auditChunks } from '../../core/ledger/audit.js';
import { CHUNK_NAME, decodeChunk } from '../../core/ledger/chunks.js';
import { decodeEntry, EntryKind } from '../../core/ledger/entry.js';
import { LedgerIntegrityError } from '../../core/ledger/errors.js';
import { MerkleTree } from '../../core/ledger/merkle.js';
import type { LedgerSecrets } from '../../core/ledger/secrets.js';
import type { StoredEntry } from '../../core/ledger/storage.js';
import { LedgerVerifier } from '../../core/ledger/verifier.js';
import { DataDir } from '../../core/host/data-dir.js';
import { virtualSealer } from '../../core/host/virtual-platform.js';
import { loadIdentity } from '../../core/node/identity.js';
import { Node } from '../../core/node/node.js';
import { DecodeError } from '../../core/util/binary.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';
import { tempDirs } from '../support/tmpdir.js';

const accounts = rawMap('accounts');
const records = rawMap('public:records');

interface Chunk {
  name: string;
  first: number;
  last: number;
  bytes: Uint8Array;
}

async function readChunks(dir: string): Promise<Chunk[]> {
  const names = (await readdir(dir)).filter((n) => CHUNK_NAME.test(n));
  const chunks = await Promise.all(
    names.map(async (name) => {
      const [, first, last] = CHUNK_NAME.exec(name)!;
      return { name, first: Number(first), last: Number(last), bytes: new Uint8Array(await readFile(join(dir, name))) };
    }),
  );
  return chunks.sort((a, b) => a.first - b.first);
}

/** Feed chunks, in order, through a fresh verifier; returns it (throws on failure). */
function verifyChunks(chunks: readonly Chunk[], serviceCert: string, secrets?: LedgerSecrets) {
  const store = new Store();
  const tree = new MerkleTree();
  const verifier = new LedgerVerifier({ serviceCert, store, tree, secrets });
  for (const c of chunks) for (const e of decodeChunk(c.bytes, c.name)) verifier.verify(e.bytes);
  return { verifier, store, tree };
}

function get(store: Store, map: typeof accounts, key: string): string | undefined {
  const tx = store.begin();
  const v = tx.map(map).get(utf8(key));
  tx.abort();
  return v === undefined ? undefined : fromUtf8(v);
}

describe('ledger / chunk export', function () {
  const dirs = tempDirs();
  let node: Node;
  let exportDir: string;
  let chunks: Chunk[];
  let committed: number;
  let tail: TxID[];
  /** what an operator holding the platform's sealing key can unseal from the data directory */
  let secrets: LedgerSecrets;

  before(async () => {
    const dataDir = new DataDir(await dirs.make('chunks'));
    node = await Node.create({ dataDir, signatures: { transactions: 1_000_000, milliseconds: 600_000 } });
    secrets = (await loadIdentity(dataDir, await virtualSealer(dataDir)))!.secrets;
    for (let i = 0; i < 60; i++) {
      const { txid } = await node.transact((tx) => {
        tx.map(accounts).set(utf8(`acct ${i}`), utf8(`secret ${i}`));
        tx.map(records).set(utf8(`rec ${i}`), utf8(`public ${i} `.repeat(8)));
      });
      if (i % 7 === 6) await node.waitCommitted(node.emitSignature()!);
      if (i === 59) await node.waitCommitted(node.emitSignature()!);
      void txid;
    }
    committed = node.committed;
    // An unsigned tail: not committed, so not exported.
    tail = [];
    for (let i = 0; i < 3; i++) tail.push((await node.transact((tx) => tx.map(records).set(utf8(`tail ${i}`), utf8('x')))).txid!);
    exportDir = await dirs.make('chunks-export');
    const written = await node.exportLedger(exportDir, 2_000);
    chunks = await readChunks(exportDir);
    assert.deepEqual(written.map((p) => basename(p)).sort(), chunks.map((c) => c.name).sort());
  });

  after(async () => {
    await node?.stop();
    await dirs.cleanup();
  });

  it('writes several chunk files, contiguous from seqno 1 to the last committed signature', () => {
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    assert.equal(chunks[0]!.first, 1);
    for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i]!.first, chunks[i - 1]!.last + 1, chunks[i]!.name);
    assert.equal(chunks[chunks.length - 1]!.last, committed);
    assert.ok(tail.every((t) => t.seqno > committed), 'the unsigned tail is left out');
  });

  it('each chunk has the documented header, decodes, and ends on a signature', async () => {
    for (const c of chunks) {
      const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
      assert.equal(Buffer.from(c.bytes.subarray(0, 8)).toString('latin1'), 'CCEVMLDG');
      assert.equal(dv.getUint32(8), 1, 'chunk version');
      assert.equal(dv.getBigUint64(12), BigInt(c.first));
      assert.equal(dv.getBigUint64(20), BigInt(c.last));
      const entries: StoredEntry[] = decodeChunk(c.bytes, c.name);
      assert.equal(entries.length, c.last - c.first + 1);
      // Walk the (u32 length | entry)* records by hand as well.
      let offset = 28;
      for (const e of entries) {
        const length = dv.getUint32(offset);
        assert.equal(length, e.bytes.length);
        assert.equal(decodeEntry(e.bytes).seqno, e.seqno);
        const stored = await node.readEntry(e.seqno);
        assert.equal(Buffer.compare(e.bytes, stored.bytes), 0, `entry ${e.seqno} as stored`);
        offset += 4 + length;
      }
      assert.equal(offset, c.bytes.length);
      assert.equal(decodeEntry(entries[entries.length - 1]!.bytes).kind, EntryKind.Signature, `${c.name} ends on a signature`);
    }
  });

  it('an auditor without ledger secrets verifies the chunks and sees only public maps', () => {
    const { verifier, store, tree } = verifyChunks(chunks, node.serviceCertificate);
    assert.equal(verifier.seqno, committed);
    assert.equal(verifier.lastSigned, committed);
    assert.equal(Buffer.compare(tree.root(), node.ledgerRoot(committed)), 0);
    assert.equal(get(store, records, 'rec 59'), 'public 59 '.repeat(8));
    assert.equal(get(store, accounts, 'acct 59'), undefined);
    const audit = auditChunks(chunks, node.serviceCertificate);
    assert.equal(audit.lastSeqno, committed);
  });

  it('with the ledger secrets the private domains verify and decrypt too', () => {
    const { verifier, store } = verifyChunks(chunks, node.serviceCertificate, secrets);
    assert.equal(verifier.lastSigned, committed);
    assert.equal(get(store, accounts, 'acct 59'), 'secret 59');
  });

  it('exporting again gives the same files', async () => {
    const again = await dirs.make('chunks-again');
    await node.exportLedger(again, 2_000);
    const second = await readChunks(again);
    assert.deepEqual(
      second.map((c) => [c.name, Buffer.from(c.bytes).toString('hex')]),
      chunks.map((c) => [c.name, Buffer.from(c.bytes).toString('hex')]),
    );
  });

  describe('tampered exports fail verification', () => {
    const middle = () => chunks[Math.floor(chunks.length / 2)]!;
    const replace = (c: Chunk, bytes: Uint8Array) => chunks.map((x) => (x === c ? { ...x, bytes } : x));

    it('a flipped byte in a public value inside a chunk', () => {
      const c = middle();
      const bytes = new Uint8Array(c.bytes);
      const at = Buffer.from(bytes).indexOf('public ');
      assert.ok(at > 0);
      bytes[at]! ^= 0x01;
      const flippedSeqno = decodeChunk(bytes).find((e) => Buffer.from(e.bytes).includes('qublic '))!.seqno;
      assert.throws(
        () => verifyChunks(replace(c, bytes), node.serviceCertificate),
        (e: Error) => e instanceof LedgerIntegrityError && e.seqno >= flippedSeqno && e.seqno <= c.last,
      );
    });

    it('a flipped byte in a private domain (auditor: at the next signature; with secrets: at the entry)', () => {
      const c = middle();
      const entries = decodeChunk(c.bytes);
      const target = entries.find((e) => decodeEntry(e.bytes).privateCiphertext.length > 0)!;
      const bytes = new Uint8Array(c.bytes);
      const start = Buffer.from(bytes).indexOf(Buffer.from(target.bytes));
      const parsed = decodeEntry(target.bytes);
      bytes[start + 26 + parsed.publicDomain.length + 2]! ^= 0x01;
      assert.throws(() => verifyChunks(replace(c, bytes), node.serviceCertificate), /signed Merkle root does not match/);
      assert.throws(
        () => verifyChunks(replace(c, bytes), node.serviceCertificate, secrets),
        (e: Error) => e instanceof LedgerIntegrityError && e.seqno === target.seqno && /authentication/.test(e.message),
      );
    });

    it('a chunk left out', () => {
      const c = middle();
      assert.throws(
        () => verifyChunks(chunks.filter((x) => x !== c), node.serviceCertificate),
        (e: Error) => e instanceof LedgerIntegrityError && e.seqno === c.first && /missing/.test(e.message),
      );
    });

    it('chunks in the wrong order', () => {
      const reordered = [chunks[1]!, chunks[0]!, ...chunks.slice(2)];
      assert.throws(() => verifyChunks(reordered, node.serviceCertificate), LedgerIntegrityError);
    });

    it('a bad magic, version, header range, or truncation does not decode', () => {
      const c = middle();
      const magic = new Uint8Array(c.bytes);
      magic[0] = 0x58;
      assert.throws(() => decodeChunk(magic), /not a ccevm ledger chunk/);
      const version = new Uint8Array(c.bytes);
      version[11] = 2;
      assert.throws(() => decodeChunk(version), /unknown chunk version/);
      const range = new Uint8Array(c.bytes);
      new DataView(range.buffer).setBigUint64(20, BigInt(c.last + 1));
      assert.throws(() => decodeChunk(range), DecodeError);
      assert.throws(() => decodeChunk(c.bytes.subarray(0, c.bytes.length - 1)), DecodeError);
    });

    it("another service's certificate does not verify this export", async () => {
      const other = await Node.create({ dataDir: await dirs.make('chunks-other') });
      try {
        assert.throws(
          () => verifyChunks(chunks, other.serviceCertificate),
          (e: Error) => e instanceof LedgerIntegrityError && e.seqno === 1 && /service identity differs/.test(e.message),
        );
      } finally {
        await other.stop();
      }
    });
  });
});

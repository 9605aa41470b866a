// The host owns the disk: whatever it changes in a stopped node's data directory must be
// detected when the node starts again, and the error must say where. One "golden" data
// directory is built once; each case tampers with its own copy of it.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { generateKeyPair, keyId, signData, signDataP1363, type KeyPair } from '../../core/crypto/keys.js';
import { createNodeCertificate } from '../../core/crypto/certificates.js';
import { DataDir } from '../../core/host/data-dir.js';
import { virtualSealer } from '../../core/host/virtual-platform.js';
import { rawMap } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import type { TxID } from '../../core/kv/txid.js';
import { deserialiseDomain, serialiseWrites, type Writes } from '../../core/kv/write-set.js';
import { decodeEntry, encodeEntry, EntryKind } from '../../core/ledger/entry.js';
import { encodeProtectedHeader, sigStructure, signRoot } from '../../core/ledger/cose.js';
import { LedgerIntegrityError } from '../../core/ledger/errors.js';
import { MerkleTree } from '../../core/ledger/merkle.js';
import { verifyReceipt } from '../../core/ledger/receipt.js';
import { SIGNATURES, type SignatureRecord } from '../../core/ledger/signature.js';
import { LedgerVerifier } from '../../core/ledger/verifier.js';
import { IdentityError, loadIdentity, type NodeIdentity } from '../../core/node/identity.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { tempDirs } from '../support/tmpdir.js';

const accounts = rawMap('accounts');
const records = rawMap('public:records');
/** Signatures only when the test asks for them, so the layout below is fixed. */
const MANUAL_SIGNATURES = { transactions: 1_000_000, milliseconds: 600_000 };

type DB = Level<Uint8Array, Uint8Array>;

function seqnoKey(seqno: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(seqno));
  return key;
}

/** Open a stopped node's ledger database, let `fn` change it, close it. */
async function withLedgerDb(dataDir: string, fn: (db: DB) => Promise<void>): Promise<void> {
  const db: DB = new Level(join(dataDir, 'ledger'), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function readAll(dataDir: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  await withLedgerDb(dataDir, async (db) => {
    for await (const [key, value] of db.iterator()) {
      assert.equal(Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0)), out.length + 1);
      out.push(new Uint8Array(value));
    }
  });
  return out;
}

async function getEntry(db: DB, seqno: number): Promise<Uint8Array> {
  const value = await db.get(seqnoKey(seqno));
  assert.ok(value, `entry ${seqno} present`);
  return new Uint8Array(value);
}

async function flipByte(dataDir: string, seqno: number, offset: (entry: Uint8Array) => number): Promise<void> {
  await withLedgerDb(dataDir, async (db) => {
    const bytes = await getEntry(db, seqno);
    bytes[offset(bytes)]! ^= 0x01;
    await db.put(seqnoKey(seqno), bytes);
  });
}

/** Offsets of an entry's parts, read from its header as FORMAT.md lays it out. */
function layoutOf(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const P = dv.getUint32(18);
  const Q = dv.getUint32(22);
  return { P, Q, publicAt: 26, privateAt: 26 + P, claimsAt: 26 + P + Q, evidenceAt: 58 + P + Q };
}

/** The range named by a "signed root does not match" failure, if the message has one. */
function alteredRange(message: string): [number, number] | undefined {
  const m = /an entry in (\d+)\.\.(\d+) was altered/.exec(message);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Node.restart must refuse the data directory with a LedgerIntegrityError naming `seqno`
 * (or, with `atSignature`, naming that later signature and a range that includes `seqno`).
 */
async function expectRefused(dataDir: string, seqno: number, message: RegExp, atSignature?: number): Promise<LedgerIntegrityError> {
  let node: Node | undefined;
  try {
    node = await Node.restart({ dataDir, signatures: MANUAL_SIGNATURES });
  } catch (e) {
    assert.ok(e instanceof LedgerIntegrityError, `expected LedgerIntegrityError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`ledger entry at seqno ${e.seqno}: `), e.message);
    if (atSignature === undefined) {
      assert.equal(e.seqno, seqno, e.message);
    } else {
      assert.equal(e.seqno, atSignature, e.message);
      const range = alteredRange(e.message);
      assert.ok(range && range[0] <= seqno && seqno <= range[1], `range in "${e.message}" should include ${seqno}`);
    }
    return e;
  }
  await node.stop();
  assert.fail(`Node.restart accepted a ledger tampered at seqno ${seqno}`);
}

/** Rewrite a signature entry's record, keeping everything else as the node wrote it. */
function reencodeSignature(bytes: Uint8Array, change: (record: SignatureRecord) => SignatureRecord): Uint8Array {
  const entry = decodeEntry(bytes);
  assert.equal(entry.kind, EntryKind.Signature);
  const writes = deserialiseDomain(entry.publicDomain, 'public');
  const map = writes.get(SIGNATURES.name)!;
  const [key, value] = [...map.entries()][0]!;
  const record = change(SIGNATURES.value.decode(value!));
  const forged: Writes = new Map([[SIGNATURES.name, new Map([[key, SIGNATURES.value.encode(record)]])]]);
  const { publicDomain, privateDomain } = serialiseWrites(forged);
  assert.equal(privateDomain.length, 0);
  return encodeEntry(
    {
      kind: EntryKind.Signature,
      txid: { view: entry.view, seqno: entry.seqno },
      publicDomain,
      privateDomain,
      claimsDigest: entry.claimsDigest,
      commitEvidenceDigest: entry.commitEvidenceDigest,
    },
    new Uint8Array(32), // unused: a signature entry has no private domain
  ).bytes;
}

async function identityOf(dataDir: string): Promise<NodeIdentity> {
  const dir = new DataDir(dataDir);
  return (await loadIdentity(dir, await virtualSealer(dir)))!;
}

describe('ledger / tamper detection', function () {
  const dirs = tempDirs();
  let golden: string;
  let otherService: string;
  /** seqnos in the golden ledger */
  const at = {} as {
    privateAndPublic: number;
    publicOnly: number;
    privateWithClaims: number;
    publicWithClaims: number;
    middleSignature: number;
    afterMiddle: number;
    lastSignature: number;
  };

  before(async () => {
    golden = await dirs.make('golden');
    const node = await Node.create({ dataDir: golden, signatures: MANUAL_SIGNATURES });
    const write = async (body: Parameters<Node['transact']>[0]): Promise<number> => (await node.transact(body)).txid!.seqno;
    at.privateAndPublic = await write((tx) => {
      tx.map(accounts).set(utf8('alice'), utf8('100'));
      tx.map(records).set(utf8('alice'), utf8('opened'));
    });
    at.publicOnly = await write((tx) => tx.map(records).set(utf8('notice'), utf8('public value B')));
    at.privateWithClaims = await write((tx) => {
      tx.map(accounts).set(utf8('bob'), utf8('50'));
      tx.setClaimsDigest(new Uint8Array(32).fill(7));
    });
    at.publicWithClaims = await write((tx) => {
      tx.map(records).set(utf8('claimed'), utf8('yes'));
      tx.setClaimsDigest(new Uint8Array(32).fill(9));
    });
    const sig = node.emitSignature()!;
    at.middleSignature = sig.seqno;
    await node.waitCommitted(sig);
    at.afterMiddle = await write((tx) => tx.map(accounts).set(utf8('carol'), utf8('5')));
    await write((tx) => tx.map(records).set(utf8('last'), utf8('one')));
    await node.stop(); // signs the rest
    at.lastSignature = at.afterMiddle + 2;
    const entries = await readAll(golden);
    assert.equal(entries.length, at.lastSignature);
    assert.equal(decodeEntry(entries[at.lastSignature - 1]!).kind, EntryKind.Signature);

    otherService = await dirs.make('other-service');
    await (await Node.create({ dataDir: otherService })).stop();
  });

  after(() => dirs.cleanup());

  it('the untouched golden ledger restarts', async () => {
    const node = await Node.restart({ dataDir: await dirs.copy(golden), signatures: MANUAL_SIGNATURES });
    assert.equal(node.lastSigned, at.lastSignature + 1, 'everything verified, then one signature in the new view');
    await node.stop();
  });

  it('(a) a flipped byte in the public domain of an entry with a private domain: GCM fails at that entry', async () => {
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.privateAndPublic, (b) => {
      const i = Buffer.from(b).indexOf('opened'); // a public value: the write set still decodes
      assert.ok(i >= layoutOf(b).publicAt && i < layoutOf(b).privateAt);
      return i;
    });
    await expectRefused(dir, at.privateAndPublic, /private domain fails authentication/);
  });

  it('(a) a flipped byte in a public-only value: the next signature names a range holding it', async () => {
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.publicOnly, (b) => {
      const i = Buffer.from(b).indexOf('public value B');
      assert.ok(i > 0);
      return i + 13; // 'B' -> 'C': still a well-formed write set
    });
    await expectRefused(dir, at.publicOnly, /signed Merkle root does not match/, at.middleSignature);
  });

  it('(b) a flipped byte in a private domain: GCM fails at that entry', async () => {
    for (const seqno of [at.privateAndPublic, at.privateWithClaims]) {
      for (const where of ['first', 'tag'] as const) {
        const dir = await dirs.copy(golden);
        await flipByte(dir, seqno, (b) => {
          const { privateAt, claimsAt } = layoutOf(b);
          assert.ok(claimsAt > privateAt);
          return where === 'first' ? privateAt : claimsAt - 1;
        });
        await expectRefused(dir, seqno, /private domain fails authentication/);
      }
    }
  });

  it('(c) a flipped byte in the claims digest trailer: the next signature names a range holding it', async () => {
    for (const seqno of [at.privateWithClaims, at.publicWithClaims, at.publicOnly]) {
      const dir = await dirs.copy(golden);
      await flipByte(dir, seqno, (b) => layoutOf(b).claimsAt + 31);
      await expectRefused(dir, seqno, /signed Merkle root does not match/, at.middleSignature);
    }
  });

  it('(c) a flipped byte in the commit evidence digest: detected at that entry', async () => {
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.publicOnly, (b) => layoutOf(b).evidenceAt);
    await expectRefused(dir, at.publicOnly, /commit evidence digest does not match/);
  });

  it('(d) an entry deleted from the middle', async () => {
    const dir = await dirs.copy(golden);
    await withLedgerDb(dir, (db) => db.del(seqnoKey(at.publicOnly)));
    await expectRefused(dir, at.publicOnly, new RegExp(`missing \\(found seqno ${at.publicOnly + 1} instead\\)`));
  });

  async function swapEntries(x: number, y: number): Promise<void> {
    const dir = await dirs.copy(golden);
    await withLedgerDb(dir, async (db) => {
      const [bx, by] = [await getEntry(db, x), await getEntry(db, y)];
      await db.batch([
        { type: 'put', key: seqnoKey(x), value: by },
        { type: 'put', key: seqnoKey(y), value: bx },
      ]);
    });
    await expectRefused(dir, x, new RegExp(`found seqno ${y}`));
  }

  it('(e) two entries swapped', () => swapEntries(at.publicOnly, at.afterMiddle));

  it('(e) two adjacent entries swapped', () => swapEntries(at.privateAndPublic, at.privateAndPublic + 1));

  it('(f) a signature record re-encoded with a forged signature', async () => {
    const dir = await dirs.copy(golden);
    const forger = generateKeyPair();
    await withLedgerDb(dir, async (db) => {
      const bytes = await getEntry(db, at.middleSignature);
      await db.put(seqnoKey(at.middleSignature), reencodeSignature(bytes, (r) => ({ ...r, signature: signData(forger, r.root) })));
    });
    await expectRefused(dir, at.middleSignature, /signature does not verify/);
  });

  it("(g) a signature by another service's node, with that node's valid certificate", async () => {
    const dir = await dirs.copy(golden);
    const other = await identityOf(otherService);
    await withLedgerDb(dir, async (db) => {
      const bytes = await getEntry(db, at.middleSignature);
      await db.put(
        seqnoKey(at.middleSignature),
        reencodeSignature(bytes, (r) => ({ ...r, node: other.nodeId, cert: other.nodeCert, signature: signData(other.nodeKey, r.root) })),
      );
    });
    await expectRefused(dir, at.middleSignature, /signer certificate is not endorsed by the service/);
  });

  it('(g) a signature by a key this service endorsed but never trusted as a node', async () => {
    const dir = await dirs.copy(golden);
    const me = await identityOf(dir);
    const stranger: KeyPair = generateKeyPair();
    const strangerId = keyId(stranger.publicKey);
    const cert = await createNodeCertificate(stranger.publicKey, me.serviceKey, me.serviceCert, { nodeId: strangerId });
    await withLedgerDb(dir, async (db) => {
      const bytes = await getEntry(db, at.middleSignature);
      await db.put(
        seqnoKey(at.middleSignature),
        reencodeSignature(bytes, (r) => ({ ...r, node: strangerId, cert, signature: signData(stranger, r.root) })),
      );
    });
    await expectRefused(dir, at.middleSignature, /is not a trusted node/);
  });

  it("(g) a signature record claiming the trusted node's id with another key", async () => {
    const dir = await dirs.copy(golden);
    const other = await identityOf(otherService);
    await withLedgerDb(dir, async (db) => {
      const bytes = await getEntry(db, at.middleSignature);
      await db.put(seqnoKey(at.middleSignature), reencodeSignature(bytes, (r) => ({ ...r, cert: other.nodeCert, signature: signData(other.nodeKey, r.root) })));
    });
    await expectRefused(dir, at.middleSignature, /not endorsed|does not match its certificate/);
  });

  describe("the service's COSE signature over the root", () => {
    /** Restart must refuse the golden ledger with its middle signature record changed by `change`. */
    async function refusedWith(change: (record: SignatureRecord, me: NodeIdentity) => SignatureRecord, reason: RegExp): Promise<void> {
      const dir = await dirs.copy(golden);
      const me = await identityOf(dir);
      await withLedgerDb(dir, async (db) => {
        const bytes = await getEntry(db, at.middleSignature);
        await db.put(seqnoKey(at.middleSignature), reencodeSignature(bytes, (r) => change(r, me)));
      });
      await expectRefused(dir, at.middleSignature, reason);
    }
    const txidOf = (r: SignatureRecord) => `${r.view}.${r.seqno}`;

    it('an altered protected header (another iat, validly encoded)', () =>
      refusedWith((r, me) => ({ ...r, cose_protected: encodeProtectedHeader({ kid: keyId(me.serviceKey.publicKey), iat: 1, txid: txidOf(r) }) }), /service signature does not verify/));

    it('an altered service signature', () =>
      refusedWith((r) => {
        const sig = new Uint8Array(r.cose_signature);
        sig[10]! ^= 1;
        return { ...r, cose_signature: sig };
      }, /service signature does not verify/));

    it('a signature by another service key, under its own kid or under this service\'s kid', async () => {
      const other = await identityOf(otherService);
      await refusedWith((r) => {
        const s = signRoot(other.serviceKey, txidOf(r), r.root);
        return { ...r, cose_protected: s.protectedHeader, cose_signature: s.signature };
      }, /COSE protected header kid is not the service key/);
      await refusedWith((r, me) => {
        const header = encodeProtectedHeader({ kid: keyId(me.serviceKey.publicKey), iat: 1, txid: txidOf(r) });
        return { ...r, cose_protected: header, cose_signature: signDataP1363(other.serviceKey, sigStructure(header, r.root)) };
      }, /service signature does not verify/);
    });

    it("a header naming another txid, signed by this service's key", () =>
      refusedWith((r, me) => {
        const s = signRoot(me.serviceKey, `${r.view}.${r.seqno + 1}`, r.root);
        return { ...r, cose_protected: s.protectedHeader, cose_signature: s.signature };
      }, new RegExp(`COSE protected header names txid \\d+\\.${at.middleSignature + 1}, not the signature's`)));

    it('a valid service signature over another root', () =>
      refusedWith((r, me) => {
        const s = signRoot(me.serviceKey, txidOf(r), new Uint8Array(32));
        return { ...r, cose_protected: s.protectedHeader, cose_signature: s.signature };
      }, /service signature does not verify/));

    it('a protected header that is not exactly the specified map', () =>
      refusedWith((r) => ({ ...r, cose_protected: new Uint8Array([0xa0]) }), /COSE protected header must have exactly the keys/));

    it('a record without the COSE fields, or with a signature that is not 64 bytes', async () => {
      await refusedWith((r) => {
        const { cose_signature: _, ...rest } = r;
        return rest as SignatureRecord;
      }, /signature record malformed/);
      await refusedWith((r) => ({ ...r, cose_signature: r.cose_signature.subarray(1) }), /signature record malformed/);
    });
  });

  it('a header whose view no longer fits the IV is an integrity error at that entry, not a crash', async () => {
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.privateAndPublic, () => 5); // view += 2^32
    await expectRefused(dir, at.privateAndPublic, /./);
  });

  it('a signature record with a field renamed away is an integrity error at that signature, not a crash', async () => {
    const dir = await dirs.copy(golden);
    await withLedgerDb(dir, async (db) => {
      const bytes = await getEntry(db, at.middleSignature);
      await db.put(
        seqnoKey(at.middleSignature),
        reencodeSignature(bytes, (r) => {
          const { root, ...rest } = r;
          return { ...rest, rooT: root } as unknown as SignatureRecord;
        }),
      );
    });
    await expectRefused(dir, at.middleSignature, /signature record/);
  });

  it('the signature record must sit at key 0 of the signatures map', async () => {
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.lastSignature, (b) => {
      // public domain: varint(1) bytes(name) varint(1) bytes(key = 8 zero bytes) ...
      const keyAt = layoutOf(b).publicAt + 1 + 1 + 'public:ccf.internal.signatures'.length + 1 + 1;
      assert.deepEqual([...b.subarray(keyAt, keyAt + 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
      return keyAt + 7;
    });
    await expectRefused(dir, at.lastSignature, /./);
  });

  it("the last signature's claims digest trailer cannot be altered unnoticed", async () => {
    // No later signature covers the last one's leaf, so its trailer must be checked directly
    // (a signature entry has no claims: the digest should be all zero).
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.lastSignature, (b) => layoutOf(b).claimsAt);
    await expectRefused(dir, at.lastSignature, /./);
  });

  it("an altered trailer of an earlier signature entry is refused at that entry", async () => {
    // A signature entry has no claims, so its zero claims digest is checked where it stands
    // rather than only by the next signature's root.
    const dir = await dirs.copy(golden);
    await flipByte(dir, at.middleSignature, (b) => layoutOf(b).claimsAt);
    await expectRefused(dir, at.middleSignature, /signature entry carries a claims digest/);
  });

  describe('every single-bit flip, verified in memory', () => {
    let entries: Uint8Array[];
    let identity: NodeIdentity;
    before(async () => {
      entries = await readAll(golden);
      identity = await identityOf(golden);
    });

    /** Verify the whole ledger as a restarting node does; returns the error, if any. */
    function verifyAll(ledger: Uint8Array[]): unknown {
      const verifier = new LedgerVerifier({ serviceCert: identity.serviceCert, secrets: identity.secrets, store: new Store(), tree: new MerkleTree() });
      try {
        for (const bytes of ledger) verifier.verify(bytes);
        return undefined;
      } catch (e) {
        return e;
      }
    }

    it('the golden ledger verifies', () => {
      assert.equal(verifyAll(entries), undefined);
    });

    it('is detected at the flipped entry, or at the next signature naming a range that holds it', function () {
      this.timeout(60_000);
      // Problems, grouped as "seqno S <region> bytes a..b: outcome" so a failure reads as a list of causes.
      const problems = new Map<string, number[]>();
      const note = (seqno: number, region: string, byte: number, outcome: string) => {
        const key = `seqno ${seqno} ${region}: ${outcome}`;
        problems.set(key, [...(problems.get(key) ?? []), byte]);
      };
      // Every byte of small entries. Genesis and signature entries are mostly PEM
      // certificates, so for them: every byte of header, trailer and the first 48 bytes of
      // the domains, then every 11th byte.
      for (let seqno = 1; seqno <= entries.length; seqno++) {
        const original = entries[seqno - 1]!;
        const { publicAt, privateAt, claimsAt, evidenceAt } = layoutOf(original);
        const isSignature = original[1] === EntryKind.Signature;
        const nextSignature = entries.findIndex((b, i) => i >= seqno && b[1] === EntryKind.Signature) + 1;
        const regionOf = (i: number) =>
          i < publicAt ? 'header' : i < privateAt ? 'public' : i < claimsAt ? 'private' : i < evidenceAt ? 'claims digest' : 'commit evidence digest';
        for (let i = 0; i < original.length; i++) {
          if (original.length > 400 && i >= publicAt + 48 && i < claimsAt && i % 11 !== 0) continue;
          const tampered = entries.slice(0, Math.max(seqno, nextSignature));
          const copy = new Uint8Array(original);
          copy[i]! ^= 0x01;
          tampered[seqno - 1] = copy;
          const e = verifyAll(tampered);
          const region = `(${isSignature ? 'signature' : 'normal'}) ${regionOf(i)}`;
          if (e === undefined) {
            note(seqno, region, i, 'ACCEPTED');
          } else if (!(e instanceof LedgerIntegrityError)) {
            note(seqno, region, i, `${(e as Error).name}: ${(e as Error).message}`);
          } else if (e.seqno !== seqno) {
            const range = alteredRange(e.message);
            if (!(e.seqno === nextSignature && range && range[0] <= seqno && seqno <= range[1])) note(seqno, region, i, `reported as "${e.message}"`);
          }
        }
      }
      const report = [...problems].map(([key, bytes]) => `${key} [bytes ${bytes.length > 3 ? `${bytes[0]}..${bytes[bytes.length - 1]} (${bytes.length})` : bytes.join(', ')}]`);
      assert.ok(report.length === 0, `undetected or misreported bit flips:\n  ${report.join('\n  ')}`);
    });
  });

  describe('sealed state (node.sealed.json)', () => {
    const SEALED = 'node.sealed.json';
    async function editSealed(dir: string, change: (state: Record<string, any>) => void): Promise<void> {
      const state = JSON.parse(await readFile(join(dir, SEALED), 'utf8')) as Record<string, any>;
      change(state);
      await writeFile(join(dir, SEALED), JSON.stringify(state));
    }
    const flipBase64 = (s: string) => {
      const i = Math.floor(s.length / 2);
      return s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    };

    for (const field of ['nodeKey', 'serviceKey'] as const) {
      it(`an altered sealed ${field} is refused`, async () => {
        const dir = await dirs.copy(golden);
        await editSealed(dir, (s) => (s.sealed[field] = flipBase64(s.sealed[field])));
        await assert.rejects(Node.restart({ dataDir: dir }), (e: Error) => {
          assert.ok(e instanceof IdentityError, `${e.name}: ${e.message}`);
          assert.match(e.message, /cannot unseal .*node\.sealed\.json/);
          return true;
        });
      });
    }

    it('an altered sealed ledger secret is refused', async () => {
      const dir = await dirs.copy(golden);
      await editSealed(dir, (s) => (s.sealed.ledgerSecrets[0].key = flipBase64(s.sealed.ledgerSecrets[0].key)));
      await assert.rejects(Node.restart({ dataDir: dir }), /cannot unseal .*ledger secret/);
    });

    it('sealed blobs swapped between fields are refused', async () => {
      const dir = await dirs.copy(golden);
      await editSealed(dir, (s) => ([s.sealed.nodeKey, s.sealed.serviceKey] = [s.sealed.serviceKey, s.sealed.nodeKey]));
      await assert.rejects(Node.restart({ dataDir: dir }), IdentityError);
    });

    it('a file that is not a sealed state is refused', async () => {
      const dir = await dirs.copy(golden);
      const original = await readFile(join(dir, SEALED));
      await writeFile(join(dir, SEALED), original.subarray(0, original.length >> 1));
      await assert.rejects(Node.restart({ dataDir: dir }), /is not a sealed node state/);
      await writeFile(join(dir, SEALED), JSON.stringify({ format: 2 }));
      await assert.rejects(Node.restart({ dataDir: dir }), /is not a sealed node state/);
    });

    it("another service's sealed state over this ledger is refused", async () => {
      const dir = await dirs.copy(golden);
      // Both the sealed state and the (virtual platform's) sealing key, so that it unseals.
      for (const file of [SEALED, 'virtual-sealing.key']) await writeFile(join(dir, file), await readFile(join(otherService, file)));
      await assert.rejects(Node.restart({ dataDir: dir }), (e: Error) => {
        assert.ok(e instanceof LedgerIntegrityError, `${e.name}: ${e.message}`);
        assert.equal(e.seqno, 1);
        return true;
      });
    });

    it('a swapped service certificate is refused', async () => {
      const dir = await dirs.copy(golden);
      const other = await identityOf(otherService);
      await editSealed(dir, (s) => (s.serviceCert = other.serviceCert));
      await assert.rejects(Node.restart({ dataDir: dir }), /seqno 1: service identity differs|service certificate/);
    });

    it("a swapped node certificate is refused (it is stored in clear beside the sealed keys)", async () => {
      const dir = await dirs.copy(golden);
      const other = await identityOf(otherService);
      await editSealed(dir, (s) => (s.nodeCert = other.nodeCert));
      let node: Node | undefined;
      try {
        node = await Node.restart({ dataDir: dir, signatures: MANUAL_SIGNATURES });
      } catch {
        return; // refused: what we want
      }
      // Accepted: show the consequence before failing.
      let consequence = '';
      try {
        const { txid } = await node.transact((tx) => tx.map(accounts).set(utf8('x'), utf8('y')));
        node.emitSignature();
        await node.waitCommitted(txid as TxID);
        verifyReceipt((await node.receipt(txid!))!, node.serviceCertificate);
        consequence = 'its receipts still verify';
      } catch (e) {
        consequence = `its next signature carries the swapped certificate, so receipts fail (${(e as Error).message}) and the next restart refuses its own ledger`;
      } finally {
        await node.stop();
      }
      assert.fail(`Node.restart accepted a node certificate the host swapped in; ${consequence}`);
    });
  });

  it('random garbage in place of an entry is reported at that seqno', async () => {
    const dir = await dirs.copy(golden);
    await withLedgerDb(dir, (db) => db.put(seqnoKey(at.afterMiddle), new Uint8Array(randomBytes(120))));
    await expectRefused(dir, at.afterMiddle, /malformed|found seqno|authentication|write set/);
  });

});

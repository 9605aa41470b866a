// The ledger entry format: layout exactly as FORMAT.md documents it, the private
// domain's AES-256-GCM (IV, additional data), and rejection of malformed or altered bytes.
import { strict as assert } from 'node:assert';
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AuthenticationError } from '../../core/crypto/aead.js';
import {
  decodeEntry,
  decryptPrivateDomain,
  encodeEntry,
  entryIv,
  entryLeaf,
  EntryKind,
  writeSetDigest,
  type EntryContents,
} from '../../core/ledger/entry.js';
import { DecodeError } from '../../core/util/binary.js';

const H = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (text: string) => new Uint8Array(Buffer.from(text));

const secret = new Uint8Array(randomBytes(32));

function contents(overrides: Partial<EntryContents> = {}): EntryContents {
  return {
    kind: EntryKind.Normal,
    txid: { view: 3, seqno: 0x0102030405 },
    publicDomain: bytes('public writes'),
    privateDomain: bytes('private writes, to be encrypted'),
    claimsDigest: H(bytes('claims')),
    commitEvidenceDigest: H(bytes('evidence')),
    ...overrides,
  };
}

/** Every way decoding or authenticating an altered entry may legitimately fail. */
function rejected(entryBytes: Uint8Array): boolean {
  try {
    const entry = decodeEntry(entryBytes);
    decryptPrivateDomain(entry, secret);
    return false;
  } catch (e) {
    if (e instanceof DecodeError || e instanceof AuthenticationError) return true;
    throw e;
  }
}

describe('ledger / entry format', () => {
  it('encodes and decodes back to the same fields and plaintext', () => {
    const c = contents();
    const entry = encodeEntry(c, secret);
    const back = decodeEntry(entry.bytes);
    assert.equal(back.kind, EntryKind.Normal);
    assert.equal(back.view, 3);
    assert.equal(back.seqno, 0x0102030405);
    assert.deepEqual(hex(back.publicDomain), hex(c.publicDomain));
    assert.deepEqual(hex(back.privateCiphertext), hex(entry.privateCiphertext));
    assert.deepEqual(hex(back.claimsDigest), hex(c.claimsDigest));
    assert.deepEqual(hex(back.commitEvidenceDigest), hex(c.commitEvidenceDigest));
    assert.equal(hex(decryptPrivateDomain(back, secret)), hex(c.privateDomain));
    assert.equal(hex(entryLeaf(back)), hex(entryLeaf(entry)));

    const sig = encodeEntry(contents({ kind: EntryKind.Signature, privateDomain: new Uint8Array(0) }), secret);
    assert.equal(decodeEntry(sig.bytes).kind, EntryKind.Signature);
  });

  it('derives the IV as seqno (8 bytes) || view (4 bytes), big-endian', () => {
    assert.equal(hex(entryIv(3, 0x0102030405)), '0000000102030405' + '00000003');
    assert.equal(hex(entryIv(0xfffffffe, 1)), '0000000000000001' + 'fffffffe');
    assert.throws(() => entryIv(2 ** 32, 1), RangeError);
  });

  it('lays the header, domains and trailer out at the documented offsets', () => {
    const c = contents();
    const { bytes: raw } = encodeEntry(c, secret);
    const P = c.publicDomain.length;
    const Q = c.privateDomain.length + 16;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    assert.equal(raw.length, 90 + P + Q);
    assert.equal(raw[0], 1, 'version');
    assert.equal(raw[1], 0, 'kind');
    assert.equal(dv.getBigUint64(2), 3n, 'view');
    assert.equal(dv.getBigUint64(10), 0x0102030405n, 'seqno');
    assert.equal(dv.getUint32(18), P, 'P');
    assert.equal(dv.getUint32(22), Q, 'Q');
    assert.equal(hex(raw.subarray(26, 26 + P)), hex(c.publicDomain), 'public domain');
    assert.equal(hex(raw.subarray(26 + P + Q, 58 + P + Q)), hex(c.claimsDigest), 'claims digest');
    assert.equal(hex(raw.subarray(58 + P + Q, 90 + P + Q)), hex(c.commitEvidenceDigest), 'commit evidence digest');
    assert.equal(hex(writeSetDigest(decodeEntry(raw))), hex(H(raw.subarray(0, 26 + P + Q))), 'write-set digest');
    assert.equal(hex(entryLeaf(decodeEntry(raw))), hex(H(H(raw.subarray(0, 26 + P + Q)), c.commitEvidenceDigest, c.claimsDigest)), 'leaf');
    const kindByte = encodeEntry(contents({ kind: EntryKind.Signature }), secret).bytes[1];
    assert.equal(kindByte, 1);
  });

  it('encrypts the private domain with AES-256-GCM under the documented IV and additional data', () => {
    const c = contents();
    const { bytes: raw } = encodeEntry(c, secret);
    const P = c.publicDomain.length;
    const Q = c.privateDomain.length + 16;
    const sealed = raw.subarray(26 + P, 26 + P + Q);
    const iv = Buffer.concat([Buffer.from('0000000102030405', 'hex'), Buffer.from('00000003', 'hex')]);
    const d = createDecipheriv('aes-256-gcm', secret, iv);
    d.setAAD(raw.subarray(0, 26 + P));
    d.setAuthTag(sealed.subarray(Q - 16));
    const plain = Buffer.concat([d.update(sealed.subarray(0, Q - 16)), d.final()]);
    assert.equal(plain.toString(), 'private writes, to be encrypted');
  });

  it('is deterministic: the same contents give byte-identical entries', () => {
    assert.equal(hex(encodeEntry(contents(), secret).bytes), hex(encodeEntry(contents(), secret).bytes));
  });

  it('an empty private domain means Q = 0 and no ciphertext', () => {
    const c = contents({ privateDomain: new Uint8Array(0) });
    const entry = encodeEntry(c, secret);
    const dv = new DataView(entry.bytes.buffer, entry.bytes.byteOffset);
    assert.equal(dv.getUint32(22), 0);
    assert.equal(entry.bytes.length, 90 + c.publicDomain.length);
    assert.equal(decodeEntry(entry.bytes).privateCiphertext.length, 0);
    assert.equal(decryptPrivateDomain(decodeEntry(entry.bytes), secret).length, 0);
    const empty = encodeEntry(contents({ publicDomain: new Uint8Array(0), privateDomain: new Uint8Array(0) }), secret);
    assert.equal(empty.bytes.length, 90);
  });

  it('a flipped byte anywhere in header, public or private domain fails decoding or GCM authentication', () => {
    const { bytes: raw } = encodeEntry(contents(), secret);
    const covered = raw.length - 64; // 26 + P + Q
    const accepted: string[] = [];
    const wrongError: string[] = [];
    for (let i = 0; i < covered; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const copy = new Uint8Array(raw);
        copy[i]! ^= mask;
        try {
          if (!rejected(copy)) accepted.push(`${i}^${mask}`);
        } catch (e) {
          wrongError.push(`${i}^${mask}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }
    assert.deepEqual(accepted, [], 'altered entries accepted');
    assert.deepEqual(wrongError, [], 'altered entries rejected with an error that is neither DecodeError nor AuthenticationError');
  });

  it('a wrong ledger secret fails GCM authentication', () => {
    const entry = decodeEntry(encodeEntry(contents(), secret).bytes);
    assert.throws(() => decryptPrivateDomain(entry, new Uint8Array(randomBytes(32))), AuthenticationError);
  });

  it('rejects truncated and oversized entries', () => {
    const { bytes: raw } = encodeEntry(contents(), secret);
    for (const n of [0, 1, 25, 26, 89, raw.length - 33, raw.length - 1]) {
      assert.throws(() => decodeEntry(raw.subarray(0, n)), DecodeError, `truncated to ${n}`);
    }
    for (const extra of [1, 32]) {
      assert.throws(() => decodeEntry(Buffer.concat([raw, new Uint8Array(extra)])), DecodeError, `${extra} extra bytes`);
    }
    // Lengths in the header that disagree with the bytes present.
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (const [offset, delta] of [[18, 1], [18, -1], [22, 1], [22, -1]] as const) {
      const copy = new Uint8Array(raw);
      dv(copy).setUint32(offset, dv(copy).getUint32(offset) + delta);
      assert.throws(() => decodeEntry(copy), DecodeError, `length at ${offset} ${delta > 0 ? '+' : ''}${delta}`);
    }
  });

  it('rejects an unknown version or kind, and a private domain too short for its tag', () => {
    const { bytes: raw } = encodeEntry(contents(), secret);
    for (const version of [0, 2, 255]) {
      const copy = new Uint8Array(raw);
      copy[0] = version;
      assert.throws(() => decodeEntry(copy), /unknown format version/);
    }
    for (const kind of [2, 3, 255]) {
      const copy = new Uint8Array(raw);
      copy[1] = kind;
      assert.throws(() => decodeEntry(copy), /unknown kind/);
    }
    for (const Q of [1, 15, 16]) {
      const noPrivate = encodeEntry(contents({ privateDomain: new Uint8Array(0) }), secret).bytes;
      const P = contents().publicDomain.length;
      const forged = Buffer.concat([noPrivate.subarray(0, 26 + P), new Uint8Array(Q), noPrivate.subarray(26 + P)]);
      new DataView(forged.buffer, forged.byteOffset).setUint32(22, Q);
      assert.throws(() => decodeEntry(forged), DecodeError, `Q = ${Q}`);
    }
  });
});

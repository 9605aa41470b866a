// evm-adapter/receipts/claims.ts against the test vectors of evm-adapter/FORMAT.md
// (test/fixtures/eth-claims-vectors.json, from scripts/eth-claims-vectors.ts, checked once
// against an independent implementation): any change of the encoding fails here.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { claimsBytes, claimsDigest, CLAIMS_SIZE, drawLogSalt, logLeaf, logLeaves, logSaltAt, logsHash } from '../../evm-adapter/receipts/claims.js';
import type { LogRecord } from '../../evm-adapter/tables.js';

interface Vector {
  input: {
    name: string;
    transactionHash: string;
    from: string;
    status: 0 | 1;
    gasUsed: string;
    contractAddress: string | null;
    logSalt: string | null;
    logs: { address: string; topics: string[]; data: string }[];
  };
  salts: string[];
  logLeaves: string[];
  logsHash: string;
  claims: string;
  claimsDigest: string;
}

const vectors = JSON.parse(readFileSync(new URL('../fixtures/eth-claims-vectors.json', import.meta.url), 'utf8')) as Vector[];
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe('evm / Ethereum claims encoding (test vectors)', () => {
  it('has vectors with and without logs, a creation and a failure', () => {
    assert.ok(vectors.length >= 3);
    assert.ok(vectors.some((v) => v.input.logs.length > 1 && v.input.contractAddress));
    assert.ok(vectors.some((v) => v.input.status === 0));
  });

  for (const v of vectors) {
    it(`gives the vector's salts, leaves, logs hash, claims and digest: ${v.input.name}`, () => {
      const logs: LogRecord[] = v.input.logs.map((l) => [bytes(l.address), l.topics.map(bytes), bytes(l.data)]);
      const salt = v.input.logSalt ? bytes(v.input.logSalt) : undefined;
      assert.deepEqual(logs.map((_, i) => hex(logSaltAt(salt!, i))), v.salts);
      const leaves = logLeaves(salt, logs);
      assert.deepEqual(leaves.map(hex), v.logLeaves);
      assert.deepEqual(logs.map((log, i) => hex(logLeaf(bytes(v.salts[i]!), log))), v.logLeaves);
      assert.equal(hex(logsHash(leaves)), v.logsHash);
      const claims = {
        transactionHash: bytes(v.input.transactionHash),
        from: bytes(v.input.from),
        status: v.input.status,
        gasUsed: BigInt(v.input.gasUsed),
        contractAddress: v.input.contractAddress ? bytes(v.input.contractAddress) : null,
        logsHash: bytes(v.logsHash),
      };
      assert.equal(claimsBytes(claims).length, CLAIMS_SIZE);
      assert.equal(hex(claimsBytes(claims)), v.claims);
      assert.equal(hex(claimsDigest(claims)), v.claimsDigest);
    });
  }

  it('are the vectors evm-adapter/FORMAT.md shows', () => {
    const format = readFileSync(new URL('../../evm-adapter/FORMAT.md', import.meta.url), 'utf8').replace(/\s+/g, '');
    for (const v of vectors) {
      assert.ok(format.includes(`claims=${v.claims.slice(2)}claims_digest=${v.claimsDigest}`), v.input.name);
      for (const leaf of v.logLeaves) assert.ok(format.includes(leaf), `${v.input.name}: ${leaf}`);
    }
  });

  it('draws a fresh 32-byte log salt for a transaction with logs, none without', () => {
    const log: LogRecord = [new Uint8Array(20), [], new Uint8Array(0)];
    assert.equal(drawLogSalt([]), undefined);
    const [a, b] = [drawLogSalt([log])!, drawLogSalt([log])!];
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
  });

  it('refuses what does not fit the encoding, with a clear error', () => {
    const ok = { transactionHash: new Uint8Array(32), from: new Uint8Array(20), status: 1 as const, gasUsed: 1n, contractAddress: null, logsHash: new Uint8Array(32) };
    assert.throws(() => claimsBytes({ ...ok, transactionHash: new Uint8Array(31) }), /transaction hash must be 32 bytes/);
    assert.throws(() => claimsBytes({ ...ok, gasUsed: 1n << 256n }), /uint256/);
    assert.throws(() => claimsBytes({ ...ok, contractAddress: new Uint8Array(19) }), /contract address/);
    assert.throws(() => logLeaf(new Uint8Array(32), [new Uint8Array(20), [new Uint8Array(31)], new Uint8Array(0)]), /topics of 32 bytes/);
    assert.throws(() => logLeaves(undefined, [[new Uint8Array(20), [], new Uint8Array(0)]]), /needs its log salt/);
  });
});

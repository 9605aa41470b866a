// Sign-in nonces: stateless, checked by any node holding the service's key; a nonce is
// refused once it is stale, from the future, tampered with or made under another key.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { JsonRpcError } from '../../rpc/client.js';
import { SIGN_IN_REFUSED } from '../../rpc/auth/errors.js';
import { CLOCK_SKEW_S, NONCE_LIFETIME_S, Nonces } from '../../rpc/auth/nonces.js';

const refusedAs = (reason: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof JsonRpcError, String(e));
  assert.equal(e.code, SIGN_IN_REFUSED);
  assert.deepEqual(e.data, { reason });
  assert.match(e.message, pattern);
  return true;
};

describe('auth / sign-in nonces', () => {
  const key = randomBytes(32);
  let now = Date.UTC(2026, 0, 1);
  const nonces = new Nonces(() => key, () => now);

  it('are alphanumeric (SIWE: at least 8), unique, and check out under the same key with their issue time', () => {
    const a = nonces.issue();
    const b = nonces.issue();
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
    assert.equal(nonces.check(a), now / 1000);
    // another node of the service: its own instance, the same key
    assert.equal(new Nonces(() => key, () => now).check(b), now / 1000);
  });

  it('are refused under another key (another service), or with any digit changed', () => {
    const nonce = nonces.issue();
    assert.throws(() => new Nonces(() => randomBytes(32), () => now).check(nonce), refusedAs('nonce', /not issued by this service/));
    for (const at of [0, 7, 8, 31, 32, 63]) {
      const flipped = nonce.slice(0, at) + (nonce[at] === '0' ? '1' : '0') + nonce.slice(at + 1);
      assert.throws(() => nonces.check(flipped), refusedAs('nonce', /not issued by this service/), `digit ${at}`);
    }
    for (const malformed of ['', 'abcdefgh', nonce.toUpperCase(), `${nonce}00`, nonce.slice(2)]) {
      assert.throws(() => nonces.check(malformed), refusedAs('nonce', /not issued by this service/), malformed);
    }
  });

  it(`are fresh for ${NONCE_LIFETIME_S} s, and refused from the future beyond the clock skew`, () => {
    const issuedAt = now;
    const nonce = nonces.issue();
    now = issuedAt + NONCE_LIFETIME_S * 1000;
    assert.equal(nonces.check(nonce), issuedAt / 1000);
    now += 1000;
    assert.throws(() => nonces.check(nonce), refusedAs('nonce', /601 s old, past its 600 s/));
    now = issuedAt - (CLOCK_SKEW_S + 1) * 1000;
    assert.throws(() => nonces.check(nonce), refusedAs('nonce', /from the future/));
    now = issuedAt - CLOCK_SKEW_S * 1000;
    assert.equal(nonces.check(nonce), issuedAt / 1000);
    now = issuedAt;
  });
});

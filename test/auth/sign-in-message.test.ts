// What a SIWE message must be to sign in (the checks the primary makes, on their own, with
// a clock the test sets): each failure is a sign-in refusal that says which check failed.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { JsonRpcError } from '../../rpc/client.js';
import { SIGN_IN_REFUSED } from '../../rpc/auth/errors.js';
import { NONCE_LIFETIME_S, Nonces } from '../../rpc/auth/nonces.js';
import { checkSignIn } from '../../rpc/auth/sign-in-message.js';

const CHAIN_ID = 1337n;
const T0 = Date.UTC(2026, 5, 1, 12);

describe('auth / the SIWE message of a sign-in', () => {
  const key = randomBytes(32);
  let now = T0;
  const nonces = new Nonces(() => key, () => now);
  const wallet = Wallet.createRandom();
  const iso = (ms: number) => new Date(ms).toISOString();

  function message(fields: Partial<ConstructorParameters<typeof SiweMessage>[0] & object> = {}): string {
    return new SiweMessage({ domain: '127.0.0.1:8545', address: wallet.address, uri: 'http://127.0.0.1:8545', version: '1', chainId: 1337, nonce: nonces.issue(), issuedAt: iso(now), ...fields }).prepareMessage();
  }
  const check = async (text: string, signer = wallet) => checkSignIn(text, await signer.signMessage(text), { chainId: CHAIN_ID, nonces, nowMs: now });
  const refused = async (text: string | Promise<unknown>, reason: string, pattern: RegExp, signer = wallet) => {
    await assert.rejects(typeof text === 'string' ? check(text, signer) : text, (e: unknown) => {
      assert.ok(e instanceof JsonRpcError, String(e));
      assert.equal(e.code, SIGN_IN_REFUSED);
      assert.deepEqual(e.data, { reason });
      assert.match(e.message, pattern);
      return true;
    });
  };

  afterEach(() => (now = T0));

  it('passes a well-formed message signed by its address, with the nonce and the expiry it names', async () => {
    const text = message({ expirationTime: iso(T0 + 3_600_000) });
    const checked = await check(text);
    assert.equal(checked.address, wallet.address.toLowerCase());
    assert.equal(checked.nonce, new SiweMessage(text).nonce);
    assert.equal(checked.nonceExpiresAt, T0 / 1000 + NONCE_LIFETIME_S);
    assert.equal(checked.expiresAt, T0 / 1000 + 3600);
    assert.equal((await check(message())).expiresAt, undefined);
  });

  it('refuses what is not a SIWE message, or not version 1, or a malformed signature', async () => {
    await refused('hello', 'malformed', /not a Sign-In with Ethereum \(EIP-4361\) message/);
    await refused(message().replace('Version: 1', 'Version: 2'), 'malformed', /invalid version/);
    await refused(Promise.resolve().then(() => checkSignIn(message(), '0x1234', { chainId: CHAIN_ID, nonces, nowMs: now })), 'malformed', /65 bytes/);
    await refused(Promise.resolve().then(() => checkSignIn(42, '0x', { chainId: CHAIN_ID, nonces, nowMs: now })), 'malformed', /must be the text/);
  });

  it('refuses another chain', async () => {
    await refused(message({ chainId: 1 }), 'chain-id', /for chain 1, this network is chain 1337/);
  });

  it('refuses a forged nonce and a stale one', async () => {
    await refused(message({ nonce: 'abcdefgh12345678' }), 'nonce', /not issued by this service/);
    const text = message();
    now = T0 + (NONCE_LIFETIME_S + 1) * 1000;
    await refused(text, 'nonce', /past its 600 s/);
  });

  it('refuses an expired message, one not valid yet, and one issued in the future', async () => {
    await refused(message({ expirationTime: iso(T0 - 1000) }), 'time', /expired at/);
    await refused(message({ notBefore: iso(T0 + 60_000) }), 'time', /not valid before/);
    await refused(message({ issuedAt: iso(T0 + 3_600_000) }), 'time', /in the future/);
  });

  it('refuses a signature by another key, and one over another text', async () => {
    await refused(message(), 'signature', /was not signed by/, Wallet.createRandom());
    const text = message();
    const signature = await wallet.signMessage(text.replace('Chain ID: 1337', 'Chain ID: 1338'));
    await refused(Promise.resolve().then(() => checkSignIn(text, signature, { chainId: CHAIN_ID, nonces, nowMs: now })), 'signature', /was not signed by/);
  });
});

// The session maps over a real store: a sign-in spends its nonce and opens a session that
// resolves to its address; what sign-ins leave behind stays bounded (stale nonces are
// forgotten, an address's expired sessions dropped at its next sign-in); a sign-out ends
// exactly its session.
import { strict as assert } from 'node:assert';
import { USERS_INFO } from '../../core/governance/tables.js';
import { jsonCodec, stringCodec, uintCodec } from '../../core/kv/codec.js';
import { defineMap } from '../../core/kv/map-def.js';
import { readOnly } from '../../core/kv/read-only.js';
import { Store } from '../../core/kv/store.js';
import type { Transaction } from '../../core/kv/transaction.js';
import { JsonRpcError } from '../../rpc/client.js';
import { NONCE_LIFETIME_S } from '../../rpc/auth/nonces.js';
import { closeSession, newToken, openSession, resolveToken, SESSIONS, sessionKey, sessionKeyOf, TokenResolver } from '../../rpc/auth/sessions.js';
import type { CheckedSignIn } from '../../rpc/auth/sign-in-message.js';

// (read by their names: the test looks at what they hold)
const USED_NONCES = defineMap('ccevm.auth.used_nonces', stringCodec, uintCodec);
const ADDRESS_SESSIONS = defineMap('ccevm.auth.address_sessions', stringCodec, jsonCodec<string[]>());
const USER = '0x00000000000000000000000000000000000000aa';
const T0 = 1_800_000_000;

/** A nonce as nonces.ts makes them: the issue time first (8 hex digits), then anything. */
const nonceAt = (issuedAt: number, tail: string) => `${issuedAt.toString(16).padStart(8, '0')}${tail.padEnd(56, '0')}`;
const signIn = (nonce: string, issuedAt: number, expiresAt?: number): CheckedSignIn => ({ address: USER, nonce, nonceExpiresAt: issuedAt + NONCE_LIFETIME_S, ...(expiresAt ? { expiresAt } : {}) });

describe('auth / session maps', () => {
  let store: Store;
  const write = <T>(body: (tx: Transaction) => T): T => {
    const tx = store.begin();
    const result = body(tx);
    tx.commit();
    return result;
  };
  const read = <T>(body: Parameters<typeof readOnly<T>>[1]): T => readOnly(store.begin(), body);
  const open = (nonce: string, issuedAt: number, now: number, expiresAt?: number) => {
    const token = newToken();
    write((tx) => openSession(tx, sessionKey(token), signIn(nonce, issuedAt, expiresAt), now));
    return token;
  };

  beforeEach(() => {
    store = new Store();
    write((tx) => tx.map(USERS_INFO).set(USER, { roles: [] }));
  });

  it('opens a session that resolves to its address until it expires; the caller carries its key', () => {
    const token = open(nonceAt(T0, 'a'), T0, T0);
    const caller = read((tx) => resolveToken(tx, token, T0 + 10));
    assert.deepEqual(caller, { kind: 'session', address: USER });
    assert.equal(sessionKeyOf(caller!), sessionKey(token));
    assert.equal(read((tx) => resolveToken(tx, token, T0 + 24 * 3600)), undefined, 'expired after 24 h');
    assert.equal(read((tx) => resolveToken(tx, newToken(), T0)), undefined, 'never issued');
    assert.equal(read((tx) => resolveToken(tx, `${token}x`, T0)), undefined, 'not a token');
    assert.equal(sessionKeyOf({ kind: 'anonymous' }), undefined);
  });

  it('a resolver that keeps resolved tokens answers as resolveToken: through sign-out, removal of the user and expiry', () => {
    const resolver = new TokenResolver();
    const token = open(nonceAt(T0, 'a'), T0, T0);
    const first = read((tx) => resolver.resolve(tx, token, T0 + 10));
    assert.deepEqual(first, { kind: 'session', address: USER });
    assert.equal(read((tx) => resolver.resolve(tx, token, T0 + 11)), first, 'kept: the same caller');
    assert.equal(read((tx) => resolver.resolve(tx, token, T0 + 24 * 3600)), undefined, 'expired');
    const other = open(nonceAt(T0, 'b'), T0, T0);
    assert.ok(read((tx) => resolver.resolve(tx, other, T0 + 10)));
    write((tx) => tx.map(USERS_INFO).delete(USER));
    assert.equal(read((tx) => resolver.resolve(tx, other, T0 + 10)), undefined, 'no longer a user');
    write((tx) => tx.map(USERS_INFO).set(USER, { roles: [] }));
    assert.ok(read((tx) => resolver.resolve(tx, other, T0 + 10)));
    write((tx) => closeSession(tx, sessionKey(other)));
    assert.equal(read((tx) => resolver.resolve(tx, other, T0 + 10)), undefined, 'signed out');
    assert.equal(read((tx) => resolver.resolve(tx, newToken(), T0)), undefined, 'never issued');
  });

  it('refuses a used nonce, and forgets used nonces once they are stale', () => {
    open(nonceAt(T0, 'a'), T0, T0);
    assert.throws(() => open(nonceAt(T0, 'a'), T0, T0 + 1), (e: unknown) => e instanceof JsonRpcError && (e.data as { reason: string }).reason === 'nonce-used');
    open(nonceAt(T0 + 5, 'b'), T0 + 5, T0 + 5);
    assert.equal(read((tx) => [...tx.map(USED_NONCES).entries()].length), 2);
    open(nonceAt(T0 + NONCE_LIFETIME_S + 2, 'c'), T0 + NONCE_LIFETIME_S + 2, T0 + NONCE_LIFETIME_S + 2);
    assert.deepEqual(
      read((tx) => [...tx.map(USED_NONCES).entries()].map(([nonce]) => nonce)),
      [nonceAt(T0 + 5, 'b'), nonceAt(T0 + NONCE_LIFETIME_S + 2, 'c')],
      'the one issued more than 10 minutes ago is gone; the younger one stays',
    );
  });

  it("drops an address's expired sessions at its next sign-in", () => {
    const short = open(nonceAt(T0, 'a'), T0, T0, T0 + 5);
    assert.ok(read((tx) => tx.map(SESSIONS).has(sessionKey(short))));
    open(nonceAt(T0 + 10, 'b'), T0 + 10, T0 + 10);
    assert.equal(read((tx) => tx.map(SESSIONS).has(sessionKey(short))), false);
    assert.equal(read((tx) => [...tx.map(SESSIONS).entries()].length), 1);
  });

  it('a sign-out ends its session only, once', () => {
    const a = open(nonceAt(T0, 'a'), T0, T0);
    const b = open(nonceAt(T0, 'b'), T0, T0);
    assert.equal(write((tx) => closeSession(tx, sessionKey(a))), true);
    assert.deepEqual(read((tx) => tx.map(ADDRESS_SESSIONS).get(USER)), [sessionKey(b)]);
    assert.equal(write((tx) => closeSession(tx, sessionKey(a))), false);
    assert.equal(read((tx) => resolveToken(tx, a, T0)), undefined);
    assert.deepEqual(read((tx) => resolveToken(tx, b, T0)), { kind: 'session', address: USER });
    assert.equal(write((tx) => closeSession(tx, sessionKey(b))), true);
    assert.equal(read((tx) => [...tx.map(SESSIONS).entries()].length), 0);
    assert.equal(read((tx) => tx.map(ADDRESS_SESSIONS).has(USER)), false);
  });
});

// Sessions: what a sign-in opens and a sign-out closes, in private maps of the service's
// store (replicated, so any node accepts a token another node issued, and a failover
// keeps them; encrypted in the ledger). A session is keyed by the SHA-256 of its token,
// never the token: only the client and the node that answered its sign-in see a token.
// The primary writes them (sign-in.ts); every node resolves a token against its own
// committed state, and only while the session lasts and its address is still a user.
import { createHash, randomBytes } from 'node:crypto';
import { USERS_INFO } from '../../core/governance/tables.js';
import { jsonCodec, stringCodec, uintCodec } from '../../core/kv/codec.js';
import { defineMap } from '../../core/kv/map-def.js';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import type { Transaction } from '../../core/kv/transaction.js';
import { sessionCaller, type Caller } from '../../evm-adapter/access/caller.js';
import { signInRefused } from './errors.js';
import { NONCE_LIFETIME_S } from './nonces.js';
import type { CheckedSignIn } from './sign-in-message.js';

/** A session lasts this long at most (less if the signed message expires sooner). */
const SESSION_TTL_S = 24 * 3600;
/** Sessions an address may hold at once; a new sign-in beyond this ends the oldest. */
const MAX_SESSIONS_PER_ADDRESS = 16;

interface Session {
  /** lowercase 0x hex */
  address: string;
  /** unix seconds */
  expiresAt: number;
}

/** session key (hex SHA-256 of the token) -> session */
export const SESSIONS = defineMap('ccevm.auth.sessions', stringCodec, jsonCodec<Session>());
/** address -> the keys of its sessions, oldest first */
const ADDRESS_SESSIONS = defineMap('ccevm.auth.address_sessions', stringCodec, jsonCodec<string[]>());
/** nonce -> when it stops being fresh: nonces that signed in, kept while they could sign in again (they sort by issue time) */
const USED_NONCES = defineMap('ccevm.auth.used_nonces', stringCodec, uintCodec);

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const SESSION_KEY = /^[0-9a-f]{64}$/;

/** 32 random bytes, base64url: safe in a URL path and a header. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const isSessionKey = (value: unknown): value is string => typeof value === 'string' && SESSION_KEY.test(value);

/**
 * In the primary's transaction: spend the nonce and open the session `key` for a checked
 * sign-in; resolves with its expiry (unix seconds). Refuses a used nonce and an address
 * that is not a user: a key that is not a user's does not become "signed in".
 */
export function openSession(tx: Transaction, key: string, signIn: CheckedSignIn, nowS: number): number {
  const used = tx.map(USED_NONCES);
  // Nonces issued before this are stale anyway: forget them.
  const staleBefore = (nowS - NONCE_LIFETIME_S).toString(16).padStart(8, '0');
  for (const [nonce] of used.entries({ to: staleBefore })) used.delete(nonce);
  if (used.has(signIn.nonce)) throw signInRefused('nonce-used', 'the nonce signed in already: ask ccevm_signInNonce for a new one');
  if (!tx.map(USERS_INFO).has(signIn.address)) throw signInRefused('not-a-user', `${signIn.address} is not a user of this service (the members add users by vote: set_user)`);
  used.set(signIn.nonce, signIn.nonceExpiresAt);

  const sessions = tx.map(SESSIONS);
  const mine = tx.map(ADDRESS_SESSIONS);
  const live = (mine.get(signIn.address) ?? []).filter((k) => {
    const session = sessions.get(k);
    if (session && session.expiresAt > nowS) return true;
    sessions.delete(k);
    return false;
  });
  while (live.length >= MAX_SESSIONS_PER_ADDRESS) sessions.delete(live.shift()!);
  const expiresAt = Math.min(signIn.expiresAt ?? Infinity, nowS + SESSION_TTL_S);
  sessions.set(key, { address: signIn.address, expiresAt });
  mine.set(signIn.address, [...live, key]);
  return expiresAt;
}

/** In the primary's transaction: end the session `key`; false if there was none. */
export function closeSession(tx: Transaction, key: string): boolean {
  const sessions = tx.map(SESSIONS);
  const session = sessions.get(key);
  if (!session) return false;
  sessions.delete(key);
  const mine = tx.map(ADDRESS_SESSIONS);
  const rest = (mine.get(session.address) ?? []).filter((k) => k !== key);
  if (rest.length > 0) mine.set(session.address, rest);
  else mine.delete(session.address);
  return true;
}

/** The session keys of the callers this module made, for ccevm_signOut. */
const keysOfCallers = new WeakMap<Caller, string>();

/** The caller a token stands for in `tx` (committed state), or undefined if it stands for none now. */
export function resolveToken(tx: ReadOnlyTransaction, token: string, nowS: number): Caller | undefined {
  if (!TOKEN.test(token)) return undefined;
  const key = sessionKey(token);
  const session = tx.map(SESSIONS).get(key);
  if (!session || session.expiresAt <= nowS || !tx.map(USERS_INFO).has(session.address)) return undefined;
  const caller = sessionCaller(session.address);
  keysOfCallers.set(caller, key);
  return caller;
}

/** Tokens kept resolved before they must be resolved afresh (bounds a client inventing tokens). */
const KNOWN_TOKENS = 4096;

/**
 * resolveToken for every request of a node: a token resolved once keeps its session key,
 * address, expiry and caller, so a later request costs two lookups (the session still
 * there, its address still a user) instead of a hash, two decodes and a new caller. A
 * session never changes, it is only deleted, so that is the same answer.
 */
export class TokenResolver {
  private readonly known = new Map<string, { key: string; session: Session; caller: Caller }>();

  resolve(tx: ReadOnlyTransaction, token: string, nowS: number): Caller | undefined {
    const memo = this.known.get(token);
    if (memo) {
      if (memo.session.expiresAt <= nowS) this.known.delete(token);
      else if (tx.map(SESSIONS).has(memo.key) && tx.map(USERS_INFO).has(memo.session.address)) return memo.caller;
      return undefined;
    }
    const caller = resolveToken(tx, token, nowS);
    if (caller) {
      if (this.known.size >= KNOWN_TOKENS) this.known.delete(this.known.keys().next().value!);
      const key = keysOfCallers.get(caller)!;
      this.known.set(token, { key, session: tx.map(SESSIONS).get(key)!, caller });
    }
    return caller;
  }
}

/** The session key of a caller resolveToken made; undefined for any other caller (anonymous). */
export function sessionKeyOf(caller: Caller): string | undefined {
  return keysOfCallers.get(caller);
}

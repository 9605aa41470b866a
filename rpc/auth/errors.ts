// The errors of signing in and of session tokens, with their JSON-RPC codes.
import { JsonRpcError } from '../client.js';

/** JSON-RPC code of a refused sign-in; error.data = { reason: SignInRefusal }. */
export const SIGN_IN_REFUSED = -32021;

/** JSON-RPC code (with HTTP 401) of a request whose session token this service does not accept. */
export const INVALID_SESSION = -32020;

/** Which check a sign-in failed. */
export type SignInRefusal =
  /** not a SIWE (EIP-4361) message, or a malformed signature */
  | 'malformed'
  /** the message's domain is not this node's */
  | 'domain'
  /** the message is for another chain */
  | 'chain-id'
  /** the nonce was not issued by this service, or is no longer fresh */
  | 'nonce'
  /** the nonce signed in once already */
  | 'nonce-used'
  /** issuedAt, notBefore or expirationTime rule the message out now */
  | 'time'
  /** the signature is not the message address's */
  | 'signature'
  /** the address is not a user of this service */
  | 'not-a-user';

export function signInRefused(reason: SignInRefusal, message: string): JsonRpcError {
  return new JsonRpcError(SIGN_IN_REFUSED, `sign-in refused: ${message}`, { reason });
}

export const INVALID_SESSION_MESSAGE = 'session token is not valid (expired, revoked or not issued by this service): sign in again';

export function invalidSession(): JsonRpcError {
  return new JsonRpcError(INVALID_SESSION, INVALID_SESSION_MESSAGE);
}

// Who an HTTP request (a JSON-RPC POST, or a WebSocket upgrade) asks as: the session its
// token stands for (token.ts), anonymous without one; or why it is refused, with the HTTP
// status and the JSON-RPC error to answer.
import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, type Caller } from '../../evm-adapter/access/caller.js';
import { INVALID_SESSION, INVALID_SESSION_MESSAGE } from './errors.js';
import { tokenInRequest } from './token.js';

const INVALID_REQUEST = -32600;
const INTERNAL_ERROR = -32603;

export type RequestCaller =
  /** `token`: the one it carries (a connection checks it again later) */
  | { caller: Caller; token: string | undefined }
  | { refused: { status: number; code: number; message: string } };

/** `authenticate`: the caller a token stands for now, undefined for none (without it, no token is accepted). */
export function callerOfRequest(req: IncomingMessage, authenticate: ((token: string) => Caller | undefined) | undefined, log: (m: string) => void): RequestCaller {
  const carried = tokenInRequest(req);
  if ('refused' in carried) {
    const { status, message } = carried.refused;
    return { refused: { status, code: status === 401 ? INVALID_SESSION : INVALID_REQUEST, message } };
  }
  if (carried.token === undefined) return { caller: ANONYMOUS, token: undefined };
  let session: Caller | undefined;
  try {
    session = authenticate?.(carried.token);
  } catch (e) {
    // (the node's state could not be read: stopping; never the token in the log)
    log(`resolving a session token failed: ${(e as Error).message}`);
    return { refused: { status: 500, code: INTERNAL_ERROR, message: 'internal error' } };
  }
  if (!session) return { refused: { status: 401, code: INVALID_SESSION, message: INVALID_SESSION_MESSAGE } };
  return { caller: session, token: carried.token };
}

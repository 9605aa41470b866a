// What a node answers when another node of the service forwards a call to it over the
// node-to-node channel (mutual TLS: the asker is an endorsed node of this service), and
// only to a trusted node: a retired one may still catch up, but no longer asks. The
// calls are JSON-RPC encoded; only these few exist, and each runs here only: a node that
// is not the primary says so (a retry reason), it never forwards further.
import { formatTxID } from '../core/kv/txid.js';
import { JoinError } from '../core/node/join.js';
import { NotPrimaryError, type Node } from '../core/node/node.js';
import { EvmError, invalidParams } from '../evm-adapter/errors.js';
import type { EvmService } from '../evm-adapter/service.js';
import { PrimarySessions } from './auth/sign-in.js';
import { JsonRpcError } from './client.js';
import { authenticatorFor, submitHere } from './governance/submit.js';
import { data, parseData, positional } from './hex.js';

/** The methods nodes call on each other (never served to clients). */
export const PEER_METHODS = {
  /** [raw, nonceWaitMs?] → { hash, txid } once the transaction is committed on the answering primary */
  sendRawTransaction: 'peer_sendRawTransaction',
  /** [join request] → join answer (see core/node/join.ts) */
  joinNetwork: 'peer_joinNetwork',
  /** [signed governance envelope] → what it did, once committed (see rpc/governance/submit.ts) */
  governance: 'peer_govSubmit',
  /** [SIWE message, signature, session key] → SignedIn once the session is committed (see rpc/auth/sign-in.ts) */
  signIn: 'peer_signIn',
  /** [session key] → { txid } once the session's end is committed */
  signOut: 'peer_signOut',
} as const;

/** JSON-RPC code of a peer call the asker should retry elsewhere or later; data.retry says why. */
export const PEER_RETRY = -32098;
/** JSON-RPC code of a peer call from a node that is not (or no longer) a trusted node: not worth retrying. */
export const PEER_NOT_TRUSTED = -32097;

/**
 * Why a forwarded call is worth retrying: the answering node was not (or stopped being)
 * the primary, what it executed was rolled back, or it failed on its side (stopping).
 */
export type RetryReason = 'not-primary' | 'rolled-back' | 'failed';

export interface ForwardedSend {
  hash: string;
  txid: string;
}

type PeerError = { code: number; message: string; data?: unknown };

const retry = (reason: RetryReason, message: string): PeerError => ({ code: PEER_RETRY, message, data: { retry: reason } });

/** Serve the calls other nodes forward to this one. */
export function servePeerCalls(node: Node, evm: EvmService, log: (m: string) => void): void {
  const authenticator = authenticatorFor(node, evm);
  const sessions = new PrimarySessions(node, evm.chainId);
  /** Run `here` as primary: its refusals reach the asker as they are, a lost role as a retry. */
  const asPrimary = async <T>(here: () => Promise<T>): Promise<T> => {
    try {
      return await here();
    } catch (e) {
      if (e instanceof NotPrimaryError) throw retry('not-primary', 'not the primary');
      if (e instanceof JsonRpcError) throw { code: e.code, message: e.message, data: e.data } satisfies PeerError;
      throw e;
    }
  };
  const methods: Record<string, (params: unknown) => Promise<unknown>> = {
    [PEER_METHODS.governance]: async (params) => {
      const [envelope] = positional(params, 1, 1);
      return asPrimary(() => submitHere(node, authenticator, envelope));
    },
    [PEER_METHODS.signIn]: async (params) => {
      const [message, signature, key] = positional(params, 3, 3);
      return asPrimary(() => sessions.signIn(message, signature, key));
    },
    [PEER_METHODS.signOut]: async (params) => {
      const [key] = positional(params, 1, 1);
      return asPrimary(() => sessions.signOut(key));
    },
    [PEER_METHODS.sendRawTransaction]: async (params) => {
      const [raw, nonceWaitMs] = positional(params, 1, 2);
      if (nonceWaitMs !== undefined && !(Number.isSafeInteger(nonceWaitMs) && (nonceWaitMs as number) >= 0)) throw invalidParams('nonceWaitMs must be a non-negative integer');
      let submitted;
      try {
        submitted = await evm.sendRawTransaction(parseData(raw, 'transaction'), nonceWaitMs as number | undefined);
      } catch (e) {
        if (e instanceof NotPrimaryError) throw retry('not-primary', 'not the primary');
        throw e;
      }
      try {
        await node.waitCommitted(submitted.txid);
      } catch (e) {
        throw retry('rolled-back', `not committed: ${(e as Error).message}`);
      }
      return { hash: data(submitted.hash), txid: formatTxID(submitted.txid) } satisfies ForwardedSend;
    },
    [PEER_METHODS.joinNetwork]: async (params) => {
      const [request] = positional(params, 1, 1);
      try {
        return await node.admit(request);
      } catch (e) {
        if (e instanceof NotPrimaryError) throw retry('not-primary', 'not the primary');
        if (e instanceof JoinError) throw invalidParams(e.message);
        throw e;
      }
    },
  };
  node.servePeerRequests(async (from, payload) => {
    let id: unknown = null;
    let answer: { result: unknown } | { error: PeerError };
    try {
      const request = JSON.parse(Buffer.from(payload).toString('utf8')) as { id?: unknown; method?: unknown; params?: unknown };
      id = request.id ?? null;
      if (!node.isTrusted(from)) throw { code: PEER_NOT_TRUSTED, message: `node ${from.slice(0, 16)} is not a trusted node of this service` } satisfies PeerError;
      const method = typeof request.method === 'string' ? methods[request.method] : undefined;
      if (!method) throw { code: -32601, message: `no such peer method: ${String(request.method)}` } satisfies PeerError;
      answer = { result: await method(request.params) };
    } catch (e) {
      if (e instanceof EvmError) answer = { error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
      else if (e instanceof Error) {
        // Not the asker's fault, and retrying is safe (a transaction's nonce runs it once).
        log(`a call forwarded by ${from.slice(0, 16)} failed: ${e.message}`);
        answer = { error: { code: PEER_RETRY, message: e.message, data: { retry: 'failed' } } };
      } else answer = { error: e as PeerError };
    }
    return new Uint8Array(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, ...answer }), 'utf8'));
  });
}

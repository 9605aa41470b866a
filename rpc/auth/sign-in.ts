// The primary's side of signing in and out: check the signed message (sign-in-message.ts),
// then spend its nonce and open the session in one transaction, sign at once, and answer
// once that is committed (as governance does). The node the client asked forwards here
// (rpc/methods/session.ts); the token stays on that node: the primary sees its SHA-256.
import { formatTxID } from '../../core/kv/txid.js';
import type { Node } from '../../core/node/node.js';
import { invalidParams } from '../../evm-adapter/errors.js';
import { Nonces } from './nonces.js';
import { closeSession, isSessionKey, openSession } from './sessions.js';
import { checkSignIn } from './sign-in-message.js';

/** What the primary answers a sign-in with. */
export interface SignedIn {
  /** lowercase 0x hex */
  address: string;
  /** unix seconds */
  expiresAt: number;
  /** the transaction that opened the session ("view.seqno"): the asking node answers once it has committed it too */
  txid: string;
}

/** The nonces of this service: every trusted node issues and checks them alike. */
export function serviceNonces(node: Node, clock: () => number = Date.now): Nonces {
  return new Nonces(() => node.deriveServiceKey('sign-in nonces'), clock);
}

export class PrimarySessions {
  private readonly nonces: Nonces;

  constructor(
    private readonly node: Node,
    private readonly chainId: bigint,
    private readonly clock: () => number = Date.now,
  ) {
    this.nonces = serviceNonces(node, clock);
  }

  /** As primary (NotPrimaryError elsewhere): open the session `key` for a signed SIWE message. */
  async signIn(message: unknown, signature: unknown, key: unknown): Promise<SignedIn> {
    if (!isSessionKey(key)) throw invalidParams('session key: expected 64 lowercase hex digits');
    const nowMs = this.clock();
    const checked = checkSignIn(message, signature, { chainId: this.chainId, nonces: this.nonces, nowMs });
    const { result: expiresAt, txid } = await this.node.transact((tx) => openSession(tx, key, checked, Math.floor(nowMs / 1000)));
    this.node.emitSignature();
    await this.node.waitCommitted(txid!);
    return { address: checked.address, expiresAt, txid: formatTxID(txid!) };
  }

  /** As primary: end the session `key`; resolves with the transaction that did (null: there was no such session). */
  async signOut(key: unknown): Promise<{ txid: string | null }> {
    if (!isSessionKey(key)) throw invalidParams('session key: expected 64 lowercase hex digits');
    const { txid } = await this.node.transact((tx) => closeSession(tx, key));
    if (!txid) return { txid: null };
    this.node.emitSignature();
    await this.node.waitCommitted(txid);
    return { txid: formatTxID(txid) };
  }
}

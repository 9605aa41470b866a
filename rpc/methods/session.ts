// ccevm_signInNonce, ccevm_signIn, ccevm_signOut, ccevm_whoAmI: Sign-In with Ethereum
// (EIP-4361) sessions. Any node answers: it checks that the message names one of its
// domains, makes the token, takes the sign-in to the primary (which sees only the
// token's hash) and answers once the session is committed here too, so the client's
// next request to this node is accepted. A failover keeps sessions (they are replicated
// state), and any node accepts a token another one issued.
import { getAddress } from 'ethers';
import { parseTxID } from '../../core/kv/txid.js';
import type { Node } from '../../core/node/node.js';
import { invalidParams } from '../../evm-adapter/errors.js';
import type { EvmService } from '../../evm-adapter/service.js';
import type { SignInDomains } from '../auth/domains.js';
import { signInRefused } from '../auth/errors.js';
import { newToken, sessionKey, sessionKeyOf } from '../auth/sessions.js';
import { PrimarySessions, serviceNonces, type SignedIn } from '../auth/sign-in.js';
import { parseSignInMessage } from '../auth/sign-in-message.js';
import { UnavailableError, type Forwarder } from '../forwarder.js';
import { positional } from '../hex.js';
import { PEER_METHODS } from '../peer-calls.js';
import type { Method } from './eth.js';

export function sessionMethods(node: Node, evm: EvmService, forwarder: Forwarder, domains: SignInDomains): Record<string, Method> {
  const nonces = serviceNonces(node);
  const primary = new PrimarySessions(node, evm.chainId);

  /** The primary committed `txid`: wait until this node has too (within the forwarding bound). */
  const committedHere = async (what: string, txid: string): Promise<void> => {
    const id = parseTxID(txid);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, forwarder.timeoutMs)));
    await Promise.race([node.waitCommitted(id).catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
    if (node.status(id) !== 'Committed') throw new UnavailableError(what, 'not-committed', forwarder.timeoutMs);
  };

  return {
    /** A fresh nonce for a SIWE message (any node issues them; each signs in once, within 10 minutes). */
    ccevm_signInNonce: (p) => (positional(p, 0, 0), nonces.issue()),
    /** [SIWE message, signature] → { token, address, expiresAt }: the token opens a session as that address. */
    ccevm_signIn: async (p) => {
      const [message, signature] = positional(p, 2, 2);
      const { domain } = parseSignInMessage(message);
      if (!domains.includes(domain)) throw signInRefused('domain', `the message is for ${domain}, not for this node (${domains.list().join(', ')})`);
      const token = newToken();
      const key = sessionKey(token);
      const signedIn = await forwarder.toPrimary<SignedIn>('the sign-in', () => primary.signIn(message, signature, key), PEER_METHODS.signIn, [message, signature, key]);
      await committedHere('the sign-in', signedIn.txid);
      return { token, address: getAddress(signedIn.address), expiresAt: signedIn.expiresAt };
    },
    /** Ends the session whose token the request carries; every node refuses the token afterwards. */
    ccevm_signOut: async (p, caller) => {
      positional(p, 0, 0);
      const key = sessionKeyOf(caller);
      if (!key) throw invalidParams('ccevm_signOut ends the session of the token the request carries (URL path /rpc/<token> or Authorization: Bearer <token>): this request carries none');
      const { txid } = await forwarder.toPrimary('the sign-out', () => primary.signOut(key), PEER_METHODS.signOut, [key]);
      if (txid) await committedHere('the sign-out', txid);
      return true;
    },
    /** Whom this node takes the request to come from: { address } of the session its token opened, null without one. */
    ccevm_whoAmI: (p, caller) => (positional(p, 0, 0), { address: caller.kind === 'session' ? getAddress(caller.address) : null }),
  };
}

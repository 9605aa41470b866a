// ccevm_getLedgerReceipt and ccevm_getServiceIdentity: a transaction's ledger receipt with
// its Ethereum claims, and the service identity that verifies it offline. JSON shapes:
// evm-adapter/FORMAT.md.
import { createHash, X509Certificate } from 'node:crypto';
import type { Node } from '../../core/node/node.js';
import { formatTxID } from '../../core/kv/txid.js';
import { coseReceipt } from '../../core/ledger/cose-receipt.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { formatClaims, formatReceipt } from '../format.js';
import { data, parseHash, positional } from '../hex.js';
import type { Method } from './eth.js';

export function receiptMethods(node: Node, evm: EvmService): Record<string, Method> {
  return {
    /** Null for an unknown hash and for one the caller may not see (a refused read looks missing). */
    ccevm_getLedgerReceipt: async (p, caller) => {
      const [hash] = positional(p, 1, 1);
      const read = await evm.ledgerReceipt(parseHash(hash, 'transactionHash'), caller);
      if (!read) return null;
      const head = { status: read.status, transactionHash: data(read.hash), txid: formatTxID(read.txid) };
      if (read.status === 'pending') return head;
      return {
        ...head,
        receipt: read.receipt,
        claims: formatClaims(read),
        ethereumReceipt: formatReceipt(read.ethereum, evm.common),
        cose: Buffer.from(coseReceipt(read.receipt)).toString('base64'),
      };
    },
    /** Public: the certificate receipts verify under, its key id and P-256 point. */
    ccevm_getServiceIdentity: (p) => (positional(p, 0, 0), serviceIdentity(node.serviceCertificate)),
  };
}

function serviceIdentity(certPem: string): Record<string, unknown> {
  const key = new X509Certificate(certPem).publicKey;
  const jwk = key.export({ format: 'jwk' });
  const coordinate = (b64url: string | undefined) => data(Buffer.from(b64url!, 'base64url'));
  return {
    cert: certPem,
    kid: createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex'),
    publicKey: { x: coordinate(jwk.x), y: coordinate(jwk.y) },
    // Earlier service identities, each endorsed by its successor: none until a recovery.
    previous: [],
  };
}

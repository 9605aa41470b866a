// The signature transaction: first the application's seal (a transaction of its own that
// records what this signature seals, for the EVM a block), then the primary's signature
// over the ledger's Merkle root of everything before it. It is a commit point.
import { signData } from '../crypto/keys.js';
import { formatTxID } from '../kv/txid.js';
import { signRoot } from '../ledger/cose.js';
import type { Store } from '../kv/store.js';
import type { TxID } from '../kv/txid.js';
import type { Ledger } from '../ledger/ledger.js';
import { SIGNATURE_KEY, SIGNATURES } from '../ledger/signature.js';
import type { ApplicationHooks } from './application.js';
import type { NodeIdentity } from './identity.js';

/** Commit the application's seal and a signature transaction; undefined (and logged) if the seal failed. */
export function commitSignature(store: Store, ledger: Ledger, identity: NodeIdentity, seal: ApplicationHooks['seal'], log: (m: string) => void): TxID | undefined {
  if (seal) {
    const sealTx = store.begin();
    try {
      seal(sealTx, ledger.tree.root());
      sealTx.commit();
    } catch (e) {
      // Nothing is signed without the application's record of what is sealed; the
      // transactions stay unsigned, and the next signature takes them.
      log(`error: the application could not seal, not signing: ${(e as Error).message}`);
      return undefined;
    } finally {
      sealTx.abort(); // after a commit, a no-op; otherwise it releases the snapshot
    }
  }
  const seqno = store.txid.seqno + 1;
  const root = ledger.tree.root(seqno - 1);
  const service = signRoot(identity.serviceKey, formatTxID({ view: store.view, seqno }), root);
  const tx = store.begin();
  tx.setKind('signature');
  tx.map(SIGNATURES).set(SIGNATURE_KEY, {
    node: identity.nodeId,
    view: store.view,
    seqno,
    root,
    signature: signData(identity.nodeKey, root),
    cert: identity.nodeCert,
    cose_protected: service.protectedHeader,
    cose_signature: service.signature,
  });
  return tx.commit()!;
}

// Keys derived from the ledger secrets: alike wherever the same secrets are held (every
// trusted node), distinct per label and per service.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { LedgerSecrets } from '../../core/ledger/secrets.js';

describe('ledger secrets / derived keys', () => {
  const secret = { fromSeqno: 1, key: new Uint8Array(randomBytes(32)) };

  it('are the same from the same secrets, differ by label and by secret, and follow the newest secret', () => {
    const a = new LedgerSecrets([secret]);
    const b = new LedgerSecrets([{ ...secret }]);
    assert.deepEqual(a.derivedKey('sign-in nonces'), b.derivedKey('sign-in nonces'));
    assert.equal(a.derivedKey('x').length, 32);
    assert.notDeepEqual(a.derivedKey('sign-in nonces'), a.derivedKey('other'));
    assert.notDeepEqual(a.derivedKey('x'), new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]).derivedKey('x'));
    assert.notDeepEqual(a.derivedKey('x'), a.all[0]!.key, 'not the secret itself');
    const before = a.derivedKey('x');
    a.add({ fromSeqno: 10, key: new Uint8Array(randomBytes(32)) });
    assert.notDeepEqual(a.derivedKey('x'), before);
    assert.throws(() => a.derivedKey(''), /needs a label/);
    assert.throws(() => new LedgerSecrets().derivedKey('x'), /no ledger secret/);
  });
});

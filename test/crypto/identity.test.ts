import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createNodeCertificate, createServiceCertificate, isEndorsedBy } from '../../core/crypto/certificates.js';
import { generateKeyPair, keyId, signData, verifyData } from '../../core/crypto/keys.js';
import { KeySealer } from '../../core/crypto/sealing.js';
import { AuthenticationError, randomKey } from '../../core/crypto/aead.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';

describe('identity', () => {
  it('a node certificate is endorsed by its service and by no other', async () => {
    const service = generateKeyPair();
    const other = generateKeyPair();
    const node = generateKeyPair();
    const serviceCert = await createServiceCertificate(service);
    const otherCert = await createServiceCertificate(other);
    const nodeCert = await createNodeCertificate(node.publicKey, service, serviceCert, { nodeId: keyId(node.publicKey), subjectAltNames: ['localhost', '127.0.0.1'] });
    assert.ok(isEndorsedBy(nodeCert, serviceCert));
    assert.ok(!isEndorsedBy(nodeCert, otherCert));
    assert.ok(!isEndorsedBy(serviceCert, nodeCert));
    const x = new X509Certificate(nodeCert);
    assert.ok(x.publicKey.equals(node.publicKey));
    assert.match(x.subjectAltName ?? '', /DNS:localhost/);
    assert.match(x.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.equal(new X509Certificate(serviceCert).ca, true);
    assert.equal(x.ca, false);
  });

  it('signatures verify only with the signing key and unchanged data', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const sig = signData(a, utf8('root'));
    assert.ok(verifyData(a.publicKey, utf8('root'), sig));
    assert.ok(!verifyData(a.publicKey, utf8('rooT'), sig));
    assert.ok(!verifyData(b.publicKey, utf8('root'), sig));
    assert.ok(!verifyData(a.publicKey, utf8('root'), new Uint8Array(3)));
  });

  it('sealed data opens only with the same key and label, and detects tampering', () => {
    const sealer = new KeySealer('virtual', randomKey());
    const sealed = sealer.seal(utf8('secret'), 'label');
    assert.equal(Buffer.from(sealer.unseal(sealed, 'label')).toString(), 'secret');
    assert.throws(() => sealer.unseal(sealed, 'other'), AuthenticationError);
    assert.throws(() => new KeySealer('virtual', randomKey()).unseal(sealed, 'label'), AuthenticationError);
    const flipped = Uint8Array.from(sealed);
    flipped[20] = flipped[20]! ^ 1;
    assert.throws(() => sealer.unseal(flipped, 'label'), AuthenticationError);
    assert.throws(() => sealer.unseal(sealed.subarray(0, 5), 'label'), AuthenticationError);
  });

  describe('data directory', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'ccevm-identity-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('holds no private key or ledger secret in clear', async () => {
      const node = await Node.create({ dataDir: dir });
      await node.stop();
      const state = JSON.parse(readFileSync(join(dir, 'node.sealed.json'), 'utf8'));
      assert.equal(state.platform, 'virtual');
      assert.equal(state.nodeId, node.nodeId);
      const text = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
      assert.doesNotMatch(text, /PRIVATE KEY/);
      for (const field of [state.sealed.nodeKey, state.sealed.serviceKey, state.sealed.ledgerSecrets[0].key]) {
        // Sealed blobs are IV + ciphertext + tag: longer than any 32-byte secret in clear.
        assert.ok(Buffer.from(field, 'base64').length >= 32 + 12 + 16);
      }
    });

    it('keeps the node identity across restarts and refuses a different sealing key', async () => {
      const first = await Node.create({ dataDir: dir });
      const id = first.nodeId;
      const cert = first.serviceCertificate;
      await first.stop();
      const again = await Node.restart({ dataDir: dir });
      assert.equal(again.nodeId, id);
      assert.equal(again.serviceCertificate, cert);
      await again.stop();
      writeFileSync(join(dir, 'virtual-sealing.key'), randomKey());
      await assert.rejects(Node.restart({ dataDir: dir }), /cannot unseal/);
    });

    it('refuses a sealed state file that is not one', async () => {
      const node = await Node.create({ dataDir: dir });
      await node.stop();
      writeFileSync(join(dir, 'node.sealed.json'), '{"format": 1');
      await assert.rejects(Node.restart({ dataDir: dir }), /is not a sealed node state/);
    });
  });
});

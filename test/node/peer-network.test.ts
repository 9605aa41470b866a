import { strict as assert } from 'node:assert';
import { createNodeCertificate, createServiceCertificate } from '../../core/crypto/certificates.js';
import { generateKeyPair, keyId, type KeyPair } from '../../core/crypto/keys.js';
import { PeerNetwork } from '../../core/host/peer-network.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';

interface Identity {
  id: string;
  key: string;
  cert: string;
}

async function nodeIdentity(service: KeyPair, serviceCert: string): Promise<Identity> {
  const pair = generateKeyPair();
  const id = keyId(pair.publicKey);
  const cert = await createNodeCertificate(pair.publicKey, service, serviceCert, { nodeId: id });
  return { id, key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('node / peer network (mutual TLS)', () => {
  let service: KeyPair;
  let serviceCert: string;
  const networks: PeerNetwork[] = [];
  before(async () => {
    service = generateKeyPair();
    serviceCert = await createServiceCertificate(service);
  });
  afterEach(async () => {
    await Promise.all(networks.splice(0).map((n) => n.close()));
  });

  function start(me: Identity, received: [string, string][], accept: (id: string) => boolean = () => true, ca = serviceCert) {
    const net = new PeerNetwork({ nodeId: me.id, key: me.key, cert: me.cert, serviceCert: ca, accept, onMessage: (from, p) => received.push([from, fromUtf8(p)]) });
    networks.push(net);
    return net;
  }

  it('delivers framed messages both ways between endorsed nodes, naming the sender', async () => {
    const [a, b] = [await nodeIdentity(service, serviceCert), await nodeIdentity(service, serviceCert)];
    const atA: [string, string][] = [];
    const atB: [string, string][] = [];
    const na = start(a, atA);
    const nb = start(b, atB);
    const [pa, pb] = [await na.listen('127.0.0.1', 0), await nb.listen('127.0.0.1', 0)];
    na.setAddress(b.id, '127.0.0.1', pb);
    nb.setAddress(a.id, '127.0.0.1', pa);
    const big = 'x'.repeat(200_000);
    na.send(b.id, utf8('hello'));
    na.send(b.id, utf8(big));
    nb.send(a.id, utf8('back'));
    await until(() => atB.length === 2 && atA.length === 1);
    assert.deepEqual(atB[0], [a.id, 'hello']);
    assert.equal(atB[1]![1].length, big.length);
    assert.deepEqual(atA[0], [b.id, 'back']);
  });

  it('holds messages for a peer that is not up yet, but delivers only those less than a second old', async () => {
    const [a, b] = [await nodeIdentity(service, serviceCert), await nodeIdentity(service, serviceCert)];
    const atB: [string, string][] = [];
    const na = start(a, []);
    const nb = start(b, atB);
    const pb = await nb.listen('127.0.0.1', 0);
    await nb.close(); // b's port is known but nothing listens there yet
    networks.splice(networks.indexOf(nb), 1);
    na.setAddress(b.id, '127.0.0.1', pb);
    na.send(b.id, utf8('stale'));
    await new Promise((r) => setTimeout(r, 1_200));
    na.send(b.id, utf8('fresh'));
    const again = start(b, atB);
    await again.listen('127.0.0.1', pb);
    await until(() => atB.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(atB, [[a.id, 'fresh']]);
  });

  it('refuses a node endorsed by another service, and one the service does not accept', async () => {
    const other = generateKeyPair();
    const otherCert = await createServiceCertificate(other);
    const good = await nodeIdentity(service, serviceCert);
    const stranger = await nodeIdentity(other, otherCert);
    const unwelcome = await nodeIdentity(service, serviceCert);
    const received: [string, string][] = [];
    const server = start(good, received, (id) => id !== unwelcome.id);
    const port = await server.listen('127.0.0.1', 0);
    // The stranger trusts our service certificate, but ours does not endorse it.
    const s1 = start(stranger, [], () => true, serviceCert);
    s1.setAddress(good.id, '127.0.0.1', port);
    s1.send(good.id, utf8('from a stranger'));
    const s2 = start(unwelcome, []);
    s2.setAddress(good.id, '127.0.0.1', port);
    s2.send(good.id, utf8('from an unwelcome node'));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(received, []);
  });

  it('does not deliver to an address that answers with another node', async () => {
    const [a, b, c] = [await nodeIdentity(service, serviceCert), await nodeIdentity(service, serviceCert), await nodeIdentity(service, serviceCert)];
    const atC: [string, string][] = [];
    start(a, []);
    const nc = start(c, atC);
    const pc = await nc.listen('127.0.0.1', 0);
    const na = networks[0]!;
    na.setAddress(b.id, '127.0.0.1', pc); // b's address, but c answers there
    na.send(b.id, utf8('for b only'));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(atC, []);
  });
});

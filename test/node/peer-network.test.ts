import { strict as assert } from 'node:assert';
import { connect, Socket } from 'node:net';
import { createNodeCertificate, createServiceCertificate } from '../../core/crypto/certificates.js';
import { generateKeyPair, keyId, type KeyPair } from '../../core/crypto/keys.js';
import { PeerNetwork, PeerRequestError } from '../../core/host/peer-network.js';
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

  function start(me: Identity, received: [string, string][], accept: (id: string) => boolean = () => true, ca = serviceCert, onRequest?: (from: string, p: Uint8Array) => Promise<Uint8Array>) {
    const net = new PeerNetwork({ nodeId: me.id, key: me.key, cert: me.cert, serviceCert: ca, accept, onMessage: (from, p) => received.push([from, fromUtf8(p)]), ...(onRequest ? { onRequest } : {}) });
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

  /** Two connected networks; b answers requests with `answer`. */
  async function pair(answer: (from: string, p: Uint8Array) => Promise<Uint8Array>) {
    const [a, b] = [await nodeIdentity(service, serviceCert), await nodeIdentity(service, serviceCert)];
    const na = start(a, []);
    const nb = start(b, [], () => true, serviceCert, answer);
    const [pa, pb] = [await na.listen('127.0.0.1', 0), await nb.listen('127.0.0.1', 0)];
    na.setAddress(b.id, '127.0.0.1', pb);
    nb.setAddress(a.id, '127.0.0.1', pa);
    await until(() => na.connectedPeers().includes(b.id) && nb.connectedPeers().includes(a.id));
    return { a, b, na, nb };
  }

  const failure = (e: unknown) => (e instanceof PeerRequestError ? e.reason : `not a PeerRequestError: ${e}`);

  it('answers requests, matching concurrent answers to their requests and naming the asker', async () => {
    const askers: string[] = [];
    const { a, b, na } = await pair(async (from, p) => {
      askers.push(from);
      const text = fromUtf8(p);
      // answer out of order: the later request first
      await new Promise((r) => setTimeout(r, text === 'first' ? 100 : 0));
      return utf8(`re: ${text}`);
    });
    const [first, second] = await Promise.all([na.request(b.id, utf8('first')), na.request(b.id, utf8('second'))]);
    assert.equal(fromUtf8(first), 're: first');
    assert.equal(fromUtf8(second), 're: second');
    assert.deepEqual(askers, [a.id, a.id]);
  });

  it('reports a failing handler as a refusal, and fails requests on timeout, abort, an unconnected peer and a dropped connection', async () => {
    const { b, na, nb } = await pair(async (_from, p) => {
      const text = fromUtf8(p);
      if (text === 'fail') throw new Error('no such thing');
      await new Promise(() => {}); // never answers (a frozen peer)
      return p;
    });
    await assert.rejects(na.request(b.id, utf8('fail')), (e) => failure(e) === 'refused' && /no such thing/.test((e as Error).message));
    await assert.rejects(na.request(b.id, utf8('hang'), { timeoutMs: 100 }), (e) => failure(e) === 'timeout');
    const controller = new AbortController();
    const aborted = na.request(b.id, utf8('hang'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(aborted, (e) => failure(e) === 'aborted');
    await assert.rejects(na.request('unknown-node', utf8('x')), (e) => failure(e) === 'unreachable');
    const dropped = na.request(b.id, utf8('hang'));
    await nb.close();
    await assert.rejects(dropped, (e) => failure(e) === 'unreachable');
    await assert.rejects(na.request(b.id, utf8('x')), (e) => failure(e) === 'unreachable');
  });

  it('closes at once although a connection is still in its handshake (a peer that keeps reconnecting cannot hold a stopping node)', async () => {
    const me = await nodeIdentity(service, serviceCert);
    const net = start(me, []);
    const port = await net.listen('127.0.0.1', 0);
    // A TCP connection that never starts its TLS handshake: the server would wait for it
    // (the handshake timeout is two minutes) unless close() ends it.
    const raw = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    const ended = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    // Should close() wait for it, end the connection here after a while, so that the
    // failure is reported instead of holding the test process open.
    let rescued = false;
    const rescue = setTimeout(() => {
      rescued = true;
      raw.destroy();
    }, 10_000);
    await net.close();
    clearTimeout(rescue);
    await ended;
    assert.equal(rescued, false, 'close() waited for a connection still in its handshake');
  });

  it('sets TCP_NODELAY on both ends of every peer connection (small frames are not held back)', async () => {
    // Watch the real sockets' setNoDelay: Node offers no getter for the option.
    const setNoDelay = Socket.prototype.setNoDelay;
    const noDelay: Socket[] = []; // (a dialling socket has its ports only once connected)
    Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
      if (on !== false) noDelay.push(this);
      return setNoDelay.call(this, on);
    };
    try {
      const [a, b] = [await nodeIdentity(service, serviceCert), await nodeIdentity(service, serviceCert)];
      const [na, nb] = [start(a, []), start(b, [])];
      const [pa, pb] = [await na.listen('127.0.0.1', 0), await nb.listen('127.0.0.1', 0)];
      na.setAddress(b.id, '127.0.0.1', pb);
      nb.setAddress(a.id, '127.0.0.1', pa);
      // Each node dials the other: for each listening port, the dialling end and the accepted end.
      await until(() => [pa, pb].every((port) => noDelay.some((s) => s.remotePort === port) && noDelay.some((s) => s.localPort === port)));
    } finally {
      Socket.prototype.setNoDelay = setNoDelay;
    }
  });

  it('counts connected peers in either direction', async () => {
    const { a, b, na, nb } = await pair(async (_f, p) => p);
    assert.deepEqual(na.connectedPeers(), [b.id]);
    assert.deepEqual(nb.connectedPeers(), [a.id]);
    await nb.close();
    await until(() => na.connectedPeers().length === 0);
  });
});

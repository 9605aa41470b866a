// Joining is gated by the members: real nodes over TLS in temporary directories. A join
// request makes the node Pending and tells it nothing; nobody connects to it and the
// configuration is unchanged; a flood of requests is bounded; old requests expire; once
// trusted (what the members' vote applies), the node gets everything and replicates.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { MAX_PENDING_JOINS, nodeInfo, trustedNodeIds, trustPendingNode } from '../../core/governance/nodes.js';
import { NODES_INFO } from '../../core/governance/tables.js';
import { virtualMeasurement } from '../../core/host/virtual-platform.js';
import { identityFromJoin, JoinError, joinRequest } from '../../core/node/join.js';
import { Node, type NodeOptions } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { freePort } from '../support/node-process.js';
import { data, joinTrusted, read, trustJoiner, until } from './helpers.js';

describe('node / joining is gated: pending until the members trust the node', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const nodes: Node[] = [];
  const servers: Server[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ccevm-gate-'));
    dirs.push(d);
    return d;
  };
  const createPrimary = async (options: Partial<NodeOptions> = {}) => {
    const node = await Node.create({ dataDir: tempDir(), network: { host: '127.0.0.1', port: await freePort() }, rpcAddress: 'http://127.0.0.1:1', ...options });
    nodes.push(node);
    return node;
  };
  const asking = (peerPort = 1) => {
    const key = generateKeyPair();
    return { key, request: joinRequest(key, `127.0.0.1:${peerPort}`, `http://127.0.0.1:${peerPort + 1}`, virtualMeasurement()) };
  };
  const pendingCount = (node: Node) => node.readCommitted((tx) => [...tx.map(NODES_INFO).entries()].filter(([, n]) => n.status === 'Pending').length);
  /** Write and commit through `node`, within `ms`. */
  async function commitsWithin(node: Node, ms: number) {
    const start = Date.now();
    const { txid } = await node.transact((tx) => tx.map(data).set(utf8(`k${start}`), utf8('v')));
    node.emitSignature();
    await node.waitCommitted(txid!);
    assert.ok(Date.now() - start < ms, `committed in ${Date.now() - start} ms`);
  }

  afterEach(async () => {
    for (const s of servers.splice(0)) s.close();
    for (const n of nodes.splice(0)) await n.stop().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('answers a pending node its status and id only, records it outside the configuration, and never connects to it', async () => {
    const primary = await createPrimary();
    // Where the asking node says it listens: count who connects.
    let connections = 0;
    const listener = createServer((socket) => (connections++, socket.destroy()));
    servers.push(listener);
    const port = await new Promise<number>((resolve) => listener.listen(0, '127.0.0.1', () => resolve((listener.address() as { port: number }).port)));
    const { request } = asking(port);
    const before = Date.now();
    const answer = await primary.admit(request);
    const nodeId = answer.nodeId;
    assert.deepEqual(answer, { status: 'Pending', nodeId }, 'no certificate, no peers, no secrets');
    const info = primary.readCommitted((tx) => nodeInfo(tx, nodeId))!;
    assert.equal(info.status, 'Pending', 'recorded, and committed before the answer');
    assert.equal(info.measurement, virtualMeasurement());
    assert.equal(info.measurement, '5038e53ae9dbd6b946c4f62f8e185b8dd825934dfc8c05f9fa4926ece62a8e77', 'sha256 of "ccevm virtual platform"');
    assert.equal(info.publicKey, request.publicKey);
    assert.equal(info.peerAddress, `127.0.0.1:${port}`);
    assert.equal(info.rpcAddress, `http://127.0.0.1:${port + 1}`);
    assert.match(info.cert, /BEGIN CERTIFICATE/);
    assert.ok(info.requestedAt! >= before && info.requestedAt! <= Date.now());
    assert.deepEqual(primary.readCommitted(trustedNodeIds), [primary.nodeId]);
    // Asked again while pending: the same answer, nothing written.
    const seqno = primary.lastSeqno;
    assert.deepEqual(await primary.admit(request), { status: 'Pending', nodeId });
    assert.equal(primary.lastSeqno, seqno);
    // Alone in its configuration the primary still commits at once, and sends nothing to the pending node.
    await commitsWithin(primary, 2_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(connections, 0, 'no connection to the pending node');
    assert.deepEqual(primary.peerList().map((p) => p.nodeId), [primary.nodeId]);
  });

  it('bounds a flood of join requests: the rest are refused, the configuration is unchanged, commits stay quick', async () => {
    const primary = await createPrimary();
    const requests = Array.from({ length: 40 }, () => asking().request);
    const answers = await Promise.allSettled(requests.map((r) => primary.admit(r)));
    const recorded = answers.filter((a) => a.status === 'fulfilled');
    const refused = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    assert.equal(recorded.length, MAX_PENDING_JOINS);
    for (const r of refused) assert.ok(r.reason instanceof JoinError && r.reason.message === 'too many pending join requests; try later', String(r.reason));
    assert.equal(pendingCount(primary), MAX_PENDING_JOINS);
    assert.deepEqual(primary.readCommitted(trustedNodeIds), [primary.nodeId]);
    // A refused request wrote nothing.
    const seqno = primary.lastSeqno;
    await assert.rejects(primary.admit(asking().request), /too many pending join requests; try later/);
    assert.equal(primary.lastSeqno, seqno);
    await commitsWithin(primary, 2_000);
  });

  it('expires old pending requests: the next request deletes them, and trusting one is refused', async () => {
    const primary = await createPrimary({ pendingJoins: { max: 1, ttlMs: 300 } });
    const old = asking();
    const { nodeId } = await primary.admit(old.request);
    const next = asking();
    await assert.rejects(primary.admit(next.request), /too many pending join requests/);
    await new Promise((r) => setTimeout(r, 400));
    await assert.rejects(primary.admit(old.request), (e: Error) => e instanceof JoinError && /expired before the members trusted it/.test(e.message));
    assert.equal((await primary.admit(next.request)).status, 'Pending', 'the expired request no longer counts');
    assert.equal(primary.readCommitted((tx) => nodeInfo(tx, nodeId)), undefined, 'deleted');
    assert.equal(pendingCount(primary), 1);
    await assert.rejects(primary.transact((tx) => trustPendingNode(tx, nodeId, Date.now())), /is not a pending node/);
  });

  it('answers a trusted node its certificate, peers and secrets; it joins and replicates', async () => {
    const primary = await createPrimary();
    const port = await freePort();
    const { key, request } = asking(port);
    const { nodeId } = await primary.admit(request);
    await trustJoiner(primary, nodeId);
    const answer = await primary.admit(request);
    assert.equal(answer.status, 'Trusted');
    if (answer.status !== 'Trusted') return;
    assert.equal(answer.serviceCert, primary.serviceCertificate);
    assert.equal(answer.nodeCert, primary.readPending((tx) => nodeInfo(tx, nodeId))!.cert, 'the certificate minted for its request');
    assert.deepEqual(answer.peers, [{ nodeId: primary.nodeId, peerAddress: primary.peerAddress }]);
    const joined = await Node.join({ dataDir: tempDir(), network: { host: '127.0.0.1', port }, joined: { identity: identityFromJoin(key, answer), peers: answer.peers } });
    nodes.push(joined);
    const { txid } = await primary.transact((tx) => tx.map(data).set(utf8('after'), utf8('joined')));
    primary.emitSignature();
    await primary.waitCommitted(txid!);
    await until(() => read(joined, 'after') === 'joined', 'the joined node to replicate');
    assert.deepEqual(primary.readCommitted(trustedNodeIds), [primary.nodeId, nodeId].sort());
  });

  it('gives a third node its secrets only once the vote that trusts it is committed', async () => {
    const primary = await createPrimary();
    const [bPort, bDir] = [await freePort(), tempDir()];
    const b = asking(bPort);
    const answer = await joinTrusted(primary, b.key, `127.0.0.1:${bPort}`, 'http://127.0.0.1:1');
    let backup = await Node.join({ dataDir: bDir, network: { host: '127.0.0.1', port: bPort }, joined: { identity: identityFromJoin(b.key, answer), peers: answer.peers } });
    await until(() => backup.committed >= primary.committed, 'the second node to catch up');
    const c = asking(await freePort());
    const { nodeId } = await primary.admit(c.request);
    // Without the second node, the vote cannot commit (both of the old two must agree).
    // (The first node may then step down, check-quorum: its answers do not depend on it.)
    await backup.stop();
    await trustJoiner(primary, nodeId);
    assert.equal(primary.answerTrustedJoin(c.request)?.status, 'Pending', 'trusted, not committed: no secrets yet');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(primary.answerTrustedJoin(c.request)?.status, 'Pending');
    backup = await Node.restart({ dataDir: bDir, network: { host: '127.0.0.1', port: bPort } });
    nodes.push(backup);
    await until(() => primary.answerTrustedJoin(c.request)?.status === 'Trusted', 'the answer once the vote is committed');
    assert.equal(primary.readCommitted((tx) => nodeInfo(tx, nodeId))?.status, 'Trusted');
  });

  it('refuses a retired node that asks to join again', async () => {
    const primary = await createPrimary();
    const { request } = asking();
    const { nodeId } = await primary.admit(request);
    await trustJoiner(primary, nodeId);
    // (the node never starts: its retirement commits in the primary's configuration alone)
    await primary.retire(nodeId);
    await assert.rejects(primary.admit(request), (e: Error) => e instanceof JoinError && /is retired from this service: it cannot join again/.test(e.message));
  });
});

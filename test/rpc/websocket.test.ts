// JSON-RPC over WebSocket against an RpcServer with stand-in methods (the real node's
// methods are test/e2e/websocket.test.ts's): the caller fixed at the upgrade, refusals,
// bad frames, subscriptions delivered per caller in order and stopped by eth_unsubscribe,
// the per-connection limits, slow and dead peers, and sessions that end.
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { connect } from 'node:net';
import { sessionCaller, type Caller } from '../../evm-adapter/access/caller.js';
import { quantity } from '../../rpc/hex.js';
import { RpcServer } from '../../rpc/server.js';
import { SESSION_ENDED, TOO_SLOW } from '../../rpc/websocket.js';
import { freePort } from '../support/node-process.js';
import { waitFor } from '../e2e/helpers.js';
import { WsClient } from '../support/ws-client.js';

const TOKEN = 'T'.repeat(43);
const ALICE = '0x00000000000000000000000000000000000000aa';

describe('rpc / JSON-RPC over WebSocket', () => {
  let head = 0;
  let signedIn = true;
  const running = { now: 0, most: 0 };
  let server: RpcServer;
  let url: string;
  const clients: WsClient[] = [];
  const logged: string[] = [];
  const who = (c: Caller) => (c.kind === 'session' ? c.address : 'anonymous');

  // Stand-ins: a block's logs say who asked (as the real eth_getLogs filters per caller).
  const methods = {
    who: (_p: unknown, caller: Caller) => caller,
    big: () => 'x'.repeat(256 * 1024),
    slow: async () => {
      running.now++;
      running.most = Math.max(running.most, running.now);
      await new Promise((r) => setTimeout(r, 150));
      running.now--;
      return 'done';
    },
    eth_blockNumber: () => quantity(head),
    eth_getBlockByNumber: (p: unknown, caller: Caller) => {
      const [n] = p as [string];
      return { number: n, hash: `0x${Number(n).toString(16).padStart(64, '0')}`, gasUsed: who(caller) === ALICE ? '0x5' : '0x0', transactions: [], uncles: [], size: '0x1' };
    },
    eth_getLogs: (p: unknown, caller: Caller) => {
      const [{ fromBlock, toBlock, address }] = p as [{ fromBlock: string; toBlock: string; address?: unknown }];
      return Number(fromBlock) === Number(toBlock) ? [{ blockNumber: fromBlock, seenBy: who(caller), address: address ?? null }] : [];
    },
  };

  before(async () => {
    const authenticate = (token: string) => (token === TOKEN && signedIn ? sessionCaller(ALICE) : undefined);
    server = new RpcServer(methods, { host: '127.0.0.1', port: await freePort(), authenticate, maxBodyBytes: 64 * 1024, log: (m) => logged.push(m), websocket: { maxSubscriptions: 3, headPollMs: 10, pingIntervalMs: 200, maxBufferedBytes: 512 * 1024 } });
    url = (await server.listen()).replace('http', 'ws');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
    signedIn = true;
  });
  after(() => server.close());

  const open = async (path = '/', headers: Record<string, string> = {}) => {
    const client = await WsClient.open(`${url}${path}`, { headers });
    clients.push(client);
    return client;
  };

  it('fixes the caller at the upgrade: anonymous, a token in the path or in an Authorization header', async () => {
    assert.deepEqual((await (await open('/')).request('who')).result, { kind: 'anonymous' });
    assert.deepEqual((await (await open(`/rpc/${TOKEN}`)).request('who')).result, { kind: 'session', address: ALICE });
    assert.deepEqual((await (await open('/rpc', { Authorization: `Bearer ${TOKEN}` })).request('who')).result, { kind: 'session', address: ALICE });
  });

  it('refuses the upgrade as a POST is refused: 401 for a token it does not accept, 404 elsewhere', async () => {
    await assert.rejects(open(`/rpc/${'U'.repeat(43)}`), { status: 401 });
    await assert.rejects(open('/', { Authorization: 'Bearer nope' }), { status: 401 });
    await assert.rejects(open('/somewhere/else'), { status: 404 });
    await assert.rejects(open(`/rpc/${TOKEN}`, { Authorization: `Bearer ${'U'.repeat(43)}` }), { status: 400 });
  });

  it('answers batches and bad frames with JSON-RPC errors and goes on serving', async () => {
    const c = await open();
    const batch = await c.raw(JSON.stringify([{ jsonrpc: '2.0', id: 7, method: 'eth_blockNumber', params: [] }, { jsonrpc: '2.0', id: 8, method: 'nope', params: [] }]));
    assert.deepEqual(batch.map((r: any) => [r.id, r.result ?? r.error.code]), [[7, quantity(head)], [8, -32601]]);
    assert.equal((await c.raw('{not json')).error.code, -32700);
    assert.equal((await c.raw('[]')).error.code, -32600);
    assert.equal((await c.raw('42')).error.code, -32600);
    assert.equal((await c.request('eth_subscribe', ['pendingTransactions'])).error.code, -32602);
    assert.equal((await c.request('eth_subscribe', ['logs', { fromBlock: '0x0' }])).error.code, -32602);
    assert.equal((await c.request('eth_subscribe', [])).error.code, -32602);
    assert.equal((await c.request('eth_unsubscribe', ['0x1234'])).error.code, -32602);
    assert.equal((await c.request('who')).result.kind, 'anonymous');
  });

  it('eth_subscribe over HTTP says it needs a WebSocket connection', async () => {
    const res = await fetch(url.replace('ws', 'http'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }) });
    const body = (await res.json()) as any;
    assert.equal(body.error.code, -32602);
    assert.match(body.error.message, /WebSocket/);
  });

  it('delivers newHeads and logs per caller, each new block in order, and nothing after eth_unsubscribe', async () => {
    const anonymous = await open();
    const alice = await open(`/rpc/${TOKEN}`);
    const start = head;
    const heads = { anonymous: (await anonymous.request('eth_subscribe', ['newHeads'])).result, alice: (await alice.request('eth_subscribe', ['newHeads'])).result };
    const logs = { anonymous: (await anonymous.request('eth_subscribe', ['logs', { address: '0xabc' }])).result, alice: (await alice.request('eth_subscribe', ['logs'])).result };
    head += 3;
    await waitFor(() => alice.notifications(logs.alice).length === 3 && anonymous.notifications(heads.anonymous).length === 3, 'three blocks delivered');
    const numbers = [1, 2, 3].map((i) => quantity(start + i));
    assert.deepEqual(alice.notifications(heads.alice).map((h) => [h.number, h.gasUsed]), numbers.map((n) => [n, '0x5']));
    assert.deepEqual(anonymous.notifications(heads.anonymous).map((h) => [h.number, h.gasUsed]), numbers.map((n) => [n, '0x0']));
    assert.equal(alice.notifications(heads.alice)[0].transactions, undefined, 'a header, not a block');
    assert.deepEqual(alice.notifications(logs.alice).map((l) => [l.blockNumber, l.seenBy]), numbers.map((n) => [n, ALICE]));
    assert.deepEqual(anonymous.notifications(logs.anonymous).map((l) => [l.blockNumber, l.seenBy, l.address]), numbers.map((n) => [n, 'anonymous', '0xabc']));

    assert.deepEqual((await alice.request('eth_unsubscribe', [heads.alice])).result, true);
    // (another connection's subscription does not exist here)
    assert.equal((await alice.request('eth_unsubscribe', [heads.anonymous])).error.code, -32602);
    head += 1;
    await waitFor(() => alice.notifications(logs.alice).length === 4 && anonymous.notifications(heads.anonymous).length === 4, 'the next block delivered');
    assert.equal(alice.notifications(heads.alice).length, 3);
  });

  it('sends the eth_subscribe answer before any notification of it', async () => {
    const c = await open();
    c.ws.send(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }, { jsonrpc: '2.0', id: 2, method: 'slow', params: [] }]));
    // (a block while the batch is still being answered)
    await new Promise((r) => setTimeout(r, 30));
    head += 1;
    await waitFor(() => c.messages.length >= 2, 'the answer and the notification');
    assert.ok(Array.isArray(c.messages[0]), 'the batch answer first');
    assert.equal(c.messages[1].params.subscription, c.messages[0][0].result);
  });

  it('runs at most 32 requests of a connection at once, and answers them all (the peer is not dropped meanwhile)', async () => {
    const c = await open();
    running.most = 0;
    for (let i = 0; i < 100; i++) c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'slow', params: [] }));
    await waitFor(() => c.messages.length === 100, 'every answer', 10_000);
    assert.ok(running.most <= 32 && running.most > 1, `${running.most} at once`);
  });

  it('answers another upgrade than WebSocket with 400', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url.replace('ws', 'http'), { headers: { Connection: 'Upgrade', Upgrade: 'h2c' } }, (res) => resolve(res.statusCode!));
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
  });

  it('closes its connections when the server closes', async () => {
    const other = new RpcServer(methods, { host: '127.0.0.1', port: await freePort() });
    const c = await WsClient.open((await other.listen()).replace('http', 'ws'));
    try {
      await other.close();
      await waitFor(() => c.closed, 'the close', 2_000);
    } finally {
      c.ws.terminate();
    }
  });

  it('bounds the subscriptions of a connection', async () => {
    const c = await open();
    for (let i = 0; i < 3; i++) assert.ok((await c.request('eth_subscribe', ['newHeads'])).result);
    assert.equal((await c.request('eth_subscribe', ['newHeads'])).error.code, -32005);
  });

  it('closes a connection whose message is larger than an HTTP body may be (1009)', async () => {
    const c = await open();
    c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'who', params: ['y'.repeat(70 * 1024)] }));
    await waitFor(() => c.closed, 'the close');
    assert.equal(c.closed!.code, 1009);
  });

  it('drops a peer that does not read what it is sent, with TOO_SLOW', async () => {
    const c = await open();
    (c.ws as any)._socket.pause();
    for (let i = 0; i < 64; i++) c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'big', params: [] }));
    await waitFor(() => logged.some((m) => m.includes('too slow')), 'the drop', 10_000);
    (c.ws as any)._socket.resume();
    await waitFor(() => c.closed, 'the close at the client', 10_000);
    assert.equal(c.closed!.code, TOO_SLOW);
  });

  it('drops a peer that does not answer pings, keeps one that does', async () => {
    const port = Number(new URL(url).port);
    const silent = connect(port, '127.0.0.1');
    let upgraded = false;
    let ended = false;
    silent.on('data', (d) => (upgraded ||= d.toString().startsWith('HTTP/1.1 101')));
    silent.on('close', () => (ended = true));
    silent.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const answering = await open();
    await waitFor(() => upgraded, 'the upgrade');
    await waitFor(() => ended, 'the silent peer dropped', 5_000);
    assert.equal(answering.closed, undefined);
    assert.equal((await answering.request('who')).result.kind, 'anonymous');
  });

  it('closes a connection whose session ended (SESSION_ENDED), on its next request or before the next block', async () => {
    const idle = await open(`/rpc/${TOKEN}`);
    await idle.request('eth_subscribe', ['newHeads']);
    const asking = await open(`/rpc/${TOKEN}`);
    signedIn = false;
    asking.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'who', params: [] }));
    await waitFor(() => asking.closed, 'the asking connection closed');
    assert.equal(asking.closed!.code, SESSION_ENDED);
    assert.equal(asking.messages.length, 0);
    head += 1;
    await waitFor(() => idle.closed, 'the subscribed connection closed');
    assert.equal(idle.closed!.code, SESSION_ENDED);
    assert.equal(idle.messages.filter((m) => m.method).length, 0);
  });
});

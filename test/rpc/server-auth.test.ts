// The endpoint hands each method the caller its token stands for, and a failure to
// resolve a token (the node's state unreadable) is one JSON-RPC error, never a crash nor
// a log line with the token.
import { strict as assert } from 'node:assert';
import { sessionCaller, type Caller } from '../../evm-adapter/access/caller.js';
import { RpcServer } from '../../rpc/server.js';
import { freePort } from '../support/node-process.js';

describe('rpc / the endpoint and session tokens', () => {
  const TOKEN = 'T'.repeat(43);
  const logged: string[] = [];
  let broken = false;
  let server: RpcServer;
  let url: string;

  before(async () => {
    const methods = { who: (_params: unknown, caller: Caller) => caller };
    const authenticate = (token: string) => {
      if (broken) throw new Error('store closed');
      return token === TOKEN ? sessionCaller('0x00000000000000000000000000000000000000AA') : undefined;
    };
    server = new RpcServer(methods, { host: '127.0.0.1', port: await freePort(), authenticate, log: (m) => logged.push(m) });
    url = await server.listen();
  });
  after(() => server.close());

  const call = async (path: string) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'who', params: [] }) });
    return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { code: number; message: string } } };
  };

  it('passes the session caller, or the anonymous one without a token', async () => {
    assert.deepEqual((await call(`/rpc/${TOKEN}`)).body.result, { kind: 'session', address: '0x00000000000000000000000000000000000000aa' });
    assert.deepEqual((await call('/')).body.result, { kind: 'anonymous' });
    assert.equal((await call(`/rpc/${'U'.repeat(43)}`)).status, 401);
  });

  it('answers 500 with a JSON-RPC error when a token cannot be resolved, and goes on serving', async () => {
    broken = true;
    const { status, body } = await call(`/rpc/${TOKEN}`);
    broken = false;
    assert.equal(status, 500);
    assert.deepEqual(body.error, { code: -32603, message: 'internal error' });
    assert.equal((await call(`/rpc/${TOKEN}`)).status, 200);
    assert.ok(logged.some((m) => /resolving a session token failed: store closed/.test(m)));
    assert.ok(!logged.some((m) => m.includes(TOKEN)));
  });
});

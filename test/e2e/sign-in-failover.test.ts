// Sessions belong to the service, not to a node: three real node processes; a user signs
// in through a backup (the primary opens the session) and uses the token at once there,
// then on the other nodes; the primary is killed, and the token still works on the new
// primary and the other survivor, as does a nonce the dead primary issued. A sign-out
// through one node ends the session on every node. No node prints a token.
import { strict as assert } from 'node:assert';
import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { Cluster, ClusterNode, devWallet, waitFor } from './cluster-helpers.js';

/** ccevm_whoAmI on `node` with `token` in the URL path: the HTTP status and the address it answers. */
async function whoAmI(node: ClusterNode, token: string): Promise<{ status: number; address?: string | null }> {
  const res = await fetch(`${node.url}/rpc/${token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ccevm_whoAmI', params: [] }), signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { result?: { address: string | null } };
  return { status: res.status, ...(body.result ? { address: body.result.address } : {}) };
}

/** Sign in as `wallet` through `via`, with `nonce` (default: a new one from `via`); the token. */
async function signIn(via: ClusterNode, wallet: Wallet, nonce?: string): Promise<string> {
  const text = new SiweMessage({
    domain: new URL(via.url).host,
    address: wallet.address,
    uri: via.url,
    version: '1',
    chainId: 1337,
    nonce: nonce ?? (await via.rpc('ccevm_signInNonce')),
    issuedAt: new Date().toISOString(),
  }).prepareMessage();
  const session = await via.rpc('ccevm_signIn', [text, await wallet.signMessage(text)]);
  assert.equal(session.address, wallet.address);
  return session.token as string;
}

describe('e2e: session tokens across a network and its failover', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  const user = devWallet(1);
  const tokens: string[] = [];

  before(async () => {
    cluster = await Cluster.start(3, 'signin');
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('a token from a sign-in through a backup works there at once, on every node, and on the new primary after the old one is killed', async () => {
    const { primary } = await cluster.waitPrimary();
    const [backup, other] = cluster.nodes.filter((n) => n !== primary) as [ClusterNode, ClusterNode];

    const token = await signIn(backup, user);
    tokens.push(token);
    assert.deepEqual(await whoAmI(backup, token), { status: 200, address: user.address }, 'the node that answered has the session');
    for (const n of [primary, other]) await waitFor(async () => (await whoAmI(n, token)).address === user.address, `${n.name} to accept the token`);
    // Signed in through the primary, used on a backup.
    const direct = await signIn(primary, devWallet(2));
    tokens.push(direct);
    await waitFor(async () => (await whoAmI(other, direct)).address === devWallet(2).address, `${other.name} to accept the primary's token`);

    const staleNonce = await primary.rpc('ccevm_signInNonce');
    await primary.stop('SIGKILL');
    const { primary: next } = await cluster.waitPrimary([backup, other], 60_000);
    for (const n of [next, backup, other]) assert.deepEqual(await whoAmI(n, token), { status: 200, address: user.address }, n.name);
    assert.deepEqual(await whoAmI(next, direct), { status: 200, address: devWallet(2).address });

    // A nonce the dead primary issued signs in through the survivors (any node of the service checks it).
    const survivor = next === backup ? other : backup;
    const after = await signIn(survivor, devWallet(3), staleNonce);
    tokens.push(after);
    assert.deepEqual(await whoAmI(survivor, after), { status: 200, address: devWallet(3).address });

    // Signing out through one node ends the session on every node.
    const res = await fetch(`${survivor.url}/rpc/${token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ccevm_signOut', params: [] }) });
    assert.deepEqual(await res.json(), { jsonrpc: '2.0', id: 1, result: true });
    assert.equal((await whoAmI(survivor, token)).status, 401);
    await waitFor(async () => (await whoAmI(next, token)).status === 401, 'the new primary to refuse the signed-out token');
  });

  it('no node prints a token', () => {
    assert.equal(tokens.length, 3);
    const output = cluster.outputs();
    assert.ok(output.length > 0);
    for (const token of tokens) assert.ok(!output.includes(token), `token ${token.slice(0, 6)}… in a node's output`);
  });
});

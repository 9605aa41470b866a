// Sign-In with Ethereum against a real node process: a registered user signs in with an
// ethers Wallet and uses the token, in the URL path or as a Bearer header, with ethers,
// viem and Hardhat as a DApp would (ccevm_whoAmI says whom the node takes the request to
// come from); each wrong sign-in is refused with a clear error and the node keeps
// working; a token not accepted gets HTTP 401; sign-out, expiry and removal from the
// users end a session; the `ccevm sign-in` command prints what to paste. No token ever
// appears in the node's output.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FetchRequest, getAddress, JsonRpcProvider, Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { createPublicClient, http } from 'viem';
import { loadDevMember } from '../../cli/consortium.js';
import { GovClient } from '../../cli/gov-client.js';
import { JsonRpcClient, httpTransport } from '../../rpc/client.js';
import { runCli } from '../support/cli.js';
import { runHardhat } from '../support/hardhat.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { signInMessage as cliSignInMessage } from '../../cli/sign-in.js';
import type { Signer } from '../../cli/client-flags.js';
import { sleep } from './helpers.js';

/** The CLI's sign-in message on this test's chain. */
const signInMessage = (url: string, address: string, nonce: string, fields: Record<string, unknown> = {}) => cliSignInMessage(url, address, 1337, nonce, fields);

const SIGN_IN_REFUSED = -32021;
const INVALID_SESSION = -32020;


interface Answer {
  status: number;
  body: any;
}

describe('e2e: signing in (session tokens)', function () {
  this.timeout(120_000);
  let node: NodeProcess;
  /** every token the node issued in this suite, to look for in its output */
  const tokens: string[] = [];
  const user = new Wallet(DEV_KEYS[1]!);

  /** One JSON-RPC request to `path` on the node, with `headers`; the HTTP status and the parsed body. */
  async function post(path: string, method: string, params: unknown[] = [], headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }) });
    return { status: res.status, body: await res.json() };
  }

  const whoAmI = async (path: string, headers: Record<string, string> = {}) => {
    const { status, body } = await post(path, 'ccevm_whoAmI', [], headers);
    assert.equal(status, 200, JSON.stringify(body));
    return body.result.address as string | null;
  };

  /** A SIWE message as a wallet builds it for this node, with a fresh nonce from it; `fields` override. */
  async function message(wallet: Signer, fields: Record<string, unknown> = {}): Promise<string> {
    return signInMessage(node.url, wallet.address, await node.rpc('ccevm_signInNonce'), fields);
  }

  async function signIn(wallet: Signer, fields: Record<string, unknown> = {}): Promise<{ token: string; address: string; expiresAt: number }> {
    const text = await message(wallet, fields);
    const session = await node.rpc('ccevm_signIn', [text, await wallet.signMessage(text)]);
    tokens.push(session.token);
    return session;
  }

  /** The sign-in of `text` signed by `signer` is refused for `reason`, and the node keeps answering. */
  async function refused(text: string, reason: string, pattern: RegExp, signer: Signer = user): Promise<void> {
    const { status, body } = await post('/', 'ccevm_signIn', [text, await signer.signMessage(text)]);
    assert.equal(status, 200);
    assert.equal(body.error?.code, SIGN_IN_REFUSED, JSON.stringify(body));
    assert.deepEqual(body.error.data, { reason });
    assert.match(body.error.message, pattern);
    assert.equal(await node.rpc('eth_chainId'), '0x539');
  }

  before(async () => {
    node = await NodeProcess.start({ https: true });
  });
  after(async () => {
    await node?.dispose();
  });

  it('a registered user signs in with an ethers Wallet; the token is accepted at once in the URL path and as a Bearer header', async () => {
    assert.equal(await whoAmI('/'), null, 'no token: anonymous');
    assert.equal(await whoAmI('/rpc'), null);
    const nonce = await node.rpc('ccevm_signInNonce');
    assert.match(nonce, /^[0-9a-zA-Z]{8,}$/, 'SIWE: alphanumeric, at least 8 characters');
    const before = Math.floor(Date.now() / 1000);
    const session = await signIn(user);
    assert.equal(session.address, user.address, 'checksummed');
    assert.match(session.token, /^[A-Za-z0-9_-]{43}$/, '32 bytes, base64url');
    assert.ok(session.expiresAt >= before + 24 * 3600 && session.expiresAt <= Math.floor(Date.now() / 1000) + 24 * 3600, `24 h: ${session.expiresAt}`);
    // (the same node, the next request: read-your-writes)
    assert.equal(await whoAmI(`/rpc/${session.token}`), user.address);
    assert.equal(await whoAmI(`/rpc/${session.token}/`), user.address);
    assert.equal(await whoAmI('/', { Authorization: `Bearer ${session.token}` }), user.address);
    assert.equal(await whoAmI(`/rpc/${session.token}`, { Authorization: `Bearer ${session.token}` }), user.address, 'both, the same token');
    // ordinary methods answer through a session as without one
    assert.equal((await post(`/rpc/${session.token}`, 'eth_chainId')).body.result, '0x539');
  });

  it('a wallet may name the node as localhost or 127.0.0.1, and its HTTPS endpoint', async () => {
    const port = new URL(node.url).port;
    for (const name of [`localhost:${port}`, `127.0.0.1:${port}`, new URL(node.httpsUrl!).host]) {
      const session = await signIn(user, { domain: name });
      assert.equal(await whoAmI(`/rpc/${session.token}`), user.address, name);
    }
  });

  it('a node configured with signInDomains (behind a proxy, a DNS name) takes messages for those names', async () => {
    const file = join(node.dataDir, 'proxied.json');
    writeFileSync(file, JSON.stringify({ signInDomains: ['rpc.example.com'] }));
    const proxied = await NodeProcess.start({ args: ['--config', file] });
    try {
      const text = new SiweMessage({ domain: 'rpc.example.com', address: user.address, uri: 'https://rpc.example.com', version: '1', chainId: 1337, nonce: await proxied.rpc('ccevm_signInNonce'), issuedAt: new Date().toISOString() }).prepareMessage();
      const session = await proxied.rpc('ccevm_signIn', [text, await user.signMessage(text)]);
      tokens.push(session.token);
      assert.equal(session.address, user.address);
      // not a name of the other node
      const elsewhere = await post('/', 'ccevm_signIn', [text.replace(/Nonce: \w+/, `Nonce: ${await node.rpc('ccevm_signInNonce')}`), '0x' + '00'.repeat(65)]);
      assert.equal(elsewhere.body.error.data.reason, 'domain');
    } finally {
      await proxied.dispose();
    }
  });

  it('ethers v6: a JsonRpcProvider over a FetchRequest with the header, or over the URL with the token', async () => {
    const { token } = await signIn(user);
    const request = new FetchRequest(node.url);
    request.setHeader('Authorization', `Bearer ${token}`);
    const withHeader = new JsonRpcProvider(request, 1337, { staticNetwork: true });
    const inUrl = new JsonRpcProvider(`${node.url}/rpc/${token}`, 1337, { staticNetwork: true });
    const anonymous = new JsonRpcProvider(node.url, 1337, { staticNetwork: true });
    try {
      assert.deepEqual(await withHeader.send('ccevm_whoAmI', []), { address: user.address });
      assert.deepEqual(await inUrl.send('ccevm_whoAmI', []), { address: user.address });
      assert.deepEqual(await anonymous.send('ccevm_whoAmI', []), { address: null });
      assert.equal(await inUrl.getBlockNumber() >= 0, true);
      const bad = new JsonRpcProvider(`${node.url}/rpc/${'A'.repeat(43)}`, 1337, { staticNetwork: true });
      await assert.rejects(bad.send('ccevm_whoAmI', []), /401/);
      bad.destroy();
    } finally {
      for (const p of [withHeader, inUrl, anonymous]) p.destroy();
    }
  });

  it('viem: http(url, { fetchOptions: { headers } }), or http() of the URL with the token', async () => {
    const { token } = await signIn(user);
    const withHeader = createPublicClient({ transport: http(node.url, { fetchOptions: { headers: { Authorization: `Bearer ${token}` } } }) });
    const inUrl = createPublicClient({ transport: http(`${node.url}/rpc/${token}`) });
    const whoAmIOf = (client: typeof inUrl) => client.request({ method: 'ccevm_whoAmI' as never, params: [] as never }) as Promise<unknown>;
    assert.deepEqual(await whoAmIOf(withHeader), { address: user.address });
    assert.deepEqual(await whoAmIOf(inUrl), { address: user.address });
    assert.equal(await inUrl.getChainId(), 1337);
    const bad = createPublicClient({ transport: http(node.url, { retryCount: 0, fetchOptions: { headers: { Authorization: `Bearer ${'B'.repeat(43)}` } } }) });
    await assert.rejects(whoAmIOf(bad), (e: Error & { status?: number }) => (assert.match(e.message, /session token is not valid|401/), true));
  });

  it('Hardhat: httpHeaders in the network config (CCEVM_TOKEN), or the token in the network URL', async () => {
    const { token } = await signIn(user);
    const run = async (env: NodeJS.ProcessEnv) => {
      const result = await runHardhat(['run', 'scripts/who-am-i.cjs', '--network', 'ccevm'], { CCEVM_CHAIN_ID: '1337', CCEVM_TOKEN: '', ...env }, 30_000);
      assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
      return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { address: string | null };
    };
    assert.deepEqual(await run({ CCEVM_URL: node.url, CCEVM_TOKEN: token }), { address: user.address });
    assert.deepEqual(await run({ CCEVM_URL: `${node.url}/rpc/${token}` }), { address: user.address });
    assert.deepEqual(await run({ CCEVM_URL: node.url }), { address: null });
  });

  it('refuses a wrong sign-in with a clear error, and keeps working: domain, chain id, nonce, reuse, signature, expiry, a non-user, not SIWE', async () => {
    await refused(await message(user, { domain: 'evil.example:443' }), 'domain', /the message is for evil\.example:443, not for this node/);
    await refused(await message(user, { chainId: 1 }), 'chain-id', /for chain 1, this network is chain 1337/);
    await refused(await message(user, { nonce: 'abcdefgh12345678' }), 'nonce', /not issued by this service/);
    const once = await message(user);
    const signature = await user.signMessage(once);
    tokens.push((await node.rpc('ccevm_signIn', [once, signature])).token);
    await refused(once, 'nonce-used', /the nonce signed in already/);
    await refused(await message(user), 'signature', new RegExp(`was not signed by ${user.address}`), new Wallet(DEV_KEYS[2]!));
    await refused(await message(user, { expirationTime: new Date(Date.now() - 1000).toISOString() }), 'time', /expired at/);
    await refused(await message(user, { notBefore: new Date(Date.now() + 3_600_000).toISOString() }), 'time', /not valid before/);
    const stranger = Wallet.createRandom();
    await refused(await message(stranger), 'not-a-user', new RegExp(`${stranger.address.toLowerCase()} is not a user of this service`), stranger);
    await refused('please let me in', 'malformed', /not a Sign-In with Ethereum \(EIP-4361\) message/);
    const { body } = await post('/', 'ccevm_signIn', [await message(user)]);
    assert.equal(body.error.code, -32602, 'two parameters');
  });

  it('a token the service does not accept gets HTTP 401 with a JSON-RPC error; a wrong request shape says what is wrong', async () => {
    const { token } = await signIn(user);
    for (const [path, headers] of [
      [`/rpc/${'C'.repeat(43)}`, {}],
      ['/rpc/not-a-token', {}],
      ['/', { Authorization: `Bearer ${'D'.repeat(43)}` }],
      ['/', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ] as const) {
      const { status, body } = await post(path, 'eth_chainId', [], headers);
      assert.equal(status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(body.id, 7);
      assert.equal(body.error.code, INVALID_SESSION);
    }
    assert.match((await post('/rpc/xyz', 'eth_chainId')).body.error.message, /session token is not valid \(expired, revoked or not issued by this service\): sign in again/);
    const mismatch = await post(`/rpc/${token}`, 'eth_chainId', [], { Authorization: `Bearer ${'E'.repeat(43)}` });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.body.error.message, /different session tokens/);
    const elsewhere = await post('/api/v1', 'eth_chainId');
    assert.equal(elsewhere.status, 404);
    assert.match(elsewhere.body.error.message, /use \/ \(or \/rpc\), or \/rpc\/<session token>/);
    // CORS: a browser DApp may send the header, and reads the 401
    const preflight = await fetch(`${node.url}/`, { method: 'OPTIONS' });
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const res = await fetch(`${node.url}/rpc/${'F'.repeat(43)}`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal(await node.rpc('eth_chainId'), '0x539');
  });

  it('ccevm_signOut ends the session of the token it carries: 401 afterwards; without a token it is an error', async () => {
    const { token } = await signIn(user);
    const other = await signIn(user);
    const without = await post('/', 'ccevm_signOut');
    assert.equal(without.body.error.code, -32602);
    assert.match(without.body.error.message, /this request carries none/);
    assert.deepEqual((await post('/', 'ccevm_signOut', [], { Authorization: `Bearer ${token}` })).body, { jsonrpc: '2.0', id: 7, result: true });
    assert.equal((await post(`/rpc/${token}`, 'ccevm_whoAmI')).status, 401);
    assert.equal((await post('/', 'ccevm_whoAmI', [], { Authorization: `Bearer ${token}` })).status, 401);
    assert.equal(await whoAmI(`/rpc/${other.token}`), user.address, "the address's other session goes on");
  });

  it('a session lasts until the signed message expires (if sooner than 24 h)', async () => {
    const expires = new Date(Date.now() + 2_500);
    const session = await signIn(user, { expirationTime: expires.toISOString() });
    assert.equal(session.expiresAt, Math.floor(expires.getTime() / 1000));
    assert.equal(await whoAmI(`/rpc/${session.token}`), user.address);
    await sleep(expires.getTime() - Date.now() + 1_000);
    assert.equal((await post(`/rpc/${session.token}`, 'ccevm_whoAmI')).status, 401);
  });

  it('an address holds 16 sessions at most: a 17th sign-in ends the oldest', async () => {
    const wallet = new Wallet(DEV_KEYS[3]!);
    const sessions = [];
    for (let i = 0; i < 17; i++) sessions.push(await signIn(wallet));
    assert.equal((await post(`/rpc/${sessions[0]!.token}`, 'ccevm_whoAmI')).status, 401);
    for (const s of sessions.slice(1)) assert.equal(await whoAmI(`/rpc/${s.token}`), wallet.address);
  });

  it('a user the members remove loses their session', async () => {
    const wallet = new Wallet(DEV_KEYS[4]!);
    const { token } = await signIn(wallet);
    assert.equal(await whoAmI(`/rpc/${token}`), wallet.address);
    const member = await loadDevMember(node.dataDir);
    const gov = await GovClient.connect(node.url, { signer: member!.wallet });
    const proposed = await gov.propose([{ name: 'remove_user', args: { user_id: wallet.address.toLowerCase() } }]);
    if (proposed.kind !== 'ack' && proposed.state === 'Open') await gov.vote(proposed.proposalId, true);
    assert.equal((await post(`/rpc/${token}`, 'ccevm_whoAmI')).status, 401);
  });

  it('ccevm sign-in prints the URL to paste and the header form (HTTPS with --service-cert; key from a file, CCEVM_USER_KEY or a mnemonic)', async () => {
    const keyFile = join(node.dataDir, 'user.key');
    writeFileSync(keyFile, `${DEV_KEYS[1]}\n`);
    const https = node.httpsUrl!;
    const cert = join(node.dataDir, 'service_cert.pem');
    const printed = await runCli(['sign-in', '--rpc', https, '--service-cert', cert, '--key-file', keyFile], { CCEVM_USER_KEY: '' });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, new RegExp(`signed in as ${user.address} until \\d{4}-`));
    const url = new RegExp(`\\n  (${https.replace(/[/.]/g, '\\$&')}/rpc/([A-Za-z0-9_-]{43}))\\n`).exec(printed.stdout);
    assert.ok(url, printed.stdout);
    const header = /\n {2}Authorization: Bearer ([A-Za-z0-9_-]{43})\n/.exec(printed.stdout);
    assert.equal(header?.[1], url[2]);
    tokens.push(url[2]!);
    const serviceCert = readFileSync(cert, 'utf8');
    assert.deepEqual(await new JsonRpcClient(httpTransport(url[1]!, { ca: serviceCert })).call('ccevm_whoAmI'), { address: user.address });

    const json = await runCli(['sign-in', '--rpc', node.url, '--json'], { CCEVM_USER_KEY: DEV_KEYS[2]! });
    assert.equal(json.code, 0, json.stderr);
    const session = JSON.parse(json.stdout);
    tokens.push(session.token);
    assert.equal(session.address, getAddress(new Wallet(DEV_KEYS[2]!).address));
    assert.equal(session.url, `${node.url}/rpc/${session.token}`);
    assert.equal(await whoAmI(`/rpc/${session.token}`), session.address);

    const mnemonic = await runCli(['sign-in', '--rpc', node.url, '--json', '--mnemonic', 'test test test test test test test test test test test junk', '--account', '5'], { CCEVM_USER_KEY: '' });
    assert.equal(mnemonic.code, 0, mnemonic.stderr);
    tokens.push(JSON.parse(mnemonic.stdout).token);

    const noKey = await runCli(['sign-in', '--rpc', node.url], { CCEVM_USER_KEY: '' });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no user key: give --key-file FILE, CCEVM_USER_KEY or --mnemonic/);
    const noCert = await runCli(['sign-in', '--rpc', https, '--key-file', keyFile], { CCEVM_USER_KEY: '' });
    assert.match(noCert.stderr, /an https:\/\/ --rpc needs --service-cert FILE/);
  });

  it('no token ever appears in the node’s output', async () => {
    // a bad request or two more, with a token in it
    await post(`/rpc/${tokens[0]}x`, 'eth_chainId');
    await post(`/rpc/${tokens[1]}`, 'no_such_method');
    assert.ok(tokens.length > 20, `${tokens.length} tokens issued`);
    for (const token of tokens) assert.ok(!node.output.includes(token), `token ${token.slice(0, 6)}… in the output`);
    assert.ok(node.output.length > 0);
    // The request log saw those requests (by method and status, never their path).
    assert.match(node.output, /^ccevm_whoAmI 200 [\d.]+ ms$/m);
    assert.match(node.output, /^ccevm_signIn 200 [\d.]+ ms$/m);
    assert.match(node.output, /^(-|eth_chainId) 401 [\d.]+ ms$/m);
    assert.doesNotMatch(node.output, /\/rpc\//);
  });
});

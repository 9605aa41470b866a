// docs/confidentiality.md's table, cell by cell, against one production node process (no
// dev accounts; users alice and bob, the parties, carol, a signed-in non-party, and an
// auditor): every request goes over HTTPS through a TCP proxy that records the bytes, with
// the caller's session token (or none). Each `cell` tries every method of its row as that
// column's caller and asserts what the cell says; refused objects must equal the answer for
// one that does not exist. The host operator's column is one test at the end: it greps the
// node's data directory and the captured wire for the private facts the other tests moved.
// The table is parsed, and the last test fails if a cell has no passing test.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbiCoder, type BaseWallet, Contract, FetchRequest, getCreateAddress, id as eventTopic, JsonRpcProvider, keccak256, Wallet, zeroPadValue } from 'ethers';
import { loadDevMember } from '../../cli/consortium.js';
import { GovClient } from '../../cli/gov-client.js';
import { contractInterface, deployData, ensureContractsCompiled, loadArtifact, PROJECT_ROOT } from '../support/contracts.js';
import { NodeProcess } from '../support/node-process.js';
import { signInMessage as cliSignInMessage } from '../../cli/sign-in.js';

/** The CLI's sign-in message on this test's chain. */
const signInMessage = (url: string, address: string, nonce: string) => cliSignInMessage(url, address, 1337, nonce);

const COLUMNS = ['anonymous', 'authenticated non-party', 'party', 'host operator'] as const;
type Column = (typeof COLUMNS)[number];
type Who = 'anonymous' | 'alice' | 'bob' | 'carol' | 'auditor';
/** Who may stand for a column: a cell's test must try each of its row's methods as one of them. */
const COLUMN_CALLERS: Record<Exclude<Column, 'host operator'>, Who[]> = {
  anonymous: ['anonymous'],
  'authenticated non-party': ['carol'],
  party: ['alice', 'bob', 'auditor'],
};
const CALLERS = ['anonymous', 'authenticated non-party', 'party'] as const;

interface Row {
  /** the first backticked name of the row's first cell */
  name: string;
  /** every backticked name of the first cell */
  names: string[];
  cells: Record<Column, string>;
}

/** The table of docs/confidentiality.md: its header must be `method` and the four callers. */
function readTable(): Row[] {
  const lines = readFileSync(join(PROJECT_ROOT, 'docs/confidentiality.md'), 'utf8').split('\n');
  const cellsOf = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((s) => s.trim());
  const start = lines.findIndex((l) => l.startsWith('| method |'));
  assert.ok(start >= 0, 'docs/confidentiality.md has a table whose first column is "method"');
  assert.deepEqual(cellsOf(lines[start]!), ['method', ...COLUMNS]);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [first, ...rest] = cellsOf(line);
    assert.equal(rest.length, COLUMNS.length, `a cell per caller: ${line}`);
    const names = [...first!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    assert.ok(names.length > 0, `a row names its methods in backticks: ${line}`);
    rows.push({ name: names[0]!, names, cells: Object.fromEntries(COLUMNS.map((c, i) => [c, rest[i]!])) as Record<Column, string> });
  }
  assert.ok(rows.length > 10, `${rows.length} rows`);
  return rows;
}

const TABLE = readTable();
const isMethod = (name: string) => /^(eth|net|web3|ccevm)_/.test(name);

const TRANSFER = eventTopic('Transfer(address,address,uint256)');
const SUPPLY = 10n ** 45n;
const GENESIS_BALANCE = 10n ** 20n;
/** the private transfer's amount: unique, so that it can be looked for on disk and on the wire */
const AMOUNT = BigInt(`0x5ec7${randomBytes(14).toString('hex')}`);
const LOCATION_MADE = `Factory-${randomBytes(8).toString('hex')}`;
const LOCATION_HANDED = `Depot-${randomBytes(8).toString('hex')}`;
const UNKNOWN_HASH = `0x${'ab'.repeat(32)}`;
const ZERO = `0x${'0'.repeat(40)}`;
const word = (n: bigint) => AbiCoder.defaultAbiCoder().encode(['uint256'], [n]);
const topicOf = (address: string) => zeroPadValue(address, 32).toLowerCase();

class RpcError extends Error {
  constructor(readonly error: { code: number; message: string; data?: unknown }) {
    super(`${error.code}: ${error.message}`);
  }
}

/** A TCP proxy to the node's HTTPS port that keeps every byte it passes, both ways. */
async function startCapturingProxy(): Promise<{ port: number; captured: Buffer[]; target: { port: number }; close(): Promise<void> }> {
  const captured: Buffer[] = [];
  const target = { port: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    client.on('data', (d: Buffer) => captured.push(Buffer.from(d)));
    upstream.on('data', (d: Buffer) => captured.push(Buffer.from(d)));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return { port: (server.address() as { port: number }).port, captured, target, close };
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Whether a 2048-bit log bloom has the three bits of `value` (Ethereum's m3:2048). */
function bloomHas(bloom: string, value: string): boolean {
  const bits = Buffer.from(bloom.slice(2), 'hex');
  const hash = Buffer.from(keccak256(value).slice(2), 'hex');
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
    if ((bits[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

describe('e2e: what each caller learns (docs/confidentiality.md, cell by cell)', function () {
  this.timeout(120_000);
  let node: NodeProcess;
  let proxy: Awaited<ReturnType<typeof startCapturingProxy>>;
  let agent: Agent;
  let configDir: string;
  const wallets = { alice: Wallet.createRandom(), bob: Wallet.createRandom(), carol: Wallet.createRandom(), auditor: Wallet.createRandom() };
  const { alice, bob, carol, auditor } = wallets;
  const stranger = Wallet.createRandom();
  /** the current session token of each signed-in caller */
  const sessions: Partial<Record<Who, string>> = {};
  /** every token issued in this suite, to look for on the disk and the wire */
  const tokens: string[] = [];
  /** what the clients sent and received in clear, to check that the operator's markers did travel */
  const plaintext: string[] = [];
  const nonces = new Map<string, number>();
  const privateTokenAbi = contractInterface('PrivateToken');
  const supplyChainAbi = contractInterface('SupplyChain');
  let privateToken: string, publicToken: string, supplyChain: string;
  /** alice → bob, AMOUNT of the private token */
  let privateTransfer: string;
  /** alice → carol and carol → alice of the public token; the latter beside privateTransfer */
  let publicTransfer: string, carolsTransfer: string;
  /** alice → carol of the public token after the members made its Transfer visible to everyone */
  let everyoneTransfer: string;
  /** alice hands item 0 to bob at LOCATION_HANDED */
  let custodyTransfer: string;
  let privateBlock: string;
  /** filters installed before any transaction, per caller */
  const filters: Partial<Record<Who, { all: string; privateToken: string; blocks: string }>> = {};

  // ---- the client: JSON-RPC over HTTPS through the proxy, as a caller ----

  const httpsUrl = () => `https://127.0.0.1:${proxy.port}`;
  /** callers whose token goes in the URL path; the others send it as a Bearer header */
  const IN_PATH = new Set<Who>(['bob', 'auditor']);
  let called = new Set<string>();

  function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const text = JSON.stringify(body);
    plaintext.push(path, JSON.stringify(headers), text);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: proxy.port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const answer = Buffer.concat(chunks).toString('utf8');
            plaintext.push(answer);
            try {
              resolve({ status: res.statusCode!, body: JSON.parse(answer) });
            } catch {
              reject(new Error(`HTTP ${res.statusCode}: ${answer}`));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  /** `method` as `who` (with the session token `token`, if given instead of who's own): the HTTP status and body. */
  async function raw(who: Who, method: string, params: unknown[] = [], token = sessions[who]): Promise<{ status: number; body: any }> {
    called.add(`${method}@${who}`);
    const body = { jsonrpc: '2.0', id: 1, method, params };
    if (who === 'anonymous' && token === undefined) return post('/', body);
    return IN_PATH.has(who) ? post(`/rpc/${token}`, body) : post('/', body, { Authorization: `Bearer ${token}` });
  }

  /** The JSON-RPC response body of `method` as `who`. */
  async function ask(who: Who, method: string, params: unknown[] = []): Promise<any> {
    const { status, body } = await raw(who, method, params);
    assert.equal(status, 200, `${method} as ${who}: ${JSON.stringify(body)}`);
    return body;
  }

  async function result(who: Who, method: string, params: unknown[] = []): Promise<any> {
    const body = await ask(who, method, params);
    if (body.error) throw new RpcError(body.error);
    return body.result;
  }

  async function errorOf(who: Who, method: string, params: unknown[] = []): Promise<{ code: number; message: string; data?: any }> {
    const body = await ask(who, method, params);
    assert.ok(body.error, `${method} as ${who} is an error: ${JSON.stringify(body)}`);
    return body.error;
  }

  /** An ethers provider for `who`, over HTTPS with the service certificate, the token in the URL. */
  function ethersAs(who: Who): JsonRpcProvider {
    const req = new FetchRequest(who === 'anonymous' ? httpsUrl() : `${httpsUrl()}/rpc/${sessions[who]}`);
    req.getUrlFunc = FetchRequest.createGetUrlFunc({ agent });
    return new JsonRpcProvider(req, 1337, { staticNetwork: true });
  }

  async function signIn(wallet: BaseWallet): Promise<string> {
    const message = signInMessage(httpsUrl(), wallet.address, await result('anonymous', 'ccevm_signInNonce'));
    const session = await result('anonymous', 'ccevm_signIn', [message, await wallet.signMessage(message)]);
    tokens.push(session.token);
    return session.token;
  }

  /** A transaction signed by `wallet`, as sent; nonces counted here. */
  async function signed(wallet: BaseWallet, tx: { to?: string; data?: string; value?: bigint }): Promise<string> {
    const nonce = nonces.get(wallet.address) ?? 0;
    nonces.set(wallet.address, nonce + 1);
    return wallet.signTransaction({ type: 2, chainId: 1337, nonce, gasLimit: 3_000_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, value: 0n, ...tx });
  }

  /** Sends a transaction of `wallet` through `who`'s connection; its hash, once committed. */
  async function send(wallet: BaseWallet, tx: { to?: string; data?: string; value?: bigint }, who: Who = 'alice'): Promise<string> {
    const rawTx = await signed(wallet, tx);
    const hash = await result(who, 'eth_sendRawTransaction', [rawTx]);
    assert.equal(hash, keccak256(rawTx));
    assert.equal((await result('auditor', 'eth_getTransactionReceipt', [hash])).status, '0x1', `${hash} succeeded`);
    return hash;
  }

  const passed = new Set<string>();
  /**
   * A test of the cells of row `rowName` in `columns`: it must try each method of the row as
   * a caller of each column (COLUMN_CALLERS), and counts for those cells once it passes.
   */
  function cell(rowName: string, columns: readonly Exclude<Column, 'host operator'>[], title: string, test: () => Promise<void>): void {
    it(`${rowName} | ${columns.join(', ')}: ${title}`, async () => {
      const row = TABLE.find((r) => r.name === rowName);
      assert.ok(row, `no row ${rowName} in docs/confidentiality.md`);
      called = new Set();
      await test();
      for (const column of columns) {
        for (const method of row.names.filter(isMethod)) {
          const tried = [...called].some((c) => {
            const [m, who] = c.split('@') as [string, Who];
            return (method.endsWith('*') ? m.startsWith(method.slice(0, -1)) : m === method) && COLUMN_CALLERS[column].includes(who);
          });
          assert.ok(tried, `${method} was not tried as ${column} (${COLUMN_CALLERS[column].join(' or ')})`);
        }
        passed.add(`${rowName}|${column}`);
      }
    });
  }

  /** The same answer for every caller of the three columns (less `ignore`d fields). */
  async function sameForAll(method: string, params: unknown[] = [], ignore: string[] = []): Promise<any> {
    const strip = (body: any) => (body.result && typeof body.result === 'object' && !Array.isArray(body.result) ? { ...body, result: Object.fromEntries(Object.entries(body.result).filter(([k]) => !ignore.includes(k))) } : body);
    const first = strip(await ask('anonymous', method, params));
    for (const who of ['carol', 'alice', 'bob'] as const) assert.deepEqual(strip(await ask(who, method, params)), first, `${method} as ${who}`);
    return first.result ?? first.error;
  }

  before(async () => {
    ensureContractsCompiled();
    proxy = await startCapturingProxy();
    configDir = mkdtempSync(join(tmpdir(), 'ccevm-confidentiality-'));
    const config = join(configDir, 'service.json');
    writeFileSync(
      config,
      JSON.stringify({
        devAccounts: 0,
        users: [
          { address: alice.address, roles: ['deploy'] },
          { address: bob.address, roles: [] },
          { address: carol.address, roles: [] },
          { address: auditor.address, roles: ['auditor'] },
        ],
        genesis: Object.fromEntries([alice, bob, carol].map((w) => [w.address, { balance: GENESIS_BALANCE.toString() }])),
        signInDomains: [`127.0.0.1:${proxy.port}`],
      }),
    );
    node = await NodeProcess.start({ https: true, args: ['--config', config] });
    proxy.target.port = Number(new URL(node.httpsUrl!).port);
    agent = new Agent({ ca: readFileSync(join(node.dataDir, 'service_cert.pem'), 'utf8'), keepAlive: true });
    for (const who of ['alice', 'bob', 'carol', 'auditor'] as const) sessions[who] = await signIn(wallets[who]);

    privateToken = getCreateAddress({ from: alice.address, nonce: 0 });
    publicToken = getCreateAddress({ from: alice.address, nonce: 1 });
    supplyChain = getCreateAddress({ from: alice.address, nonce: 2 });
    for (const who of ['anonymous', 'carol', 'bob'] as const) {
      filters[who] = {
        all: await result(who, 'eth_newFilter', [{}]),
        privateToken: await result(who, 'eth_newFilter', [{ address: privateToken }]),
        blocks: await result(who, 'eth_newBlockFilter'),
      };
    }

    await send(alice, { data: deployData('PrivateToken', ['Private', 'PRV', SUPPLY, auditor.address]) });
    await send(alice, { data: deployData('Token', ['Public', 'PUB', SUPPLY]) });
    await send(alice, { data: loadArtifact('SupplyChain').bytecode });
    assert.notEqual(await result('auditor', 'eth_getCode', [supplyChain, 'latest']), '0x');
    await send(alice, { to: supplyChain, data: supplyChainAbi.encodeFunctionData('registerParticipant', [alice.address, 1]) });
    await send(alice, { to: supplyChain, data: supplyChainAbi.encodeFunctionData('registerParticipant', [bob.address, 2]) });
    await send(alice, { to: supplyChain, data: supplyChainAbi.encodeFunctionData('createItem', [keccak256(Buffer.from('a crate of pears')), LOCATION_MADE]) });
    custodyTransfer = await send(alice, { to: supplyChain, data: supplyChainAbi.encodeFunctionData('transferCustody', [0n, bob.address, LOCATION_HANDED]) });
    publicTransfer = await send(alice, { to: publicToken, data: privateTokenAbi.encodeFunctionData('transfer', [carol.address, 10n]) });
    // One batch of two senders' transactions, so that they share a block: carol's public
    // transfer beside the private one (the block views below then differ per caller).
    const pair = [
      await signed(alice, { to: privateToken, data: privateTokenAbi.encodeFunctionData('transfer', [bob.address, AMOUNT]) }),
      await signed(carol, { to: publicToken, data: privateTokenAbi.encodeFunctionData('transfer', [alice.address, 3n]) }),
    ];
    const batch = await post('/', pair.map((rawTx, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [rawTx] })), { Authorization: `Bearer ${sessions.alice}` });
    [privateTransfer, carolsTransfer] = pair.map((rawTx) => keccak256(rawTx));
    assert.deepEqual(batch.body.map((r: { result: string }) => r.result).sort(), [privateTransfer, carolsTransfer].sort(), JSON.stringify(batch.body));
    const [privateReceipt, carolsReceipt] = await Promise.all([privateTransfer, carolsTransfer].map((h) => result('auditor', 'eth_getTransactionReceipt', [h])));
    assert.deepEqual([privateReceipt.status, carolsReceipt.status], ['0x1', '0x1']);
    privateBlock = privateReceipt.blockNumber;
    assert.equal(carolsReceipt.blockNumber, privateBlock, 'the two transfers share a block');

    // The members make the public token's Transfer an event anyone may see.
    const member = await loadDevMember(node.dataDir);
    const gov = await GovClient.connect(node.url, { signer: member!.wallet });
    const proposed = await gov.propose([{ name: 'set_event_visibility', args: { address: publicToken, topic: TRANSFER, rule: 1 } }]);
    if (proposed.kind !== 'ack' && proposed.state === 'Open') await gov.vote(proposed.proposalId, true);
    everyoneTransfer = await send(alice, { to: publicToken, data: privateTokenAbi.encodeFunctionData('transfer', [carol.address, 4n]) });
  });

  after(async () => {
    agent?.destroy();
    await node?.dispose();
    await proxy?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  // ---- public facts: the same for every caller ----

  cell('eth_chainId', CALLERS, 'the chain id and version, the same for everyone', async () => {
    assert.equal(await sameForAll('eth_chainId'), '0x539');
    assert.equal(await sameForAll('net_version'), '1337');
    assert.equal(await sameForAll('net_listening'), true);
    assert.match(await sameForAll('web3_clientVersion'), /^ccevm\/v/);
  });

  cell('eth_blockNumber', CALLERS, "the head's number, the same for everyone", async () => {
    const number = await sameForAll('eth_blockNumber');
    assert.ok(BigInt(number) >= BigInt(privateBlock), number);
  });

  cell('eth_gasPrice', CALLERS, "the policy's base fee; gasUsedRatio 0, also of the private transfer's block", async () => {
    assert.equal(await sameForAll('eth_gasPrice'), '0x0');
    assert.equal(await sameForAll('eth_maxPriorityFeePerGas'), '0x0');
    const history = await sameForAll('eth_feeHistory', ['0x4', privateBlock, [50]]);
    assert.equal(history.gasUsedRatio.length, 4);
    assert.ok(history.gasUsedRatio.every((r: number) => r === 0), JSON.stringify(history));
    assert.ok(history.baseFeePerGas.every((f: string) => f === '0x0'), JSON.stringify(history));
  });

  // ---- accounts ----

  cell('eth_getBalance', ['anonymous'], "0x0 for every account, as for one that does not exist", async () => {
    const fresh = Wallet.createRandom().address;
    for (const method of ['eth_getBalance', 'eth_getTransactionCount']) {
      const none = await ask('anonymous', method, [fresh, 'latest']);
      assert.equal(none.result, '0x0');
      for (const of of [alice.address, bob.address]) assert.deepEqual(await ask('anonymous', method, [of, 'latest']), none, `${method} of ${of}`);
    }
  });

  cell('eth_getBalance', ['authenticated non-party'], "0x0 for another's account", async () => {
    const fresh = Wallet.createRandom().address;
    for (const method of ['eth_getBalance', 'eth_getTransactionCount']) {
      const none = await ask('carol', method, [fresh, 'latest']);
      for (const of of [alice.address, bob.address]) assert.deepEqual(await ask('carol', method, [of, 'latest']), none, `${method} of ${of}`);
    }
    assert.equal(await result('carol', 'eth_getBalance', [carol.address, 'latest']), `0x${GENESIS_BALANCE.toString(16)}`, 'her own, though');
  });

  cell('eth_getBalance', ['party'], "its own account's figure (and the auditor's, any)", async () => {
    const balance = `0x${GENESIS_BALANCE.toString(16)}`;
    assert.equal(await result('alice', 'eth_getBalance', [alice.address, 'latest']), balance);
    assert.equal(await result('alice', 'eth_getTransactionCount', [alice.address, 'latest']), `0x${nonces.get(alice.address)!.toString(16)}`);
    assert.equal(await result('bob', 'eth_getBalance', [bob.address, 'latest']), balance);
    assert.equal(await result('auditor', 'eth_getBalance', [alice.address, 'latest']), balance);
    assert.equal(await result('auditor', 'eth_getTransactionCount', [alice.address, 'latest']), `0x${nonces.get(alice.address)!.toString(16)}`);
  });

  cell('eth_getCode', ['anonymous'], '0x, as for an address without code', async () => {
    const none = await ask('anonymous', 'eth_getCode', [Wallet.createRandom().address, 'latest']);
    assert.equal(none.result, '0x');
    for (const at of [privateToken, publicToken, supplyChain]) assert.deepEqual(await ask('anonymous', 'eth_getCode', [at, 'latest']), none);
  });

  cell('eth_getCode', ['authenticated non-party', 'party'], 'the code', async () => {
    const code = await result('alice', 'eth_getCode', [privateToken, 'latest']);
    assert.equal(code.length, loadArtifact('PrivateToken').deployedBytecode.length);
    assert.equal(await result('carol', 'eth_getCode', [privateToken, 'latest']), code);
    assert.equal(await result('carol', 'eth_getCode', [supplyChain, 'latest']), await result('bob', 'eth_getCode', [supplyChain, 'latest']));
  });

  cell('eth_getStorageAt', CALLERS, 'refused, for everyone, the same error for any address', async () => {
    const refusal = await errorOf('anonymous', 'eth_getStorageAt', [Wallet.createRandom().address, '0x0', 'latest']);
    assert.match(refusal.message, /eth_getStorageAt is refused/);
    for (const who of ['anonymous', 'carol', 'alice', 'auditor'] as const) {
      for (const at of [privateToken, supplyChain]) assert.deepEqual(await errorOf(who, 'eth_getStorageAt', [at, '0x0', 'latest']), refusal, `${who} at ${at}`);
    }
  });

  // ---- calls ----

  const balanceOf = (of: string, from?: string) => ({ to: privateToken, data: privateTokenAbi.encodeFunctionData('balanceOf', [of]), ...(from ? { from } : {}) });
  const history = (from?: string) => ({ to: supplyChain, data: supplyChainAbi.encodeFunctionData('history', [0n]), ...(from ? { from } : {}) });
  /** No private figure in an error: not the amount (in any width), nor a location. */
  const tellsNothing = (error: unknown) => {
    const text = JSON.stringify(error).toLowerCase();
    for (const secret of [AMOUNT.toString(16), AMOUNT.toString(), Buffer.from(LOCATION_HANDED).toString('hex'), LOCATION_HANDED.toLowerCase(), Buffer.from(LOCATION_MADE).toString('hex')]) {
      assert.ok(!text.includes(secret.toLowerCase()), `${secret} in ${text}`);
    }
  };
  const revertedWith = (error: { data?: string }, abi: typeof privateTokenAbi, name: string) => abi.decodeErrorResult(name, error.data!);

  cell('eth_call', ['anonymous'], 'runs as msg.sender = 0x0 whatever from says: NotAuthorized(0x0), not bob\'s balance', async () => {
    for (const method of ['eth_call', 'eth_estimateGas']) {
      const params = (request: object) => (method === 'eth_call' ? [request, 'latest'] : [request]);
      const impersonating = await errorOf('anonymous', method, params(balanceOf(bob.address, bob.address)));
      assert.equal(revertedWith(impersonating, privateTokenAbi, 'NotAuthorized')[0], ZERO, method);
      assert.deepEqual(await errorOf('anonymous', method, params(balanceOf(bob.address))), impersonating, 'as without from');
      tellsNothing(impersonating);
      const participant = await errorOf('anonymous', method, params(history(bob.address)));
      assert.equal(revertedWith(participant, supplyChainAbi, 'NotParticipant')[0], ZERO);
      tellsNothing(participant);
    }
  });

  cell('eth_call', ['authenticated non-party'], 'from must be its own address, else refused; the contract answers it, with no one else\'s figure', async () => {
    for (const method of ['eth_call', 'eth_estimateGas']) {
      const params = (request: object) => (method === 'eth_call' ? [request, 'latest'] : [request]);
      const impersonating = await errorOf('carol', method, params(balanceOf(bob.address, bob.address)));
      assert.match(impersonating.message, /is not the signed-in address/);
      tellsNothing(impersonating);
      for (const from of [carol.address, undefined]) {
        const own = await errorOf('carol', method, params(balanceOf(bob.address, from)));
        assert.equal(revertedWith(own, privateTokenAbi, 'NotAuthorized')[0], carol.address);
        tellsNothing(own);
        const participant = await errorOf('carol', method, params(history(from)));
        assert.equal(revertedWith(participant, supplyChainAbi, 'NotParticipant')[0], carol.address);
        tellsNothing(participant);
      }
      // spending bob's tokens without an allowance: her own figure (0), not his balance
      const spend = await errorOf('carol', method, params({ to: privateToken, data: privateTokenAbi.encodeFunctionData('transferFrom', [bob.address, carol.address, 1n]) }));
      assert.deepEqual([...revertedWith(spend, privateTokenAbi, 'InsufficientAllowance')], [bob.address, carol.address, 1n, 0n]);
      tellsNothing(spend);
    }
    // ethers sees the same
    const provider = ethersAs('carol');
    try {
      await assert.rejects(new Contract(privateToken, privateTokenAbi, provider).getFunction('balanceOf')(bob.address), (e: Error & { revert?: { name: string; args: unknown[] } }) => {
        assert.deepEqual([e.revert?.name, ...(e.revert?.args ?? [])], ['NotAuthorized', carol.address]);
        return true;
      });
    } finally {
      provider.destroy();
    }
  });

  cell('eth_call', ['party'], "the contract's answer to it; another from is refused even to a party", async () => {
    assert.equal(BigInt(await result('bob', 'eth_call', [balanceOf(bob.address), 'latest'])), AMOUNT);
    assert.equal(BigInt(await result('bob', 'eth_call', [balanceOf(bob.address, bob.address), 'latest'])), AMOUNT);
    assert.equal(BigInt(await result('auditor', 'eth_call', [balanceOf(bob.address), 'latest'])), AMOUNT);
    assert.match(await result('bob', 'eth_estimateGas', [balanceOf(bob.address)]), /^0x[0-9a-f]+$/);
    assert.match((await errorOf('alice', 'eth_call', [balanceOf(bob.address, bob.address), 'latest'])).message, /is not the signed-in address/);
    assert.match((await errorOf('alice', 'eth_estimateGas', [balanceOf(bob.address, bob.address)])).message, /is not the signed-in address/);
    const [custody] = supplyChainAbi.decodeFunctionResult('history', await result('bob', 'eth_call', [history(), 'latest']));
    assert.deepEqual(custody.map((c: { location: string }) => c.location), [LOCATION_MADE, LOCATION_HANDED]);
    const provider = ethersAs('bob');
    try {
      assert.equal(await new Contract(privateToken, privateTokenAbi, provider).getFunction('balanceOf')(bob.address), AMOUNT);
    } finally {
      provider.destroy();
    }
  });

  cell('eth_sendRawTransaction', CALLERS, "a user's transaction is accepted whoever carries it (its hash); a non-user's refused alike", async () => {
    for (const who of ['anonymous', 'carol', 'bob'] as const) {
      const signer = who === 'anonymous' ? carol : wallets[who];
      const rawTx = await signed(signer, { to: Wallet.createRandom().address, value: 1n });
      assert.equal(await result(who, 'eth_sendRawTransaction', [rawTx]), keccak256(rawTx), who);
    }
    const strangers = await signed(stranger, { to: Wallet.createRandom().address });
    const refusal = await errorOf('anonymous', 'eth_sendRawTransaction', [strangers]);
    for (const who of ['carol', 'bob'] as const) assert.deepEqual(await errorOf(who, 'eth_sendRawTransaction', [strangers]), refusal, who);
  });

  // ---- transactions and receipts ----

  /** How many transactions the block holds, as the auditor (who sees all) counts them. */
  const blockSize = async (number: string) => Number(await result('auditor', 'eth_getBlockTransactionCountByNumber', [number]));

  cell('eth_getTransactionByHash', ['anonymous'], "null for every transaction, as for an unknown hash, and no index shows one", async () => {
    const none = await ask('anonymous', 'eth_getTransactionByHash', [UNKNOWN_HASH]);
    assert.equal(none.result, null);
    for (const hash of [privateTransfer, custodyTransfer, publicTransfer, carolsTransfer]) assert.deepEqual(await ask('anonymous', 'eth_getTransactionByHash', [hash]), none, hash);
    const noIndex = await ask('anonymous', 'eth_getTransactionByBlockNumberAndIndex', [privateBlock, '0x40']);
    for (let i = 0; i < (await blockSize(privateBlock)); i++) assert.deepEqual(await ask('anonymous', 'eth_getTransactionByBlockNumberAndIndex', [privateBlock, `0x${i.toString(16)}`]), noIndex, `index ${i}`);
  });

  cell('eth_getTransactionByHash', ['authenticated non-party'], 'null for a private transaction, as for an unknown hash; its indices hold only what it may see', async () => {
    const none = await ask('carol', 'eth_getTransactionByHash', [UNKNOWN_HASH]);
    for (const hash of [privateTransfer, custodyTransfer]) assert.deepEqual(await ask('carol', 'eth_getTransactionByHash', [hash]), none, hash);
    assert.equal((await result('carol', 'eth_getTransactionByHash', [publicTransfer])).hash, publicTransfer, 'a public contract: every user sees it');
    const visible = (await result('carol', 'eth_getBlockByNumber', [privateBlock, false])).transactions;
    const byIndex = [];
    for (let i = 0; i < (await blockSize(privateBlock)); i++) byIndex.push((await result('carol', 'eth_getTransactionByBlockNumberAndIndex', [privateBlock, `0x${i.toString(16)}`]))?.hash ?? null);
    assert.deepEqual(byIndex, [...visible, ...Array(byIndex.length - visible.length).fill(null)], 'her view, numbered from 0 without gaps');
    assert.ok(!byIndex.includes(privateTransfer), 'not the private transfer');
    const provider = ethersAs('carol');
    try {
      assert.equal(await provider.getTransaction(privateTransfer), null, 'ethers: no such transaction');
    } finally {
      provider.destroy();
    }
  });

  cell('eth_getTransactionByHash', ['party'], 'the transaction (its sender, its recipient, the auditor), indexed in its view', async () => {
    for (const who of ['alice', 'bob', 'auditor'] as const) {
      const tx = await result(who, 'eth_getTransactionByHash', [privateTransfer]);
      assert.equal(tx.hash, privateTransfer, who);
      assert.equal(tx.input, privateTokenAbi.encodeFunctionData('transfer', [bob.address, AMOUNT]));
      const atIndex = await result(who, 'eth_getTransactionByBlockNumberAndIndex', [privateBlock, tx.transactionIndex]);
      assert.deepEqual(atIndex, tx, `${who}: the same at its index ${tx.transactionIndex}`);
      const shown = (await result(who, 'eth_getBlockByNumber', [privateBlock, false])).transactions;
      assert.equal(shown.indexOf(privateTransfer), Number(tx.transactionIndex), `${who}: the index is its place in its view`);
    }
    assert.equal((await result('bob', 'eth_getTransactionByHash', [custodyTransfer])).hash, custodyTransfer, 'a participant sees the supply chain');
  });

  cell('eth_getTransactionReceipt', ['anonymous', 'authenticated non-party'], 'null, as for an unknown hash', async () => {
    for (const who of ['anonymous', 'carol'] as const) {
      const none = await ask(who, 'eth_getTransactionReceipt', [UNKNOWN_HASH]);
      assert.equal(none.result, null);
      for (const hash of [privateTransfer, custodyTransfer]) assert.deepEqual(await ask(who, 'eth_getTransactionReceipt', [hash]), none, `${who}: ${hash}`);
    }
    assert.equal(await result('anonymous', 'eth_getTransactionReceipt', [publicTransfer]), null, 'nor a public contract\'s, anonymously');
    assert.ok(await result('carol', 'eth_getTransactionReceipt', [publicTransfer]), 'which carol sees');
    const provider = ethersAs('carol');
    try {
      assert.equal(await provider.getTransactionReceipt(privateTransfer), null, 'ethers: none');
    } finally {
      provider.destroy();
    }
  });

  cell('eth_getTransactionReceipt', ['party'], 'the receipt with only the logs it may see, indexed and gas-counted in its view', async () => {
    for (const who of ['bob', 'auditor'] as const) {
      const receipt = await result(who, 'eth_getTransactionReceipt', [privateTransfer]);
      assert.equal(receipt.logs.length, 1, who);
      assert.deepEqual(receipt.logs[0].topics, [TRANSFER, topicOf(alice.address), topicOf(bob.address)]);
      assert.equal(BigInt(receipt.logs[0].data), AMOUNT);
      // indexed and gas-counted in its view: as its own block view and logs have it
      const block = await result(who, 'eth_getBlockByNumber', [privateBlock, false]);
      assert.equal(Number(receipt.transactionIndex), block.transactions.indexOf(privateTransfer));
      let gas = 0n;
      for (const hash of block.transactions.slice(0, Number(receipt.transactionIndex) + 1)) gas += BigInt((await result(who, 'eth_getTransactionReceipt', [hash])).gasUsed);
      assert.equal(BigInt(receipt.cumulativeGasUsed), gas, `${who}: cumulative gas of its view`);
      const logs = await result(who, 'eth_getLogs', [{ blockHash: receipt.blockHash }]);
      assert.deepEqual(logs.find((l: { transactionHash: string }) => l.transactionHash === privateTransfer), receipt.logs[0], `${who}: the log indexed as in its logs`);
    }
    // bob is named by the transfer, not by the mint: the deployment's receipt is not his
    assert.equal(await result('bob', 'eth_getTransactionReceipt', [(await result('auditor', 'eth_getLogs', [{ address: privateToken, fromBlock: '0x0' }]))[0].transactionHash]), null);
    const custody = await result('bob', 'eth_getTransactionReceipt', [custodyTransfer]);
    assert.equal(custody.logs.length, 1, 'his CustodyTransferred');
  });

  cell('ccevm_getLedgerReceipt', ['anonymous', 'authenticated non-party'], 'null, as for an unknown hash', async () => {
    for (const who of ['anonymous', 'carol'] as const) {
      const none = await ask(who, 'ccevm_getLedgerReceipt', [UNKNOWN_HASH]);
      assert.equal(none.result, null);
      for (const hash of [privateTransfer, custodyTransfer]) assert.deepEqual(await ask(who, 'ccevm_getLedgerReceipt', [hash]), none, `${who}: ${hash}`);
    }
  });

  cell('ccevm_getLedgerReceipt', ['party'], 'the ledger receipt, its claims with the logs it may see whole, its own receipt', async () => {
    for (const who of ['bob', 'auditor'] as const) {
      const answer = await result(who, 'ccevm_getLedgerReceipt', [privateTransfer]);
      assert.equal(answer.status, 'committed');
      assert.deepEqual(answer.ethereumReceipt, await result(who, 'eth_getTransactionReceipt', [privateTransfer]), `${who}: its own receipt`);
      assert.equal(answer.claims.logs.length, 1);
      assert.equal(BigInt(answer.claims.logs[0].data), AMOUNT, `${who}: the transfer it may see, whole`);
      assert.match(answer.claims.logs[0].salt, /^0x[0-9a-f]{64}$/);
    }
  });

  // ---- blocks ----

  const HEADER_FIELDS = ['hash', 'parentHash', 'number', 'timestamp', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom', 'miner', 'gasLimit', 'baseFeePerGas', 'extraData', 'mixHash', 'nonce'];
  const header = (block: Record<string, unknown>) => Object.fromEntries(HEADER_FIELDS.map((f) => [f, block[f]]));
  /** The gas of `hashes` as `who` reads their receipts. */
  const gasOf = async (who: Who, hashes: string[]) => {
    let gas = 0n;
    for (const hash of hashes) gas += BigInt((await result(who, 'eth_getTransactionReceipt', [hash])).gasUsed);
    return `0x${gas.toString(16)}`;
  };

  cell('eth_getBlockByNumber', ['anonymous'], 'the header; no transactions; gasUsed 0, even where it sees a log', async () => {
    // the block of a private transfer, and one whose log anonymous may see but not its transaction
    const everyoneBlock = (await result('auditor', 'eth_getTransactionReceipt', [everyoneTransfer])).blockNumber;
    assert.equal((await result('anonymous', 'eth_getLogs', [{ fromBlock: everyoneBlock, toBlock: everyoneBlock }])).length, 1);
    for (const number of [privateBlock, everyoneBlock]) {
      const full = await result('auditor', 'eth_getBlockByNumber', [number, false]);
      assert.ok(full.transactions.length > 0 && full.gasUsed !== '0x0', `block ${number} holds transactions`);
      for (const [method, at] of [['eth_getBlockByNumber', number], ['eth_getBlockByHash', full.hash]] as const) {
        for (const withTransactions of [false, true]) {
          const block = await result('anonymous', method, [at, withTransactions]);
          assert.deepEqual(header(block), header(full), 'the one header');
          assert.deepEqual([block.transactions, block.gasUsed], [[], '0x0'], `${method} ${number} ${withTransactions}`);
        }
      }
    }
    assert.equal(await result('anonymous', 'eth_getBlockByHash', [UNKNOWN_HASH, false]), null);
  });

  cell('eth_getBlockByNumber', ['authenticated non-party', 'party'], 'the header; the transactions it may see; their gas', async () => {
    const full = await result('auditor', 'eth_getBlockByNumber', [privateBlock, false]);
    for (const who of ['carol', 'bob', 'auditor'] as const) {
      for (const [method, at] of [['eth_getBlockByNumber', privateBlock], ['eth_getBlockByHash', full.hash]] as const) {
        const block = await result(who, method, [at, false]);
        assert.deepEqual(header(block), header(full), `${who}: the one header`);
        assert.equal(block.gasUsed, await gasOf(who, block.transactions), `${who}: the gas of its view`);
        const objects = await result(who, method, [at, true]);
        assert.deepEqual(objects.transactions.map((t: { hash: string }) => t.hash), block.transactions);
        assert.equal(block.transactions.includes(privateTransfer), who !== 'carol', `${who}: the private transfer`);
      }
    }
    const carols = (await result('carol', 'eth_getBlockByNumber', [privateBlock, false])).transactions;
    assert.deepEqual(carols, full.transactions.filter((h: string) => h === carolsTransfer), 'carol: her own transfer, if it shares the block, and nothing else');
  });

  cell('eth_getBlockTransactionCountByNumber', ['anonymous'], '0x0', async () => {
    const { hash } = await result('auditor', 'eth_getBlockByNumber', [privateBlock, false]);
    assert.equal(await result('anonymous', 'eth_getBlockTransactionCountByNumber', [privateBlock]), '0x0');
    assert.equal(await result('anonymous', 'eth_getBlockTransactionCountByHash', [hash]), '0x0');
  });

  cell('eth_getBlockTransactionCountByNumber', ['authenticated non-party', 'party'], 'the count of what it may see', async () => {
    const { hash } = await result('auditor', 'eth_getBlockByNumber', [privateBlock, false]);
    for (const who of ['carol', 'bob'] as const) {
      const count = `0x${(await result(who, 'eth_getBlockByNumber', [privateBlock, false])).transactions.length.toString(16)}`;
      assert.equal(await result(who, 'eth_getBlockTransactionCountByNumber', [privateBlock]), count, who);
      assert.equal(await result(who, 'eth_getBlockTransactionCountByHash', [hash]), count, who);
    }
    assert.ok(Number(await result('bob', 'eth_getBlockTransactionCountByNumber', [privateBlock])) > Number(await result('carol', 'eth_getBlockTransactionCountByNumber', [privateBlock])), 'bob counts the private transfer, carol does not');
  });

  // ---- logs and filters ----

  /** What a caller may never see in logs: the private token's, the supply chain's, bob's topic. */
  const noPrivateLog = (logs: { address: string; topics: string[] }[], who: string) => {
    for (const log of logs) {
      assert.equal(log.address.toLowerCase(), publicToken.toLowerCase(), `${who}: a log of ${log.address}`);
      assert.ok(!log.topics.includes(topicOf(bob.address)), `${who}: bob's topic`);
    }
  };

  cell('eth_getLogs', ['anonymous'], 'logs whose event rule is Everyone: the public Transfers the members opened, nothing private', async () => {
    const logs = await result('anonymous', 'eth_getLogs', [{ fromBlock: '0x0' }]);
    assert.ok(logs.some((l: { transactionHash: string }) => l.transactionHash === everyoneTransfer), 'the Transfer made visible to everyone');
    noPrivateLog(logs, 'anonymous');
    for (const filter of [{ address: privateToken }, { address: supplyChain }, { topics: [TRANSFER, null, topicOf(bob.address)] }]) {
      assert.deepEqual(await result('anonymous', 'eth_getLogs', [{ fromBlock: '0x0', ...filter }]), [], JSON.stringify(filter));
    }
    assert.deepEqual(await result('anonymous', 'eth_getFilterLogs', [filters.anonymous!.privateToken]), []);
    noPrivateLog(await result('anonymous', 'eth_getFilterChanges', [filters.anonymous!.all]), 'anonymous');
    assert.deepEqual(await result('anonymous', 'eth_getFilterChanges', [filters.anonymous!.privateToken]), []);
  });

  cell('eth_getLogs', ['authenticated non-party'], "public contracts' logs; none of a private contract", async () => {
    const logs = await result('carol', 'eth_getLogs', [{ fromBlock: '0x0' }]);
    assert.ok(logs.some((l: { transactionHash: string }) => l.transactionHash === publicTransfer), 'the public token: every user sees it');
    noPrivateLog(logs, 'carol');
    for (const filter of [{ address: privateToken }, { address: supplyChain }, { topics: [TRANSFER, null, topicOf(bob.address)] }]) {
      assert.deepEqual(await result('carol', 'eth_getLogs', [{ fromBlock: '0x0', ...filter }]), [], JSON.stringify(filter));
    }
    assert.deepEqual(await result('carol', 'eth_getFilterLogs', [filters.carol!.privateToken]), []);
    const changes = await result('carol', 'eth_getFilterChanges', [filters.carol!.all]);
    assert.ok(changes.length >= 3, 'the public transfers since she installed it');
    noPrivateLog(changes, 'carol');
  });

  cell('eth_getLogs', ['party'], 'its own view: the transfer to bob, not the mint to alice; his custody log', async () => {
    const expected = await result('bob', 'eth_getLogs', [{ fromBlock: '0x0', address: privateToken }]);
    assert.deepEqual(expected.map((l: { transactionHash: string }) => l.transactionHash), [privateTransfer]);
    assert.deepEqual(await result('bob', 'eth_getLogs', [{ fromBlock: '0x0', topics: [TRANSFER, null, topicOf(bob.address)] }]), expected);
    assert.deepEqual(await result('bob', 'eth_getFilterLogs', [filters.bob!.privateToken]), expected);
    assert.deepEqual(await result('bob', 'eth_getFilterChanges', [filters.bob!.privateToken]), expected);
    const auditors = await result('auditor', 'eth_getLogs', [{ fromBlock: '0x0', address: privateToken }]);
    assert.equal(auditors.length, 2, 'the auditor: the mint and the transfer');
    const custody = await result('bob', 'eth_getLogs', [{ fromBlock: '0x0', address: supplyChain }]);
    assert.ok(custody.some((l: { transactionHash: string }) => l.transactionHash === custodyTransfer), 'his custody log');
    assert.ok((await result('bob', 'eth_getFilterChanges', [filters.bob!.all])).some((l: { transactionHash: string }) => l.transactionHash === privateTransfer));
  });

  /** `owner`'s filters are "filter not found" to everyone else, exactly as a made-up id. */
  async function onlyItsOwnerPolls(owner: Who, others: Who[]): Promise<void> {
    const logs = await result(owner, 'eth_newFilter', [{ fromBlock: '0x0', address: publicToken }]);
    const blocks = await result(owner, 'eth_newBlockFilter');
    const own = await result(owner, 'eth_getFilterLogs', [logs]);
    for (const other of others) {
      for (const id of [logs, blocks]) {
        const notFound = await errorOf(other, 'eth_getFilterChanges', ['0x1234567']);
        assert.match(notFound.message, /filter not found/);
        assert.deepEqual(await errorOf(other, 'eth_getFilterChanges', [id]), notFound, `${other} polls ${owner}'s filter`);
        assert.deepEqual(await errorOf(other, 'eth_getFilterLogs', [id]), await errorOf(other, 'eth_getFilterLogs', ['0x1234567']), `${other} reads ${owner}'s filter`);
        assert.equal(await result(other, 'eth_uninstallFilter', [id]), false, `${other} removes ${owner}'s filter`);
      }
    }
    assert.deepEqual(await result(owner, 'eth_getFilterLogs', [logs]), own, 'still there');
    assert.ok(Array.isArray(await result(owner, 'eth_getFilterChanges', [blocks])));
    assert.equal(await result(owner, 'eth_uninstallFilter', [logs]), true);
    assert.equal(await result(owner, 'eth_uninstallFilter', [blocks]), true);
    assert.equal(await result(owner, 'eth_uninstallFilter', [logs]), false, 'once');
  }

  cell('eth_newFilter', ['anonymous'], 'a filter only anonymous callers can poll; bob and carol are told it does not exist', async () => {
    await onlyItsOwnerPolls('anonymous', ['carol', 'bob']);
    // and a block filter tells anonymous the blocks, as anyone: the headers are public
    assert.deepEqual(await result('anonymous', 'eth_getFilterChanges', [filters.anonymous!.blocks]), await result('bob', 'eth_getFilterChanges', [filters.bob!.blocks]));
  });

  cell('eth_newFilter', ['authenticated non-party'], 'a filter only it can poll; it cannot poll, read or remove bob\'s', async () => {
    await onlyItsOwnerPolls('carol', ['anonymous', 'bob']);
    for (const id of Object.values(filters.bob!)) {
      assert.match((await errorOf('carol', 'eth_getFilterLogs', [id])).message, /filter not found/);
      assert.equal(await result('carol', 'eth_uninstallFilter', [id]), false);
    }
  });

  cell('eth_newFilter', ['party'], 'a filter only it can poll', async () => {
    await onlyItsOwnerPolls('bob', ['anonymous', 'carol', 'alice']);
    assert.ok(Array.isArray(await result('bob', 'eth_getFilterLogs', [filters.bob!.privateToken])), "the others' attempts left his filters alone");
  });

  cell('logsBloom', CALLERS, 'every header bloom covers logs whose rule is Everyone only', async () => {
    const head = Number(await result('anonymous', 'eth_blockNumber'));
    const everyoneBlock = (await result('auditor', 'eth_getTransactionReceipt', [everyoneTransfer])).blockNumber;
    let checked = 0;
    for (let n = 0; n <= head; n++) {
      const at = `0x${n.toString(16)}`;
      const blooms: string[] = [];
      for (const who of ['anonymous', 'carol', 'bob'] as const) blooms.push((await result(who, 'eth_getBlockByNumber', [at, false])).logsBloom);
      assert.ok(blooms.every((b) => b === blooms[0]), `block ${n}: one bloom for all`);
      const bloom = blooms[0]!;
      for (const secret of [privateToken, supplyChain, topicOf(bob.address)]) assert.ok(!bloomHas(bloom, secret), `block ${n}'s bloom has ${secret}`);
      if (at === everyoneBlock) {
        assert.ok(bloomHas(bloom, publicToken) && bloomHas(bloom, TRANSFER) && bloomHas(bloom, topicOf(carol.address)), 'the log anyone may see is in it');
      } else {
        assert.ok(!bloomHas(bloom, TRANSFER), `block ${n}: no Transfer of a user-only or private token`);
      }
      checked++;
    }
    assert.ok(checked > 10, `${checked} blocks`);
    // bloom probing through the filter: nothing for the private token's address or bob's topic
    for (const who of ['anonymous', 'carol'] as const) {
      assert.deepEqual(await result(who, 'eth_getLogs', [{ fromBlock: privateBlock, toBlock: privateBlock, address: privateToken, topics: [TRANSFER] }]), []);
    }
  });

  // ---- sessions ----

  cell('ccevm_signInNonce', ['anonymous'], 'a nonce; a session for a user\'s valid signature; no sign-out without a token', async () => {
    const nonce = await result('anonymous', 'ccevm_signInNonce');
    assert.match(nonce, /^[0-9a-zA-Z]{8,}$/);
    const message = signInMessage(httpsUrl(), carol.address, nonce);
    const session = await result('anonymous', 'ccevm_signIn', [message, await carol.signMessage(message)]);
    tokens.push(session.token);
    assert.equal(session.address, carol.address);
    assert.deepEqual(await result('anonymous', 'ccevm_whoAmI'), { address: null });
    assert.match((await errorOf('anonymous', 'ccevm_signOut')).message, /this request carries none/);
    const strangers = signInMessage(httpsUrl(), stranger.address, await result('anonymous', 'ccevm_signInNonce'));
    assert.equal((await errorOf('anonymous', 'ccevm_signIn', [strangers, await stranger.signMessage(strangers)])).data.reason, 'not-a-user');
  });

  for (const [column, who] of [['authenticated non-party', 'carol'], ['party', 'bob']] as const) {
    cell('ccevm_signInNonce', [column], 'its session: whoAmI says whom; sign-out ends that session only', async () => {
      assert.deepEqual(await result(who, 'ccevm_whoAmI'), { address: wallets[who].address });
      const message = signInMessage(httpsUrl(), wallets[who].address, await result(who, 'ccevm_signInNonce'));
      const second = await result(who, 'ccevm_signIn', [message, await wallets[who].signMessage(message)]);
      tokens.push(second.token);
      assert.equal((await raw(who, 'ccevm_signOut', [], second.token)).body.result, true);
      assert.equal((await raw(who, 'ccevm_whoAmI', [], second.token)).status, 401);
      assert.deepEqual(await result(who, 'ccevm_whoAmI'), { address: wallets[who].address }, 'its first session goes on');
    });
  }

  // ---- node and governance: public ----

  cell('ccevm_nodeInfo', CALLERS, 'node id, role, view, service certificate; a ledger id\'s status; the peer count: the same for all', async () => {
    const info = await sameForAll('ccevm_nodeInfo', [], ['lastSigned', 'lastCommitted']);
    assert.match(info.serviceCertificate, /BEGIN CERTIFICATE/);
    assert.equal(info.role, 'primary');
    const { lastCommitted } = await result('anonymous', 'ccevm_nodeInfo');
    assert.deepEqual(await sameForAll('ccevm_getTransactionStatus', [lastCommitted]), { txid: lastCommitted, status: 'Committed' });
    assert.equal(await sameForAll('net_peerCount'), '0x0');
  });

  cell('ccevm_getServiceIdentity', CALLERS, 'the service certificate, its key id and point, the same for all', async () => {
    const identity = await sameForAll('ccevm_getServiceIdentity');
    assert.equal(identity.cert, (await result('anonymous', 'ccevm_nodeInfo')).serviceCertificate);
    assert.match(identity.kid, /^[0-9a-f]{64}$/);
  });

  cell('ccevm_gov*', CALLERS, 'the public governance maps, the same for all', async () => {
    const users = await sameForAll('ccevm_govUsers');
    assert.equal(users.length, 4);
    for (const method of ['ccevm_govMembers', 'ccevm_govNodes', 'ccevm_govProposals', 'ccevm_govConstitution', 'ccevm_govService', 'ccevm_govTypedData', 'ccevm_govStateDigest']) await sameForAll(method);
    assert.match(JSON.stringify(await sameForAll('ccevm_govProposals')), /set_event_visibility/, 'the vote on the public token\'s Transfer');
  });

  cell('ccevm_joinNetwork', CALLERS, 'a malformed join request: the same refusal for all', async () => {
    const refusal = await sameForAll('ccevm_joinNetwork', [{ nodeId: 'x' }]);
    assert.equal(refusal.code, -32602, JSON.stringify(refusal));
  });

  it('a signed-out session token is refused (401) for every method of every row', async () => {
    const message = signInMessage(httpsUrl(), carol.address, await result('anonymous', 'ccevm_signInNonce'));
    const { token } = await result('anonymous', 'ccevm_signIn', [message, await carol.signMessage(message)]);
    tokens.push(token);
    assert.equal((await raw('carol', 'ccevm_signOut', [], token)).body.result, true);
    const methods = TABLE.flatMap((r) => r.names.filter(isMethod)).map((m) => (m.endsWith('*') ? 'ccevm_govUsers' : m));
    assert.ok(methods.length > 30, `${methods.length} methods`);
    for (const method of methods) {
      for (const who of ['carol', 'bob'] as const) {
        // carol sends it as a header, bob's connection in the URL path
        const { status, body } = await raw(who, method, [], token);
        assert.equal(status, 401, `${method}: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, -32020);
      }
    }
  });

  // ---- the host operator: the disk and the wire ----

  it('host operator: no private fact, no session token, in any file of the data directory nor on the wire', async () => {
    assert.ok(tokens.length >= 8, `${tokens.length} tokens`);
    const text = (s: string) => Buffer.from(s, 'utf8');
    const hex = (s: string) => text(s.replace(/^0x/, '').toLowerCase());
    const bin = (s: string) => Buffer.from(s.replace(/^0x/, ''), 'hex');
    const markers: [string, Buffer][] = [
      ['the private amount (32 bytes)', bin(word(AMOUNT))],
      ['the private amount (hex text)', hex(word(AMOUNT))],
      ["bob's Transfer topic", bin(topicOf(bob.address))],
      ["bob's Transfer topic (hex text)", hex(topicOf(bob.address))],
      ['a location', text(LOCATION_HANDED)],
      ['a location (hex text)', hex(Buffer.from(LOCATION_HANDED).toString('hex'))],
      ['the first location', text(LOCATION_MADE)],
      ...tokens.flatMap((t, i): [string, Buffer][] => [
        [`token ${i}`, text(t)],
        [`token ${i} (its bytes)`, Buffer.from(t, 'base64url')],
        [`token ${i}'s hash`, hex(createHash('sha256').update(t, 'utf8').digest('hex'))],
        [`token ${i}'s hash (bytes)`, createHash('sha256').update(t, 'utf8').digest()],
      ]),
    ];
    // the markers did travel: each is in what the clients sent or got, in clear
    const clear = Buffer.from(plaintext.join('\n').toLowerCase());
    for (const [name, marker] of markers.filter(([n]) => /hex text|^token \d+$/.test(n))) assert.ok(clear.includes(Buffer.from(marker.toString('utf8').toLowerCase())), `${name} was never sent`);

    await node.stop('SIGTERM');
    const files = filesUnder(node.dataDir).map((path) => ({ path, bytes: readFileSync(path) }));
    const disk = Buffer.concat(files.map((f) => f.bytes));
    assert.ok(disk.includes(text('public:ccf.gov.users.info')) && disk.includes(text(carol.address.toLowerCase().slice(2))), 'the public governance maps are on the disk in clear: the grep reads the ledger');
    const wire = Buffer.concat(proxy.captured);
    assert.ok(wire.length > 100_000, `${wire.length} bytes captured`);
    const leaks: string[] = [];
    for (const [name, marker] of markers) {
      for (const f of files) if (f.bytes.includes(marker)) leaks.push(`${name} in ${f.path}`);
      if (wire.includes(marker)) leaks.push(`${name} on the wire`);
      if (Buffer.from(node.output).includes(marker)) leaks.push(`${name} in the node's output`);
    }
    assert.deepEqual(leaks, []);
    for (const row of TABLE) passed.add(`${row.name}|host operator`);
  });

  it('every cell of docs/confidentiality.md has a passing test, and every test a cell', () => {
    const cells = TABLE.flatMap((row) => COLUMNS.map((column) => `${row.name}|${column}`));
    assert.deepEqual(cells.filter((c) => !passed.has(c)), [], 'cells without a passing test');
    assert.deepEqual([...passed].filter((c) => !cells.includes(c)), [], 'tests of no cell');
  });
});

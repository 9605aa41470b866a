// JSON-RPC over WebSocket against a real node process (no dev accounts: users alice, the
// deployer, bob and carol): ethers v6's WebSocketProvider and viem's webSocket transport
// as a DApp uses them (calls, transactions, block and event listeners), and per-caller
// subscriptions: a private token's Transfer reaches the parties' subscriptions, never a
// non-party's nor an anonymous one, over ws:// and wss://, the token in the path or in a
// header. A session that ends closes its connection.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, ContractFactory, Wallet, WebSocketProvider, zeroPadValue, type ContractEventPayload } from 'ethers';
import { createPublicClient, defineChain, webSocket, type Abi, type Address } from 'viem';
import { signIn } from '../../cli/sign-in.js';
import { SESSION_ENDED } from '../../rpc/websocket.js';
import { contractInterface, deployData, ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { NodeProcess } from '../support/node-process.js';
import { WsClient } from '../support/ws-client.js';
import { CHAIN_ID, sleep, TOKEN_SUPPLY, waitFor } from './helpers.js';


describe('e2e: JSON-RPC over WebSocket and subscriptions', function () {
  this.timeout(120_000);
  let node: NodeProcess;
  let configDir: string;
  let ca: string;
  const alice = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const carol = Wallet.createRandom();
  const auditor = Wallet.createRandom();
  const tokens: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
  const closers: (() => unknown)[] = [];
  let wsUrl: string;
  let token: string;

  before(async () => {
    ensureContractsCompiled();
    configDir = mkdtempSync(join(tmpdir(), 'ccevm-ws-'));
    const config = join(configDir, 'service.json');
    writeFileSync(
      config,
      JSON.stringify({
        devAccounts: 0,
        users: [
          { address: alice.address, roles: ['deploy'] },
          { address: bob.address, roles: [] },
          { address: carol.address, roles: [] },
        ],
        genesis: { [alice.address]: { balance: (10n ** 21n).toString() } },
      }),
    );
    node = await NodeProcess.start({ https: true, args: ['--config', config] });
    ca = readFileSync(join(node.dataDir, 'service_cert.pem'), 'utf8');
    for (const who of ['alice', 'bob', 'carol'] as const) tokens[who] = (await signIn(node.url, { alice, bob, carol }[who])).token;
    wsUrl = node.url.replace('http', 'ws');
  });
  after(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await node?.dispose();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  const openWs = async (path: string, options: Parameters<typeof WsClient.open>[1] = {}, base = wsUrl) => {
    const client = await WsClient.open(`${base}${path}`, options);
    closers.push(() => client.ws.terminate());
    return client;
  };

  it('ethers WebSocketProvider: block number, deploy and call a contract, block and contract event listeners', async () => {
    const provider = new WebSocketProvider(`${wsUrl}/rpc/${tokens.alice}`, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    closers.push(() => provider.destroy());
    const signer = alice.connect(provider);
    const start = await provider.getBlockNumber();
    assert.equal(start, Number(await node.rpc('eth_blockNumber')));

    const blocks: number[] = [];
    await provider.on('block', (n: number) => blocks.push(n));
    const artifact = loadArtifact('Token');
    const contract = (await (await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy('WS Token', 'WST', TOKEN_SUPPLY)).waitForDeployment()) as Contract;
    token = await contract.getAddress();
    assert.equal(await contract.name!(), 'WS Token');
    assert.equal(await contract.balanceOf!(alice.address), TOKEN_SUPPLY);

    const transfers: ContractEventPayload[] = [];
    await contract.on('Transfer', (...args: unknown[]) => transfers.push(args.at(-1) as ContractEventPayload));
    const receipt = (await (await contract.transfer!(bob.address, 77n)).wait())!;
    await waitFor(() => transfers.length === 1, 'the Transfer listener');
    assert.deepEqual([...transfers[0]!.args], [alice.address, bob.address, 77n]);
    assert.equal(transfers[0]!.log.transactionHash, receipt.hash);
    await waitFor(() => blocks.includes(receipt.blockNumber), `block ${receipt.blockNumber} from the block listener`);
    assert.ok(blocks.every((n) => n > start));
  });

  it("viem's webSocket transport: getBalance, watchBlocks, watchContractEvent", async () => {
    const chain = defineChain({ id: CHAIN_ID, name: 'ccevm', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
    const client = createPublicClient({ chain, transport: webSocket(`${wsUrl}/rpc/${tokens.alice}`) });
    closers.push(async () => (await client.transport.getRpcClient()).close());
    // Her own balance, as her session reads it over HTTP (anonymous callers are shown 0).
    const overHttp = await fetch(`${node.url}/rpc/${tokens.alice}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [alice.address, 'latest'] }) });
    const balance = await client.getBalance({ address: alice.address as Address });
    assert.equal(balance, BigInt(((await overHttp.json()) as { result: string }).result));
    assert.ok(balance > 0n);
    assert.equal(await node.rpc('eth_getBalance', [alice.address, 'latest']), '0x0');

    const blocks: bigint[] = [];
    const logs: { args: unknown; transactionHash: string }[] = [];
    const unwatchBlocks = client.watchBlocks({ onBlock: (b) => void blocks.push(b.number) });
    const unwatchEvents = client.watchContractEvent({ address: token as Address, abi: loadArtifact('Token').abi as unknown as Abi, eventName: 'Transfer', onLogs: (l) => logs.push(...(l as never[])) });
    try {
      const sender = new WebSocketProvider(`${wsUrl}/rpc/${tokens.alice}`, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
      closers.push(() => sender.destroy());
      const contract = new Contract(token, contractInterface('Token'), alice.connect(sender));
      // viem subscribes in the background: transfer until its watcher has heard one.
      const receipts = new Map<string, number>();
      for (let i = 0; i < 20 && logs.length === 0; i++) {
        const receipt = (await (await contract.transfer!(carol.address, 5n)).wait())!;
        receipts.set(receipt.hash, receipt.blockNumber);
        await sleep(100);
      }
      await waitFor(() => logs.length > 0, 'the Transfer from watchContractEvent');
      const blockNumber = receipts.get(logs[0]!.transactionHash);
      assert.ok(blockNumber !== undefined, 'one of the transfers sent');
      assert.deepEqual(logs[0]!.args, { from: alice.address, to: carol.address, value: 5n });
      await waitFor(() => blocks.some((n) => n >= BigInt(blockNumber)), 'watchBlocks reaching the transfer block');
    } finally {
      unwatchBlocks();
      unwatchEvents();
    }
  });

  it("delivers a private token's Transfer to the parties' subscriptions only, never a non-party's or an anonymous one", async () => {
    const aliceWs = await openWs(`/rpc/${tokens.alice}`);
    const aliceNonce = Number(await aliceWs.result('eth_getTransactionCount', [alice.address, 'pending']));
    const privateToken = (await aliceWs.result('eth_sendRawTransaction', [await alice.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: aliceNonce, gasLimit: 3_000_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, data: deployData('PrivateToken', ['Private', 'PRV', TOKEN_SUPPLY, auditor.address]) })])) as string;
    const address = (await waitFor(async () => await aliceWs.result('eth_getTransactionReceipt', [privateToken]), 'the deployment')).contractAddress as string;

    // bob over wss:// with a Bearer header; carol with her token in the path; anonymous.
    const subscribers = {
      bob: await openWs('/', { headers: { Authorization: `Bearer ${tokens.bob}` }, ca }, node.httpsUrl!.replace('https', 'wss')),
      carol: await openWs(`/rpc/${tokens.carol}`),
      anonymous: await openWs('/'),
    };
    const ids: Record<string, { logs: string; heads: string }> = {};
    // The logs subscription first: a connection's newHeads for a block then come after its logs for it.
    for (const [who, c] of Object.entries(subscribers)) ids[who] = { logs: await c.result('eth_subscribe', ['logs', { address, topics: [null, null, zeroPadValue(bob.address, 32)] }]), heads: await c.result('eth_subscribe', ['newHeads']) };
    const transfer = await aliceWs.result('eth_sendRawTransaction', [await alice.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: aliceNonce + 1, gasLimit: 3_000_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, to: address, data: contractInterface('PrivateToken').encodeFunctionData('transfer', [bob.address, 42n]) })]);
    const block = Number((await waitFor(async () => await aliceWs.result('eth_getTransactionReceipt', [transfer]), 'the transfer')).blockNumber);
    for (const [who, c] of Object.entries(subscribers)) await waitFor(() => c.notifications(ids[who]!.heads).some((h) => Number(h.number) >= block), `${who}'s newHeads past the transfer block`);

    const [log] = subscribers.bob.notifications(ids.bob!.logs);
    assert.equal(subscribers.bob.notifications(ids.bob!.logs).length, 1);
    assert.equal(log.transactionHash, transfer);
    assert.equal(log.address, address.toLowerCase());
    assert.equal(BigInt(log.data), 42n);
    const bobsView = await subscribers.bob.result('eth_getLogs', [{ fromBlock: log.blockNumber, toBlock: log.blockNumber, address }]);
    assert.deepEqual(bobsView, [log], "what bob's eth_getLogs gives him");
    for (const who of ['carol', 'anonymous'] as const) assert.deepEqual(subscribers[who].notifications(ids[who]!.logs), [], `${who} gets no log of the private transfer`);
    // The header as each sees it (eth_getBlockByNumber's, less the body).
    const heads = Object.fromEntries(Object.entries(subscribers).map(([who, c]) => [who, c.notifications(ids[who]!.heads).find((h) => Number(h.number) === block)]));
    for (const [who, c] of Object.entries(subscribers)) {
      const { transactions, uncles, withdrawals, size, totalDifficulty, ...header } = await c.result('eth_getBlockByNumber', [heads[who].number, false]);
      assert.deepEqual(heads[who], header, `${who}'s newHeads is its eth_getBlockByNumber header`);
      void [transactions, uncles, withdrawals, size, totalDifficulty];
    }
  });

  it('refuses an upgrade with a token it does not accept (401), answers malformed frames with JSON-RPC errors', async () => {
    await assert.rejects(WsClient.open(`${wsUrl}/rpc/${'x'.repeat(43)}`), { status: 401 });
    await assert.rejects(WsClient.open(wsUrl, { headers: { Authorization: `Bearer ${'x'.repeat(43)}` } }), { status: 401 });
    const c = await openWs('/');
    assert.equal((await c.raw('{"jsonrpc": "2.0", "id": 1, "method": ')).error.code, -32700);
    assert.equal((await c.request('eth_subscribe', ['syncing'])).error.code, -32602);
    assert.equal((await c.request('eth_unsubscribe', ['0x1'])).error.code, -32602);
    const batch = await c.raw(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }, { jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['newHeads'] }]));
    assert.equal(batch[0].result, `0x${CHAIN_ID.toString(16)}`);
    assert.match(batch[1].result, /^0x[0-9a-f]+$/);
  });

  it('closes the connection of a session that signed out (SESSION_ENDED), at the next block', async () => {
    const c = await openWs(`/rpc/${tokens.carol}`);
    await c.result('eth_subscribe', ['newHeads']);
    const out = await fetch(`${node.url}/rpc/${tokens.carol}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ccevm_signOut', params: [] }) });
    assert.equal(((await out.json()) as any).error, undefined);
    await waitFor(() => c.closed, 'the close');
    assert.equal(c.closed!.code, SESSION_ENDED);
  });
});

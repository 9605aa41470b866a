// The standard methods of issue 12 against a real node process (a development service):
// viem's `multicall` through the genesis Multicall3, and ethers sending the new methods,
// every answer checked against the execution-apis schema where the spec has the method.
import { strict as assert } from 'node:assert';
import { createPublicClient, createWalletClient, defineChain, http, type Abi, type Address, type Chain } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { validateResult } from '../support/rpc-schema.js';
import { CHAIN_ID, TOKEN_SUPPLY } from './helpers.js';

const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11';

describe('e2e: standard methods (viem multicall, ethers)', function () {
  this.timeout(120_000);
  const tokenArtifact = loadArtifact('Token');
  const tokenAbi = tokenArtifact.abi as unknown as Abi;
  let node: NodeProcess;
  let chain: Chain;
  let token: Address;
  let provider: JsonRpcProvider;

  /** A spec method's result, checked (ccevm's receipts add ledgerTxid: left out of the check). */
  async function checked(method: string, params: unknown[]): Promise<any> {
    const result = await provider.send(method, params);
    const spec = JSON.parse(JSON.stringify(result, (key, value) => (key === 'ledgerTxid' ? undefined : value)));
    const r = validateResult(method, spec);
    assert.ok(r.valid, `${method}: ${r.errors}`);
    return result;
  }

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    chain = defineChain({ id: CHAIN_ID, name: 'ccevm dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [node.url] } }, contracts: { multicall3: { address: MULTICALL3 } } });
    provider = new JsonRpcProvider(node.url, CHAIN_ID, { staticNetwork: true, polling: true, pollingInterval: 50 });
    const deployer = createWalletClient({ account: privateKeyToAccount(DEV_KEYS[0] as `0x${string}`), chain, transport: http(node.url) });
    const client = createPublicClient({ chain, transport: http(node.url), pollingInterval: 50 });
    const hash = await deployer.deployContract({ abi: tokenAbi, bytecode: tokenArtifact.bytecode, args: ['Multi', 'MLT', TOKEN_SUPPLY] });
    token = (await client.waitForTransactionReceipt({ hash })).contractAddress!;
  });

  after(async () => {
    provider?.destroy();
    await node?.dispose();
  });

  it("viem's multicall batches reads through the genesis Multicall3 in one eth_call", async () => {
    let calls = 0;
    const client = createPublicClient({ chain, transport: http(node.url, { onFetchRequest: () => void calls++ }) });
    const holder = privateKeyToAccount(DEV_KEYS[0] as `0x${string}`).address;
    const results = await client.multicall({
      contracts: [
        { address: token, abi: tokenAbi, functionName: 'balanceOf', args: [holder] },
        { address: token, abi: tokenAbi, functionName: 'totalSupply' },
        { address: token, abi: tokenAbi, functionName: 'symbol' },
      ],
    });
    assert.deepEqual(results.map((r) => r.result), [TOKEN_SUPPLY, TOKEN_SUPPLY, 'MLT']);
    assert.ok(results.every((r) => r.status === 'success'));
    assert.equal(calls, 1, 'one request');
  });

  it('ethers: eth_getBlockReceipts, eth_createAccessList and a pending-transaction filter, as the spec shapes them', async () => {
    const sender = new Wallet(DEV_KEYS[1]!, provider);
    const filter = await checked('eth_newPendingTransactionFilter', []);
    const transfer = { to: token, data: '0xa9059cbb' + '0'.repeat(24) + sender.address.slice(2).toLowerCase() + '0'.repeat(63) + '1' };
    const list = await checked('eth_createAccessList', [{ from: new Wallet(DEV_KEYS[0]!).address, ...transfer }, 'latest']);
    assert.equal(list.accessList[0].address, token.toLowerCase());
    assert.equal(list.accessList[0].storageKeys.length, 2);
    const sent = await sender.sendTransaction({ to: sender.address, value: 1n });
    const receipt = (await sent.wait())!;
    const changes = await checked('eth_getFilterChanges', [filter]);
    assert.ok(changes.includes(sent.hash), 'the filter reports the transfer');
    const receipts = await checked('eth_getBlockReceipts', [`0x${receipt.blockNumber.toString(16)}`]);
    assert.ok(receipts.some((r: { transactionHash: string }) => r.transactionHash === sent.hash));
    assert.deepEqual(await checked('eth_getBlockReceipts', [receipt.blockHash]), receipts);
  });

  it('debug_traceCall over HTTP; eth_getProof and eth_sign refused with -32004 and why', async () => {
    const trace = await provider.send('debug_traceCall', [{ to: token, data: '0x18160ddd' }, 'latest', { tracer: 'callTracer' }]);
    assert.equal(trace.to, token.toLowerCase());
    assert.equal(BigInt(trace.output), TOKEN_SUPPLY);
    for (const [method, params] of [['eth_getProof', [token, [], 'latest']], ['eth_sign', [token, '0x00']]] as const) {
      await assert.rejects(provider.send(method, params as unknown as unknown[]), (e: { error?: { code: number; message: string } }) => {
        assert.equal(e.error?.code, -32004, method);
        assert.match(e.error!.message, /is not supported here: /);
        return true;
      });
    }
  });
});

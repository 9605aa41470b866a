// eth_call's and eth_estimateGas's state-override parameter against a real node process:
// through viem's `call({ stateOverride })` as a DApp uses it, and raw JSON-RPC for the
// shapes a library would never send. Overrides change what one call sees, never the state,
// and never show a contract's confidential storage.
import { strict as assert } from 'node:assert';
import {
  createPublicClient,
  createWalletClient,
  decodeFunctionResult,
  defineChain,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  http,
  keccak256,
  numberToHex,
  type Abi,
  type Address,
  type Hex,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { CHAIN_ID, TOKEN_SUPPLY } from './helpers.js';

/** SELFBALANCE, returned as one word. */
const SELF_BALANCE: Hex = '0x4760005260206000f3';
/** SLOAD(1), returned as one word. */
const LOAD_SLOT_1: Hex = '0x60015460005260206000f3';
/** CREATE of an empty contract; returns the new address (which depends on this account's nonce). */
const CREATE_EMPTY: Hex = '0x600060006000f060005260206000f3';

const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;
const word = (n: bigint): Hex => numberToHex(n, { size: 32 });

describe('e2e: state overrides in eth_call and eth_estimateGas', function () {
  this.timeout(120_000);
  const token = loadArtifact('Token');
  const tokenAbi = token.abi as unknown as Abi;
  let node: NodeProcess;
  let client: ReturnType<typeof createPublicClient>;
  let tokenAddress: Address;
  const deployer = privateKeyToAccount(DEV_KEYS[0] as Hex);

  const balanceOf = async (who: Address, stateOverride?: Parameters<typeof client.call>[0]['stateOverride']) => {
    const { data } = await client.call({ to: tokenAddress, data: encodeFunctionData({ abi: tokenAbi, functionName: 'balanceOf', args: [who] }), stateOverride });
    return decodeFunctionResult({ abi: tokenAbi, functionName: 'balanceOf', data: data! }) as bigint;
  };

  /** A raw JSON-RPC call's error (or a failure if it succeeded). */
  const rpcError = async (method: string, params: unknown[]) => {
    const response = await node.rpcRaw({ jsonrpc: '2.0', id: 1, method, params });
    assert.ok(response.error, `${method} succeeded: ${JSON.stringify(response.result)}`);
    return response.error as { code: number; message: string };
  };

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    const chain = defineChain({ id: CHAIN_ID, name: 'ccevm dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
    client = createPublicClient({ chain, transport: http(node.url), pollingInterval: 50 });
    const wallet = createWalletClient({ account: deployer, chain, transport: http(node.url) });
    const hash = await wallet.deployContract({ abi: tokenAbi, bytecode: token.bytecode, args: ['Test', 'TST', TOKEN_SUPPLY] });
    tokenAddress = (await client.waitForTransactionReceipt({ hash })).contractAddress!;
  });

  after(async () => {
    await node?.dispose();
  });

  it('balance and code: a call runs code the account does not have, with a balance it does not have', async () => {
    const address = freshAddress();
    const { data } = await client.call({ to: address, stateOverride: [{ address, code: SELF_BALANCE, balance: 12345n }] });
    assert.equal(BigInt(data!), 12345n);
    // Nothing changed: the account is still empty.
    assert.equal(await client.getBalance({ address }), 0n);
    assert.equal(await client.getCode({ address }), undefined);
  });

  it('nonce: the address a CREATE derives follows the overridden nonce', async () => {
    const address = freshAddress();
    const { data } = await client.call({ to: address, stateOverride: [{ address, code: CREATE_EMPTY, nonce: 7 }] });
    assert.equal(`0x${data!.slice(26)}`, getContractAddress({ from: address, nonce: 7n }).toLowerCase());
  });

  it('stateDiff: the slots given change, on an account that is not a contract', async () => {
    const address = freshAddress();
    const { data } = await client.call({ to: address, stateOverride: [{ address, code: LOAD_SLOT_1, stateDiff: [{ slot: word(1n), value: word(42n) }] }] });
    assert.equal(BigInt(data!), 42n);
  });

  it('state: a contract runs over exactly the storage given; its real storage is untouched', async () => {
    const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [deployer.address, 3n])); // balanceOf[deployer]
    assert.equal(await balanceOf(deployer.address, [{ address: tokenAddress, state: [{ slot, value: word(5n) }] }]), 5n);
    // (viem drops an empty `state`; raw JSON-RPC sends it.)
    const totalSupply = { to: tokenAddress, data: encodeFunctionData({ abi: tokenAbi, functionName: 'totalSupply' }) };
    assert.equal(BigInt(await node.rpc('eth_call', [totalSupply, 'latest', { [tokenAddress]: { state: {} } }])), 0n);
    // New code together with all of the storage is allowed too.
    const { data } = await client.call({ to: tokenAddress, stateOverride: [{ address: tokenAddress, code: LOAD_SLOT_1, state: [{ slot: word(1n), value: word(9n) }] }] });
    assert.equal(BigInt(data!), 9n);
    assert.equal(await balanceOf(deployer.address), TOKEN_SUPPLY);
  });

  it("refuses code or slot overrides over a contract's stored storage (it is confidential)", async () => {
    const call = { to: tokenAddress, data: encodeFunctionData({ abi: tokenAbi, functionName: 'totalSupply' }) };
    for (const override of [{ code: LOAD_SLOT_1 }, { stateDiff: { [word(2n)]: word(1n) } }]) {
      for (const method of ['eth_call', 'eth_estimateGas']) {
        const error = await rpcError(method, [call, 'latest', { [tokenAddress]: override }]);
        assert.equal(error.code, -32602);
        assert.match(error.message, /is a contract: its storage is confidential.*"state"/);
      }
    }
  });

  it('eth_estimateGas honours overrides (a transfer of more than the sender holds, funded only by the override)', async () => {
    // Without a session a call runs as its `from` only if that is a dev account (this is a
    // development service; docs/confidentiality.md): the sender is one, sending more than it has.
    const from = privateKeyToAccount(DEV_KEYS[1] as Hex).address;
    const value = (await client.getBalance({ address: from })) + 10n ** 18n;
    const transfer = { from, to: freshAddress(), value: numberToHex(value) };
    const unfunded = await rpcError('eth_estimateGas', [transfer, 'latest']);
    assert.match(unfunded.message, /insufficient/);
    const funded = { [from]: { balance: numberToHex(2n * value) } };
    assert.equal(await node.rpc('eth_estimateGas', [transfer, 'latest', funded]), '0x5208');
    assert.equal(await client.estimateGas({ account: from, to: transfer.to, value, stateOverride: [{ address: from, balance: 2n * value }] }), 21000n);
    // Any other `from` runs as 0x0: funding it by an override funds no one.
    const stranger = freshAddress();
    const asZero = await rpcError('eth_estimateGas', [{ ...transfer, from: stranger }, 'latest', { [stranger]: funded[from] }]);
    assert.match(asZero.message, /insufficient/);
    // A message that runs code only in the override costs more than a plain transfer.
    const to = freshAddress();
    const withCode = BigInt(await node.rpc('eth_estimateGas', [{ from: deployer.address, to }, 'pending', { [to]: { code: LOAD_SLOT_1 } }]));
    assert.ok(withCode > 21000n, `estimate ${withCode}`);
  });

  it('null or no override is no override', async () => {
    const call = { to: tokenAddress, data: encodeFunctionData({ abi: tokenAbi, functionName: 'totalSupply' }) };
    assert.equal(BigInt(await node.rpc('eth_call', [call, 'latest', null])), TOKEN_SUPPLY);
    assert.equal(BigInt(await node.rpc('eth_call', [call, 'latest', {}])), TOKEN_SUPPLY);
  });

  it('refuses malformed overrides with -32602, naming the part at fault', async () => {
    const a = freshAddress();
    const call = { to: a };
    const cases: [unknown, RegExp][] = [
      [[], /expected an object of account overrides/],
      ['0x', /expected an object of account overrides/],
      [{ '0x1234': {} }, /address "0x1234"/],
      [{ [a]: 'x' }, /expected an object/],
      [{ [a]: { balanse: '0x1' } }, /unknown field "balanse"/],
      [{ [a]: { balance: '12' } }, /balance: expected a hex quantity/],
      [{ [a]: { balance: `0x1${'0'.repeat(64)}` } }, /balance: expected a hex quantity/],
      [{ [a]: { nonce: '0x10000000000000000' } }, /nonce: more than 64 bits/],
      [{ [a]: { code: '0xabc' } }, /code: expected 0x-prefixed hex bytes/],
      [{ [a]: { state: [] } }, /state: expected an object of 32-byte slots/],
      [{ [a]: { state: { '0x01': word(1n) } } }, /state: slot "0x01"/],
      [{ [a]: { stateDiff: { [word(1n)]: '0x01' } } }, /stateDiff\[0x0{63}1\]: expected 32 bytes/],
      [{ [a]: { state: {}, stateDiff: {} } }, /has both "state" and "stateDiff"/],
      [{ [a]: { movePrecompileToAddress: freshAddress() } }, /movePrecompileToAddress is not supported/],
      [{ [a]: {}, [a.toLowerCase()]: {} }, /is given more than once/],
    ];
    for (const [override, message] of cases) {
      for (const method of ['eth_call', 'eth_estimateGas']) {
        const error = await rpcError(method, [call, 'latest', override]);
        assert.equal(error.code, -32602, `${JSON.stringify(override)}: ${error.message}`);
        assert.match(error.message, message, JSON.stringify(override));
        assert.match(error.message, /^stateOverride/, error.message);
      }
    }
  });
});

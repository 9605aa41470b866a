// viem 2 against a real ccevm node process: public and wallet clients over http() with a
// custom chain (id 1337), local accounts signing, as a DApp does — deploy, write, read,
// query and watch events, simulate and estimate, read blocks and state. Expectations mirror
// the reference run of the same contracts on Hardhat (test/hardhat/showcase.test.ts).
import { strict as assert } from 'node:assert';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  http,
  isAddressEqual,
  parseAbiItem,
  type Abi,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { CHAIN_ID, MethodCounter, TOKEN_SUPPLY, waitFor } from './helpers.js';

type Wallet = WalletClient<Transport, Chain, PrivateKeyAccount>;

const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/** viem wraps a revert in ContractFunctionExecutionError; the decoded revert is its cause. */
async function revertedWith(promise: Promise<unknown>): Promise<ContractFunctionRevertedError> {
  try {
    await promise;
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (reverted instanceof ContractFunctionRevertedError) return reverted;
    throw error;
  }
  assert.fail('expected the call to revert');
}

const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;

describe('viem 2 against a ccevm node', function () {
  this.timeout(120_000);

  const tokenArtifact = loadArtifact('Token');
  const showcaseArtifact = loadArtifact('Showcase');
  const tokenAbi = tokenArtifact.abi as unknown as Abi;
  const showcaseAbi = showcaseArtifact.abi as unknown as Abi;

  let node: NodeProcess;
  let chain: Chain;
  let client: PublicClient<Transport, Chain>;
  let wallets: Wallet[];
  let deployer: Wallet;
  let token: Address;
  let showcase: Address;
  /** JSON-RPC methods the clients sent, by name. */
  const methods = new MethodCounter();

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    chain = defineChain({
      id: CHAIN_ID,
      name: 'ccevm dev',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [node.url] } },
    });
    const transport = http(node.url, { onFetchRequest: (_request, init) => methods.noteBody(init.body) });
    // viem polls for new blocks (waitForTransactionReceipt, watchers) every 4 s by default;
    // ccevm seals a block within milliseconds, so poll often to keep the suite short.
    client = createPublicClient({ chain, transport, pollingInterval: 50 });
    wallets = DEV_KEYS.map((key) => createWalletClient({ account: privateKeyToAccount(key as `0x${string}`), chain, transport, pollingInterval: 50 }));
    deployer = wallets[0]!;
  });

  after(async () => {
    await node?.dispose();
  });

  const balanceOf = async (address: Address) => (await client.readContract({ address: token, abi: tokenAbi, functionName: 'balanceOf', args: [address] })) as bigint;

  async function transfer(from: Wallet, to: Address, value: bigint) {
    const hash = await from.writeContract({ address: token, abi: tokenAbi, functionName: 'transfer', args: [to, value] });
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    return receipt;
  }

  it('getChainId, getBlockNumber and the funded dev accounts', async () => {
    assert.equal(await client.getChainId(), CHAIN_ID);
    assert.equal(await deployer.getChainId(), CHAIN_ID);
    assert.ok((await client.getBlockNumber()) >= 0n);
    for (const wallet of wallets) assert.ok((await client.getBalance({ address: wallet.account.address })) > 10n ** 21n);
  });

  it('a sender who is not a user of the network is refused: viem sees code -32003 and the message', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    const serializedTransaction = await stranger.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', nonce: 0, to: deployer.account.address, value: 0n, gas: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    await assert.rejects(client.sendRawTransaction({ serializedTransaction }), (e: BaseError) => {
      const rpcError = e.walk((inner) => (inner as { code?: number }).code === -32003) as (BaseError & { code: number }) | null;
      assert.ok(rpcError, `no error with code -32003 in ${e.message}`);
      assert.equal(rpcError.details, `sender ${stranger.address.toLowerCase()} is not a user of this network`);
      return true;
    });
  });

  it('deployContract + waitForTransactionReceipt deploys Token and Showcase', async () => {
    const tokenHash = await deployer.deployContract({ abi: tokenAbi, bytecode: tokenArtifact.bytecode, args: ['Viem Token', 'VTK', TOKEN_SUPPLY] });
    const tokenReceipt = await client.waitForTransactionReceipt({ hash: tokenHash });
    assert.equal(tokenReceipt.status, 'success');
    assert.ok(tokenReceipt.contractAddress);
    token = tokenReceipt.contractAddress;
    const mint = decodeEventLog({ abi: tokenAbi, ...tokenReceipt.logs[0]! });
    assert.equal(mint.eventName, 'Transfer');
    assert.deepEqual(mint.args, { from: '0x0000000000000000000000000000000000000000', to: deployer.account.address, value: TOKEN_SUPPLY });

    const showcaseHash = await deployer.deployContract({ abi: showcaseAbi, bytecode: showcaseArtifact.bytecode });
    const showcaseReceipt = await client.waitForTransactionReceipt({ hash: showcaseHash });
    assert.equal(showcaseReceipt.status, 'success');
    showcase = showcaseReceipt.contractAddress!;
    assert.equal(decodeEventLog({ abi: showcaseAbi, ...showcaseReceipt.logs[0]! }).eventName, 'Deployed');

    assert.equal(await client.getCode({ address: token }), tokenArtifact.deployedBytecode);
    assert.ok(((await client.getCode({ address: showcase })) ?? '0x').length > 2);
    assert.equal(await client.readContract({ address: token, abi: tokenAbi, functionName: 'name' }), 'Viem Token');
    assert.equal(await client.readContract({ address: token, abi: tokenAbi, functionName: 'symbol' }), 'VTK');
    assert.equal(await client.readContract({ address: token, abi: tokenAbi, functionName: 'decimals' }), 18);
    assert.equal(await client.readContract({ address: token, abi: tokenAbi, functionName: 'totalSupply' }), TOKEN_SUPPLY);
    assert.equal(await balanceOf(deployer.account.address), TOKEN_SUPPLY);
    assert.equal(await client.readContract({ address: showcase, abi: showcaseAbi, functionName: 'deployer' }), deployer.account.address);
  });

  it('writeContract, waitForTransactionReceipt and readContract', async () => {
    const to = freshAddress();
    const hash = await deployer.writeContract({ address: token, abi: tokenAbi, functionName: 'transfer', args: [to, 1234n] });
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.transactionHash, hash);
    assert.ok(isAddressEqual(receipt.from, deployer.account.address));
    assert.ok(isAddressEqual(receipt.to!, token));
    const log = decodeEventLog({ abi: tokenAbi, ...receipt.logs[0]! });
    assert.deepEqual(log.args, { from: deployer.account.address, to, value: 1234n });

    // The receipt names the block that holds the transaction, and is there for anyone.
    const block = await client.getBlock({ blockNumber: receipt.blockNumber });
    assert.equal(block.hash, receipt.blockHash);
    assert.equal(block.transactions[receipt.transactionIndex], hash);
    const fetched = await client.getTransactionReceipt({ hash });
    assert.deepEqual(fetched, receipt);
    const tx = await client.getTransaction({ hash });
    assert.equal(tx.blockNumber, receipt.blockNumber);
    assert.equal(tx.transactionIndex, receipt.transactionIndex);
    assert.equal(await balanceOf(to), 1234n);

    // Tokens for the other dev wallets, for the tests below.
    for (const wallet of wallets.slice(1)) await transfer(deployer, wallet.account.address, 10n ** 21n);
    for (const wallet of wallets.slice(1)) assert.equal(await balanceOf(wallet.account.address), 10n ** 21n);
  });

  it('getLogs with parseAbiItem event filters and getContractEvents, over block ranges', async () => {
    const [, alice, bob] = wallets as [Wallet, Wallet, Wallet];
    const a = freshAddress();
    const b = freshAddress();
    const sent: { from: Address; to: Address; value: bigint; hash: Hash; block: bigint; blockHash: Hash }[] = [];
    for (const [from, to, value] of [
      [alice, a, 1n],
      [bob, a, 2n],
      [alice, b, 3n],
      [bob, b, 4n],
    ] as const) {
      const receipt = await transfer(from, to, value);
      sent.push({ from: from.account.address, to, value, hash: receipt.transactionHash, block: receipt.blockNumber, blockHash: receipt.blockHash });
    }
    const fromBlock = sent[0]!.block;
    const toBlock = sent[3]!.block;
    assert.equal(new Set(sent.map((s) => s.block)).size, 4, 'one block per waited transaction');

    const summary = (logs: { args: unknown; transactionHash: Hash | null; blockNumber: bigint | null }[]) =>
      logs.map((l) => {
        const { from, to, value } = l.args as { from: Address; to: Address; value: bigint };
        return { from, to, value, hash: l.transactionHash, block: l.blockNumber };
      });
    const expected = (pick: (s: (typeof sent)[number]) => boolean) => sent.filter(pick).map(({ from, to, value, hash, block }) => ({ from, to, value, hash, block }));

    const byAlice = await client.getLogs({ address: token, event: transferEvent, args: { from: alice.account.address }, fromBlock, toBlock });
    assert.deepEqual(summary(byAlice), expected((s) => s.from === alice.account.address));
    const toB = await client.getLogs({ address: token, event: transferEvent, args: { to: b }, fromBlock, toBlock: 'latest' });
    assert.deepEqual(summary(toB), expected((s) => s.to === b));
    const bobToA = await client.getLogs({ address: token, event: transferEvent, args: { from: bob.account.address, to: a }, fromBlock, toBlock });
    assert.deepEqual(summary(bobToA), expected((s) => s.from === bob.account.address && s.to === a));
    const toEither = await client.getLogs({ address: token, event: transferEvent, args: { to: [a, b] }, fromBlock, toBlock });
    assert.deepEqual(summary(toEither), expected(() => true));
    // A narrower range, and a single block by hash.
    const middle = await client.getLogs({ address: token, event: transferEvent, fromBlock: sent[1]!.block, toBlock: sent[2]!.block });
    assert.deepEqual(summary(middle), expected((s) => s.block >= sent[1]!.block && s.block <= sent[2]!.block));
    const byHash = await client.getLogs({ address: token, event: transferEvent, blockHash: sent[0]!.blockHash });
    assert.deepEqual(summary(byHash), expected((s) => s === sent[0]));
    // Another event, or another contract: nothing.
    assert.deepEqual(await client.getLogs({ address: token, event: parseAbiItem('event Approval(address indexed owner, address indexed spender, uint256 value)'), fromBlock, toBlock }), []);
    assert.deepEqual(await client.getLogs({ address: showcase, event: transferEvent, fromBlock, toBlock }), []);

    const contractEvents = await client.getContractEvents({ address: token, abi: tokenAbi, eventName: 'Transfer', args: { from: bob.account.address }, fromBlock, toBlock });
    assert.deepEqual(summary(contractEvents), expected((s) => s.from === bob.account.address));
    assert.ok(contractEvents.every((e) => e.eventName === 'Transfer'));
    const allEvents = await client.getContractEvents({ address: token, abi: tokenAbi, fromBlock, toBlock });
    assert.deepEqual(summary(allEvents), expected(() => true));
  });

  it('simulateContract of a reverting call rejects with ContractFunctionRevertedError (custom error name and args)', async () => {
    const [, alice] = wallets as [Wallet, Wallet];
    const account = deployer.account;
    const balance = await balanceOf(account.address);

    const insufficient = await revertedWith(client.simulateContract({ account, address: token, abi: tokenAbi, functionName: 'transfer', args: [alice.account.address, balance + 1n] }));
    assert.equal(insufficient.data?.errorName, 'InsufficientBalance');
    assert.deepEqual(insufficient.data?.args, [account.address, balance, balance + 1n]);

    const invalid = await revertedWith(client.simulateContract({ account, address: token, abi: tokenAbi, functionName: 'transfer', args: ['0x0000000000000000000000000000000000000000', 1n] }));
    assert.equal(invalid.data?.errorName, 'InvalidReceiver');

    const rejected = await revertedWith(client.simulateContract({ account, address: showcase, abi: showcaseAbi, functionName: 'failCustomError', args: [7n] }));
    assert.equal(rejected.data?.errorName, 'Rejected');
    assert.deepEqual(rejected.data?.args, [account.address, 7n, 'rejected']);

    const empty = await revertedWith(client.simulateContract({ account, address: showcase, abi: showcaseAbi, functionName: 'failEmptyError' }));
    assert.equal(empty.data?.errorName, 'Empty');

    const tooLarge = await revertedWith(client.simulateContract({ account, address: showcase, abi: showcaseAbi, functionName: 'setValue', args: [1_000_001n, 'too much'] }));
    assert.equal(tooLarge.data?.errorName, 'ValueTooLarge');
    assert.deepEqual(tooLarge.data?.args, [1_000_001n, 1_000_000n]);

    const required = await revertedWith(client.simulateContract({ account, address: showcase, abi: showcaseAbi, functionName: 'failRequire' }));
    assert.equal(required.data?.errorName, 'Error');
    assert.equal(required.reason, 'Showcase: require failed');

    const panic = await revertedWith(client.simulateContract({ account, address: showcase, abi: showcaseAbi, functionName: 'divide', args: [1n, 0n] }));
    assert.equal(panic.data?.errorName, 'Panic');
    assert.deepEqual(panic.data?.args, [0x12n]);

    const bare = await revertedWith(client.simulateContract({ account, address: showcase, abi: showcaseAbi, functionName: 'failWithoutData' }));
    assert.equal(bare.data, undefined);

    // A call that succeeds: the simulated result, and a request ready to send.
    const { result, request } = await client.simulateContract({ account, address: token, abi: tokenAbi, functionName: 'transfer', args: [alice.account.address, 5n] });
    assert.equal(result, true);
    const receipt = await client.waitForTransactionReceipt({ hash: await deployer.writeContract(request) });
    assert.equal(receipt.status, 'success');
  });

  it('estimateContractGas', async () => {
    const account = deployer.account;
    const to = freshAddress();
    const gas = await client.estimateContractGas({ account, address: token, abi: tokenAbi, functionName: 'transfer', args: [to, 1n] });
    assert.ok(gas > 21_000n && gas < 100_000n, `a plausible estimate: ${gas}`);
    // The estimate is enough to send with.
    const hash = await deployer.writeContract({ address: token, abi: tokenAbi, functionName: 'transfer', args: [to, 1n], gas });
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.ok(receipt.gasUsed <= gas);

    const balance = await balanceOf(account.address);
    const reverted = await revertedWith(client.estimateContractGas({ account, address: token, abi: tokenAbi, functionName: 'transfer', args: [to, balance + 1n] }));
    assert.equal(reverted.data?.errorName, 'InsufficientBalance');
    assert.deepEqual(reverted.data?.args, [account.address, balance, balance + 1n]);
  });

  it('getBlock({ includeTransactions: true })', async () => {
    // A few transfers sent at once with explicit nonces, to get blocks with several transactions.
    const [, , , carol] = wallets as [Wallet, Wallet, Wallet, Wallet];
    const nonce = await client.getTransactionCount({ address: carol.account.address, blockTag: 'pending' });
    const hashes = await Promise.all(Array.from({ length: 6 }, (_, i) => carol.sendTransaction({ to: freshAddress(), value: BigInt(i + 1), nonce: nonce + i })));
    const receipts = await Promise.all(hashes.map((hash) => client.waitForTransactionReceipt({ hash })));
    assert.ok(receipts.every((r) => r.status === 'success'));

    for (const blockNumber of new Set(receipts.map((r) => r.blockNumber))) {
      const block = await client.getBlock({ blockNumber, includeTransactions: true });
      const plain = await client.getBlock({ blockNumber });
      assert.equal(block.number, blockNumber);
      assert.equal(block.hash, plain.hash);
      assert.deepEqual(
        block.transactions.map((t) => t.hash),
        plain.transactions,
      );
      for (const [i, tx] of block.transactions.entries()) {
        assert.equal(tx.blockNumber, blockNumber);
        assert.equal(tx.blockHash, block.hash);
        assert.equal(tx.transactionIndex, i);
        const receipt = receipts.find((r) => r.transactionHash === tx.hash);
        if (receipt) {
          assert.equal(receipt.transactionIndex, i);
          assert.ok(isAddressEqual(tx.from, carol.account.address));
          assert.equal(tx.nonce, nonce + hashes.indexOf(tx.hash));
          assert.equal(tx.chainId, CHAIN_ID);
        }
      }
      assert.equal(block.parentHash, (await client.getBlock({ blockNumber: blockNumber - 1n })).hash);
    }
    const latest = await client.getBlock({ blockTag: 'latest', includeTransactions: true });
    assert.equal(latest.number, await client.getBlockNumber());
    assert.ok(latest.transactions.every((t) => typeof t === 'object' && t.blockNumber === latest.number));
  });

  /** Starts watchContractEvent on Transfer and resolves once viem has installed and polled its filter. */
  async function watchTransfers() {
    const seen: { from: Address; to: Address; value: bigint; hash: Hash | null }[] = [];
    const errors: Error[] = [];
    const installed = methods.count('eth_newFilter');
    const polled = methods.count('eth_getFilterChanges');
    const unwatch = client.watchContractEvent({
      address: token,
      abi: tokenAbi,
      eventName: 'Transfer',
      poll: true,
      pollingInterval: 50,
      onLogs: (logs) => {
        for (const log of logs) seen.push({ ...((log as unknown as { args: { from: Address; to: Address; value: bigint } }).args), hash: log.transactionHash });
      },
      onError: (error) => errors.push(error),
    });
    await waitFor(() => methods.count('eth_newFilter') > installed, 'viem to install a log filter');
    await waitFor(() => methods.count('eth_getFilterChanges') > polled, 'viem to poll its filter');
    return {
      seen,
      errors,
      stop: async () => {
        const uninstalled = methods.count('eth_uninstallFilter');
        unwatch();
        await waitFor(() => methods.count('eth_uninstallFilter') > uninstalled, 'viem to uninstall its filter');
      },
    };
  }

  it('watchContractEvent (polling eth_newFilter / eth_getFilterChanges) receives the event of a new transaction', async () => {
    const to = freshAddress();
    const { seen, errors, stop } = await watchTransfers();
    try {
      const receipt = await transfer(deployer, to, 31n);
      await waitFor(() => seen.some((s) => s.hash === receipt.transactionHash), 'the Transfer event');
      assert.deepEqual(
        seen.filter((s) => s.hash === receipt.transactionHash),
        [{ from: deployer.account.address, to, value: 31n, hash: receipt.transactionHash }],
      );
      assert.deepEqual(errors, []);
    } finally {
      await stop();
    }
  });

  it('watchContractEvent does not replay events mined before it started', async () => {
    const to = freshAddress();
    // This Transfer is in the newest block when the watch starts.
    const before = await transfer(deployer, to, 41n);
    assert.equal(await client.getBlockNumber(), before.blockNumber);
    const { seen, stop } = await watchTransfers();
    try {
      const after = await transfer(deployer, to, 42n);
      await waitFor(() => seen.some((s) => s.hash === after.transactionHash), 'the new Transfer event');
      assert.deepEqual(
        seen.map((s) => s.value),
        [42n],
        'only the Transfer sent after the watch started: geth reports to eth_getFilterChanges only logs of blocks added after eth_newFilter',
      );
    } finally {
      await stop();
    }
  });

  it('getTransactionCount and getBalance at latest and pending, getChainId', async () => {
    const [, alice] = wallets as [Wallet, Wallet];
    const address = alice.account.address;
    const fresh = freshAddress();
    for (const blockTag of ['latest', 'pending'] as const) {
      assert.equal(await client.getBalance({ address: fresh, blockTag }), 0n);
      assert.equal(await client.getTransactionCount({ address: fresh, blockTag }), 0);
    }
    const base = await client.getTransactionCount({ address, blockTag: 'latest' });
    assert.equal(await client.getTransactionCount({ address, blockTag: 'pending' }), base);
    const balanceBefore = await client.getBalance({ address });
    // To a dev account: without a session this client reads only the dev accounts' balances.
    const recipient = wallets[4]!.account.address;
    const recipientBefore = await client.getBalance({ address: recipient });

    const hash = await alice.sendTransaction({ to: recipient, value: 12_345n });
    // eth_sendRawTransaction answers once the node has executed the transaction: pending
    // state has it at once; latest (committed) state at the latest once the receipt is there.
    assert.equal(await client.getTransactionCount({ address, blockTag: 'pending' }), base + 1);
    assert.equal(await client.getBalance({ address: recipient, blockTag: 'pending' }), recipientBefore + 12_345n);
    assert.ok([base, base + 1].includes(await client.getTransactionCount({ address, blockTag: 'latest' })));
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.equal(await client.getTransactionCount({ address }), base + 1);
    assert.equal(await client.getBalance({ address: recipient }), recipientBefore + 12_345n);
    assert.equal(await client.getBalance({ address }), balanceBefore - 12_345n - receipt.gasUsed * receipt.effectiveGasPrice);
    assert.equal(await client.getChainId(), CHAIN_ID);
  });
});

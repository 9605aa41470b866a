// ethers v6 against a real ccevm node process: what a DApp written with ethers does —
// deploy with ContractFactory, send and wait for transactions, query and listen to events,
// decode revert data, manage nonces under concurrency, read blocks and state (a user's own
// balance through a provider on its session's URL). Expectations mirror the reference run
// of the same contracts on Hardhat (test/hardhat/showcase.test.ts).
import { strict as assert } from 'node:assert';
import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  isError,
  type CallExceptionError,
  type ContractEventPayload,
  type EventLog,
  type TransactionReceipt,
  type TransactionResponse,
} from 'ethers';
import { signIn } from '../../cli/sign-in.js';
import { ensureContractsCompiled, loadArtifact } from '../support/contracts.js';
import { voteUserIn } from '../support/dev-member.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { devWallet } from './cluster-helpers.js';
import { CHAIN_ID, MethodCounter, TOKEN_SUPPLY, groupBy, waitFor } from './helpers.js';

/** A JsonRpcProvider that counts the JSON-RPC methods it sends. */
class CountingProvider extends JsonRpcProvider {
  readonly methods = new MethodCounter();

  override send(method: string, params: unknown[] | Record<string, unknown>): Promise<any> {
    this.methods.note(method);
    return super.send(method, params as unknown[]);
  }
}

/**
 * The provider a DApp on ccevm should create:
 * - `staticNetwork`: the chain id is fixed (1337), so ethers need not re-ask eth_chainId
 *   before every request;
 * - `cacheTimeout: -1`: by default ethers answers an identical request made within 250 ms
 *   from a cache. ccevm answers eth_sendRawTransaction only once the transaction is
 *   executed, so a DApp sending transactions back to back asks
 *   getTransactionCount(address, 'pending') twice within 250 ms and would get the first,
 *   now stale, nonce back from that cache ("nonce too low"). A real DApp does the same as
 *   here, or uses ethers' NonceManager (used below as well);
 * - `pollingInterval`: ethers learns about new blocks (for tx.wait() and event listeners)
 *   by polling eth_blockNumber, every 4 s by default; ccevm seals a block within
 *   milliseconds, so poll often to keep the suite short.
 */
function createProvider(url: string): CountingProvider {
  return new CountingProvider(url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
}

/** Awaits `promise`, which must reject with an ethers CALL_EXCEPTION; returns that error. */
async function callException(promise: Promise<unknown>): Promise<CallExceptionError> {
  try {
    await promise;
  } catch (error) {
    if (isError(error, 'CALL_EXCEPTION')) return error;
    throw error;
  }
  assert.fail('expected a CALL_EXCEPTION');
}

const argsOf = (e: CallExceptionError) => (e.revert ? [...e.revert.args] : undefined);

/**
 * The custom error of a CALL_EXCEPTION. ethers decodes it into `e.revert` only for
 * `contract.fn.staticCall` (and view calls), where it knows the contract's ABI; from
 * `contract.fn.estimateGas` (and from sending without a gas limit, which estimates) it
 * decodes only the built-in Error(string) and Panic(uint256), and a DApp decodes the raw
 * revert data in `e.data` with the contract's interface.
 */
function customError(e: CallExceptionError, contract: Contract): { name: string; args: unknown[] } {
  if (e.revert) return { name: e.revert.name, args: [...e.revert.args] };
  assert.ok(e.data, 'the error carries the revert data');
  const parsed = contract.interface.parseError(e.data);
  assert.ok(parsed, `revert data ${e.data} decodes with the contract's ABI`);
  return { name: parsed.name, args: [...parsed.args] };
}

describe('ethers v6 against a ccevm node', function () {
  this.timeout(120_000);

  let node: NodeProcess;
  let provider: CountingProvider;
  let wallets: Wallet[];
  let deployer: Wallet;
  let token: Contract;
  let showcase: Contract;
  let tokenAddress: string;

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    provider = createProvider(node.url);
    wallets = DEV_KEYS.map((key) => new Wallet(key, provider));
    deployer = wallets[0]!;
  });

  after(async () => {
    provider?.destroy();
    await node?.dispose();
  });

  it('talks to chain 1337 and sees the funded dev accounts', async () => {
    assert.equal((await provider.getNetwork()).chainId, BigInt(CHAIN_ID));
    assert.equal(await provider.send('eth_chainId', []), `0x${CHAIN_ID.toString(16)}`);
    assert.ok((await provider.getBlockNumber()) >= 0);
    for (const wallet of wallets) assert.ok((await provider.getBalance(wallet.address)) > 10n ** 21n);
  });

  it('deploys Token and Showcase with ContractFactory and waitForDeployment', async () => {
    const tokenArtifact = loadArtifact('Token');
    const tokenFactory = new ContractFactory(tokenArtifact.abi, tokenArtifact.bytecode, deployer);
    const deployedToken = await tokenFactory.deploy('Test Token', 'TST', TOKEN_SUPPLY);
    await deployedToken.waitForDeployment();
    token = deployedToken as unknown as Contract;
    tokenAddress = await token.getAddress();

    const showcaseArtifact = loadArtifact('Showcase');
    const showcaseFactory = new ContractFactory(showcaseArtifact.abi, showcaseArtifact.bytecode, deployer);
    const deployedShowcase = await showcaseFactory.deploy();
    await deployedShowcase.waitForDeployment();
    showcase = deployedShowcase as unknown as Contract;

    // The creation receipts: status 1, the contract address, the constructor's logs.
    const tokenReceipt = (await deployedToken.deploymentTransaction()!.wait())!;
    assert.equal(tokenReceipt.status, 1);
    assert.equal(tokenReceipt.contractAddress, tokenAddress);
    const [mint] = tokenReceipt.logs as EventLog[];
    assert.equal(mint!.eventName, 'Transfer');
    assert.deepEqual([...mint!.args], ['0x0000000000000000000000000000000000000000', deployer.address, TOKEN_SUPPLY]);
    const showcaseReceipt = (await deployedShowcase.deploymentTransaction()!.wait())!;
    assert.equal(showcaseReceipt.status, 1);
    assert.equal(showcaseReceipt.contractAddress, await showcase.getAddress());
    assert.equal(showcase.interface.parseLog(showcaseReceipt.logs[0]!)!.name, 'Deployed');

    assert.equal(await provider.getCode(tokenAddress), tokenArtifact.deployedBytecode);
    assert.equal(await token.name(), 'Test Token');
    assert.equal(await token.symbol(), 'TST');
    assert.equal(await token.decimals(), 18n);
    assert.equal(await token.totalSupply(), TOKEN_SUPPLY);
    assert.equal(await token.balanceOf(deployer.address), TOKEN_SUPPLY);
    assert.equal(await showcase.deployer(), deployer.address);
    // Each of the other dev wallets gets tokens for the tests below.
    for (const wallet of wallets.slice(1)) assert.equal((await (await token.transfer(wallet.address, 10n ** 21n)).wait())!.status, 1);
  });

  it('tx.wait() resolves with a committed receipt (status 1, the right block), which getTransactionReceipt returns too', async () => {
    const to = Wallet.createRandom().address;
    const tx: TransactionResponse = await token.transfer(to, 1234n);
    const receipt = (await tx.wait())!;
    assert.equal(receipt.status, 1);
    assert.equal(receipt.hash, tx.hash);
    assert.equal(receipt.from, deployer.address);
    assert.equal(receipt.to, tokenAddress);

    // The block the receipt names holds the transaction at the receipt's index.
    const block = (await provider.getBlock(receipt.blockNumber))!;
    assert.equal(block.hash, receipt.blockHash);
    assert.equal(block.transactions[receipt.index], tx.hash);
    const mined = (await provider.getTransaction(tx.hash))!;
    assert.equal(mined.blockNumber, receipt.blockNumber);
    assert.equal(mined.blockHash, receipt.blockHash);
    assert.equal(mined.index, receipt.index);

    // wait() returned only once the transaction is committed, so the receipt is there to
    // anyone asking, with the same content.
    const fetched = (await provider.getTransactionReceipt(tx.hash))!;
    assert.ok(fetched, 'receipt available after wait()');
    for (const field of ['hash', 'blockHash', 'blockNumber', 'index', 'status', 'gasUsed', 'cumulativeGasUsed', 'logsBloom'] as const) {
      assert.deepEqual(fetched[field], receipt[field], field);
    }
    assert.equal(fetched.logs.length, 1);
    const transfer = token.interface.parseLog(fetched.logs[0]!)!;
    assert.equal(transfer.name, 'Transfer');
    assert.deepEqual([...transfer.args], [deployer.address, to, 1234n]);
    assert.ok((await provider.getBlockNumber()) >= receipt.blockNumber);
    assert.equal(await token.balanceOf(to), 1234n);
  });

  it('queryFilter finds Transfer events by indexed arguments over block ranges', async () => {
    const [, alice, bob] = wallets;
    const a = Wallet.createRandom().address;
    const b = Wallet.createRandom().address;
    // Four transfers, each waited for, so each is in a block of its own.
    const sent: { from: string; to: string; value: bigint; receipt: TransactionReceipt }[] = [];
    for (const [from, to, value] of [
      [alice!, a, 1n],
      [bob!, a, 2n],
      [alice!, b, 3n],
      [bob!, b, 4n],
    ] as const) {
      const receipt = (await (await (token.connect(from) as Contract).transfer(to, value)).wait())!;
      sent.push({ from: from.address, to, value, receipt });
    }
    const first = sent[0]!.receipt.blockNumber;
    const last = sent[3]!.receipt.blockNumber;
    assert.ok(new Set(sent.map((s) => s.receipt.blockNumber)).size === 4, 'one block per waited transaction');

    const summary = (events: (EventLog | unknown)[]) =>
      (events as EventLog[]).map((e) => ({ from: e.args[0], to: e.args[1], value: e.args[2], tx: e.transactionHash, block: e.blockNumber }));
    const expected = (pick: (s: (typeof sent)[number]) => boolean) =>
      sent.filter(pick).map((s) => ({ from: s.from, to: s.to, value: s.value, tx: s.receipt.hash, block: s.receipt.blockNumber }));

    // By sender (first indexed argument).
    assert.deepEqual(summary(await token.queryFilter(token.filters.Transfer!(alice!.address), first, last)), expected((s) => s.from === alice!.address));
    // By recipient (second indexed argument, the first left open).
    assert.deepEqual(summary(await token.queryFilter(token.filters.Transfer!(null, b), first, last)), expected((s) => s.to === b));
    // Both.
    assert.deepEqual(summary(await token.queryFilter(token.filters.Transfer!(bob!.address, a), first, 'latest')), expected((s) => s.from === bob!.address && s.to === a));
    // Either of two recipients (an OR in one topic position).
    assert.deepEqual(summary(await token.queryFilter(token.filters.Transfer!(null, [a, b]), first, last)), expected(() => true));
    // A narrower block range leaves out what is outside it.
    const second = sent[1]!.receipt.blockNumber;
    const third = sent[2]!.receipt.blockNumber;
    assert.deepEqual(summary(await token.queryFilter('Transfer', second, third)), expected((s) => s.receipt.blockNumber >= second && s.receipt.blockNumber <= third));
    assert.deepEqual(summary(await token.queryFilter(token.filters.Transfer!(alice!.address), second, second)), []);
    // Log positions are those of the receipts.
    const [event] = (await token.queryFilter('Transfer', first, first)) as EventLog[];
    assert.equal(event!.index, sent[0]!.receipt.logs[0]!.index);
    assert.equal(event!.blockHash, sent[0]!.receipt.blockHash);
    assert.equal(event!.transactionIndex, sent[0]!.receipt.index);
    // Nothing from another contract.
    assert.deepEqual(await showcase.queryFilter('Deployed', first, last), []);
  });

  interface Seen {
    from: string;
    to: string;
    value: bigint;
    hash: string;
    block: number;
  }

  /** Registers a Transfer listener and resolves once ethers has installed and polled its filter. */
  async function listen(): Promise<{ seen: Seen[]; stop: () => Promise<void> }> {
    const seen: Seen[] = [];
    const listener = (from: string, to: string, value: bigint, payload: ContractEventPayload) => {
      seen.push({ from, to, value, hash: payload.log.transactionHash, block: payload.log.blockNumber });
    };
    const installed = provider.methods.count('eth_newFilter');
    const polled = provider.methods.count('eth_getFilterChanges');
    await token.on('Transfer', listener);
    await waitFor(() => provider.methods.count('eth_newFilter') > installed, 'ethers to install a log filter');
    await waitFor(() => provider.methods.count('eth_getFilterChanges') > polled, 'ethers to poll its filter');
    return {
      seen,
      stop: async () => {
        const uninstalled = provider.methods.count('eth_uninstallFilter');
        await token.off('Transfer', listener);
        assert.equal(await token.listenerCount('Transfer'), 0);
        assert.equal(await token.listenerCount(), 0);
        await waitFor(() => provider.methods.count('eth_uninstallFilter') > uninstalled, 'ethers to uninstall its filter');
      },
    };
  }

  it('contract.on("Transfer") delivers the events of new transactions (ethers polls eth_newFilter / eth_getFilterChanges)', async () => {
    const [, alice] = wallets;
    const to = Wallet.createRandom().address;
    const { seen, stop } = await listen();
    try {
      const r1 = (await (await token.transfer(to, 11n)).wait())!;
      const r2 = (await (await (token.connect(alice!) as Contract).transfer(to, 12n)).wait())!;
      await waitFor(() => seen.some((s) => s.hash === r2.hash) && seen.some((s) => s.hash === r1.hash), 'both Transfer events');
      assert.deepEqual(
        seen.filter((s) => s.hash === r1.hash || s.hash === r2.hash),
        [
          { from: deployer.address, to, value: 11n, hash: r1.hash, block: r1.blockNumber },
          { from: alice!.address, to, value: 12n, hash: r2.hash, block: r2.blockNumber },
        ],
      );
    } finally {
      await stop();
    }
  });

  it('contract.on("Transfer") does not replay events mined before the listener was registered', async () => {
    const to = Wallet.createRandom().address;
    // This Transfer is in the newest block when the listener is registered.
    const before = (await (await token.transfer(to, 21n)).wait())!;
    assert.equal(await provider.getBlockNumber(), before.blockNumber);
    const { seen, stop } = await listen();
    try {
      const after = (await (await token.transfer(to, 22n)).wait())!;
      await waitFor(() => seen.some((s) => s.hash === after.hash), 'the new Transfer event');
      assert.deepEqual(
        seen.map((s) => s.value),
        [22n],
        'only the Transfer sent after contract.on: geth reports to eth_getFilterChanges only logs of blocks added after eth_newFilter',
      );
    } finally {
      await stop();
    }
  });

  it('decodes custom errors (with arguments) from a reverting staticCall and estimateGas', async () => {
    const [, alice] = wallets;
    const balance: bigint = await token.balanceOf(deployer.address);

    const fromCall = await callException(token.transfer!.staticCall(alice!.address, balance + 1n));
    assert.equal(fromCall.revert?.name, 'InsufficientBalance');
    assert.deepEqual(argsOf(fromCall), [deployer.address, balance, balance + 1n]);
    assert.equal(fromCall.data, token.interface.encodeErrorResult('InsufficientBalance', [deployer.address, balance, balance + 1n]));

    const fromEstimate = await callException(token.transfer!.estimateGas(alice!.address, balance + 1n));
    assert.equal(fromEstimate.data, fromCall.data);
    assert.deepEqual(customError(fromEstimate, token), { name: 'InsufficientBalance', args: [deployer.address, balance, balance + 1n] });

    const zero = '0x0000000000000000000000000000000000000000';
    const invalid = await callException(token.transfer!.staticCall(zero, 1n));
    assert.equal(invalid.revert?.name, 'InvalidReceiver');
    assert.deepEqual(argsOf(invalid), [zero]);

    const allowance = await callException((token.connect(alice!) as Contract).transferFrom!.estimateGas(deployer.address, alice!.address, 5n));
    assert.deepEqual(customError(allowance, token), { name: 'InsufficientAllowance', args: [deployer.address, alice!.address, 0n, 5n] });
    // Sending without a gas limit estimates first, and fails the same way before signing.
    const unsent = await callException((token.connect(alice!) as Contract).transferFrom!(deployer.address, alice!.address, 5n));
    assert.deepEqual(customError(unsent, token), { name: 'InsufficientAllowance', args: [deployer.address, alice!.address, 0n, 5n] });

    // msg.sender in a call is the signer's address.
    const rejected = await callException(showcase.failCustomError!.staticCall(7n));
    assert.equal(rejected.revert?.name, 'Rejected');
    assert.deepEqual(argsOf(rejected), [deployer.address, 7n, 'rejected']);

    const empty = await callException(showcase.failEmptyError!.staticCall());
    assert.equal(empty.revert?.name, 'Empty');
    assert.deepEqual(argsOf(empty), []);
    assert.equal(empty.data, showcase.interface.getError('Empty')!.selector);

    const tooLarge = await callException(showcase.setValue!.estimateGas(1_000_001n, 'too much'));
    assert.deepEqual(customError(tooLarge, showcase), { name: 'ValueTooLarge', args: [1_000_001n, 1_000_000n] });
    const tooLargeCall = await callException(showcase.setValue!.staticCall(1_000_001n, 'too much'));
    assert.equal(tooLargeCall.revert?.name, 'ValueTooLarge');
    assert.deepEqual(argsOf(tooLargeCall), [1_000_001n, 1_000_000n]);
  });

  it('reports require reasons and Panic codes, and a revert without data as such', async () => {
    const required = await callException(showcase.failRequire!.staticCall());
    assert.equal(required.reason, 'Showcase: require failed');
    assert.equal(required.revert?.name, 'Error');
    assert.deepEqual(argsOf(required), ['Showcase: require failed']);

    const deposit = await callException(showcase.deposit!.estimateGas({ value: 0n }));
    assert.equal(deposit.reason, 'Showcase: nothing to deposit');
    const withdraw = await callException(showcase.withdraw!.staticCall(1n));
    assert.equal(withdraw.reason, 'Showcase: amount exceeds deposit');
    const emitted = await callException(showcase.emitThenRevert!.estimateGas());
    assert.equal(emitted.reason, 'Showcase: emitted then reverted');

    for (const [promise, code, reason] of [
      [showcase.failAssert!.staticCall(), 0x01, 'Panic due to ASSERT_FALSE(1)'],
      [showcase.divide!.staticCall(1n, 0n), 0x12, 'Panic due to DIVIDE_BY_ZERO(18)'],
      [showcase.decrement!.staticCall(), 0x11, 'Panic due to OVERFLOW(17)'],
      [showcase.decrement!.estimateGas(), 0x11, 'Panic due to OVERFLOW(17)'],
    ] as const) {
      const panic = await callException(promise);
      assert.equal(panic.revert?.name, 'Panic');
      assert.deepEqual(argsOf(panic), [code], 'ethers gives the panic code as a number');
      assert.equal(panic.reason, reason);
    }

    const bare = await callException(showcase.failWithoutData!.staticCall());
    // Revert data present but empty (not missing): ethers says so in its own words.
    assert.equal(bare.revert, null);
    assert.equal(bare.data, '0x');
    assert.equal(bare.reason, 'require(false)');

    assert.equal(await showcase.divide!(7n, 2n), 3n);
  });

  it('a transaction that reverts on chain gets a receipt with status 0 and wait() rejects with CALL_EXCEPTION', async () => {
    const countBefore: bigint = await showcase.count();
    const nonceBefore = await provider.getTransactionCount(deployer.address, 'latest');
    // An explicit gas limit: ethers does not estimate (which would fail), it sends.
    const tx: TransactionResponse = await showcase.emitThenRevert!({ gasLimit: 200_000n });
    const error = await callException(tx.wait());
    assert.equal(error.receipt?.status, 0);
    assert.equal(error.receipt?.hash, tx.hash);

    const receipt = (await provider.getTransactionReceipt(tx.hash))!;
    assert.equal(receipt.status, 0);
    assert.deepEqual(receipt.logs, [], 'a reverted transaction leaves no logs');
    assert.ok(receipt.gasUsed > 21_000n && receipt.gasUsed < 200_000n);
    assert.equal((await provider.getBlock(receipt.blockNumber))!.transactions[receipt.index], tx.hash);
    assert.equal(await showcase.count(), countBefore, 'no state change');
    assert.equal(await provider.getTransactionCount(deployer.address, 'latest'), nonceBefore + 1, 'the nonce is used');

    // The same for a custom error in Token: the transfer is mined, fails, moves nothing.
    const [, alice] = wallets;
    const balance: bigint = await token.balanceOf(deployer.address);
    const failing: TransactionResponse = await token.transfer!(alice!.address, balance + 1n, { gasLimit: 100_000n });
    const tokenError = await callException(failing.wait());
    assert.equal(tokenError.receipt?.status, 0);
    assert.equal(await token.balanceOf(deployer.address), balance);
  });

  let concurrentReceipts: TransactionReceipt[] = [];

  it('keeps nonces straight: 100 concurrent transfers with explicit nonces from one wallet, three other wallets at once', async () => {
    const [holder, w1, w2, w3] = wallets as [Wallet, Wallet, Wallet, Wallet];
    const tokenRecipients = Array.from({ length: 5 }, () => Wallet.createRandom().address);
    // Dev accounts (not sending here), whose balances this provider reads without a session.
    const ethRecipients = [5, 6, 7].map((i) => devWallet(i).address);
    const senders = [w1, w2, w3];
    const unit = 10n ** 15n;
    const PER_WALLET = 10;

    const holderBase = await provider.getTransactionCount(holder.address, 'pending');
    const holderTokens: bigint = await token.balanceOf(holder.address);
    const senderBases = await Promise.all(senders.map((w) => provider.getTransactionCount(w.address, 'pending')));
    const senderBalances = await Promise.all(senders.map((w) => provider.getBalance(w.address)));
    const recipientBalances = await Promise.all(ethRecipients.map((a) => provider.getBalance(a)));

    // Fire everything at once, awaiting nothing in between.
    const holderToken = token.connect(holder) as Contract;
    const holderSends: Promise<TransactionResponse>[] = Array.from({ length: 100 }, (_, i) =>
      holderToken.transfer!(tokenRecipients[i % 5]!, BigInt(i + 1), { nonce: holderBase + i }),
    );
    // Two wallets with explicit consecutive nonces, the third through ethers' NonceManager.
    const explicitSends = [w1, w2].flatMap((w, k) =>
      Array.from({ length: PER_WALLET }, (_, i) => w.sendTransaction({ to: ethRecipients[k], value: unit * BigInt(i + 1), nonce: senderBases[k]! + i })),
    );
    const managed = new NonceManager(w3);
    const managedSends = Array.from({ length: PER_WALLET }, (_, i) => managed.sendTransaction({ to: ethRecipients[2], value: unit * BigInt(i + 1) }));

    const responses = await Promise.all([...holderSends, ...explicitSends, ...managedSends]);
    const receipts = (await Promise.all(responses.map((r) => r.wait()))) as TransactionReceipt[];
    concurrentReceipts = receipts;

    assert.equal(new Set(responses.map((r) => r.hash)).size, responses.length, 'distinct transactions');
    assert.ok(receipts.every((r) => r?.status === 1), 'every transaction succeeded');
    assert.deepEqual(
      receipts.map((r) => r.hash),
      responses.map((r) => r.hash),
    );
    assert.deepEqual(
      responses.slice(0, 100).map((r) => r.nonce),
      Array.from({ length: 100 }, (_, i) => holderBase + i),
    );
    assert.deepEqual(
      responses
        .slice(100 + 2 * PER_WALLET)
        .map((r) => r.nonce)
        .sort((x, y) => x - y),
      Array.from({ length: PER_WALLET }, (_, i) => senderBases[2]! + i),
      'NonceManager used consecutive nonces',
    );

    // Balances add up exactly.
    const expectedTokens = tokenRecipients.map((_, j) => Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 5 === j).reduce((sum, i) => sum + BigInt(i + 1), 0n));
    for (const [j, address] of tokenRecipients.entries()) assert.equal(await token.balanceOf(address), expectedTokens[j], `token recipient ${j}`);
    assert.equal(expectedTokens.reduce((a, b) => a + b, 0n), 5050n);
    assert.equal(await token.balanceOf(holder.address), holderTokens - 5050n);
    const sentPerWallet = unit * BigInt((PER_WALLET * (PER_WALLET + 1)) / 2);
    for (const [k, address] of ethRecipients.entries()) assert.equal(await provider.getBalance(address), recipientBalances[k]! + sentPerWallet, `ether recipient ${k}`);
    for (const [k, wallet] of senders.entries()) {
      const fees = receipts.filter((r) => r.from === wallet.address).reduce((sum, r) => sum + r.fee, 0n);
      assert.equal(await provider.getBalance(wallet.address), senderBalances[k]! - sentPerWallet - fees, `sender ${k} balance`);
    }

    // Nonces end where expected, committed and pending alike.
    for (const tag of ['latest', 'pending']) {
      assert.equal(await provider.getTransactionCount(holder.address, tag), holderBase + 100, `holder ${tag}`);
      for (const [k, wallet] of senders.entries()) assert.equal(await provider.getTransactionCount(wallet.address, tag), senderBases[k]! + PER_WALLET, `sender ${k} ${tag}`);
    }
  });

  it('refuses a sender who is not a user of the network: ethers sees code -32003 and the message', async () => {
    const stranger = new Wallet(Wallet.createRandom().privateKey, provider);
    const raw = await stranger.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: 0, to: deployer.address, value: 0n, gasLimit: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    await assert.rejects(provider.broadcastTransaction(raw), (e: Error & { error?: { code: number; message: string } }) => {
      assert.deepEqual(e.error, { code: -32003, message: `sender ${stranger.address.toLowerCase()} is not a user of this network` });
      assert.match(e.message, /is not a user of this network/);
      return true;
    });
    assert.equal(await provider.getTransactionCount(stranger.address, 'pending'), 0);
  });

  it('getBlock(n, true) includes the transactions', async () => {
    assert.ok(concurrentReceipts.length > 0, 'needs the concurrency test');
    const byHash = new Map(concurrentReceipts.map((r) => [r.hash, r]));
    const byBlock = groupBy(concurrentReceipts, (r) => r.blockNumber);
    let checked = 0;
    for (const [number, inBlock] of byBlock) {
      const block = (await provider.getBlock(number, true))!;
      const plain = (await provider.getBlock(number))!;
      assert.equal(block.number, number);
      assert.deepEqual(block.transactions, plain.transactions);
      assert.equal(block.prefetchedTransactions.length, block.transactions.length);
      assert.ok(block.transactions.length >= inBlock.length);
      let gasUsed = 0n;
      for (const [i, tx] of block.prefetchedTransactions.entries()) {
        assert.equal(tx.hash, block.transactions[i]);
        assert.equal(tx.blockNumber, number);
        assert.equal(tx.blockHash, block.hash);
        assert.equal(tx.index, i);
        const receipt = byHash.get(tx.hash) ?? (await provider.getTransactionReceipt(tx.hash))!;
        assert.equal(receipt.index, i);
        assert.equal(receipt.blockHash, block.hash);
        assert.equal(tx.from, receipt.from);
        assert.equal(tx.to, receipt.to);
        gasUsed += receipt.gasUsed;
        checked++;
      }
      assert.equal(block.gasUsed, gasUsed);
      if (block.number > 0) assert.equal(block.parentHash, (await provider.getBlock(number - 1))!.hash);
    }
    assert.ok(checked >= concurrentReceipts.length);
  });

  it('getBalance, getCode and getTransactionCount at latest and pending', async () => {
    const [alice, recipient] = [wallets[1]!, wallets[4]!];
    const fresh = Wallet.createRandom().address;
    for (const tag of ['latest', 'pending']) {
      assert.equal(await provider.getBalance(fresh, tag), 0n);
      assert.equal(await provider.getCode(fresh, tag), '0x');
      assert.equal(await provider.getTransactionCount(fresh, tag), 0);
      assert.equal(await provider.getCode(tokenAddress, tag), loadArtifact('Token').deployedBytecode);
      assert.ok((await provider.getCode(await showcase.getAddress(), tag)).length > 2);
      assert.equal(await provider.getCode(alice.address, tag), '0x');
    }

    const base = await provider.getTransactionCount(alice.address, 'latest');
    assert.equal(await provider.getTransactionCount(alice.address, 'pending'), base);
    // (to a dev account: without a session this provider reads only theirs; see the next test)
    const before = await provider.getBalance(recipient.address, 'latest');
    const tx = await alice.sendTransaction({ to: recipient.address, value: 12_345n });
    assert.equal(tx.nonce, base);
    // eth_sendRawTransaction answers once the node has executed the transaction: pending
    // state has it at once; latest (committed) state has it at the latest after wait().
    assert.equal(await provider.getTransactionCount(alice.address, 'pending'), base + 1);
    assert.equal(await provider.getBalance(recipient.address, 'pending'), before + 12_345n);
    assert.ok([base, base + 1].includes(await provider.getTransactionCount(alice.address, 'latest')));
    await tx.wait();
    assert.equal(await provider.getTransactionCount(alice.address, 'latest'), base + 1);
    assert.equal(await provider.getBalance(recipient.address, 'latest'), before + 12_345n);
    assert.equal(await provider.getBalance(recipient.address), before + 12_345n);
  });

  it("a user's balance is its own: 0 without a session, the amount through a provider on its session's URL", async () => {
    const alice = wallets[1]!;
    const user = Wallet.createRandom();
    await voteUserIn(node.url, node.dataDir, user.address, []);
    await (await alice.sendTransaction({ to: user.address, value: 12_345n })).wait();
    // Without a session this development service answers as its dev accounts, not as this user.
    assert.equal(await provider.getBalance(user.address), 0n);
    const session = await signIn(node.url, user);
    const own = createProvider(session.url);
    try {
      assert.equal(await own.getBalance(user.address), 12_345n);
      assert.equal(await own.getBalance(alice.address), 0n, "the session reads its own balance, no one else's");
    } finally {
      own.destroy();
    }
  });

  it('Showcase.recordBlock sees the number, timestamp and parent hash of the block its receipt names', async () => {
    for (let round = 0; round < 2; round++) {
      const receipt = (await (await showcase.recordBlock!()).wait())!;
      assert.equal(receipt.status, 1);
      const block = (await provider.getBlock(receipt.blockNumber))!;
      const parent = (await provider.getBlock(receipt.blockNumber - 1))!;
      assert.equal(block.hash, receipt.blockHash);
      assert.equal(block.parentHash, parent.hash);
      assert.equal(await showcase.recordedNumber(), BigInt(receipt.blockNumber));
      assert.equal(await showcase.recordedTimestamp(), BigInt(block.timestamp));
      assert.equal(await showcase.recordedParentHash(), parent.hash);
      const event = showcase.interface.parseLog(receipt.logs[0]!)!;
      assert.equal(event.name, 'BlockRecorded');
      assert.deepEqual([...event.args], [BigInt(block.number), BigInt(block.timestamp), parent.hash]);
      assert.ok(block.timestamp >= parent.timestamp);
    }
    // eth_call runs in a consistent block context too, on this chain.
    const [number, timestamp, parentHash, chainId] = (await showcase.blockInfo!()) as [bigint, bigint, string, bigint];
    assert.equal(chainId, BigInt(CHAIN_ID));
    const latest = (await provider.getBlock('latest'))!;
    assert.ok(number === BigInt(latest.number) || number === BigInt(latest.number) + 1n, 'latest block or the one after');
    assert.equal(parentHash, (await provider.getBlock(Number(number) - 1))!.hash);
    assert.ok(timestamp >= BigInt(latest.timestamp));
  });
});

// A development service (dev accounts, as `npm start` creates): evm_mine, the block clock
// (evm_increaseTime, evm_setNextBlockTimestamp), hardhat_setBalance, and console.log from
// Solidity in the node's log; a production service refuses the methods and prints nothing.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@ethereumjs/util';
import { concat, getCreateAddress, id, Interface, Wallet } from 'ethers';
import { ANONYMOUS } from '../../evm-adapter/access/caller.js';
import { CONSOLE_SIGNATURES } from '../../evm-adapter/console-signatures.js';
import { decodeConsoleCall } from '../../evm-adapter/console-log.js';
import { DevMode } from '../../evm-adapter/dev-mode.js';
import { HEAD } from '../../evm-adapter/tables.js';
import { devMethods } from '../../rpc/methods/dev.js';
import type { Method } from '../../rpc/methods/eth.js';
import { CONSOLE_SOL, consoleSignatures } from '../../scripts/console-signatures.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { address, signed, startEvmNode, type EvmNode } from './helpers.js';

const DEV_METHODS = ['evm_mine', 'hardhat_mine', 'anvil_mine', 'evm_increaseTime', 'evm_setNextBlockTimestamp', 'hardhat_setBalance', 'anvil_setBalance'];

const head = (n: EvmNode) => n.evm.committed((tx) => tx.map(HEAD).get(0)!);
const balance = (n: EvmNode, who: Uint8Array) => n.evm.committed((tx) => n.evm.queries.balance(tx, who));

function rpc(n: EvmNode): (method: string, params?: unknown[]) => Promise<unknown> {
  const methods: Record<string, Method> = devMethods(n.node, n.evm);
  return async (method, params = []) => methods[method]!(params, ANONYMOUS);
}

describe('development mode', function () {
  this.timeout(60_000);
  before(() => ensureContractsCompiled());

  describe('on a production service (no dev accounts)', () => {
    let n: EvmNode;
    const printed: string[] = [];
    before(async () => (n = await startEvmNode({}, { consoleOutput: (l) => printed.push(l) })));
    after(() => n.stop());

    it('refuses every development method, saying why', async () => {
      const call = rpc(n);
      const params: Record<string, unknown[]> = { evm_mine: [], hardhat_mine: ['0x2'], anvil_mine: [], evm_increaseTime: [60], evm_setNextBlockTimestamp: [2_000_000_000], hardhat_setBalance: [n.wallets[0]!.address, '0x1'], anvil_setBalance: [n.wallets[0]!.address, '0x1'] };
      const before = head(n).number;
      for (const method of DEV_METHODS) {
        await assert.rejects(call(method, params[method]), (e: Error) => new RegExp(`^${method} is a development method: this is a production service`).test(e.message), method);
      }
      assert.equal(head(n).number, before);
      assert.equal(balance(n, address(n.wallets[0]!)), 10n ** 21n);
    });

    it('does not print console.log output (the operator would read private output)', async () => {
      const [alice] = n.wallets as [Wallet];
      await n.send((await signed(alice, { nonce: 0, gasLimit: 3_000_000n, data: deployData('ConsoleGreeter', ['hello']) })).raw);
      const greeter = getCreateAddress({ from: alice.address, nonce: 0 });
      await n.evm.call({ to: hexToBytes(greeter as `0x${string}`), data: hexToBytes(contractInterface('ConsoleGreeter').encodeFunctionData('greet') as `0x${string}`) }, 'latest', ANONYMOUS);
      assert.deepEqual(printed, []);
    });
  });

  describe('on a development service', () => {
    let n: EvmNode;
    let call: ReturnType<typeof rpc>;
    const printed: string[] = [];
    before(async () => {
      n = await startEvmNode({}, { devAccounts: true, consoleOutput: (l) => printed.push(l) });
      call = rpc(n);
    });
    after(() => n.stop());

    it('evm_mine seals a block now, committed when it answers', async () => {
      const before = head(n);
      assert.equal(await call('evm_mine'), '0x0');
      const after = head(n);
      assert.equal(after.number, before.number + 1);
      const block = await n.evm.block(after.number, ANONYMOUS);
      assert.equal(block!.block.txCount, 0);
    });

    it('evm_mine with a timestamp dates the block it seals', async () => {
      const at = head(n).timestamp + 1000;
      await call('evm_mine', [at]);
      assert.equal(head(n).timestamp, at);
      // and the blocks after it count on from it
      await new Promise((r) => setTimeout(r, 1100));
      await call('evm_mine');
      assert.ok(head(n).timestamp >= at + 1 && head(n).timestamp <= at + 5, `${head(n).timestamp} is not a second or so after ${at}`);
      await assert.rejects(call('evm_mine', [at]), /timestamp \d+ is earlier than the latest block's, \d+: block timestamps never go back/);
    });

    it('evm_mine with a timestamp refuses while a block with transactions is open (its timestamp is fixed)', async () => {
      const [alice, bob] = n.wallets as [Wallet, Wallet];
      const tx = await signed(alice, { nonce: await nonceOf(n, alice), to: bob.address, value: 1n });
      // Executed, and the block it opened not yet sealed (the signature comes once the executor is idle).
      const submitted = await n.evm.sendRawTransaction(tx.raw);
      await assert.rejects(call('evm_mine', [head(n).timestamp + 10]), /a block with transactions is open: its timestamp is fixed/);
      await n.node.waitCommitted(submitted.txid);
    });

    it('hardhat_mine seals several blocks, their timestamps `interval` apart', async () => {
      const before = head(n);
      assert.equal(await call('hardhat_mine', ['0x3', '0x3c']), true);
      const after = head(n);
      assert.equal(after.number, before.number + 3);
      const stamps = [1, 2, 3].map((i) => n.evm.committed((tx) => n.evm.queries.block(tx, before.number + i)!.timestamp));
      assert.deepEqual([stamps[1]! - stamps[0]!, stamps[2]! - stamps[1]!], [60, 60]);
      await assert.rejects(call('hardhat_mine', ['0x3e9']), /blocks: at most 1000 at once/);
    });

    it('evm_increaseTime moves the timestamps of the blocks after it', async () => {
      const before = head(n).timestamp;
      const now = Math.floor(Date.now() / 1000);
      const total = Number(await call('evm_increaseTime', [7200]));
      assert.ok(total >= 7200);
      await call('evm_mine');
      const stamped = head(n).timestamp;
      assert.ok(stamped >= Math.max(before, now + 7200), `${stamped} is not 7200 s ahead of ${now}`);
      assert.ok(stamped <= Math.max(before, now) + 7200 + 5);
      // and counts on from there
      assert.equal(await call('evm_increaseTime', ['0x0']), String(total));
      await assert.rejects(call('evm_increaseTime', [-1]), /non-negative number/);
      await assert.rejects(new DevMode(n.node, n.evm.clock).increaseTime(-1), /non-negative number of seconds: block timestamps never go back/);
    });

    it('evm_setNextBlockTimestamp dates the next block with transactions exactly, and later blocks count on from it', async () => {
      const [alice, bob] = n.wallets as [Wallet, Wallet];
      const at = head(n).timestamp + 86_400;
      assert.equal(await call('evm_setNextBlockTimestamp', [`0x${at.toString(16)}`]), String(at));
      const tx = await signed(alice, { nonce: await nonceOf(n, alice), to: bob.address, value: 1n });
      await n.send(tx.raw);
      const record = n.evm.committed((t) => n.evm.queries.transaction(t, tx.hash))!;
      const block = n.evm.committed((t) => n.evm.queries.block(t, record.record.block))!;
      assert.equal(block.timestamp, at);
      // A second on, a block with a transaction is a second or more later.
      await new Promise((r) => setTimeout(r, 1100));
      const next = await signed(alice, { nonce: await nonceOf(n, alice), to: bob.address, value: 1n });
      await n.send(next.raw);
      const later = n.evm.committed((t) => n.evm.queries.block(t, n.evm.queries.transaction(t, next.hash)!.record.block))!;
      assert.ok(later.timestamp >= at + 1 && later.timestamp <= at + 5, `${later.timestamp} is not a second or so after ${at}`);
      await assert.rejects(call('evm_setNextBlockTimestamp', [at - 1]), /earlier than the latest block's/);
    });

    it('hardhat_setBalance and anvil_setBalance set any account\'s balance through a ledger transaction', async () => {
      const fresh = Wallet.createRandom();
      const who = hexToBytes(fresh.address as `0x${string}`);
      assert.equal(await call('hardhat_setBalance', [fresh.address, '0x0de0b6b3a7640000']), true);
      assert.equal(balance(n, who), 10n ** 18n);
      // (an account that sent transactions keeps its nonce)
      const [alice] = n.wallets as [Wallet];
      const nonce = await nonceOf(n, alice);
      assert.ok(nonce > 0);
      await call('anvil_setBalance', [alice.address, '0x5']);
      assert.equal(balance(n, address(alice)), 5n);
      assert.equal(await nonceOf(n, alice), nonce);
      await call('hardhat_setBalance', [alice.address, '0x3635c9adc5dea00000']);
      await assert.rejects(call('hardhat_setBalance', ['0x12', '0x1']), /address: expected 20 bytes/);
      await assert.rejects(call('hardhat_setBalance', [fresh.address, 'lots']), /balance: expected a non-negative number or hex quantity/);
    });

    it('prints console.log of transactions under their hash, and of calls and estimates once under "call"', async () => {
      const [alice] = n.wallets as [Wallet];
      const greeter = contractInterface('ConsoleGreeter');
      const nonce = await nonceOf(n, alice);
      const deploy = await signed(alice, { nonce, gasLimit: 3_000_000n, data: deployData('ConsoleGreeter', ['hello']) });
      printed.length = 0;
      await n.send(deploy.raw);
      assert.deepEqual(printed, [`console.log [${bytesToHex(deploy.hash)}] deployed with greeting hello`]);
      const to = hexToBytes(getCreateAddress({ from: alice.address, nonce }) as `0x${string}`);
      const set = await signed(alice, { nonce: nonce + 1, to: bytesToHex(to), gasLimit: 200_000n, data: greeter.encodeFunctionData('setGreeting', ['bonjour', 3]) });
      printed.length = 0;
      await n.send(set.raw);
      const label = `console.log [${bytesToHex(set.hash)}]`;
      assert.deepEqual(printed, [`${label} changing greeting from 'hello' to 'bonjour'`, `${label} times 3 by ${alice.address.toLowerCase()}`]);

      printed.length = 0;
      const data = hexToBytes(greeter.encodeFunctionData('greet') as `0x${string}`);
      await n.evm.call({ to, data, from: address(alice) }, 'latest', ANONYMOUS);
      const greet = [`greet called by ${alice.address.toLowerCase()} true`, '-42', '0xc0ffee', '0xdeadbeef'].map((l) => `console.log [call] ${l}`);
      assert.deepEqual(printed, greet);
      printed.length = 0;
      await n.evm.estimateGas({ to, data, from: address(alice) }, 'pending', ANONYMOUS);
      assert.deepEqual(printed, greet);
    });
  });

  describe('decoding console.sol calls', () => {
    const iface = new Interface(CONSOLE_SIGNATURES.map((s) => `function ${s}`));
    const encode = (signature: string, args: unknown[]) => hexToBytes(iface.encodeFunctionData(signature, args) as `0x${string}`);

    it('takes its table from the installed hardhat/console.sol', () => {
      assert.deepEqual([...CONSOLE_SIGNATURES], consoleSignatures(readFileSync(CONSOLE_SOL, 'utf8')));
      assert.ok(CONSOLE_SIGNATURES.length > 300);
    });

    it('formats arguments as Hardhat does', () => {
      const who = '0x' + 'ab'.repeat(20);
      assert.equal(decodeConsoleCall(encode('log(string,uint256,address,bool)', ['%d of %s:', 2n ** 255n, who, false])), `${2n ** 255n} of ${who}: false`);
      assert.equal(decodeConsoleCall(encode('log(int256)', [-(2n ** 255n)])), String(-(2n ** 255n)));
      assert.equal(decodeConsoleCall(encode('log(bytes)', ['0x'])), '0x');
      assert.equal(decodeConsoleCall(encode('log(bytes32)', ['0x' + '11'.repeat(32)])), '0x' + '11'.repeat(32));
      assert.equal(decodeConsoleCall(encode('log(string,uint256)', ['100%% of %i', 5n])), '100% of 5');
      assert.equal(decodeConsoleCall(encode('log()', [])), '');
    });

    it('knows the selectors older console.sol hashed with uint and int', () => {
      // (ethers would hash the canonical uint256: the selector is computed here)
      const args = encode('log(string,uint256)', ['n =', 7n]).subarray(4);
      const legacy = concat([id('log(string,uint)').slice(0, 10), bytesToHex(args)]);
      assert.equal(decodeConsoleCall(hexToBytes(legacy as `0x${string}`)), 'n = 7');
    });

    it('says so for malformed arguments and ignores other calls', () => {
      const good = encode('log(string)', ['hi']);
      assert.match(decodeConsoleCall(good.subarray(0, 40))!, /malformed arguments: 0x41304fac/);
      const huge = good.slice();
      huge[4 + 31] = 0xff;
      huge[4] = 0xff;
      assert.match(decodeConsoleCall(huge)!, /malformed/);
      assert.equal(decodeConsoleCall(hexToBytes('0x12345678')), undefined);
    });
  });
});

async function nonceOf(n: EvmNode, wallet: Wallet): Promise<number> {
  return Number(n.evm.committed((tx) => n.evm.queries.nonce(tx, address(wallet))));
}

// What Showcase and Token do on a reference EVM (Hardhat's in-process network, EDR): the
// logs, revert data, receipts and state changes that ccevm's end-to-end tests should see
// through JSON-RPC as well. Only client-independent facts are asserted (bytes of logs and
// revert data, receipt status, state), never Hardhat's error messages or codes.
import { strict as assert } from 'node:assert';
import { AbiCoder, keccak256, toBeHex, toUtf8Bytes, zeroPadValue, type Interface } from 'ethers';
import { contractInterface } from '../support/contracts.js';
import { HardhatNetwork, hardhatProvider, type BoundContract, type Receipt } from './network.js';

interface Block {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
}

const abi = AbiCoder.defaultAbiCoder();
const word = (n: bigint | number) => zeroPadValue(toBeHex(n), 32);
const errorString = (reason: string) => `0x08c379a0${abi.encode(['string'], [reason]).slice(2)}`;
const panic = (code: number) => `0x4e487b71${word(code).slice(2)}`;

describe('Showcase and Token on a reference EVM (Hardhat network)', function () {
  this.timeout(60_000);

  let network: HardhatNetwork;
  let from = '';
  let other = '';
  const rpc = <T = any>(method: string, ...params: unknown[]): Promise<T> => network.rpc<T>(method, ...params);
  const deploy = (name: string, args: unknown[] = []) => network.deploy(name, args);
  const bind = (iface: Interface, address: string) => network.bind(iface, address);

  before(async () => {
    const provider = hardhatProvider();
    [from, other] = (await provider.request({ method: 'eth_accounts' })) as string[];
    network = new HardhatNetwork(provider, from);
  });

  describe('Showcase', () => {
    const iface = contractInterface('Showcase');
    const topic = (event: string) => iface.getEvent(event)!.topicHash;
    let address = '';
    let deployReceipt: Receipt;
    let showcase: BoundContract;

    beforeEach(async () => {
      ({ address, receipt: deployReceipt } = await deploy('Showcase'));
      showcase = bind(iface, address);
    });

    it('logs Deployed(deployer) in the creation receipt', () => {
      assert.equal(deployReceipt.logs.length, 1);
      const [log] = deployReceipt.logs;
      assert.equal(log!.address.toLowerCase(), address.toLowerCase());
      assert.deepEqual(log!.topics, [topic('Deployed'), word(BigInt(from))]);
      assert.equal(log!.data, '0x');
    });

    it('increment logs CountChanged(indexed caller, count) and moves the counter', async () => {
      const receipt = await showcase.send('increment');
      assert.equal(receipt.status, '0x1');
      assert.deepEqual(receipt.logs[0]!.topics, [topic('CountChanged'), word(BigInt(from))]);
      assert.equal(receipt.logs[0]!.data, word(1));
      await showcase.send('increment');
      assert.equal((await showcase.call('count'))[0], 2n);
    });

    it('emitEvents logs an indexed string as its hash, an anonymous event and a bare event, in order', async () => {
      const data = '0xc0ffee';
      const receipt = await showcase.send('emitEvents', ['hello', data]);
      const [tagged, signal, ping] = receipt.logs;
      assert.equal(receipt.logs.length, 3);
      assert.deepEqual(
        receipt.logs.map((l) => Number(l.logIndex) - Number(receipt.logs[0]!.logIndex)),
        [0, 1, 2],
      );
      const tagHash = keccak256(toUtf8Bytes('hello'));
      assert.deepEqual(tagged!.topics, [topic('Tagged'), tagHash, keccak256(data)]);
      assert.equal(tagged!.data, abi.encode(['bytes'], [data]));
      // Anonymous: no signature topic, the first indexed parameter comes first.
      assert.deepEqual(signal!.topics, [word(BigInt(from)), tagHash]);
      assert.equal(signal!.data, word(3));
      assert.deepEqual(ping!.topics, [topic('Ping')]);
      assert.equal(ping!.data, '0x');
    });

    it('setValue logs two indexed and two data parameters', async () => {
      const receipt = await showcase.send('setValue', [42, 'the answer']);
      assert.deepEqual(receipt.logs[0]!.topics, [topic('ValueChanged'), word(BigInt(from)), word(0)]);
      assert.equal(receipt.logs[0]!.data, abi.encode(['uint256', 'string'], [42, 'the answer']));
    });

    it('reverts with the documented revert data', async () => {
      const expectations: [string, unknown[], Record<string, unknown>, string][] = [
        ['failRequire', [], {}, errorString('Showcase: require failed')],
        ['failCustomError', [7], {}, iface.encodeErrorResult('Rejected', [from, 7, 'rejected'])],
        ['failEmptyError', [], {}, iface.getError('Empty')!.selector],
        ['failWithoutData', [], {}, '0x'],
        ['failAssert', [], {}, panic(0x01)],
        ['divide', [1, 0], {}, panic(0x12)],
        ['decrement', [], {}, panic(0x11)],
        ['setValue', [1_000_001, ''], {}, iface.encodeErrorResult('ValueTooLarge', [1_000_001, 1_000_000])],
        ['deposit', [], { value: '0x0' }, errorString('Showcase: nothing to deposit')],
        ['withdraw', [1], {}, errorString('Showcase: amount exceeds deposit')],
        ['emitThenRevert', [], {}, errorString('Showcase: emitted then reverted')],
      ];
      for (const [fn, args, extra, expected] of expectations) {
        assert.equal(await showcase.revertData(fn, args, extra), expected, fn);
      }
      assert.equal((await showcase.call('divide', [7, 2]))[0], 3n);
    });

    it('a reverted transaction is mined with status 0, no logs and no state change', async () => {
      let hash: string | undefined;
      try {
        // Hardhat mines the transaction and then reports the failure as an error.
        hash = await rpc<string>('eth_sendTransaction', {
          from,
          to: address,
          gas: '0x100000',
          data: iface.encodeFunctionData('emitThenRevert'),
        });
      } catch (error) {
        hash = (error as { transactionHash?: string }).transactionHash;
      }
      assert.ok(hash, 'the failed transaction has a hash');
      const receipt = await rpc<Receipt>('eth_getTransactionReceipt', hash);
      assert.equal(receipt.status, '0x0');
      assert.deepEqual(receipt.logs, []);
      assert.equal((await showcase.call('count'))[0], 0n);
    });

    it('takes deposits (payable function and plain transfers) and pays them back', async () => {
      const oneEther = 10n ** 18n;
      const deposited = await showcase.send('deposit', [], { value: toBeHex(oneEther) });
      assert.equal(deposited.logs[0]!.data, abi.encode(['uint256', 'uint256'], [oneEther, oneEther]));
      const plain = await rpc<string>('eth_sendTransaction', { from, to: address, value: toBeHex(oneEther / 2n) });
      assert.equal((await rpc<Receipt>('eth_getTransactionReceipt', plain)).status, '0x1');
      assert.equal((await showcase.call('deposits', [from]))[0], (3n * oneEther) / 2n);
      assert.equal(BigInt(await rpc<string>('eth_getBalance', address, 'latest')), (3n * oneEther) / 2n);

      const withdrawn = await showcase.send('withdraw', [(3n * oneEther) / 2n]);
      assert.deepEqual(withdrawn.logs[0]!.topics, [topic('Withdrawn'), word(BigInt(from))]);
      assert.equal(BigInt(await rpc<string>('eth_getBalance', address, 'latest')), 0n);
    });

    it('recordBlock stores the number, timestamp and parent hash of the block it is mined in', async () => {
      const receipt = await showcase.send('recordBlock');
      const block = await rpc<Block>('eth_getBlockByNumber', receipt.blockNumber, false);
      const parent = await rpc<Block>('eth_getBlockByNumber', toBeHex(BigInt(block.number) - 1n), false);
      assert.equal(parent.hash, block.parentHash);
      assert.equal((await showcase.call('recordedNumber'))[0], BigInt(receipt.blockNumber));
      assert.equal((await showcase.call('recordedTimestamp'))[0], BigInt(block.timestamp));
      assert.equal((await showcase.call('recordedParentHash'))[0], parent.hash);
      assert.deepEqual(receipt.logs[0]!.topics, [topic('BlockRecorded'), word(BigInt(block.number))]);
      assert.equal(
        receipt.logs[0]!.data,
        abi.encode(['uint256', 'bytes32'], [BigInt(block.timestamp), parent.hash]),
      );
    });

    it('eth_call sees the caller, the chain id and a consistent block context', async () => {
      assert.equal(((await showcase.call('whoAmI', [], { from: other }))[0] as string).toLowerCase(), other.toLowerCase());
      const [number, , parentHash, chainId] = await showcase.call('blockInfo');
      assert.equal(chainId, 31337n);
      const parent = await rpc<Block>('eth_getBlockByNumber', toBeHex(number - 1n), false);
      assert.equal(parentHash, parent.hash);
    });
  });

  describe('Token', () => {
    const iface = contractInterface('Token');
    const supply = 10n ** 24n;
    let token: BoundContract;
    let deployReceipt: Receipt;

    beforeEach(async () => {
      const deployed = await deploy('Token', ['Test Token', 'TST', supply]);
      token = bind(iface, deployed.address);
      deployReceipt = deployed.receipt;
    });

    it('mints the initial supply to the deployer with a Transfer from the zero address', async () => {
      assert.deepEqual(deployReceipt.logs[0]!.topics, [
        iface.getEvent('Transfer')!.topicHash,
        word(0),
        word(BigInt(from)),
      ]);
      assert.equal((await token.call('balanceOf', [from]))[0], supply);
      assert.equal((await token.call('totalSupply'))[0], supply);
      assert.deepEqual(
        [...(await token.call('name')), ...(await token.call('symbol')), ...(await token.call('decimals'))],
        ['Test Token', 'TST', 18n],
      );
    });

    it('transfers, approves and transfers from, with custom errors on shortfalls', async () => {
      await token.send('transfer', [other, 100n]);
      assert.equal((await token.call('balanceOf', [other]))[0], 100n);
      assert.equal(
        await token.revertData('transfer', [from, 101n], { from: other }),
        iface.encodeErrorResult('InsufficientBalance', [other, 100n, 101n]),
      );
      assert.equal(
        await token.revertData('transferFrom', [from, other, 5n], { from: other }),
        iface.encodeErrorResult('InsufficientAllowance', [from, other, 0n, 5n]),
      );
      const approval = await token.send('approve', [other, 5n]);
      assert.deepEqual(approval.logs[0]!.topics, [
        iface.getEvent('Approval')!.topicHash,
        word(BigInt(from)),
        word(BigInt(other)),
      ]);
      await token.send('transferFrom', [from, other, 5n], { from: other });
      assert.equal((await token.call('balanceOf', [other]))[0], 105n);
      assert.equal((await token.call('allowance', [from, other]))[0], 0n);
      assert.equal(
        await token.revertData('transfer', ['0x0000000000000000000000000000000000000000', 1n]),
        iface.encodeErrorResult('InvalidReceiver', ['0x0000000000000000000000000000000000000000']),
      );
    });
  });
});

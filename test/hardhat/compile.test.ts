// The Solidity toolchain: contracts compile offline (no compiler download, nothing needed
// from ~/.cache), test/support/contracts.ts recompiles exactly when sources change, the
// artifacts carry the ABI that tests and benchmarks rely on, and scripts/deploy.cjs works
// on Hardhat's in-process network.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { id, Interface, type JsonFragment } from 'ethers';
import {
  PROJECT_ROOT,
  contractInterface,
  deployData,
  ensureContractsCompiled,
  listArtifacts,
  loadArtifact,
} from '../support/contracts.js';
import { tempDirs } from '../support/tmpdir.js';

const NO_NETWORK = new URL('./fixtures/no-network.cjs', import.meta.url).pathname;

/** Canonical signatures (`name(type,…)`) of the ABI entries of one kind. */
function signatures(abi: JsonFragment[], kind: 'function' | 'event' | 'error'): string[] {
  const iface = new Interface(abi);
  return iface.fragments
    .filter((f) => f.type === kind)
    .map((f) => f.format('sighash'))
    .sort();
}

function entry(abi: JsonFragment[], kind: string, name: string): JsonFragment {
  const found = abi.find((e) => e.type === kind && e.name === name);
  assert.ok(found, `${kind} ${name} is in the ABI`);
  return found;
}

function indexedFlags(event: JsonFragment): boolean[] {
  return (event.inputs ?? []).map((input) => input.indexed === true);
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
}

describe('Solidity contracts (Hardhat toolchain)', function () {
  this.timeout(180_000);

  before(() => {
    ensureContractsCompiled();
  });

  describe('artifacts', () => {
    it('lists the contracts and the interfaces under their fully qualified names', () => {
      const names = listArtifacts();
      assert.ok(names.includes('contracts/Token.sol:Token'), names.join(', '));
      assert.ok(names.includes('contracts/Showcase.sol:Showcase'), names.join(', '));
      for (const name of [
        'contracts/PrivateToken.sol:PrivateToken',
        'contracts/SupplyChain.sol:SupplyChain',
        'contracts/interfaces/ICheckAccess.sol:ICheckAccess',
        'contracts/interfaces/IEventVisibility.sol:IEventVisibility',
        'contracts/interfaces/IEventVisibility.sol:EventVisibility',
      ]) {
        assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      }
      assert.deepEqual(loadArtifact('contracts/Token.sol:Token'), loadArtifact('Token'));
    });

    it('Token has the ERC-20 interface, its events and its custom errors', () => {
      const { abi, bytecode, deployedBytecode, sourceName } = loadArtifact('Token');
      assert.equal(sourceName, 'contracts/Token.sol');
      assert.match(bytecode, /^0x([0-9a-f]{2})+$/);
      assert.match(deployedBytecode, /^0x([0-9a-f]{2})+$/);
      assert.deepEqual(signatures(abi, 'function'), [
        'allowance(address,address)',
        'approve(address,uint256)',
        'balanceOf(address)',
        'decimals()',
        'name()',
        'symbol()',
        'totalSupply()',
        'transfer(address,uint256)',
        'transferFrom(address,address,uint256)',
      ]);
      assert.deepEqual(signatures(abi, 'event'), [
        'Approval(address,address,uint256)',
        'Transfer(address,address,uint256)',
      ]);
      assert.deepEqual(indexedFlags(entry(abi, 'event', 'Transfer')), [true, true, false]);
      assert.deepEqual(indexedFlags(entry(abi, 'event', 'Approval')), [true, true, false]);
      assert.deepEqual(signatures(abi, 'error'), [
        'InsufficientAllowance(address,address,uint256,uint256)',
        'InsufficientBalance(address,uint256,uint256)',
        'InvalidReceiver(address)',
        'InvalidSpender(address)',
      ]);
      assert.deepEqual(
        entry(abi, 'error', 'InsufficientBalance').inputs?.map((i) => i.name),
        ['account', 'balance', 'needed'],
      );
      assert.equal(entry(abi, 'function', 'balanceOf').stateMutability, 'view');
      assert.equal(entry(abi, 'function', 'transfer').stateMutability, 'nonpayable');
      const ctor = abi.find((e) => e.type === 'constructor');
      assert.deepEqual(ctor?.inputs?.map((i) => i.type), ['string', 'string', 'uint256']);

      // The well-known ERC-20 identifiers.
      const iface = contractInterface('Token');
      assert.equal(iface.getFunction('transfer')?.selector, '0xa9059cbb');
      assert.equal(iface.getFunction('balanceOf')?.selector, '0x70a08231');
      assert.equal(
        iface.getEvent('Transfer')?.topicHash,
        '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
      );
      assert.equal(
        iface.getError('InsufficientBalance')?.selector,
        id('InsufficientBalance(address,uint256,uint256)').slice(0, 10),
      );
    });

    it('Showcase has events of every shape, errors with arguments, and payable and view functions', () => {
      const { abi } = loadArtifact('Showcase');
      assert.deepEqual(signatures(abi, 'event'), [
        'BlockRecorded(uint256,uint256,bytes32)',
        'CountChanged(address,uint256)',
        'Deployed(address)',
        'Deposited(address,uint256,uint256)',
        'Ping()',
        'Signal(address,bytes32,uint256)',
        'Tagged(string,bytes32,bytes)',
        'ValueChanged(address,uint256,uint256,string)',
        'Withdrawn(address,uint256)',
      ]);
      assert.equal(entry(abi, 'event', 'Signal').anonymous, true);
      assert.equal(entry(abi, 'event', 'Tagged').anonymous, false);
      assert.deepEqual(indexedFlags(entry(abi, 'event', 'Tagged')), [true, true, false]);
      assert.deepEqual(indexedFlags(entry(abi, 'event', 'ValueChanged')), [true, true, false, false]);
      assert.deepEqual(indexedFlags(entry(abi, 'event', 'Ping')), []);

      assert.deepEqual(signatures(abi, 'error'), [
        'Empty()',
        'Rejected(address,uint256,string)',
        'TransferFailed(address,uint256)',
        'ValueTooLarge(uint256,uint256)',
      ]);

      const mutability = (name: string) => entry(abi, 'function', name).stateMutability;
      assert.equal(mutability('deposit'), 'payable');
      assert.equal(mutability('increment'), 'nonpayable');
      assert.equal(mutability('recordBlock'), 'nonpayable');
      assert.equal(mutability('blockInfo'), 'view');
      assert.equal(mutability('whoAmI'), 'view');
      for (const name of ['failRequire', 'failEmptyError', 'failWithoutData', 'failAssert', 'divide']) {
        assert.equal(mutability(name), 'pure', name);
      }
      assert.equal(mutability('failCustomError'), 'view');
      assert.ok(abi.some((e) => e.type === 'receive' && e.stateMutability === 'payable'));
      assert.deepEqual(
        entry(abi, 'function', 'blockInfo').outputs?.map((o) => `${o.type} ${o.name}`),
        ['uint256 number', 'uint256 timestamp', 'bytes32 parentHash', 'uint256 chainId'],
      );
    });

    it('the read-policy interfaces have exactly the ABI the ccevm adapter calls', () => {
      assert.equal(loadArtifact('ICheckAccess').sourceName, 'contracts/interfaces/ICheckAccess.sol');
      assert.equal(loadArtifact('IEventVisibility').sourceName, 'contracts/interfaces/IEventVisibility.sol');
      const shape = (name: string) =>
        contractInterface(name)
          .fragments.filter((f) => f.type === 'function')
          .map((f) => `${f.format('full')}`);
      assert.deepEqual(shape('ICheckAccess'), ['function checkAccess(address reader) view returns (bool)']);
      assert.deepEqual(shape('IEventVisibility'), ['function eventVisibility(bytes32 eventTopic) pure returns (uint256 rule)']);
      // PrivateToken and SupplyChain implement both, with the same selectors and mutability.
      for (const contract of ['PrivateToken', 'SupplyChain']) {
        const functions = shape(contract);
        for (const expected of [...shape('ICheckAccess'), ...shape('IEventVisibility')]) {
          assert.ok(functions.includes(expected), `${contract} has ${expected}`);
        }
      }
    });

    it('EventVisibility names the rule bits the adapter understands', () => {
      const source = readFileSync(join(PROJECT_ROOT, 'contracts/interfaces/IEventVisibility.sol'), 'utf8');
      const library = source.slice(source.indexOf('library EventVisibility'));
      const constants = Object.fromEntries(
        [...library.matchAll(/uint256 internal constant (\w+) = (\d+);/g)].map((m) => [m[1], Number(m[2])]),
      );
      assert.deepEqual(constants, { DEFAULT: 0, EVERYONE: 1, TX_SENDER: 2, TOPIC1: 4, TOPIC2: 8, TOPIC3: 16 });
    });

    it('deployData appends the ABI-encoded constructor arguments to the creation code', () => {
      const { bytecode } = loadArtifact('Token');
      const data = deployData('Token', ['Test', 'TST', 1000n]);
      assert.ok(data.startsWith(bytecode));
      const args = contractInterface('Token').deploy.inputs;
      const decoded = Interface.from([]).getAbiCoder().decode(args, `0x${data.slice(bytecode.length)}`);
      assert.deepEqual([...decoded], ['Test', 'TST', 1000n]);
      assert.equal(deployData('Showcase'), loadArtifact('Showcase').bytecode);
    });

    it('names a missing contract clearly', () => {
      assert.throws(() => loadArtifact('NoSuchContract'), /no artifact for contract "NoSuchContract"; available: .*Token/);
    });
  });

  describe('a fresh checkout, offline and with an empty home directory', () => {
    const dirs = tempDirs();
    let project = '';
    let env: NodeJS.ProcessEnv = {};

    before(async () => {
      project = await dirs.make('hardhat-project');
      const home = await dirs.make('hardhat-home');
      cpSync(join(PROJECT_ROOT, 'contracts'), join(project, 'contracts'), { recursive: true });
      for (const file of ['hardhat.config.cjs', 'package.json']) {
        copyFileSync(join(PROJECT_ROOT, file), join(project, file));
      }
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
      env = {
        ...process.env,
        HOME: home,
        XDG_CACHE_HOME: join(home, '.cache'),
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_DATA_HOME: join(home, '.local', 'share'),
        // Every outgoing connection or DNS lookup throws, in Hardhat and in its solcjs child.
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require "${NO_NETWORK}"`.trim(),
      };
    });
    after(() => dirs.cleanup());

    it('compiles without downloading a compiler, to the same bytecode', () => {
      assert.equal(ensureContractsCompiled({ root: project, env }), 'compiled');
      assert.deepEqual(listArtifacts(project), listArtifacts());
      for (const name of ['Token', 'Showcase', 'PrivateToken', 'SupplyChain']) {
        assert.equal(loadArtifact(name, project).bytecode, loadArtifact(name).bytecode, name);
      }
      const home = env.HOME!;
      const compilers = filesUnder(home).filter((f) => /compilers|soljson|solc-/.test(f));
      assert.deepEqual(compilers, [], 'nothing compiler-like was written under HOME');
    });

    it('does not run Hardhat again while the sources are unchanged', () => {
      assert.equal(ensureContractsCompiled({ root: project, env }), 'fresh');
    });

    it('recompiles when a source is added', () => {
      writeFileSync(
        join(project, 'contracts', 'Extra.sol'),
        '// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.20;\n' +
          'contract Extra { event Hello(uint256 indexed n); function hello() external { emit Hello(1); } }\n',
      );
      assert.equal(ensureContractsCompiled({ root: project, env }), 'compiled');
      const { abi } = loadArtifact('Extra', project);
      assert.deepEqual(signatures(abi, 'event'), ['Hello(uint256)']);
      assert.equal(ensureContractsCompiled({ root: project, env }), 'fresh');
    });

    it('recompiles when a source in a subfolder (contracts/interfaces/) changes', () => {
      const path = join(project, 'contracts', 'interfaces', 'ICheckAccess.sol');
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, `${original}\ninterface IExtraCheck { function extra() external view returns (bool); }\n`);
      try {
        assert.equal(ensureContractsCompiled({ root: project, env }), 'compiled');
        assert.ok(listArtifacts(project).includes('contracts/interfaces/ICheckAccess.sol:IExtraCheck'));
      } finally {
        writeFileSync(path, original);
      }
      assert.equal(ensureContractsCompiled({ root: project, env }), 'compiled');
      assert.ok(!listArtifacts(project).includes('contracts/interfaces/ICheckAccess.sol:IExtraCheck'));
    });

    it("reports a compilation error with solc's message", () => {
      const broken = join(project, 'contracts', 'Broken.sol');
      writeFileSync(broken, 'pragma solidity ^0.8.20;\ncontract Broken { function f( }\n');
      try {
        assert.throws(() => ensureContractsCompiled({ root: project, env }), /hardhat compile failed[\s\S]*ParserError/);
      } finally {
        rmSync(broken);
      }
      assert.equal(ensureContractsCompiled({ root: project, env }), 'compiled');
    });
  });

  describe('scripts/deploy.cjs', () => {
    it('deploys, transfers and increments on the in-process Hardhat network', async () => {
      const cli = createRequire(import.meta.url).resolve('hardhat/internal/cli/bootstrap.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [cli, 'run', 'scripts/deploy.cjs', '--network', 'hardhat'],
        { cwd: PROJECT_ROOT, env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' } },
      );
      const lines = stdout.trim().split('\n');
      const summary = JSON.parse(lines[lines.length - 1]!) as Record<string, any>;
      assert.equal(summary.network, 'hardhat');
      assert.equal(summary.chainId, 31337);
      for (const contract of [summary.token, summary.showcase]) {
        assert.match(contract.address, /^0x[0-9a-fA-F]{40}$/);
        assert.match(contract.deployTx, /^0x[0-9a-f]{64}$/);
      }
      assert.match(summary.transfer.tx, /^0x[0-9a-f]{64}$/);
      assert.equal(summary.transfer.recipientBalance, summary.transfer.amount);
      assert.match(summary.increment.tx, /^0x[0-9a-f]{64}$/);
      assert.equal(summary.increment.count, '1');
    });
  });
});

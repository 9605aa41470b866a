// The EVM application on a node: its hooks into the core (genesis, block sealing, the
// governance tables its constitution writes) and the machinery attach() builds for a
// started node: an executor and a call VM over KV-backed state, and the service that
// answers reads (service.ts).
import type { Common } from '@ethereumjs/common';
import { Account } from '@ethereumjs/util';
import { createVM } from '@ethereumjs/vm';
import type { Transaction } from '../core/kv/transaction.js';
import type { ApplicationHooks, Node } from '../core/node/node.js';
import { fromHex } from '../core/util/bytes.js';
import { ContractProbe } from './access/contract-probe.js';
import { CONTRACT_VISIBILITY, DEV_ACCOUNTS, EVENT_VISIBILITY } from './access/tables.js';
import { sealBlock, systemClock, type Clock } from './blocks.js';
import { Calls } from './calls.js';
import { ConsoleLog } from './console-log.js';
import { isDevService } from './dev-mode.js';
import { sealedAt } from './dev-clock.js';
import { createChainCommon, createTransactionCommon, keccak256 } from './common.js';
import type { EvmConfig } from './config.js';
import { Executor } from './executor.js';
import { HeaderBuilder } from './header.js';
import { KvBlockchain } from './kv-blockchain.js';
import { EVM_POLICY, writeGenesisPolicy } from './policy.js';
import { STANDARD_GENESIS } from './multicall3.js';
import { Queries } from './queries.js';
import { EvmService } from './service.js';
import { KvStateManager } from './state-manager.js';
import { ACCOUNTS, CODE, PENDING_BLOCK } from './tables.js';

export class EvmApplication {
  readonly common: Common;
  /** shared by every decoded transaction (see createTransactionCommon) */
  private readonly txCommon: Common;
  private readonly headers: HeaderBuilder;

  /** `clock` dates new blocks (tests pass one they can move). */
  constructor(
    readonly config: EvmConfig,
    private readonly clock: Clock = systemClock,
  ) {
    this.common = createChainCommon(config.chainId);
    this.txCommon = createTransactionCommon(config.chainId);
    this.headers = new HeaderBuilder(this.common);
  }

  get hooks(): ApplicationHooks {
    return {
      genesis: (tx) => writeGenesis(tx, this.config, this.clock()),
      seal: (tx, root) => {
        const now = this.clock();
        sealedAt(tx, sealBlock(tx, this.common, this.headers, root, now), now);
      },
      governanceTables: [EVM_POLICY, CONTRACT_VISIBILITY, EVENT_VISIBILITY],
    };
  }

  /**
   * Build the EVM machinery for a started node; `consoleOutput` prints console.log from
   * Solidity, on a development service only (console-log.ts).
   */
  async attach(node: Node, consoleOutput?: (line: string) => void): Promise<EvmService> {
    const machine = async () => {
      const state = new KvStateManager();
      const chain = new KvBlockchain();
      const vm = await createVM({ common: this.common, stateManager: state, blockchain: chain });
      return { vm, state, chain };
    };
    const tx = await machine();
    const call = await machine();
    const devService = () => isDevService(node);
    if (consoleOutput) ConsoleLog.ofTransactions(tx.vm, devService, consoleOutput);
    const callConsole = consoleOutput && new ConsoleLog(call.vm, devService, consoleOutput);
    const calls = new Calls(call.vm, call.state, call.chain, this.txCommon, this.common, callConsole);
    const probe = new ContractProbe(calls);
    return new EvmService(
      node,
      this.common,
      this.config,
      new Executor(node, tx.vm, tx.state, tx.chain, this.common, this.txCommon, this.config, this.clock, probe),
      calls,
      new Queries(this.txCommon),
      probe,
      this.clock,
    );
  }
}

function writeGenesis(tx: Transaction, config: EvmConfig, now: number): void {
  const accounts = tx.map(ACCOUNTS);
  for (const [address, spec] of Object.entries({ ...STANDARD_GENESIS, ...config.genesis })) {
    const account = new Account(spec.nonce ?? 0n, spec.balance);
    if (spec.code && spec.code.length > 0) {
      account.codeHash = keccak256(spec.code);
      tx.map(CODE).set(account.codeHash, spec.code);
    }
    accounts.set(fromHex(address), account.serialize());
  }
  writeGenesisPolicy(tx, config);
  tx.map(DEV_ACCOUNTS).set(0, config.devAccounts.map((a) => a.toLowerCase()));
  tx.map(PENDING_BLOCK).set(0, { number: 0, timestamp: now, txCount: 0, gasUsed: 0n, logCount: 0, baseFeePerGas: config.baseFeePerGas, gasLimit: config.blockGasLimit });
}

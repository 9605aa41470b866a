// One EVM node in this process, built as `ccevm start` builds it (cli/start.ts), with its
// ledger in a storage whose writes the test can hold open (so "executed" and "committed"
// can be told apart at will), and ethers wallets to sign transactions.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes } from '@ethereumjs/util';
import { keccak256, Wallet, type TransactionRequest } from 'ethers';
import { Node } from '../../core/node/node.js';
import { DEFAULT_EVM_CONFIG, type EvmConfig, type GenesisAccount } from '../../evm-adapter/config.js';
import { EvmApplication } from '../../evm-adapter/application.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { Forwarder } from '../../rpc/forwarder.js';
import { HeldStorage } from '../support/held-storage.js';
import { openServiceNow, usersGenesis } from '../support/open-service.js';
import { DEV_KEYS } from '../support/node-process.js';

export const CHAIN_ID = 1337n;
export const FUNDS = 10n ** 21n;

export interface EvmNode {
  node: Node;
  evm: EvmService;
  storage: HeldStorage;
  /** the node's data directory (development platform: its sealed secrets unseal from here) */
  dataDir: string;
  wallets: Wallet[];
  /** eth_sendRawTransaction as the RPC layer runs it: resolves with the hash once committed */
  send(raw: Uint8Array): Promise<Uint8Array>;
  stop(): Promise<void>;
}

export interface EvmNodeOptions {
  /** changes to the EVM configuration (e.g. its genesis policy) */
  config?: Partial<EvmConfig>;
  /** open the service (default), as its members' vote would; else it stays Opening */
  open?: boolean;
  /** the wallets are the service's dev accounts (a development service); default: a production one */
  devAccounts?: boolean;
  /** where console.log from Solidity is printed (a development service only) */
  consoleOutput?: (line: string) => void;
}

/**
 * Start a single-node service, open unless told otherwise, whose dev wallets are funded
 * users who may deploy; `genesis` adds accounts.
 */
export async function startEvmNode(genesis: Record<string, GenesisAccount> = {}, { config = {}, open = true, devAccounts = false, consoleOutput }: EvmNodeOptions = {}): Promise<EvmNode> {
  const wallets = DEV_KEYS.slice(0, 3).map((k) => new Wallet(k));
  const evmConfig: EvmConfig = {
    ...DEFAULT_EVM_CONFIG,
    ...config,
    chainId: CHAIN_ID,
    devAccounts: devAccounts ? wallets.map((w) => w.address) : [],
    genesis: { ...Object.fromEntries(wallets.map((w) => [w.address.toLowerCase(), { balance: FUNDS }])), ...genesis },
  };
  const storage = new HeldStorage();
  const app = new EvmApplication(evmConfig);
  // Signatures only when the executor goes idle (never on a timer), so which transactions
  // share a block depends on what the test submits together, not on the machine's speed.
  const dataDir = await mkdtemp(join(tmpdir(), 'ccevm-evm-'));
  const governance = usersGenesis(wallets.map((w) => w.address));
  const node = await Node.create({ dataDir, storage, application: app.hooks, governance, signatures: { milliseconds: 3_600_000 } });
  if (open) await openServiceNow(node);
  const evm = await app.attach(node, consoleOutput);
  // What eth_sendRawTransaction does: execute on the primary, answer once committed.
  const forwarder = new Forwarder(node, evm);
  return {
    node,
    evm,
    storage,
    dataDir,
    send: (raw: Uint8Array) => forwarder.sendRawTransaction(raw),
    wallets,
    async stop() {
      storage.release();
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed EIP-1559 transaction and its hash (zero base fee: gas costs nothing). */
export async function signed(wallet: Wallet, request: TransactionRequest): Promise<{ raw: Uint8Array; hash: Uint8Array }> {
  const raw = await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, gasLimit: 100_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, value: 0n, ...request });
  return { raw: hexToBytes(raw as `0x${string}`), hash: hexToBytes(keccak256(raw) as `0x${string}`) };
}

export const address = (wallet: Wallet): Uint8Array => hexToBytes(wallet.address as `0x${string}`);

/** Whether `promise` has settled, without waiting for it. */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const winner = await Promise.race([promise.then(() => true, () => true), new Promise((r) => setImmediate(() => r(marker)))]);
  return winner !== marker;
}

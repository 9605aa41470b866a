// Hardhat's in-process network (EDR) as the reference EVM of the contract tests: its
// provider with this repository's config, and contracts deployed and bound to an address
// (send, call, the revert data of a call) over plain EIP-1193 requests.
import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Interface } from 'ethers';
import { PROJECT_ROOT, deployData } from '../support/contracts.js';

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}
export interface Log {
  address: string;
  topics: string[];
  data: string;
  logIndex: string;
}
export interface Receipt {
  status: string;
  blockNumber: string;
  blockHash: string;
  contractAddress: string | null;
  logs: Log[];
}

/** Hardhat's in-process network provider, with this repository's config. */
export function hardhatProvider(): Eip1193 {
  const saved = { config: process.env.HARDHAT_CONFIG, network: process.env.HARDHAT_NETWORK };
  process.env.HARDHAT_CONFIG = join(PROJECT_ROOT, 'hardhat.config.cjs');
  process.env.HARDHAT_NETWORK = 'hardhat';
  try {
    const hre = createRequire(import.meta.url)('hardhat') as { network: { provider: Eip1193 } };
    return hre.network.provider;
  } finally {
    for (const [key, value] of [['HARDHAT_CONFIG', saved.config], ['HARDHAT_NETWORK', saved.network]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

type Overrides = Record<string, unknown>;

/** A contract at `address`; transactions and calls are from `from` unless overridden. */
export interface BoundContract {
  address: string;
  send(fn: string, args?: unknown[], extra?: Overrides): Promise<Receipt>;
  call(fn: string, args?: unknown[], extra?: Overrides): Promise<ReturnType<Interface['decodeFunctionResult']>>;
  /** The revert data of a call that must revert. */
  revertData(fn: string, args?: unknown[], extra?: Overrides): Promise<string>;
}

/** Sends, calls and deploys on `provider` from the account `from` (one of its accounts). */
export class HardhatNetwork {
  constructor(
    readonly provider: Eip1193,
    readonly from: string,
  ) {}

  rpc<T = any>(method: string, ...params: unknown[]): Promise<T> {
    return this.provider.request({ method, params }) as Promise<T>;
  }

  /** Deploys contract `name` with constructor `args`; the creation must succeed. */
  async deploy(name: string, args: unknown[] = [], extra: Overrides = {}): Promise<{ address: string; receipt: Receipt }> {
    const hash = await this.rpc<string>('eth_sendTransaction', { from: this.from, data: deployData(name, args), ...extra });
    const receipt = await this.rpc<Receipt>('eth_getTransactionReceipt', hash);
    assert.equal(receipt.status, '0x1');
    return { address: receipt.contractAddress!, receipt };
  }

  bind(iface: Interface, address: string): BoundContract {
    const tx = (fn: string, args: unknown[] = [], extra: Overrides = {}) => ({
      from: this.from,
      to: address,
      data: iface.encodeFunctionData(fn, args),
      ...extra,
    });
    return {
      address,
      send: async (fn, args, extra) => {
        const hash = await this.rpc<string>('eth_sendTransaction', tx(fn, args, extra));
        return this.rpc<Receipt>('eth_getTransactionReceipt', hash);
      },
      call: async (fn, args, extra) => iface.decodeFunctionResult(fn, await this.rpc<string>('eth_call', tx(fn, args, extra), 'latest')),
      revertData: async (fn, args, extra) => {
        try {
          await this.rpc('eth_call', tx(fn, args, extra), 'latest');
        } catch (error) {
          return (error as { data: string }).data;
        }
        assert.fail(`${fn} did not revert`);
      },
    };
  }
}

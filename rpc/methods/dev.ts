// The Hardhat and Anvil methods of a development service (evm-adapter/dev-mode.ts): a
// production service (no dev accounts) refuses each with an error that says so. They run
// on the primary; a backup names it. The methods that would rewind the ledger or let a
// caller act as another account do not exist here at all (README.md, "Development mode").
import type { Node } from '../../core/node/node.js';
import { DevMode, isDevService } from '../../evm-adapter/dev-mode.js';
import { ErrorCode, EvmError, invalidParams } from '../../evm-adapter/errors.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { parseAddress, positional } from '../hex.js';
import type { Method } from './eth.js';

const HEX = /^0x[0-9a-fA-F]{1,64}$/;
/** Most blocks one hardhat_mine seals (each is a signature, committed before the next). */
export const MAX_MINED_BLOCKS = 1000;

/** A number as Hardhat takes it: a JSON number, or hex (leading zeros allowed, as ethers' toBeHex writes them). */
function parseAmount(value: unknown, name: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && HEX.test(value)) return BigInt(value);
  throw invalidParams(`${name}: expected a non-negative number or hex quantity`);
}

function parseSeconds(value: unknown, name: string): number {
  const v = parseAmount(value, name);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidParams(`${name}: too large`);
  return Number(v);
}

export function devMethods(node: Node, evm: EvmService): Record<string, Method> {
  const dev = new DevMode(node, evm.clock);
  /** Only on a development service. */
  const devOnly = (name: string, method: Method): Method => (params, caller) => {
    if (!isDevService(node)) {
      throw new EvmError(ErrorCode.Rejected, `${name} is a development method: this is a production service (it has no dev accounts), where no one may mine, move the clock or set balances`);
    }
    return method(params, caller);
  };
  const setBalance: Method = async (p) => {
    const [address, balance] = positional(p, 2, 2);
    await dev.setBalance(parseAddress(address), parseAmount(balance, 'balance'));
    return true;
  };
  /** [blocks = 1, interval = 1 s between their timestamps] */
  const mine: Method = async (p) => {
    const [blocks, interval] = positional(p, 0, 2);
    const count = blocks === undefined || blocks === null ? 1 : parseSeconds(blocks, 'blocks');
    if (count > MAX_MINED_BLOCKS) throw invalidParams(`blocks: at most ${MAX_MINED_BLOCKS} at once`);
    const step = interval === undefined || interval === null ? 1 : parseSeconds(interval, 'interval');
    let last: number | undefined;
    for (let i = 0; i < count; i++) last = (await dev.mine(last === undefined ? undefined : last + step)).timestamp;
    return true;
  };
  const methods: Record<string, Method> = {
    evm_mine: async (p) => {
      const [timestamp] = positional(p, 0, 1);
      await dev.mine(timestamp === undefined || timestamp === null ? undefined : parseSeconds(timestamp, 'timestamp'));
      return '0x0';
    },
    hardhat_mine: mine,
    anvil_mine: mine,
    // (Hardhat answers these two in decimal)
    evm_increaseTime: async (p) => {
      const [seconds] = positional(p, 1, 1);
      return String(await dev.increaseTime(parseSeconds(seconds, 'seconds')));
    },
    evm_setNextBlockTimestamp: async (p) => {
      const [timestamp] = positional(p, 1, 1);
      const seconds = parseSeconds(timestamp, 'timestamp');
      await dev.setNextBlockTimestamp(seconds);
      return String(seconds);
    },
    hardhat_setBalance: setBalance,
    anvil_setBalance: setBalance,
  };
  return {
    ...Object.fromEntries(Object.entries(methods).map(([name, m]) => [name, devOnly(name, m)])),
    // True on every service, not only a development one: a transaction is in a block as soon
    // as it runs (there is no mempool to mine from). Tools ask it to decide how many blocks
    // to wait for (Hardhat Ignition waits for 5 confirmations otherwise, and blocks here move
    // only with transactions).
    hardhat_getAutomine: (p) => (positional(p, 0, 0), true),
  };
}

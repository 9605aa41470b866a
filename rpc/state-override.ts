// The state-override parameter of eth_call and eth_estimateGas (geth's third parameter;
// the execution-apis `StateOverrides` schema), parsed strictly: every malformed part is the
// client's error (-32602) naming where it is.
import { invalidParams } from '../evm-adapter/errors.js';
import { StateOverride, type AccountOverride } from '../evm-adapter/state-override.js';
import { bytesToKey } from '../core/util/bytes.js';
import { parseAddress, parseData, parseQuantity } from './hex.js';

const FIELDS = new Set(['balance', 'nonce', 'code', 'state', 'stateDiff', 'movePrecompileToAddress']);
const MAX_NONCE = (1n << 64n) - 1n;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const given = (value: unknown) => value !== undefined && value !== null;

/** undefined when there is none (absent or null). */
export function parseStateOverride(value: unknown, name = 'stateOverride'): StateOverride | undefined {
  if (!given(value)) return undefined;
  if (!isObject(value)) throw invalidParams(`${name}: expected an object of account overrides by address`);
  const seen = new Set<string>();
  const accounts: [Uint8Array, AccountOverride][] = [];
  for (const [key, account] of Object.entries(value)) {
    const address = parseAddress(key, `${name}: address ${JSON.stringify(key)}`);
    if (seen.has(bytesToKey(address))) throw invalidParams(`${name}: ${key} is given more than once`);
    seen.add(bytesToKey(address));
    accounts.push([address, parseAccountOverride(account, `${name}[${key}]`)]);
  }
  return new StateOverride(accounts);
}

function parseAccountOverride(value: unknown, name: string): AccountOverride {
  if (!isObject(value)) throw invalidParams(`${name}: expected an object`);
  for (const field of Object.keys(value)) if (!FIELDS.has(field)) throw invalidParams(`${name}: unknown field ${JSON.stringify(field)}`);
  if (given(value.movePrecompileToAddress)) throw invalidParams(`${name}.movePrecompileToAddress is not supported`);
  if (given(value.state) && given(value.stateDiff)) throw invalidParams(`${name}: has both "state" and "stateDiff"`);
  const override: AccountOverride = {};
  if (given(value.balance)) override.balance = parseQuantity(value.balance, `${name}.balance`);
  if (given(value.nonce)) {
    override.nonce = parseQuantity(value.nonce, `${name}.nonce`);
    if (override.nonce > MAX_NONCE) throw invalidParams(`${name}.nonce: more than 64 bits`);
  }
  if (given(value.code)) override.code = parseData(value.code, `${name}.code`);
  const storage = given(value.state) ? 'state' : given(value.stateDiff) ? 'stateDiff' : undefined;
  if (storage) override.storage = { replace: storage === 'state', slots: parseSlots(value[storage], `${name}.${storage}`) };
  return override;
}

function parseSlots(value: unknown, name: string): [Uint8Array, Uint8Array][] {
  if (!isObject(value)) throw invalidParams(`${name}: expected an object of 32-byte slots to 32-byte values`);
  const seen = new Set<string>();
  return Object.entries(value).map(([slot, word]) => {
    const key = parseData(slot, `${name}: slot ${JSON.stringify(slot)}`, 32);
    if (seen.has(bytesToKey(key))) throw invalidParams(`${name}: slot ${slot} is given more than once`);
    seen.add(bytesToKey(key));
    return [key, parseData(word, `${name}[${slot}]`, 32)];
  });
}

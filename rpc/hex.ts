// JSON-RPC's hex encodings, parsed strictly: a malformed parameter is the client's error
// (-32602), never an exception from deeper down.
import { invalidParams } from '../evm-adapter/errors.js';
import type { BlockTag, StateAt } from '../evm-adapter/service.js';

export const quantity = (v: bigint | number): string => `0x${v.toString(16)}`;

export const data = (bytes: Uint8Array): string => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const DATA = /^0x([0-9a-fA-F]{2})*$/;

export function parseQuantity(value: unknown, name: string): bigint {
  if (typeof value !== 'string' || !QUANTITY.test(value) || value.length > 66) throw invalidParams(`${name}: expected a hex quantity, got ${describe(value)}`);
  return BigInt(value);
}

export function parseSmallQuantity(value: unknown, name: string): number {
  const v = parseQuantity(value, name);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidParams(`${name}: too large`);
  return Number(v);
}

export function parseData(value: unknown, name: string, length?: number): Uint8Array {
  if (typeof value !== 'string' || !DATA.test(value)) throw invalidParams(`${name}: expected 0x-prefixed hex bytes, got ${describe(value)}`);
  const bytes = new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  if (length !== undefined && bytes.length !== length) throw invalidParams(`${name}: expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}

export const parseAddress = (value: unknown, name = 'address') => parseData(value, name, 20);
export const parseHash = (value: unknown, name = 'hash') => parseData(value, name, 32);

const TAGS = new Set(['latest', 'pending', 'safe', 'finalized', 'earliest']);
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Where to read state: a block tag or number, or a block hash, plain or as EIP-1898 `{ blockHash }`. */
export function parseStateAt(value: unknown, name = 'block'): StateAt {
  if (typeof value === 'string' && HASH.test(value)) return { hash: parseHash(value, name) };
  if (typeof value === 'object' && value !== null && 'blockHash' in value) return { hash: parseHash((value as { blockHash: unknown }).blockHash, `${name}.blockHash`) };
  return parseBlockTag(value, name);
}

/** A block tag or number; EIP-1898 objects `{ blockNumber }` are accepted too. */
export function parseBlockTag(value: unknown, name = 'block'): BlockTag {
  if (value === undefined || value === null) return 'latest';
  if (typeof value === 'string' && TAGS.has(value)) return value as BlockTag;
  if (typeof value === 'object' && value !== null && 'blockNumber' in value) return parseBlockTag((value as { blockNumber: unknown }).blockNumber, name);
  return parseSmallQuantity(value, name);
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Positional parameters, as JSON-RPC `params` must be for eth_* methods. */
export function positional(params: unknown, min: number, max: number): unknown[] {
  const list = params === undefined ? [] : params;
  if (!Array.isArray(list)) throw invalidParams('params must be an array');
  if (list.length < min || list.length > max) {
    throw invalidParams(min === max ? `expected ${min} parameters` : `expected ${min} to ${max} parameters, got ${list.length}`);
  }
  return list;
}

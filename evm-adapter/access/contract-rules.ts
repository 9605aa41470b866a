// What a contract's code and the members' marks say about an address and its events,
// whoever asks: its class (an account without code, a public contract, a private one that
// asks checkAccess, or one marked private with nothing to ask: auditors only) and the rule
// for one of its events. The caller-dependent part is reader.ts.
import { bytesToHex } from '@ethereumjs/util';
import type { BlockContext } from '../blocks.js';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import type { LogRecord } from '../tables.js';
import type { ContractProbe } from './contract-probe.js';
import { CONTRACT_VISIBILITY, EVENT_VISIBILITY, eventVisibilityKey } from './tables.js';

export type ContractClass =
  /** no code: its holder's only */
  | { kind: 'account'; address: string }
  /** every user's */
  | { kind: 'public' }
  /** the readers its checkAccess accepts */
  | { kind: 'private'; address: Uint8Array }
  /** marked private by the members, with no checkAccess to ask: auditors only */
  | { kind: 'sealed' };

const PUBLIC: ContractClass = { kind: 'public' };
const SEALED: ContractClass = { kind: 'sealed' };

export function classify(snapshot: ReadOnlyTransaction, probe: ContractProbe, address: Uint8Array): ContractClass {
  const key = bytesToHex(address);
  const features = probe.featuresAt(snapshot, address);
  if (!features) return { kind: 'account', address: key };
  const mark = snapshot.map(CONTRACT_VISIBILITY).get(key);
  if (mark === 'public' || (mark === undefined && !features.checkAccess)) return PUBLIC;
  return features.checkAccess ? { kind: 'private', address } : SEALED;
}

/**
 * The rule for `log`: the members' over the contract's own (0: the contract-level rule).
 * Synchronous unless the contract must be asked (once per code hash and event).
 */
export function eventRuleOf(snapshot: ReadOnlyTransaction, probe: ContractProbe, block: () => BlockContext, log: LogRecord): number | Promise<number> {
  const [address, topics] = log;
  const topic0 = topics[0];
  if (!topic0) return 0;
  const mark = snapshot.map(EVENT_VISIBILITY).get(eventVisibilityKey(bytesToHex(address), bytesToHex(topic0)));
  if (mark !== undefined) return mark;
  const features = probe.featuresAt(snapshot, address);
  if (!features?.eventVisibility) return 0;
  return probe.eventRule(snapshot, block(), address, features.codeHash, topic0);
}

/** A fingerprint of the members' marks: what a cached classification depends on besides code. */
export function marksFingerprint(snapshot: ReadOnlyTransaction): string {
  let out = '';
  for (const [k, v] of snapshot.map(CONTRACT_VISIBILITY).entries()) out += `${k}=${v};`;
  for (const [k, v] of snapshot.map(EVENT_VISIBILITY).entries()) out += `${k}=${v};`;
  return out;
}

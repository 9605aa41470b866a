// The read policy's questions to contracts, answered by running them: checkAccess(reader)
// on current state (per request: state moves), eventVisibility(topic0) once per code
// (it must be pure). Each runs from the zero address with a gas cap, so a hostile or
// broken contract costs a bounded amount and answers "no".
import type { Block } from '@ethereumjs/block';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import type { Calls } from '../calls.js';
import { CHECK_ACCESS, callData, codeHasSelector, EVENT_VISIBILITY } from './selectors.js';
import { isEventRule } from './event-rules.js';

/** Gas for one checkAccess or eventVisibility call. */
export const PROBE_GAS = 100_000n;
/** Entries kept per cache before it starts afresh (code hashes are few; this bounds a hostile deployer). */
const CACHE_LIMIT = 10_000;

export interface ContractFeatures {
  checkAccess: boolean;
  eventVisibility: boolean;
}

export class ContractProbe {
  private readonly features = new Map<string, ContractFeatures>();
  private readonly rules = new Map<string, number>();

  constructor(private readonly calls: Calls) {}

  /** Which of the adapter's interfaces the code implements. */
  featuresOf(codeHash: string, code: Uint8Array): ContractFeatures {
    let found = this.features.get(codeHash);
    if (!found) {
      found = { checkAccess: codeHasSelector(code, CHECK_ACCESS), eventVisibility: codeHasSelector(code, EVENT_VISIBILITY) };
      remember(this.features, codeHash, found);
    }
    return found;
  }

  /** checkAccess(reader) as `contract` answers it in `snapshot`: true only for an ABI-encoded true. */
  async checkAccess(snapshot: ReadOnlyTransaction, block: Block, contract: Uint8Array, reader: string): Promise<boolean> {
    const out = await this.calls.probe(snapshot, block, contract, callData(CHECK_ACCESS, Buffer.from(reader.slice(2), 'hex')), PROBE_GAS);
    return out !== undefined && out.length === 32 && out[31] === 1 && out.subarray(0, 31).every((b) => b === 0);
  }

  /** The contract's own rule for events with `topic0` (0, the contract-level rule, when it gives none that is valid). */
  async eventRule(snapshot: ReadOnlyTransaction, block: Block, contract: Uint8Array, codeHash: string, topic0: Uint8Array): Promise<number> {
    const key = `${codeHash}:${Buffer.from(topic0).toString('hex')}`;
    const known = this.rules.get(key);
    if (known !== undefined) return known;
    const out = await this.calls.probe(snapshot, block, contract, callData(EVENT_VISIBILITY, topic0), PROBE_GAS);
    const value = out !== undefined && out.length === 32 && out.subarray(0, 31).every((b) => b === 0) ? out[31]! : 0;
    const rule = isEventRule(value) ? value : 0;
    remember(this.rules, key, rule);
    return rule;
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

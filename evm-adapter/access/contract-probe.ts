// The read policy's questions to contracts, answered by running them: checkAccess(reader)
// on current state (per request: state moves), eventVisibility(topic0) once per code
// (it must be pure). Each runs from the zero address with a gas cap, so a hostile or
// broken contract costs a bounded amount and answers "no".
import type { BlockContext } from '../blocks.js';
import { RLP } from '@ethereumjs/rlp';
import { KECCAK256_NULL } from '@ethereumjs/util';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import { equalBytes } from '../../core/util/bytes.js';
import { ACCOUNTS, CODE } from '../tables.js';
import type { Calls } from '../calls.js';
import { CHECK_ACCESS_SELECTOR, callData, codeHasSelector, EVENT_VISIBILITY_SELECTOR } from './selectors.js';
import { isEventRule } from './event-rules.js';

/** Gas for one checkAccess or eventVisibility call. */
const PROBE_GAS = 100_000n;
/** Entries kept per cache before it starts afresh (code hashes are few; this bounds a hostile deployer). */
const CACHE_LIMIT = 10_000;

export interface ContractFeatures {
  checkAccess: boolean;
  eventVisibility: boolean;
}

export class ContractProbe {
  private readonly features = new Map<string, ContractFeatures>();
  private readonly rules = new Map<string, number>();
  private readonly accepted = new Map<string, Promise<boolean>>();

  constructor(private readonly calls: Calls) {}

  /**
   * The code hash at `address` and which of the adapter's interfaces that code implements;
   * undefined for an account without code (or none at all). The code itself is read only
   * the first time its hash is seen.
   */
  featuresAt(snapshot: ReadOnlyTransaction, address: Uint8Array): (ContractFeatures & { codeHash: string }) | undefined {
    const raw = snapshot.map(ACCOUNTS).get(address);
    if (!raw) return undefined;
    // (only the code hash: [nonce, balance, storageRoot, codeHash])
    const hash = (RLP.decode(raw) as Uint8Array[])[3]!;
    if (equalBytes(hash, KECCAK256_NULL)) return undefined;
    const codeHash = Buffer.from(hash).toString('hex');
    let found = this.features.get(codeHash);
    if (!found) {
      const code = snapshot.map(CODE).get(hash);
      if (!code || code.length === 0) return undefined;
      found = { checkAccess: codeHasSelector(code, CHECK_ACCESS_SELECTOR), eventVisibility: codeHasSelector(code, EVENT_VISIBILITY_SELECTOR) };
      remember(this.features, codeHash, found);
    }
    return { ...found, codeHash };
  }

  /**
   * checkAccess(reader) as `contract` answers it in `snapshot`: true only for an ABI-encoded
   * true. Kept per state version: the same state gives the same answer.
   */
  checkAccess(snapshot: ReadOnlyTransaction, block: BlockContext, contract: Uint8Array, reader: string): Promise<boolean> {
    const key = `${snapshot.readVersion}|${Buffer.from(contract).toString('hex')}|${reader}`;
    let answer = this.accepted.get(key);
    if (!answer) {
      answer = this.calls
        .probe(snapshot, block, contract, callData(CHECK_ACCESS_SELECTOR, Buffer.from(reader.slice(2), 'hex')), PROBE_GAS)
        .then((out) => out !== undefined && out.length === 32 && out[31] === 1 && out.subarray(0, 31).every((b) => b === 0))
        .catch(() => false); // a contract that cannot answer accepts no one
      remember(this.accepted, key, answer);
    }
    return answer;
  }

  /** The contract's own rule for events with `topic0` (0, the contract-level rule, when it gives none that is valid). */
  eventRule(snapshot: ReadOnlyTransaction, block: BlockContext, contract: Uint8Array, codeHash: string, topic0: Uint8Array): number | Promise<number> {
    const key = `${codeHash}:${Buffer.from(topic0).toString('hex')}`;
    const known = this.rules.get(key);
    if (known !== undefined) return known;
    return this.askEventRule(snapshot, block, contract, key, topic0);
  }

  private async askEventRule(snapshot: ReadOnlyTransaction, block: BlockContext, contract: Uint8Array, key: string, topic0: Uint8Array): Promise<number> {
    const out = await this.calls.probe(snapshot, block, contract, callData(EVENT_VISIBILITY_SELECTOR, topic0), PROBE_GAS);
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

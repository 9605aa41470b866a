// The voting nodes, as the store records them: every trusted node.
import type { NodeId } from '../consensus/types.js';
import { trustedNodeIds } from '../governance/nodes.js';
import { NODES_INFO } from '../governance/tables.js';
import { readOnly } from '../kv/read-only.js';
import type { Store } from '../kv/store.js';
import { deserialiseDomain } from '../kv/write-set.js';
import type { LedgerEntry } from '../ledger/entry.js';

export function trustedNodes(store: Store): NodeId[] {
  return readOnly(store.begin(), trustedNodeIds);
}

/** A configuration change carried by an entry just applied: the trusted nodes after it, if it changed them. */
export function configAfter(entry: LedgerEntry, store: Store): NodeId[] | undefined {
  if (entry.publicDomain.length === 0) return undefined;
  return deserialiseDomain(entry.publicDomain, 'public').has(NODES_INFO.name) ? trustedNodes(store) : undefined;
}

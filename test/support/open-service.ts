// A service ready for transactions, for tests that never govern: the accounts they send
// from are users (with role 'deploy') from genesis, and the service is opened at once, as
// the members' vote (transition_service_to_open) would open it.
import { AUDITOR_ROLE } from '../../evm-adapter/access/reader.js';
import { TEST_AUDITOR } from './auditor-reads.js';
import type { GovernanceGenesis } from '../../core/governance/genesis.js';
import { openService } from '../../core/governance/service.js';
import type { Node } from '../../core/node/node.js';

/** Stands in for a constitution in services whose tests never submit a proposal. */
export const NO_CONSTITUTION = '// tests that never govern: no proposal is ever evaluated';

/** No members; `addresses` (0x, any case) are users who may deploy. */
/** `addresses` as users with `roles`, and the test auditor (auditor-reads.ts). */
export function usersGenesis(addresses: string[], roles: string[] = ['deploy']): GovernanceGenesis {
  const users = addresses.map((id) => ({ id: id.toLowerCase(), roles }));
  return { members: [], users: [...users, { id: TEST_AUDITOR, roles: [AUDITOR_ROLE] }], constitution: NO_CONSTITUTION };
}

/** Opening -> Open, committed. */
export async function openServiceNow(node: Node): Promise<void> {
  const { txid } = await node.transact((tx) => openService(tx));
  node.emitSignature();
  await node.waitCommitted(txid!);
}

// Who may transact: checked on the primary before a transaction touches anything (no
// nonce bump, no fee, no receipt), in the order service open, sender a user, sender may
// deploy. What is permitted is the governance tables' and the EVM policy's, as of the
// transaction the execution runs in.
import type { ReadOnlyTransaction } from '../core/kv/read-only.js';
import { SERVICE_INFO, USERS_INFO } from '../core/governance/tables.js';
import { notPermitted } from './errors.js';
import { readPolicy, type EvmPolicy } from './policy.js';
import type { AdmittedTransaction } from './transactions.js';

const DEPLOYERS: Record<EvmPolicy['deploy'], string> = {
  deployers: "deployers = users with role 'deploy'",
  users: 'users = any user',
  anyone: 'anyone',
};

export function checkPermitted(tx: ReadOnlyTransaction, { tx: transaction, sender }: AdmittedTransaction): void {
  if (tx.map(SERVICE_INFO).get(0)?.status !== 'Open') {
    throw notPermitted('the service is not open yet: its members have not voted transition_service_to_open');
  }
  const policy = readPolicy(tx);
  const id = sender.toString().toLowerCase();
  const user = tx.map(USERS_INFO).get(id);
  if (policy.sends === 'users' && !user) throw notPermitted(`sender ${id} is not a user of this network`);
  if (transaction.to !== undefined) return;
  const mayDeploy = policy.deploy === 'anyone' || (user !== undefined && (policy.deploy === 'users' || (Array.isArray(user.roles) && user.roles.includes('deploy'))));
  if (!mayDeploy) throw notPermitted(`sender ${id} may not deploy contracts (policy: ${DEPLOYERS[policy.deploy]})`);
}

// A new service's consortium, written in its first transaction: the initial members
// (Accepted: each becomes Active by acknowledging the state it joined), the initial users
// and the constitution. The service starts Opening; its members open it by a proposal.
import type { Transaction } from '../kv/transaction.js';
import { CONSTITUTION, MEMBERS_INFO, USERS_INFO, type MemberInfo, type UserInfo } from './tables.js';

export interface GovernanceGenesis {
  members: ({ id: string } & Omit<MemberInfo, 'status'>)[];
  users: ({ id: string } & UserInfo)[];
  /** the constitution's JavaScript source */
  constitution: string;
}

export function writeGovernanceGenesis(tx: Transaction, genesis: GovernanceGenesis): void {
  const members = tx.map(MEMBERS_INFO);
  for (const { id, ...member } of genesis.members) members.set(id.toLowerCase(), { ...member, status: 'Accepted' });
  const users = tx.map(USERS_INFO);
  for (const { id, ...user } of genesis.users) users.set(id.toLowerCase(), user);
  tx.map(CONSTITUTION).set(0, genesis.constitution);
}

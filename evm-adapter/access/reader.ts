// One caller's read policy over one snapshot: what it may see of accounts, contracts,
// logs and transactions. Built per request (answers depend on current state: users,
// roles, votes, and whatever checkAccess computes). Whatever it refuses, the caller is
// shown exactly what a missing object shows.
//
// Who a caller reads as: a session's address; an anonymous caller as no one, except on a
// development service, where it reads as every dev account (their keys are the public
// mnemonic, so refusing would protect nothing and Hardhat tests with several signers keep
// working). An auditor (a user with role 'auditor') sees everything.
import type { BlockContext } from '../blocks.js';
import { USERS_INFO } from '../../core/governance/tables.js';
import { bytesToHex } from '@ethereumjs/util';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import { readPolicy, type ActivePolicy } from '../policy.js';
import type { LogFacts, TransactionFacts } from './block-facts.js';
import type { Caller } from './caller.js';
import type { ContractProbe } from './contract-probe.js';
import type { ContractClass } from './contract-rules.js';
import { EventRule } from './event-rules.js';
import { DEV_ACCOUNTS } from './tables.js';

export const AUDITOR_ROLE = 'auditor';

const TOPIC_BITS = [EventRule.Topic1, EventRule.Topic2, EventRule.Topic3];

export class Reader {
  /** lowercase 0x addresses whose view this caller gets */
  readonly identities: readonly string[];
  /** some identity is a user of the service */
  readonly user: boolean;
  readonly auditor: boolean;
  private policyRead: ActivePolicy | undefined;
  private context: BlockContext | undefined;

  constructor(
    readonly caller: Caller,
    private readonly snapshot: ReadOnlyTransaction,
    /** the block context contracts are asked in (built only if one is asked) */
    private readonly blockContext: () => BlockContext,
    private readonly probe: ContractProbe,
  ) {
    this.identities = caller.kind === 'session' ? [caller.address] : (snapshot.map(DEV_ACCOUNTS).get(0) ?? []);
    const users = snapshot.map(USERS_INFO);
    const infos = this.identities.map((id) => users.get(id)).filter((u) => u !== undefined);
    this.user = infos.length > 0;
    this.auditor = infos.some((u) => Array.isArray(u.roles) && u.roles.includes(AUDITOR_ROLE));
  }

  /** (read when an account or code is asked for: most reads never need it) */
  private get policy(): ActivePolicy {
    return (this.policyRead ??= readPolicy(this.snapshot));
  }

  block(): BlockContext {
    return (this.context ??= this.blockContext());
  }

  /** The caller reads as `address` (an address it signed in as, or a dev account). */
  isIdentity(address: string): boolean {
    return this.identities.includes(address);
  }

  /** Balance and nonce of `address`: one's own, or any if the policy says users see balances. */
  mayReadAccount(address: Uint8Array): boolean {
    return this.auditor || this.isIdentity(bytesToHex(address)) || (this.policy.balances === 'users' && this.user);
  }

  mayReadCode(): boolean {
    return this.auditor || this.policy.code === 'anyone' || (this.policy.code === 'users' && this.user);
  }

  /** The contract-level rule: a public contract is every user's, a private one its checkAccess's, an account its holder's. */
  seesContract(contract: ContractClass): boolean | Promise<boolean> {
    if (this.auditor) return true;
    switch (contract.kind) {
      case 'account':
        return this.isIdentity(contract.address);
      case 'public':
        return this.user;
      case 'sealed':
        return false;
      case 'private':
        return this.accepts(contract.address);
    }
  }

  /** Whether checkAccess accepts one of the caller's identities (the probe keeps answers per state). */
  private async accepts(address: Uint8Array): Promise<boolean> {
    for (const reader of this.identities) {
      if (await this.probe.checkAccess(this.snapshot, this.block(), address, reader)) return true;
    }
    return false;
  }

  seesLog(log: LogFacts, from: string): boolean | Promise<boolean> {
    if (this.auditor) return true;
    if (log.rule === 0) return this.seesContract(log.contract);
    return this.ruleNamesMe(log.rule, log, from);
  }

  private ruleNamesMe(rule: number, log: LogFacts, from: string): boolean {
    if (rule & EventRule.Everyone) return true;
    if (rule & EventRule.Sender && this.isIdentity(from)) return true;
    return TOPIC_BITS.some((bit, i) => rule & bit && log.holders[i] !== undefined && this.isIdentity(log.holders[i]!));
  }

  /**
   * A transaction shows to its sender, to readers of the contract it called (or created),
   * and to a user one of its events names (the recipient of a private transfer).
   */
  seesTransaction(tx: TransactionFacts): boolean | Promise<boolean> {
    if (this.auditor || this.isIdentity(tx.from)) return true;
    const byContract = tx.target ? this.seesContract(tx.target) : false;
    if (byContract === true) return true;
    if (byContract === false) return this.namedByLog(tx);
    return byContract.then((yes) => yes || this.namedByLog(tx));
  }

  // Only a rule that names the caller counts: a log anyone may see, or one of another
  // contract the caller may read, says nothing about who may see this call.
  private namedByLog(tx: TransactionFacts): boolean {
    return this.user && tx.logs.some((log) => log.rule !== 0 && this.ruleNamesMe(log.rule & ~EventRule.Everyone, log, tx.from));
  }
}

// One caller's read policy over one snapshot: what it may see of accounts, contracts,
// logs and transactions. Built per request (answers depend on current state: users,
// roles, votes, and whatever checkAccess computes) and remembers its answers for that
// request. Whatever it refuses, the caller is shown exactly what a missing object shows.
//
// Who a caller reads as: a session's address; an anonymous caller as no one, except on a
// development service, where it reads as every dev account (their keys are the public
// mnemonic, so refusing would protect nothing and Hardhat tests with several signers keep
// working). An auditor (a user with role 'auditor') sees everything.
import type { Block } from '@ethereumjs/block';
import { USERS_INFO } from '../../core/governance/tables.js';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import { readPolicy, type ActivePolicy } from '../policy.js';
import type { LogRecord, ReceiptRecord, TxRecord } from '../tables.js';
import type { Caller } from './caller.js';
import type { ContractProbe } from './contract-probe.js';
import { EventRule, topicAddress } from './event-rules.js';
import { contractCode, eventRuleOf, hex } from './contract-rules.js';
import { CONTRACT_VISIBILITY, DEV_ACCOUNTS } from './tables.js';

export const AUDITOR_ROLE = 'auditor';

export class Reader {
  /** lowercase 0x addresses whose view this caller gets */
  readonly identities: readonly string[];
  /** some identity is a user of the service */
  readonly user: boolean;
  readonly auditor: boolean;
  private readonly policy: ActivePolicy;
  private readonly contracts = new Map<string, Promise<boolean>>();
  private context: Block | undefined;

  constructor(
    readonly caller: Caller,
    private readonly snapshot: ReadOnlyTransaction,
    /** the block context contracts are asked in (built only if one is asked) */
    private readonly blockContext: () => Block,
    private readonly probe: ContractProbe,
  ) {
    this.identities = caller.kind === 'session' ? [caller.address] : (snapshot.map(DEV_ACCOUNTS).get(0) ?? []);
    const users = snapshot.map(USERS_INFO);
    const infos = this.identities.map((id) => users.get(id)).filter((u) => u !== undefined);
    this.user = infos.length > 0;
    this.auditor = infos.some((u) => Array.isArray(u.roles) && u.roles.includes(AUDITOR_ROLE));
    this.policy = readPolicy(snapshot);
  }

  private block(): Block {
    return (this.context ??= this.blockContext());
  }

  /** The caller reads as `address` (an address it signed in as, or a dev account). */
  isIdentity(address: string): boolean {
    return this.identities.includes(address);
  }

  /** Balance and nonce of `address`: one's own, or any if the policy says users see balances. */
  mayReadAccount(address: Uint8Array): boolean {
    return this.auditor || this.isIdentity(hex(address)) || (this.policy.balances === 'users' && this.user);
  }

  mayReadCode(): boolean {
    return this.auditor || this.policy.code === 'anyone' || (this.policy.code === 'users' && this.user);
  }

  /**
   * The contract-level rule: a private contract (the members' mark, or checkAccess in its
   * code) shows its activity to readers it accepts, a public one to every user. An account
   * without code is its own holder's only.
   */
  maySeeContract(address: Uint8Array): Promise<boolean> {
    const key = hex(address);
    let answer = this.contracts.get(key);
    if (!answer) this.contracts.set(key, (answer = this.decideContract(address, key)));
    return answer;
  }

  private async decideContract(address: Uint8Array, key: string): Promise<boolean> {
    if (this.auditor) return true;
    const code = contractCode(this.snapshot, address);
    if (!code) return this.isIdentity(key);
    const mark = this.snapshot.map(CONTRACT_VISIBILITY).get(key);
    const declares = this.probe.featuresOf(code.hash, code.code).checkAccess;
    if (mark === 'public' || (mark === undefined && !declares)) return this.user;
    if (!declares) return false; // marked private, with no checkAccess to ask: auditors only
    for (const reader of this.identities) {
      if (await this.probe.checkAccess(this.snapshot, this.block(), address, reader)) return true;
    }
    return false;
  }

  eventRule(log: LogRecord): Promise<number> {
    return eventRuleOf(this.snapshot, this.probe, () => this.block(), log);
  }

  async maySeeLog(log: LogRecord, sender: Uint8Array): Promise<boolean> {
    if (this.auditor) return true;
    const rule = await this.eventRule(log);
    if (rule === 0) return this.maySeeContract(log[0]);
    return this.ruleNamesMe(rule, log, sender);
  }

  private ruleNamesMe(rule: number, [, topics]: LogRecord, sender: Uint8Array): boolean {
    if (rule & EventRule.Everyone) return true;
    if (rule & EventRule.Sender && this.isIdentity(hex(sender))) return true;
    const topicBits = [EventRule.Topic1, EventRule.Topic2, EventRule.Topic3];
    return topicBits.some((bit, i) => {
      if (!(rule & bit)) return false;
      const holder = topicAddress(topics[i + 1]);
      return holder !== undefined && this.isIdentity(holder);
    });
  }

  /**
   * A transaction shows to its sender, to readers of the contract it called (or created),
   * and to a user one of its events names (the recipient of a private transfer).
   */
  async maySeeTransaction(record: TxRecord, receipt: ReceiptRecord | undefined): Promise<boolean> {
    if (this.auditor || this.isIdentity(hex(record.from))) return true;
    const target = record.to ?? receipt?.contractAddress ?? undefined;
    if (target && (await this.maySeeContract(target))) return true;
    if (!this.user || !receipt) return false;
    // Only a rule that names the caller counts: a log anyone may see, or one of another
    // contract the caller may read, says nothing about who may see this call.
    for (const log of receipt.logs) {
      const rule = await this.eventRule(log);
      if (rule !== 0 && this.ruleNamesMe(rule & ~EventRule.Everyone, log, record.from)) return true;
    }
    return false;
  }
}

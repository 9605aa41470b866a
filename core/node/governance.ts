// The primary's side of governance: run a checked message through the engine under the
// constitution the store holds, in one transaction, and sign it at once so the decision
// commits without waiting for the signature policy. Compiled constitutions are kept by
// source (a constitution changes only by vote).
import { Constitution } from '../governance/constitution.js';
import { submitMessage, type GovernanceOutcome } from '../governance/engine.js';
import { GovernanceError, type AuthenticatedMessage } from '../governance/messages.js';
import { CONSTITUTION } from '../governance/tables.js';
import type { MapDef } from '../kv/map-def.js';
import type { Transaction } from '../kv/transaction.js';
import type { TxID } from '../kv/txid.js';

export interface GoverningNode {
  transact<T>(body: (tx: Transaction) => Promise<T>): Promise<{ result: T; txid: TxID | undefined }>;
  emitSignature(): TxID | undefined;
  waitCommitted(txid: TxID): Promise<void>;
}

export class Governance {
  private compiled: Promise<Constitution> | undefined;
  private compiledSource: string | undefined;

  constructor(
    private readonly node: GoverningNode,
    private readonly applicationTables: readonly MapDef<any, any>[],
    private readonly clock: () => number = Date.now,
  ) {}

  /** Resolves with what the message did once that is committed; a refused message throws GovernanceError. */
  async submit(message: AuthenticatedMessage): Promise<GovernanceOutcome> {
    const { result, txid } = await this.node.transact(async (tx) => {
      const source = tx.map(CONSTITUTION).get(0);
      if (source === undefined) throw new GovernanceError('not-member', 'this service has no constitution, so it has no consortium to govern it');
      const constitution = await this.constitution(source);
      return submitMessage(tx, message, { constitution, nowMs: this.clock(), applicationTables: this.applicationTables });
    });
    this.node.emitSignature();
    if (txid) await this.node.waitCommitted(txid);
    return result;
  }

  private constitution(source: string): Promise<Constitution> {
    if (source === this.compiledSource && this.compiled) return this.compiled;
    const compiled = Constitution.load(source, { applicationTables: this.applicationTables });
    this.compiledSource = source;
    this.compiled = compiled;
    // (a source that does not compile is not kept: load throws ConstitutionError each time)
    compiled.catch(() => {
      if (this.compiled === compiled) this.compiled = undefined;
    });
    return compiled;
  }
}

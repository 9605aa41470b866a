// The governance engine: what a signed, checked governance message does to the governance
// maps. It runs on the primary inside one transaction per message (backups apply the
// write set like any other). A refused message throws GovernanceError before writing
// anything; an accepted one is recorded verbatim in HISTORY (the replay guard and the
// audit trail) and moves proposals through their lifecycle:
//   Open -> Accepted (applied) | Rejected | Withdrawn | Failed (the constitution failed) | Dropped
// The constitution decides validity, the outcome of the votes, and what an accepted
// proposal does; the engine decides who may speak and when.
import type { MapDef } from '../kv/map-def.js';
import type { Transaction } from '../kv/transaction.js';
import { ConstitutionError, type Constitution, type Proposal } from './constitution.js';
import { GovernanceError, type AuthenticatedMessage } from './messages.js';
import { governanceStateDigest } from './state-digest.js';
import { CONSTITUTION, HISTORY, MEMBERS_INFO, PROPOSALS, SNAPSHOT_REQUEST, type MemberStatus, type ProposalRecord, type ProposalState } from './tables.js';

/** How far a message's createdAt may be from the primary's clock. */
export const FRESHNESS_WINDOW_MS = 5 * 60_000;

export interface GovernanceContext {
  constitution: Constitution;
  nowMs: number;
  /** the application's governance maps (part of the acknowledged state) */
  applicationTables?: readonly MapDef<any, any>[];
  freshnessMs?: number;
}

export type GovernanceOutcome =
  | { kind: 'proposal' | 'ballot' | 'withdrawal'; proposalId: string; state: ProposalState; reason?: string }
  | { kind: 'ack'; memberId: string; status: MemberStatus };

export function submitMessage(tx: Transaction, message: AuthenticatedMessage, context: GovernanceContext): GovernanceOutcome {
  checkSpeaker(tx, message, context);
  const outcome = dispatch(tx, message, context);
  tx.map(HISTORY).set(message.digest, { kind: message.kind, signer: message.signer, signed: message.signed });
  return outcome;
}

function checkSpeaker(tx: Transaction, message: AuthenticatedMessage, context: GovernanceContext): void {
  if (tx.map(HISTORY).has(message.digest)) {
    throw new GovernanceError('replayed', `this signed ${message.kind} (${message.digest}) was already submitted (the same message again, even freshly signed, is the same one: a new one needs another createdAt)`);
  }
  const window = context.freshnessMs ?? FRESHNESS_WINDOW_MS;
  const skew = context.nowMs - message.createdAt * 1000;
  if (Math.abs(skew) > window) {
    const when = `created at ${new Date(message.createdAt * 1000).toISOString()}, the node's clock says ${new Date(context.nowMs).toISOString()}`;
    throw new GovernanceError('expired', `the ${message.kind} is ${skew > 0 ? 'too old' : 'from the future'} (${when}; the window is ${window / 1000} s): sign a new one`);
  }
  const member = tx.map(MEMBERS_INFO).get(message.signer);
  if (!member) throw new GovernanceError('not-member', `${message.signer} is not a member of this consortium`);
  if (message.kind !== 'ack' && member.status !== 'Active') {
    throw new GovernanceError('not-active', `member ${message.signer} is ${member.status}: it must acknowledge the state digest (ccevm gov ack) before it may ${message.kind === 'proposal' ? 'propose' : message.kind === 'ballot' ? 'vote' : 'withdraw'}`);
  }
}

function dispatch(tx: Transaction, message: AuthenticatedMessage, context: GovernanceContext): GovernanceOutcome {
  const body = message.body;
  switch (body.kind) {
    case 'proposal': {
      const proposal: Proposal = { actions: body.actions };
      const record: ProposalRecord = { proposer: message.signer, actions: body.actions, createdAt: message.createdAt, state: 'Open', ballots: {} };
      let verdict: { valid: boolean; description?: string };
      try {
        verdict = context.constitution.validate(proposal);
      } catch (e) {
        return finish(tx, message.digest, { ...record, state: 'Failed', reason: reasonOf(e) }, 'proposal');
      }
      if (!verdict.valid) throw new GovernanceError('invalid-proposal', `the constitution refuses the proposal: ${verdict.description ?? 'invalid'}`);
      return resolve(tx, message.digest, record, context, 'proposal');
    }
    case 'ballot': {
      const record = openProposal(tx, body.proposalId, 'ballot');
      if (Object.hasOwn(record.ballots, message.signer)) throw new GovernanceError('already-voted', `member ${message.signer} already voted on proposal ${body.proposalId}`);
      return resolve(tx, body.proposalId, { ...record, ballots: { ...record.ballots, [message.signer]: body.approve } }, context, 'ballot');
    }
    case 'withdrawal': {
      const record = openProposal(tx, body.proposalId, 'withdrawal');
      if (record.proposer !== message.signer) throw new GovernanceError('not-proposer', `only its proposer ${record.proposer} may withdraw proposal ${body.proposalId}`);
      return finish(tx, body.proposalId, { ...record, state: 'Withdrawn' }, 'withdrawal');
    }
    case 'ack': {
      const digest = governanceStateDigest(tx, context.applicationTables);
      if (body.stateDigest.toLowerCase() !== digest) throw new GovernanceError('stale-digest', `the acknowledged state digest ${body.stateDigest} is not the current one (${digest}): fetch it again (ccevm_govStateDigest) and sign that`);
      const members = tx.map(MEMBERS_INFO);
      members.set(message.signer, { ...members.get(message.signer)!, status: 'Active' });
      return { kind: 'ack', memberId: message.signer, status: 'Active' };
    }
  }
}

function openProposal(tx: Transaction, proposalId: string, kind: string): ProposalRecord {
  const record = tx.map(PROPOSALS).get(proposalId.toLowerCase());
  if (!record) throw new GovernanceError('unknown-proposal', `no proposal ${proposalId}`);
  if (record.state !== 'Open') throw new GovernanceError('not-open', `proposal ${proposalId} is ${record.state}: a ${kind} changes nothing once a proposal has left Open`);
  return record;
}

/** Ask the constitution whether the votes decide the proposal; apply it if they accept it. */
function resolve(tx: Transaction, id: string, record: ProposalRecord, context: GovernanceContext, kind: 'proposal' | 'ballot'): GovernanceOutcome {
  const proposal: Proposal = { actions: record.actions };
  const votes = Object.entries(record.ballots).map(([member_id, vote]) => ({ member_id, vote }));
  let resolution;
  try {
    resolution = context.constitution.resolve(proposal, record.proposer, votes, tx);
  } catch (e) {
    return finish(tx, id, { ...record, state: 'Failed', reason: reasonOf(e) }, kind);
  }
  if (resolution !== 'Accepted') return finish(tx, id, { ...record, state: resolution }, kind);
  const constitutionBefore = tx.map(CONSTITUTION).get(0);
  let effects;
  try {
    effects = context.constitution.apply(proposal, id, tx, context.nowMs);
  } catch (e) {
    return finish(tx, id, { ...record, state: 'Failed', reason: reasonOf(e) }, kind);
  }
  if (effects.triggerSnapshot) tx.map(SNAPSHOT_REQUEST).set(0, id);
  if (tx.map(CONSTITUTION).get(0) !== constitutionBefore) dropOpenProposals(tx, id);
  return finish(tx, id, { ...record, state: 'Accepted' }, kind);
}

/** A new constitution may judge differently: proposals still open under the old one are dropped. */
function dropOpenProposals(tx: Transaction, except: string): void {
  const proposals = tx.map(PROPOSALS);
  for (const [id, record] of [...proposals.entries()]) {
    if (id !== except && record.state === 'Open') proposals.set(id, { ...record, state: 'Dropped', reason: `the constitution changed (proposal ${except})` });
  }
}

function finish(tx: Transaction, id: string, record: ProposalRecord, kind: 'proposal' | 'ballot' | 'withdrawal'): GovernanceOutcome {
  tx.map(PROPOSALS).set(id, record);
  return { kind, proposalId: id, state: record.state, ...(record.reason !== undefined ? { reason: record.reason } : {}) };
}

function reasonOf(e: unknown): string {
  if (e instanceof ConstitutionError) return e.message;
  throw e; // not the constitution's failure: the node's own, which must not be recorded as the proposal's
}

// What the governance engine is given: a message whose signature has been checked. Core
// does not know how members sign (the node's front end checks EIP-712 signatures and
// hands the result in); it knows who signed, which message, and what it says.
import type { MessageKind, ProposalAction } from './tables.js';

export type MessageBody =
  | { kind: 'proposal'; actions: ProposalAction[] }
  | { kind: 'ballot'; proposalId: string; approve: boolean }
  | { kind: 'withdrawal'; proposalId: string }
  | { kind: 'ack'; stateDigest: string };

export interface AuthenticatedMessage {
  kind: MessageKind;
  /** the member id that signed it (lowercase) */
  signer: string;
  /**
   * The message's id (lowercase 0x hex) over what was signed and who signed it: the same
   * member's message always has the same one (the replay guard), two members' identical
   * messages do not; a proposal's id is its proposal id.
   */
  digest: string;
  /** seconds since the epoch, as the signer wrote it */
  createdAt: number;
  body: MessageBody;
  /** the envelope as submitted, stored verbatim (HistoryRecord.signed) */
  signed: unknown;
}

export type GovernanceErrorCode =
  | 'malformed'
  | 'bad-signature'
  | 'wrong-network'
  | 'not-member'
  | 'not-active'
  | 'expired'
  | 'replayed'
  | 'unknown-proposal'
  | 'not-open'
  | 'already-voted'
  | 'not-proposer'
  | 'invalid-proposal'
  | 'stale-digest';

/** A refused governance message: nothing was written. */
export class GovernanceError extends Error {
  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GovernanceError';
  }
}

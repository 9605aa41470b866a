// What a node tells whoever watches it (the CLI's logs and metrics): elections, votes,
// ledger entries, snapshots and joins, as plain events. Core knows nothing of how they are shown.
import type { NodeId, Role } from '../consensus/types.js';

export type NodeEvent =
  /** this node's role changed (an election), in `view` */
  | { kind: 'role'; role: Role; view: number }
  /** this node voted (or cleared its vote) in `view`, saved before it is sent */
  | { kind: 'vote'; view: number; votedFor: NodeId | undefined }
  /** an entry was appended to this node's ledger (its own as primary, or replicated) */
  | { kind: 'appended'; seqno: number; bytes: number; signature: boolean }
  /** a committed snapshot: taken by this node, or installed from the primary */
  | { kind: 'snapshot'; seqno: number; bytes: number; source: 'taken' | 'installed' }
  /** as primary: node `nodeId` asked to join and waits for the members to trust it */
  | { kind: 'join-requested'; nodeId: NodeId }
  /** this node joined the service as `nodeId` (its first start) */
  | { kind: 'joined'; nodeId: NodeId };

export type NodeObserver = (event: NodeEvent) => void;

// Raft in CCF's flavour, as a pure state machine: these are its inputs and outputs.

export type NodeId = string;

export type EntryKind = 'data' | 'signature';

export interface Entry<P> {
  /** the term (view) the entry was created in */
  readonly term: number;
  readonly index: number;
  /** only signature entries are commit points */
  readonly kind: EntryKind;
  /** a configuration change: the full set of voting nodes from this entry on */
  readonly config?: readonly NodeId[];
  readonly payload: P;
}

export type Message<P> =
  | { type: 'append'; term: number; prevIndex: number; prevTerm: number; entries: Entry<P>[]; commit: number }
  | { type: 'append-response'; term: number; success: boolean; lastIndex: number }
  | { type: 'vote'; term: number; lastCommittableIndex: number; lastCommittableTerm: number; preVote: boolean }
  | { type: 'vote-response'; term: number; granted: boolean; preVote: boolean }
  /** the primary no longer holds the entries a backup needs: here is the state at `index` */
  | { type: 'snapshot'; term: number; index: number; lastTerm: number; config: NodeId[]; data: P };

/** What a node must keep on disk to restart safely. */
export interface PersistentState<P> {
  term: number;
  votedFor: NodeId | undefined;
  /** the log from index 1 (or after a snapshot: see `base`) */
  entries: Entry<P>[];
  /** index and term of the last entry a snapshot replaced (0, 0 without one) */
  base: { index: number; term: number };
  /** the configuration in force at `base` */
  baseConfig: readonly NodeId[];
  /** the host's snapshot of the state at `base`, sent to backups that need earlier entries */
  snapshot?: P;
}

export type Role = 'backup' | 'pre-candidate' | 'candidate' | 'primary';

export interface Outbound<P> {
  to: NodeId;
  message: Message<P>;
}

/** One serialised ledger entry at its seqno. */
export interface StoredEntry {
  readonly seqno: number;
  readonly bytes: Uint8Array;
}

/**
 * Where the host keeps ledger entries. The node treats everything read back as untrusted:
 * the ledger verifier checks it before use.
 */
export interface LedgerStorage {
  /**
   * Append entries with consecutive seqnos following the last stored one. Resolves once
   * they are as durable as the storage was configured to make them (see `durable`).
   */
  write(entries: readonly StoredEntry[]): Promise<void>;
  /** Entries from..to inclusive, in seqno order. */
  read(from: number, to: number): Promise<StoredEntry[]>;
  /** Every stored entry from `from` on, in seqno order. */
  scan(from?: number): AsyncIterable<StoredEntry>;
  /** Remove every entry after `lastKept`. */
  truncate(lastKept: number): Promise<void>;
  close(): Promise<void>;
  /** True if a resolved `write` has reached stable storage (fsync), not just the OS. */
  readonly durable: boolean;
}

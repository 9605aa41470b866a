/** Where in an exported chunk file a failing entry (or malformed bytes) is. */
export interface LedgerLocation {
  readonly file: string;
  /** byte offset inside the file; absent when the failure concerns the file as a whole */
  readonly offset?: number;
}

/** A ledger that fails verification: says which entry, what is wrong with it and, in an export, where it is. */
export class LedgerIntegrityError extends Error {
  readonly file?: string;
  readonly offset?: number;

  constructor(
    readonly seqno: number,
    readonly reason: string,
    location?: LedgerLocation,
  ) {
    const where = !location ? '' : location.offset === undefined ? ` in ${location.file}` : ` in ${location.file} at byte ${location.offset}`;
    super(`ledger entry at seqno ${seqno}${where}: ${reason}`);
    this.name = 'LedgerIntegrityError';
    this.file = location?.file;
    this.offset = location?.offset;
  }
}

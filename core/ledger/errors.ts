/** A ledger that fails verification: says which entry and what is wrong with it. */
export class LedgerIntegrityError extends Error {
  constructor(
    readonly seqno: number,
    readonly reason: string,
  ) {
    super(`ledger entry at seqno ${seqno}: ${reason}`);
    this.name = 'LedgerIntegrityError';
  }
}

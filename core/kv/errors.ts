export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class TransactionClosedError extends Error {
  constructor() {
    super('transaction already committed or aborted');
    this.name = 'TransactionClosedError';
  }
}

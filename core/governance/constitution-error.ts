/** A constitution that failed (threw, looped, ran out of memory, touched what it may not): the message says why. */
export class ConstitutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConstitutionError';
  }
}

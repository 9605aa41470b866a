// When the primary signs. A signature transaction is a commit point, so signing often
// keeps latency low and signing rarely keeps throughput high. The policy: sign once N
// transactions are unsigned, or T ms after the first unsigned one, whichever comes
// first; and sign as soon as the application says it is idle (see whenIdle).

export interface SignaturePolicy {
  /** Sign after this many transactions since the last signature. */
  transactions: number;
  /** Sign at most this long after the first unsigned transaction. */
  milliseconds: number;
}

export const DEFAULT_SIGNATURES: SignaturePolicy = { transactions: 1000, milliseconds: 20 };

/** The clock the scheduler uses (the real one by default; tests may drive their own). */
export interface SignatureTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** after the I/O already waiting in the event loop */
  setImmediate(run: () => void): void;
  /** before anything else, but not inside the caller */
  queueMicrotask(run: () => void): void;
}

const REAL_TIMERS: SignatureTimers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setImmediate: (run) => void setImmediate(run),
  queueMicrotask: (run) => queueMicrotask(run),
};

export class SignatureScheduler {
  /** seqno of the first transaction since the last signature */
  private unsignedSince: number | undefined;
  private timer: unknown;
  private countReached = false;
  private idleScheduled = false;

  constructor(
    private readonly policy: SignaturePolicy,
    /** Emit a signature now (it calls `signed()` when it does). */
    private readonly sign: () => void,
    private readonly timers: SignatureTimers = REAL_TIMERS,
  ) {
    if (!(policy.transactions >= 1) || !(policy.milliseconds >= 0)) throw new RangeError('signature policy needs transactions >= 1 and milliseconds >= 0');
  }

  get hasUnsigned(): boolean {
    return this.unsignedSince !== undefined;
  }

  /** A transaction other than a signature was committed at `seqno`. */
  unsigned(seqno: number): void {
    this.unsignedSince ??= seqno;
    if (seqno - this.unsignedSince + 1 >= this.policy.transactions) {
      if (this.countReached) return;
      this.countReached = true;
      // Not inside the caller (a commit listener): the signature is a transaction of its own.
      this.timers.queueMicrotask(() => {
        this.countReached = false;
        this.sign();
      });
    } else if (this.timer === undefined) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        this.sign();
      }, this.policy.milliseconds);
    }
  }

  /**
   * The application has no more work queued: sign what is unsigned once the event loop has
   * handled the I/O already waiting (so a burst still shares one signature). Under light
   * load this turns the signature interval into a few milliseconds of commit latency;
   * under sustained load the application is never idle and the policy's limits apply.
   */
  whenIdle(): void {
    if (this.idleScheduled || this.unsignedSince === undefined) return;
    this.idleScheduled = true;
    this.timers.setImmediate(() => {
      this.idleScheduled = false;
      this.sign();
    });
  }

  /** Nothing is unsigned any more (a signature was emitted, or this node stopped signing). */
  signed(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.unsignedSince = undefined;
  }
}

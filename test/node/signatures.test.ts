import { strict as assert } from 'node:assert';
import { SignatureScheduler, type SignatureTimers } from '../../core/node/signatures.js';

/** Timers the test runs by hand: nothing fires until the test says so. */
class ManualTimers implements SignatureTimers {
  now = 0;
  private timeouts = new Map<number, { at: number; run: () => void }>();
  private next = 1;
  immediates: (() => void)[] = [];
  microtasks: (() => void)[] = [];
  setTimeout(run: () => void, ms: number): unknown {
    const handle = this.next++;
    this.timeouts.set(handle, { at: this.now + ms, run });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timeouts.delete(handle as number);
  }
  setImmediate(run: () => void): void {
    this.immediates.push(run);
  }
  queueMicrotask(run: () => void): void {
    this.microtasks.push(run);
  }
  get pendingTimeouts(): number {
    return this.timeouts.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [handle, t] of [...this.timeouts]) {
      if (t.at <= this.now) {
        this.timeouts.delete(handle);
        t.run();
      }
    }
  }
  drain(queue: 'immediates' | 'microtasks'): void {
    const runs = this[queue];
    this[queue] = [];
    for (const run of runs) run();
  }
}

describe('node / signature scheduling', () => {
  let timers: ManualTimers;
  let signatures: number;
  let scheduler: SignatureScheduler;
  let seqno: number;
  const commit = () => scheduler.unsigned(++seqno);
  beforeEach(() => {
    timers = new ManualTimers();
    signatures = 0;
    seqno = 0;
    scheduler = new SignatureScheduler({ transactions: 3, milliseconds: 20 }, () => {
      signatures++;
      scheduler.signed(); // as emitSignature does
    }, timers);
  });

  it('signs once N transactions are unsigned, outside the commit that reached N', () => {
    commit();
    commit();
    assert.equal(timers.microtasks.length, 0);
    commit();
    assert.equal(signatures, 0, 'not inside the caller');
    commit(); // a fourth before the microtask ran: still one signature
    assert.equal(timers.microtasks.length, 1);
    timers.drain('microtasks');
    assert.equal(signatures, 1);
    assert.equal(timers.pendingTimeouts, 0, 'signing cancelled the time limit');
    assert.equal(scheduler.hasUnsigned, false);
  });

  it('signs T ms after the first unsigned transaction, whatever came after it', () => {
    commit();
    timers.advance(15);
    commit();
    timers.advance(4);
    assert.equal(signatures, 0);
    timers.advance(1);
    assert.equal(signatures, 1, '20 ms after the first, not after the last');
    timers.advance(100);
    assert.equal(signatures, 1, 'nothing unsigned: no more signatures');
  });

  it('signs when the application is idle, once per burst, and not when nothing is unsigned', () => {
    scheduler.whenIdle();
    assert.equal(timers.immediates.length, 0, 'nothing unsigned');
    commit();
    scheduler.whenIdle();
    scheduler.whenIdle();
    assert.equal(timers.immediates.length, 1);
    timers.drain('immediates');
    assert.equal(signatures, 1);
  });

  it('forgets what is unsigned when told nothing is (a backup does not sign)', () => {
    commit();
    scheduler.signed();
    timers.advance(100);
    assert.equal(signatures, 0);
    commit();
    commit();
    assert.equal(timers.microtasks.length, 0, 'counting starts again');
  });

  it('refuses a policy that cannot work', () => {
    assert.throws(() => new SignatureScheduler({ transactions: 0, milliseconds: 20 }, () => {}), RangeError);
  });
});

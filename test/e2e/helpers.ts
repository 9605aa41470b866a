// Shared pieces of the client end-to-end suites (ethers.test.ts, viem.test.ts): each suite
// starts one real node process and drives it only through a client library, as a DApp would.
import { strict as assert } from 'node:assert';

export const CHAIN_ID = 1337;

/** 10^24 base units: the Token supply minted to the deployer. */
export const TOKEN_SUPPLY = 10n ** 24n;

/**
 * Polls `probe` until it returns something other than undefined/false/null and returns that.
 * Used to wait for asynchronous client machinery (filters being polled, listeners being
 * called), never to assert how fast anything happens: the deadline only turns a hang into
 * a readable failure.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts JSON-RPC calls by method name, to check which mechanism a client library uses. */
export class MethodCounter {
  private readonly counts = new Map<string, number>();

  note(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  /** Notes every method of a JSON-RPC request body (single or batch). */
  noteBody(body: unknown): void {
    try {
      const parsed = typeof body === 'string' ? JSON.parse(body) : body;
      for (const request of Array.isArray(parsed) ? parsed : [parsed]) {
        if (request && typeof request.method === 'string') this.note(request.method);
      }
    } catch {
      // not JSON: nothing to count
    }
  }

  count(method: string): number {
    return this.counts.get(method) ?? 0;
  }
}

/** Groups items by a numeric key, keys ascending. */
export function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a - b));
}

// Shared by the in-process multi-node suites: a raw map to write test data into, a reader
// for it, and a poll-until with a readable timeout.
import { rawMap } from '../../core/kv/map-def.js';
import type { Node } from '../../core/node/node.js';
import { fromUtf8, utf8 } from '../../core/util/bytes.js';

export const data = rawMap('data');

export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function read(node: Node, key: string): string | undefined {
  return node.readPending((tx) => {
    const v = tx.map(data).get(utf8(key));
    return v && fromUtf8(v);
  });
}

// Shared by the in-process multi-node suites: a raw map to write test data into, a reader
// for it, a poll-until with a readable timeout, and joining the way it happens for real.
import type { KeyPair } from '../../core/crypto/keys.js';
import { trustPendingNode } from '../../core/governance/nodes.js';
import { virtualMeasurement } from '../../core/host/virtual-platform.js';
import { rawMap } from '../../core/kv/map-def.js';
import { joinRequest, type JoinResponse } from '../../core/node/join.js';
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

/** What the members' transition_node_to_trusted vote applies, signed at once. */
export async function trustJoiner(primary: Node, nodeId: string): Promise<void> {
  await primary.transact((tx) => trustPendingNode(tx, nodeId, Date.now()));
  primary.emitSignature();
}

/** Join `primary`'s service: ask (the node is pending), trust it as the members would, ask again. */
export async function joinTrusted(primary: Node, key: KeyPair, peerAddress: string, rpcAddress: string): Promise<JoinResponse> {
  const request = joinRequest(key, peerAddress, rpcAddress, virtualMeasurement());
  const asked = await primary.admit(request);
  if (asked.status !== 'Pending') throw new Error(`a first join request answered ${asked.status}`);
  await trustJoiner(primary, asked.nodeId);
  // (as `ccevm join` does: ask until the answer is Trusted, once the vote is committed)
  for (const end = Date.now() + 15_000; ; ) {
    const answer = await primary.admit(request);
    if (answer.status === 'Trusted') return answer;
    if (Date.now() > end) throw new Error(`a trusted node's join request still answered ${answer.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The state a member acknowledges to become Active: a digest of the consortium as the
// governance maps describe it (members, users, nodes, allowed code, constitution, service,
// and the application's governance maps). A member that acknowledges it says "I have seen
// the consortium I am joining"; it changes only when governance changes something.
import { sha256 } from '../crypto/hash.js';
import type { MapDef } from '../kv/map-def.js';
import type { ReadOnlyTransaction } from '../kv/read-only.js';
import { toHex, utf8 } from '../util/bytes.js';
import { CONSTITUTION, MEMBERS_INFO, NODE_CODE_IDS, NODES_INFO, SERVICE_INFO, USERS_INFO } from './tables.js';

const DIGESTED: readonly MapDef<any, any>[] = [SERVICE_INFO, MEMBERS_INFO, USERS_INFO, NODES_INFO, NODE_CODE_IDS, CONSTITUTION];

/** 0x-hex SHA-256 over every entry of the digested maps, in map then key order. */
export function governanceStateDigest(tx: ReadOnlyTransaction, applicationTables: readonly MapDef<any, any>[] = []): string {
  const parts: unknown[] = [];
  for (const def of [...DIGESTED, ...applicationTables]) parts.push([def.name, [...tx.map(def).entries()]]);
  return `0x${toHex(sha256(utf8(JSON.stringify(parts))))}`;
}

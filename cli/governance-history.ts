// `ccevm audit`'s governance history: from exported ledger chunks alone, every signed
// governance message with its signature re-verified offline, every change of a
// proposal's state, and every constitution version, in seqno order. Read chunks that
// auditChunks has verified against the service certificate first: this trusts their
// integrity, and checks only what members signed.
import { createHash } from 'node:crypto';
import { GovernanceError, type AuthenticatedMessage } from '../core/governance/messages.js';
import { CONSTITUTION, HISTORY, PROPOSALS, type MessageKind, type ProposalAction, type ProposalState } from '../core/governance/tables.js';
import type { MapDef } from '../core/kv/map-def.js';
import { publicWrites } from '../core/ledger/public-writes.js';
import { Eip712Authenticator, governanceDomain } from '../rpc/governance/typed-data.js';

export type SignatureCheck = 'OK' | 'INVALID' | 'another network';

export type GovernanceEvent =
  | {
      seqno: number;
      type: 'message';
      /** the key it is recorded under: its digest */
      id: string;
      /** kind and signer as recorded; with signature OK, also as signed */
      kind: string;
      signer: string;
      signature: SignatureCheck;
      /** why the signature is not OK */
      problem?: string;
      /** what the message says (signature OK only) */
      createdAt?: number;
      actions?: ProposalAction[];
      proposalId?: string;
      approve?: boolean;
      stateDigest?: string;
    }
  | { seqno: number; type: 'proposal'; proposalId: string; state: ProposalState | 'unreadable'; previous?: string; reason?: string }
  | { seqno: number; type: 'constitution'; sha256: string | null; length?: number }
  /** a record deleted from a governance table (the engine never deletes: an auditor wants to know) */
  | { seqno: number; type: 'removed'; table: string; key: string };

const ORDER = [HISTORY.name, PROPOSALS.name, CONSTITUTION.name];

/** A map's value decoded, or undefined when the bytes are not one (a hostile node may sign anything). */
function decode<V>(map: MapDef<unknown, V>, bytes: Uint8Array): V | undefined {
  try {
    return map.value.decode(bytes);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The chain id the envelope says it was signed for (the salt must still be this service's). */
function chainIdOf(signed: unknown): bigint {
  const chainId = isRecord(signed) && isRecord(signed.typedData) && isRecord(signed.typedData.domain) ? signed.typedData.domain.chainId : undefined;
  try {
    // (long text is no chain id: the authenticator says so, without a costly parse here)
    return typeof chainId === 'number' || (typeof chainId === 'string' && chainId.length <= 80) ? BigInt(chainId) : 0n;
  } catch {
    return 0n;
  }
}

function checkMessage(seqno: number, id: string, bytes: Uint8Array, serviceCert: string): GovernanceEvent {
  const record = decode(HISTORY, bytes);
  const recorded = { seqno, type: 'message' as const, id, kind: String(isRecord(record) ? record.kind : '?'), signer: String(isRecord(record) ? record.signer : '?') };
  if (!isRecord(record)) return { ...recorded, signature: 'INVALID', problem: 'the record is not a governance message' };
  let m: AuthenticatedMessage;
  try {
    m = new Eip712Authenticator(governanceDomain(chainIdOf(record.signed), serviceCert)).authenticate(record.signed);
  } catch (e) {
    if (!(e instanceof GovernanceError)) throw e;
    if (e.code === 'wrong-network') return { ...recorded, signature: 'another network', problem: e.message.replace(/^[^:]*: /, '') };
    return { ...recorded, signature: 'INVALID', problem: e.message };
  }
  const mismatch =
    m.signer !== record.signer ? `signed by ${m.signer}, recorded as ${String(record.signer)}`
    : m.kind !== record.kind ? `a ${m.kind}, recorded as a ${String(record.kind)}`
    : m.digest !== id ? `its digest is ${m.digest}, recorded under ${id}`
    : undefined;
  if (mismatch) return { ...recorded, signature: 'INVALID', problem: mismatch };
  const { kind: _, ...says } = m.body;
  return { ...recorded, signature: 'OK', createdAt: m.createdAt, ...says };
}

/** The governance history in the chunks, in seqno order (a transaction's message before its effects). */
export function governanceHistory(chunks: readonly { name: string; bytes: Uint8Array }[], serviceCert: string): GovernanceEvent[] {
  const writes = [...publicWrites(chunks, new Set(ORDER))];
  writes.sort((a, b) => a.seqno - b.seqno || ORDER.indexOf(a.map) - ORDER.indexOf(b.map));
  const states = new Map<string, string>();
  const events: GovernanceEvent[] = [];
  for (const { seqno, map, key, value } of writes) {
    if (value === undefined) {
      // (history and proposals have text keys; the constitution's single key is shown as hex)
      const name = map === CONSTITUTION.name ? `0x${Buffer.from(key).toString('hex')}` : HISTORY.key.decode(key);
      events.push({ seqno, type: 'removed', table: map, key: name });
    } else if (map === HISTORY.name) {
      events.push(checkMessage(seqno, HISTORY.key.decode(key), value, serviceCert));
    } else if (map === PROPOSALS.name) {
      const proposalId = PROPOSALS.key.decode(key);
      const proposal = decode(PROPOSALS, value);
      const state = isRecord(proposal) && typeof proposal.state === 'string' ? (proposal.state as ProposalState) : 'unreadable';
      const previous = states.get(proposalId);
      if (state === previous) continue; // a ballot recorded, the state unchanged
      states.set(proposalId, state);
      const reason = isRecord(proposal) && typeof proposal.reason === 'string' ? proposal.reason : undefined;
      events.push({ seqno, type: 'proposal', proposalId, state, ...(previous ? { previous } : {}), ...(reason ? { reason } : {}) });
    } else {
      const source = decode(CONSTITUTION, value);
      events.push(
        typeof source === 'string'
          ? { seqno, type: 'constitution', sha256: createHash('sha256').update(source).digest('hex'), length: source.length }
          : { seqno, type: 'constitution', sha256: null },
      );
    }
  }
  return events;
}

const MAX_SHOWN = 160;
const shorten = (text: string) => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);

function when(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds}` : date.toISOString();
}

function describeMessage(e: Extract<GovernanceEvent, { type: 'message' }>): string {
  const head = `${e.kind} ${e.id} by ${e.signer}`;
  if (e.signature !== 'OK') return `${head}: ${e.signature === 'INVALID' ? 'signature INVALID' : 'signed for another network'} (${e.problem})`;
  const at = ` at ${when(e.createdAt!)}`;
  const says = (() => {
    switch (e.kind as MessageKind) {
      case 'proposal': return `: ${e.actions!.map((a) => `${a.name} ${shorten(JSON.stringify(a.args))}`).join('; ')}`;
      case 'ballot': return `: ${e.approve ? 'approve' : 'reject'} proposal ${e.proposalId}`;
      case 'withdrawal': return `: withdraw proposal ${e.proposalId}`;
      case 'ack': return `: acknowledge state ${e.stateDigest}`;
    }
  })();
  return `${head}${at}${says}; signature OK`;
}

/** The history as lines for a person. */
export function formatGovernanceHistory(events: readonly GovernanceEvent[]): string[] {
  if (events.length === 0) return ['governance history: none in these entries'];
  return [
    'governance history:',
    ...events.map((e) => {
      const what =
        e.type === 'message' ? describeMessage(e)
        : e.type === 'proposal' ? `proposal ${e.proposalId} ${e.previous ? `${e.previous} -> ` : ''}${e.state}${e.reason ? ` (${e.reason})` : ''}`
        : e.type === 'removed' ? `removed from ${e.table}: ${e.key}`
        : e.sha256 === null ? 'constitution: unreadable record'
        : `constitution version sha256 ${e.sha256} (${e.length} characters)`;
      return `  seqno ${e.seqno}: ${what}`;
    }),
  ];
}

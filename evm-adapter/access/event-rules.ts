// Who may see an event: a rule per event signature (topic0), declared by the contract
// through IEventVisibility (contracts/interfaces/IEventVisibility.sol) or set by the
// members' vote. A bit set names readers; 0 leaves the log to the contract-level rule
// (checkAccess for a private contract, every user for a public one).
export const EventRule = {
  /** any caller, anonymous included; only such logs enter a block header's bloom */
  Everyone: 1,
  /** the sender of the transaction that emitted the log */
  Sender: 2,
  /** the address in topic 1, 2 or 3 */
  Topic1: 4,
  Topic2: 8,
  Topic3: 16,
} as const;

const MAX_EVENT_RULE = 31;

export function isEventRule(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_EVENT_RULE;
}

/** The address an indexed topic holds, when it holds one (12 zero bytes, then 20). */
export function topicAddress(topic: Uint8Array | undefined): string | undefined {
  if (!topic || topic.length !== 32) return undefined;
  for (let i = 0; i < 12; i++) if (topic[i] !== 0) return undefined;
  return `0x${Buffer.from(topic.buffer, topic.byteOffset + 12, 20).toString('hex')}`;
}

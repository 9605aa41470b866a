// The governed part of the read policy, beside the EVM policy's `balances` and `code`
// (policy.ts): which contracts the members marked private or public whatever their code
// says, and who sees which event. Public governance maps, changed only by vote (the
// constitution's set_contract_visibility and set_event_visibility). Also the service's
// development accounts, recorded at genesis: their keys are the well-known mnemonic.
import { jsonCodec, stringCodec, uintCodec } from '../../core/kv/codec.js';
import { defineMap } from '../../core/kv/map-def.js';

export type ContractVisibility = 'private' | 'public';

/** lowercase 0x address -> the members' decision, over what the contract's code declares */
export const CONTRACT_VISIBILITY = defineMap('public:ccf.gov.evm.contract_visibility', stringCodec, jsonCodec<ContractVisibility>());

/** `${lowercase 0x address}:${lowercase 0x topic0}` -> an event rule (event-rules.ts), over the contract's own */
export const EVENT_VISIBILITY = defineMap('public:ccf.gov.evm.event_visibility', stringCodec, jsonCodec<number>());

export function eventVisibilityKey(address: string, topic0: string): string {
  return `${address}:${topic0}`;
}

/** Key 0: the lowercase 0x addresses of the dev accounts (none on a production service). */
export const DEV_ACCOUNTS = defineMap('public:ccevm.evm.dev_accounts', uintCodec, jsonCodec<string[]>());

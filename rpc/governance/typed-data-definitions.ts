// The EIP-712 definitions of governance messages, in one place for every signer: the CLI
// (cli/gov-client.ts, through typed-data.ts), the node's check of what it is given, and the
// members' console in the browser (rpc/console/, bundled from this file). So this module
// imports nothing at run time (no node:crypto, no ethers): what a member signs is built by
// the same code wherever they sign it.
import type { TypedDataField } from 'ethers';
import type { MessageKind, ProposalAction } from '../../core/governance/tables.js';

export const DOMAIN_NAME = 'ccevm governance';
export const DOMAIN_VERSION = '1';

export interface GovernanceDomain {
  name: string;
  version: string;
  /** a number (what wallets expect), or decimal text beyond Number.MAX_SAFE_INTEGER */
  chainId: number | string;
  /** 0x + SHA-256 of the service certificate's DER */
  salt: string;
}

/** The domain of network `chainId` whose service certificate's DER has SHA-256 `salt` (0x hex). */
export function domainOf(chainId: bigint, salt: string): GovernanceDomain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: chainIdValue(chainId), salt };
}

const chainIdValue = (chainId: bigint): number | string => (chainId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(chainId) : chainId.toString());

/** The EIP712Domain type of the governance domain (field order as EIP-712 prescribes). */
export const DOMAIN_TYPE: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'salt', type: 'bytes32' },
];

const GOVERNANCE_TYPES = {
  Proposal: [
    { name: 'actions', type: 'Action[]' },
    { name: 'createdAt', type: 'uint64' },
  ],
  /** args: the JSON text of the action's arguments, so that a wallet shows them */
  Action: [
    { name: 'name', type: 'string' },
    { name: 'args', type: 'string' },
  ],
  Ballot: [
    { name: 'proposalId', type: 'bytes32' },
    { name: 'approve', type: 'bool' },
    { name: 'createdAt', type: 'uint64' },
  ],
  Withdrawal: [
    { name: 'proposalId', type: 'bytes32' },
    { name: 'createdAt', type: 'uint64' },
  ],
  Ack: [
    { name: 'stateDigest', type: 'bytes32' },
    { name: 'createdAt', type: 'uint64' },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

export type PrimaryType = 'Proposal' | 'Ballot' | 'Withdrawal' | 'Ack';

export const PRIMARY_TYPES: Readonly<Record<MessageKind, PrimaryType>> = { proposal: 'Proposal', ballot: 'Ballot', withdrawal: 'Withdrawal', ack: 'Ack' };

/** What a member signs (createdAt: seconds since the epoch; uint64 as a number or decimal text). */
export interface GovernanceMessages {
  proposal: { actions: { name: string; args: string }[]; createdAt: number | string };
  ballot: { proposalId: string; approve: boolean; createdAt: number | string };
  withdrawal: { proposalId: string; createdAt: number | string };
  ack: { stateDigest: string; createdAt: number | string };
}

const now = () => Math.floor(Date.now() / 1000);

/** The messages a member signs, stamped now: a proposal's actions' arguments go as JSON text. */
export const governanceMessage = {
  proposal: (actions: ProposalAction[]): GovernanceMessages['proposal'] => ({ actions: actions.map((a) => ({ name: a.name, args: JSON.stringify(a.args ?? {}) })), createdAt: now() }),
  ballot: (proposalId: string, approve: boolean): GovernanceMessages['ballot'] => ({ proposalId, approve, createdAt: now() }),
  withdrawal: (proposalId: string): GovernanceMessages['withdrawal'] => ({ proposalId, createdAt: now() }),
  ack: (stateDigest: string): GovernanceMessages['ack'] => ({ stateDigest, createdAt: now() }),
};

/** The types of one kind of message, without EIP712Domain: what ethers' and viem's signTypedData take. */
export function governanceTypes(kind: MessageKind): Record<string, TypedDataField[]> {
  const primary = PRIMARY_TYPES[kind];
  const types: Record<string, TypedDataField[]> = { [primary]: [...GOVERNANCE_TYPES[primary]] };
  if (primary === 'Proposal') types.Action = [...GOVERNANCE_TYPES.Action];
  return types;
}

export interface GovernanceTypedData<K extends MessageKind = MessageKind> {
  types: Record<string, TypedDataField[]>;
  primaryType: PrimaryType;
  domain: GovernanceDomain;
  message: GovernanceMessages[K];
}

/** The whole eth_signTypedData_v4 payload of a message. */
export function typedDataFor<K extends MessageKind>(kind: K, message: GovernanceMessages[K], domain: GovernanceDomain): GovernanceTypedData<K> {
  const { primaryType, types } = definitionOf(kind);
  return { types, primaryType, domain, message };
}

/** What a wallet needs to sign any governance message for `domain`: each kind's primary type and eth_signTypedData_v4 types. */
export function signingDefinitions(domain: GovernanceDomain): { domain: GovernanceDomain; messages: Record<MessageKind, SigningDefinition> } {
  const kinds = Object.keys(PRIMARY_TYPES) as MessageKind[];
  return { domain, messages: Object.fromEntries(kinds.map((kind) => [kind, definitionOf(kind)])) as Record<MessageKind, SigningDefinition> };
}

interface SigningDefinition {
  primaryType: PrimaryType;
  /** with EIP712Domain, as eth_signTypedData_v4 takes them */
  types: Record<string, TypedDataField[]>;
}

function definitionOf(kind: MessageKind): SigningDefinition {
  return { primaryType: PRIMARY_TYPES[kind], types: { EIP712Domain: [...DOMAIN_TYPE], ...governanceTypes(kind) } };
}

/** What a member submits: the typed data and its signature (0x + 65 bytes: r, s, v). */
export interface GovernanceEnvelope<K extends MessageKind = MessageKind> {
  typedData: GovernanceTypedData<K>;
  signature: string;
}

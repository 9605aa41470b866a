// Members govern by signing EIP-712 typed data, so any Ethereum wallet can sign a proposal
// or a ballot (eth_signTypedData_v4, hardware wallets, ethers, viem) and show the member
// what they sign. This module is the scheme's both ends: the typed data a member signs,
// and the check that turns a submitted { typedData, signature } envelope into the
// AuthenticatedMessage core's governance engine takes (core/governance/messages.ts).
//
// The domain binds a signature to one network: its chain id, and as salt the SHA-256 of
// the service certificate (the service identity), so a ballot signed for one service is
// worthless on another even with the same chain id.
import { X509Certificate } from 'node:crypto';
import { Signature, TypedDataEncoder, concat, keccak256, recoverAddress, type TypedDataDomain, type TypedDataField } from 'ethers';
import { sha256 } from '../../core/crypto/hash.js';
import { GovernanceError, type AuthenticatedMessage, type MessageBody } from '../../core/governance/messages.js';
import type { MessageKind, ProposalAction } from '../../core/governance/tables.js';
import {
  DOMAIN_TYPE,
  PRIMARY_TYPES,
  domainOf,
  governanceTypes,
  typedDataFor,
  type GovernanceDomain,
  type GovernanceEnvelope,
  type GovernanceMessages,
  type PrimaryType,
} from './typed-data-definitions.js';

export * from './typed-data-definitions.js';

export function governanceDomain(chainId: bigint, serviceCertPem: string): GovernanceDomain {
  return domainOf(chainId, `0x${Buffer.from(sha256(new X509Certificate(serviceCertPem).raw)).toString('hex')}`);
}

const KINDS = new Map<string, MessageKind>(Object.entries(PRIMARY_TYPES).map(([kind, type]) => [type, kind as MessageKind]));

export interface TypedDataSigner {
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** Sign a governance message as a wallet would; the envelope is what a member submits. */
export async function signGovernanceMessage<K extends MessageKind>(
  signer: TypedDataSigner,
  kind: K,
  message: GovernanceMessages[K],
  domain: GovernanceDomain,
): Promise<GovernanceEnvelope<K>> {
  const signature = await signer.signTypedData(domain, governanceTypes(kind), message as unknown as Record<string, unknown>);
  return { typedData: typedDataFor(kind, message, domain), signature };
}

// Bounds on what a message may hold, so that hostile input costs little and says so.
const MAX_ACTIONS = 64;
const MAX_NAME_LENGTH = 256;
const MAX_ARGS_LENGTH = 1 << 20;
const MAX_ARGS_DEPTH = 32;
const MAX_CHAIN_ID_LENGTH = 80;
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/;

/** A value as an error message may quote it: short, whatever it is. */
function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

const malformed = (message: string) => new GovernanceError('malformed', `malformed governance message: ${message}`);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw malformed(`${where}: expected an object, got ${show(value)}`);
  return value;
}

/** An object with exactly these fields. */
function fields(value: unknown, where: string, names: readonly string[]): Record<string, unknown> {
  const object = record(value, where);
  for (const name of names) if (!Object.hasOwn(object, name)) throw malformed(`${where}.${name} is missing`);
  const extra = Object.keys(object).find((k) => !names.includes(k));
  if (extra !== undefined) throw malformed(`${where}: unexpected field ${show(extra)}`);
  return object;
}

function text(value: unknown, where: string, max: number): string {
  if (typeof value !== 'string') throw malformed(`${where}: expected a string, got ${show(value)}`);
  if (value.length > max) throw malformed(`${where}: longer than ${max} characters`);
  return value;
}

function bytes32(value: unknown, where: string): string {
  if (typeof value !== 'string' || !BYTES32.test(value)) throw malformed(`${where}: expected 0x and 32 bytes of hex, got ${show(value)}`);
  return value.toLowerCase();
}

/** seconds since the epoch: a safe non-negative integer, as a number or decimal text */
function seconds(value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value) && value.length <= 16 ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw malformed(`${where}: expected an integer number of seconds, got ${show(value)}`);
  return n;
}

/** A chain id as a number, decimal text or 0x hex. */
function chainIdOf(value: unknown, where: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && value.length <= MAX_CHAIN_ID_LENGTH && (DECIMAL.test(value) || HEX_QUANTITY.test(value))) return BigInt(value);
  throw malformed(`${where}: expected a chain id, got ${show(value)}`);
}

/** Nesting depth of parsed JSON, counted without recursion (deep junk must not exhaust the stack). */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** `types` must be exactly the governance types of its primary type, with the EIP712Domain type. */
function checkTypes(value: unknown, primaryType: PrimaryType): void {
  const types = record(value, 'typedData.types');
  const expected: Record<string, readonly TypedDataField[]> = { EIP712Domain: DOMAIN_TYPE, ...governanceTypes(KINDS.get(primaryType)!) };
  for (const name of Object.keys(expected)) if (!Object.hasOwn(types, name)) throw malformed(`typedData.types.${name} is missing`);
  for (const name of Object.keys(types)) {
    const want = expected[name];
    if (want === undefined) throw malformed(`typedData.types: unexpected type ${show(name)} in a ${primaryType}`);
    const got = types[name];
    const same =
      Array.isArray(got) &&
      got.length === want.length &&
      got.every((f, i) => isRecord(f) && Object.keys(f).length === 2 && f.name === want[i]!.name && f.type === want[i]!.type);
    if (!same) throw malformed(`typedData.types.${name} differs from the governance types (expected ${want.map((f) => `${f.type} ${f.name}`).join(', ')})`);
  }
}

/** The message's fields, checked and normalised, and what it says. */
function readMessage(kind: MessageKind, value: unknown): { createdAt: number; body: MessageBody } {
  const where = 'typedData.message';
  switch (kind) {
    case 'proposal': {
      const m = fields(value, where, ['actions', 'createdAt']);
      if (!Array.isArray(m.actions)) throw malformed(`${where}.actions: expected an array, got ${show(m.actions)}`);
      if (m.actions.length === 0) throw malformed(`${where}.actions: a proposal needs at least one action`);
      if (m.actions.length > MAX_ACTIONS) throw malformed(`${where}.actions: more than ${MAX_ACTIONS} actions`);
      const actions: ProposalAction[] = m.actions.map((a: unknown, i) => {
        const action = fields(a, `${where}.actions[${i}]`, ['name', 'args']);
        const name = text(action.name, `${where}.actions[${i}].name`, MAX_NAME_LENGTH);
        if (name.length === 0) throw malformed(`${where}.actions[${i}].name is empty`);
        const argsText = text(action.args, `${where}.actions[${i}].args`, MAX_ARGS_LENGTH);
        let args: unknown;
        try {
          args = JSON.parse(argsText);
        } catch {
          throw malformed(`${where}.actions[${i}].args is not JSON text`);
        }
        if (depthExceeds(args, MAX_ARGS_DEPTH)) throw malformed(`${where}.actions[${i}].args: nested deeper than ${MAX_ARGS_DEPTH}`);
        return { name, args };
      });
      return { createdAt: seconds(m.createdAt, `${where}.createdAt`), body: { kind, actions } };
    }
    case 'ballot': {
      const m = fields(value, where, ['proposalId', 'approve', 'createdAt']);
      const proposalId = bytes32(m.proposalId, `${where}.proposalId`);
      if (typeof m.approve !== 'boolean') throw malformed(`${where}.approve: expected true or false, got ${show(m.approve)}`);
      return { createdAt: seconds(m.createdAt, `${where}.createdAt`), body: { kind, proposalId, approve: m.approve } };
    }
    case 'withdrawal': {
      const m = fields(value, where, ['proposalId', 'createdAt']);
      return { createdAt: seconds(m.createdAt, `${where}.createdAt`), body: { kind, proposalId: bytes32(m.proposalId, `${where}.proposalId`) } };
    }
    case 'ack': {
      const m = fields(value, where, ['stateDigest', 'createdAt']);
      return { createdAt: seconds(m.createdAt, `${where}.createdAt`), body: { kind, stateDigest: bytes32(m.stateDigest, `${where}.stateDigest`) } };
    }
  }
}

/** The domain must be this network's: same name, version, chain id and service (salt). */
function checkDomain(value: unknown, own: GovernanceDomain): void {
  const where = 'typedData.domain';
  const d = fields(value, where, ['name', 'version', 'chainId', 'salt']);
  const name = text(d.name, `${where}.name`, MAX_NAME_LENGTH);
  const version = text(d.version, `${where}.version`, MAX_NAME_LENGTH);
  const chainId = chainIdOf(d.chainId, `${where}.chainId`);
  const salt = bytes32(d.salt, `${where}.salt`);
  const wrong = (what: string) => new GovernanceError('wrong-network', `governance message signed for another network: ${what}`);
  if (name !== own.name) throw wrong(`domain name ${show(name)} instead of ${show(own.name)}`);
  if (version !== own.version) throw wrong(`domain version ${show(version)} instead of ${show(own.version)}`);
  if (chainId !== BigInt(own.chainId)) throw wrong(`chain id ${chainId} instead of ${own.chainId}`);
  if (salt !== own.salt.toLowerCase()) throw wrong(`another service (salt ${salt} instead of ${own.salt.toLowerCase()}, the SHA-256 of this service's certificate)`);
}

/**
 * A signed message's id: keccak-256 of its EIP-712 hash and its signer. Two members may
 * sign byte-identical messages (the same ballot in the same second): each is its own
 * message, while the same member's message signed twice (or its signature malleated) is
 * the same one.
 */
export function messageId(typedDataHash: string, signer: string): string {
  return keccak256(concat([typedDataHash, signer])).toLowerCase();
}

/** The signer of `digest`, lowercase; a signature that cannot be one is 'bad-signature'. */
function recoverSigner(digest: string, value: unknown): string {
  if (typeof value !== 'string' || !SIGNATURE.test(value)) {
    throw new GovernanceError('bad-signature', `bad signature: expected 0x and 65 bytes of hex (r, s, v), got ${show(value)}`);
  }
  const v = parseInt(value.slice(130), 16);
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) throw new GovernanceError('bad-signature', `bad signature: v is ${v}, expected 27 or 28 (or 0 or 1)`);
  // One signature per signer and message: the high-s twin of a signature is refused (EIP-2).
  if (BigInt(`0x${value.slice(66, 130)}`) > SECP256K1_HALF_N) throw new GovernanceError('bad-signature', 'bad signature: s is in the upper half of the curve order (EIP-2)');
  try {
    return recoverAddress(digest, Signature.from(value)).toLowerCase();
  } catch {
    throw new GovernanceError('bad-signature', 'bad signature: it recovers no public key');
  }
}

/** Checks submitted envelopes against this network's domain. */
export class Eip712Authenticator {
  constructor(readonly domain: GovernanceDomain) {}

  authenticate(envelope: unknown): AuthenticatedMessage {
    const { typedData, signature } = fields(envelope, 'envelope', ['typedData', 'signature']);
    const t = fields(typedData, 'typedData', ['types', 'primaryType', 'domain', 'message']);
    const kind = typeof t.primaryType === 'string' ? KINDS.get(t.primaryType) : undefined;
    if (kind === undefined) throw malformed(`typedData.primaryType: expected Proposal, Ballot, Withdrawal or Ack, got ${show(t.primaryType)}`);
    checkTypes(t.types, t.primaryType as PrimaryType);
    const { createdAt, body } = readMessage(kind, t.message);
    checkDomain(t.domain, this.domain);
    let hash: string;
    try {
      hash = TypedDataEncoder.hash(this.domain, governanceTypes(kind), t.message as Record<string, unknown>).toLowerCase();
    } catch (e) {
      // Everything ethers checks has been checked above; say what it found all the same.
      throw malformed(`typedData does not encode: ${(e as Error).message.split(' (')[0]}`);
    }
    const signer = recoverSigner(hash, signature);
    return { kind, signer, digest: messageId(hash, signer), createdAt, body, signed: envelope };
  }
}

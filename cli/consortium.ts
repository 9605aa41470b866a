// Who governs a new service: the consortium named in the config file (members, users,
// constitution), or, when it names no members, a development consortium: one member
// whose keys are written to the data directory, the dev accounts as users (may deploy),
// and the default constitution. The development member then opens the service by the
// real path: it acknowledges the state, proposes transition_service_to_open and votes.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { Wallet } from 'ethers';
import type { GovernanceGenesis } from '../core/governance/genesis.js';
import { fileExists, readText, writeText } from '../core/host/files.js';
import { defaultEvmConstitution } from '../evm-adapter/constitution.js';
import type { Transport } from '../rpc/client.js';
import { devAccounts, type StartConfig } from './config.js';
import { GovClient } from './gov-client.js';

/** The development member's Ethereum private key (hex), in the first node's data directory. */
export const DEV_MEMBER_KEY_FILE = 'dev_member_key.txt';
/** Its X25519 private key (PEM), for recovery shares. */
const DEV_MEMBER_ENCRYPTION_FILE = 'dev_member_encryption_key.pem';

export interface DevMember {
  wallet: Wallet;
  /** X25519 public key, hex */
  encryptionKey: string;
  /** its private key, PEM */
  encryptionPrivateKey: string;
}

export function newDevMember(): DevMember {
  const { privateKey } = generateKeyPairSync('x25519');
  return fromKeys(Wallet.createRandom().privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/** Written once the service exists (its data directory is the node's). */
export async function saveDevMember(dataDir: string, member: DevMember): Promise<string> {
  const keyFile = `${dataDir}/${DEV_MEMBER_KEY_FILE}`;
  await writeText(keyFile, `${member.wallet.privateKey}\n`, 0o600);
  await writeText(`${dataDir}/${DEV_MEMBER_ENCRYPTION_FILE}`, member.encryptionPrivateKey, 0o600);
  return keyFile;
}

/** The development member a data directory holds, if it holds one. */
export async function loadDevMember(dataDir: string): Promise<DevMember | undefined> {
  const keyFile = `${dataDir}/${DEV_MEMBER_KEY_FILE}`;
  if (!(await fileExists(keyFile))) return undefined;
  return fromKeys((await readText(keyFile)).trim(), await readText(`${dataDir}/${DEV_MEMBER_ENCRYPTION_FILE}`));
}

function fromKeys(privateKey: string, encryptionPem: string): DevMember {
  const jwk = createPublicKey(createPrivateKey(encryptionPem)).export({ format: 'jwk' });
  return { wallet: new Wallet(privateKey), encryptionKey: Buffer.from(jwk.x!, 'base64url').toString('hex'), encryptionPrivateKey: encryptionPem };
}

/** The genesis consortium for `config`: its members, or the development member `dev`. */
export async function genesisConsortium(config: StartConfig, dev: DevMember | undefined): Promise<GovernanceGenesis> {
  const members = config.consortium.members.length > 0 ? config.consortium.members : [{ id: dev!.wallet.address, encryptionKey: dev!.encryptionKey, data: { name: 'development member' } }];
  const users = new Map(config.consortium.users.map((u) => [u.id.toLowerCase(), u]));
  for (const account of devAccounts(config.devAccounts)) if (!users.has(account.address.toLowerCase())) users.set(account.address.toLowerCase(), { id: account.address, roles: ['deploy'] });
  const constitution = config.consortium.constitutionFiles.length > 0 ? (await Promise.all(config.consortium.constitutionFiles.map((f) => readText(f)))).join('\n') : await defaultEvmConstitution();
  return { members, users: [...users.values()], constitution };
}

/** The development member opens the service as any member would: acknowledge, propose, vote. */
export async function openAsDevMember(transport: Transport, dev: DevMember, log: (m: string) => void): Promise<void> {
  const gov = await GovClient.over(transport, { signer: dev.wallet });
  const service = await gov.rpc.call<{ status: string } | null>('ccevm_govService');
  if (service?.status !== 'Opening') return;
  const members = await gov.rpc.call<{ memberId: string; status: string }[]>('ccevm_govMembers');
  if (members.find((m) => m.memberId === gov.memberId)?.status !== 'Active') await gov.ack();
  const proposed = await gov.propose([{ name: 'transition_service_to_open', args: {} }]);
  const outcome = proposed.kind !== 'ack' && proposed.state === 'Open' ? await gov.vote(proposed.proposalId, true) : proposed;
  log(`development member ${gov.memberId} opened the service (proposal ${outcome.kind !== 'ack' ? `${outcome.proposalId}: ${outcome.state}` : ''})`);
}

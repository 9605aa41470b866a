// Node configuration: defaults, then a JSON config file, then command-line flags.
import { dirname, isAbsolute, join } from 'node:path';
import { HDNodeWallet, parseEther } from 'ethers';
import { readText } from '../core/host/files.js';
import type { EvmConfig, GenesisAccount } from '../evm-adapter/config.js';
import { DEFAULT_EVM_CONFIG } from '../evm-adapter/config.js';
import { DEFAULT_FORWARD_TIMEOUT_MS } from '../rpc/index.js';

export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

export interface StartConfig {
  dataDir: string;
  /** where HTTPS and the node-to-node channel listen (and the host other nodes reach) */
  host: string;
  /** where plain-HTTP JSON-RPC listens: loopback unless allowPlainHttp */
  httpHost: string;
  allowPlainHttp: boolean;
  /** plain-HTTP JSON-RPC port */
  port: number;
  /** 0 disables HTTPS */
  httpsPort: number;
  /** node-to-node channel (mutual TLS) */
  peerPort: number;
  durability: 'fsync' | 'os';
  signEvery?: number;
  signMs?: number;
  /** snapshot at the first signature past every multiple of this many seqnos (same on every node) */
  snapshotInterval?: number;
  /** how long a write keeps looking for a primary before the client gets an error */
  forwardTimeoutMs: number;
  /** SIWE domains that name this node besides where it listens (a proxy's, a DNS name) */
  signInDomains: string[];
  /** pre-funded accounts derived from the dev mnemonic (only when a service is created) */
  devAccounts: number;
  /** who governs a new service (config file keys members, users, constitution) */
  consortium: ConsortiumConfig;
  evm: EvmConfig;
}

export interface ConsortiumConfig {
  /** none: a development consortium of one member whose key is written to the data directory */
  members: { id: string; encryptionKey: string; data?: unknown }[];
  users: { id: string; roles: string[]; data?: unknown }[];
  /** JavaScript files concatenated into the constitution; none: the default constitution */
  constitutionFiles: string[];
}

export class ConfigError extends Error {}

/** The shape of a config file; every field optional. Numbers may be given as strings. */
export interface ConfigFile {
  dataDir?: string;
  host?: string;
  httpHost?: string;
  allowPlainHttp?: boolean;
  forwardTimeoutMs?: number;
  port?: number;
  httpsPort?: number;
  peerPort?: number;
  durability?: string;
  signEvery?: number;
  signMs?: number;
  snapshotInterval?: number;
  devAccounts?: number;
  chainId?: number | string;
  baseFeePerGas?: number | string;
  blockGasLimit?: number | string;
  genesis?: Record<string, { balance: string | number; nonce?: string | number; code?: string }>;
  members?: { address: string; encryptionKey: string; data?: unknown }[];
  users?: { address: string; roles?: string[]; data?: unknown }[];
  /** a file, or files, relative to the config file */
  constitution?: string | string[];
  /** host[:port] names a Sign-In with Ethereum message may give as its domain, besides where the node listens */
  signInDomains?: string[];
}

type BooleanFlag = 'allow-plain-http';
export type Flags = Partial<Record<BooleanFlag, boolean>> & Partial<Record<'data-dir' | 'host' | 'http-host' | 'forward-timeout-ms' | 'port' | 'https-port' | 'peer-port' | 'durability' | 'sign-every' | 'sign-ms' | 'snapshot-interval' | 'dev-accounts' | 'chain-id' | 'base-fee' | 'genesis' | 'config', string>>;

function integer(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function big(value: unknown, name: string): bigint {
  try {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') throw new Error();
    const v = BigInt(value);
    if (v < 0n) throw new Error();
    return v;
  } catch {
    throw new ConfigError(`${name} must be a non-negative integer (decimal or 0x-hex)`);
  }
}

function genesisAccounts(spec: ConfigFile['genesis'], name: string): Record<string, GenesisAccount> {
  if (spec === undefined) return {};
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new ConfigError(`${name} must map addresses to { balance }`);
  const out: Record<string, GenesisAccount> = {};
  for (const [address, account] of Object.entries(spec)) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new ConfigError(`${name}: ${address} is not an address`);
    if (account.code !== undefined && !/^0x([0-9a-fA-F]{2})*$/.test(account.code)) throw new ConfigError(`${name}: code of ${address} is not hex`);
    out[address.toLowerCase()] = {
      balance: big(account.balance, `${name}.${address}.balance`),
      nonce: account.nonce === undefined ? undefined : big(account.nonce, `${name}.${address}.nonce`),
      code: account.code === undefined ? undefined : new Uint8Array(Buffer.from(account.code.slice(2), 'hex')),
    };
  }
  return out;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function consortium(file: ConfigFile, configPath: string | undefined): ConsortiumConfig {
  const list = <T>(value: T[] | undefined, name: string): T[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new ConfigError(`${name} must be an array`);
    return value;
  };
  const members = list(file.members, 'members').map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.address !== 'string' || !ADDRESS.test(m.address)) throw new ConfigError(`members[${i}].address must be a 0x address`);
    if (typeof m.encryptionKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(m.encryptionKey)) throw new ConfigError(`members[${i}].encryptionKey must be an X25519 public key (64 hex digits)`);
    return { id: m.address.toLowerCase(), encryptionKey: m.encryptionKey.toLowerCase(), ...(m.data !== undefined ? { data: m.data } : {}) };
  });
  const users = list(file.users, 'users').map((u, i) => {
    if (typeof u !== 'object' || u === null || typeof u.address !== 'string' || !ADDRESS.test(u.address)) throw new ConfigError(`users[${i}].address must be a 0x address`);
    if (u.roles !== undefined && !(Array.isArray(u.roles) && u.roles.every((r) => typeof r === 'string'))) throw new ConfigError(`users[${i}].roles must be an array of strings`);
    return { id: u.address.toLowerCase(), roles: u.roles ?? [], ...(u.data !== undefined ? { data: u.data } : {}) };
  });
  const files = file.constitution === undefined ? [] : Array.isArray(file.constitution) ? file.constitution : [file.constitution];
  if (!files.every((f) => typeof f === 'string')) throw new ConfigError('constitution must be a file name or a list of them');
  const base = configPath ? dirname(configPath) : '.';
  return { members, users, constitutionFiles: files.map((f) => (isAbsolute(f) ? f : join(base, f))) };
}

function signInDomains(value: unknown): string[] {
  if (value === undefined) return [];
  // an authority as SIWE has it: host (a name, IPv4, or [IPv6]) and an optional port
  const authority = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'string' && authority.test(d))) throw new ConfigError('signInDomains must be a list of host or host:port names (e.g. ["rpc.example.com", "10.0.0.5:8645"])');
  return value;
}

export function devAccounts(count: number): { address: string; privateKey: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const wallet = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
    return { address: wallet.address, privateKey: wallet.privateKey };
  });
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readText(path);
  } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ConfigError(`${path} is not JSON: ${(e as Error).message}`);
  }
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function loadStartConfig(flags: Flags): Promise<StartConfig> {
  const file: ConfigFile = flags.config ? await readJson<ConfigFile>(flags.config) : {};
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new ConfigError('the config file must hold a JSON object');
  const pick = <K extends keyof ConfigFile>(flag: Exclude<keyof Flags, BooleanFlag>, key: K): ConfigFile[K] | string | undefined => flags[flag] ?? file[key];
  const durability = pick('durability', 'durability') ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'os') throw new ConfigError('durability must be fsync or os');
  const port = integer(pick('port', 'port') ?? 8545, 'port', 0, 65535);
  const genesis = flags.genesis ? genesisAccounts(await readJson(flags.genesis), flags.genesis) : genesisAccounts(file.genesis, 'genesis');
  const dev = integer(pick('dev-accounts', 'devAccounts') ?? 20, 'dev-accounts', 0, 1000);
  const devAddresses = devAccounts(dev).map((a) => a.address.toLowerCase());
  for (const address of devAddresses) genesis[address] ??= { balance: parseEther('10000') };
  const signEvery = pick('sign-every', 'signEvery');
  const signMs = pick('sign-ms', 'signMs');
  const snapshotInterval = pick('snapshot-interval', 'snapshotInterval');
  const httpHost = String(pick('http-host', 'httpHost') ?? '127.0.0.1');
  const allowPlainHttp = flags['allow-plain-http'] === true || file.allowPlainHttp === true;
  if (!allowPlainHttp && !isLoopback(httpHost)) {
    throw new ConfigError(`plain-HTTP JSON-RPC may listen on loopback only (got --http-host ${httpHost}): it carries transactions in clear; serve clients over HTTPS (--https-port), or pass --allow-plain-http if something else encrypts the traffic`);
  }
  return {
    dataDir: String(pick('data-dir', 'dataDir') ?? '.data/node0'),
    host: String(pick('host', 'host') ?? '127.0.0.1'),
    httpHost,
    allowPlainHttp,
    port,
    httpsPort: integer(pick('https-port', 'httpsPort') ?? (port === 0 ? 0 : port + 100), 'https-port', 0, 65535),
    peerPort: integer(pick('peer-port', 'peerPort') ?? (port === 0 ? 0 : port + 1000), 'peer-port', 0, 65535),
    durability,
    forwardTimeoutMs: integer(pick('forward-timeout-ms', 'forwardTimeoutMs') ?? DEFAULT_FORWARD_TIMEOUT_MS, 'forward-timeout-ms', 1, 600_000),
    signEvery: signEvery === undefined ? undefined : integer(signEvery, 'sign-every', 1),
    signMs: signMs === undefined ? undefined : integer(signMs, 'sign-ms', 1),
    snapshotInterval: snapshotInterval === undefined ? undefined : integer(snapshotInterval, 'snapshot-interval', 1),
    devAccounts: dev,
    signInDomains: signInDomains(file.signInDomains),
    consortium: consortium(file, flags.config),
    evm: {
      ...DEFAULT_EVM_CONFIG,
      chainId: big(pick('chain-id', 'chainId') ?? DEFAULT_EVM_CONFIG.chainId, 'chain-id'),
      baseFeePerGas: big(pick('base-fee', 'baseFeePerGas') ?? DEFAULT_EVM_CONFIG.baseFeePerGas, 'base-fee'),
      blockGasLimit: big(file.blockGasLimit ?? DEFAULT_EVM_CONFIG.blockGasLimit, 'blockGasLimit'),
      genesis,
      devAccounts: devAddresses,
    },
  };
}

// What the client commands (gov, sign-in) take from the command line: the node's JSON-RPC
// URL, the service certificate to trust for HTTPS, and the key to sign with.
import { HDNodeWallet, Wallet } from 'ethers';
import { readText } from '../core/host/files.js';
import { ConfigError } from './config.js';

export type Signer = Wallet | HDNodeWallet;

export interface ClientFlags {
  rpc?: string;
  'key-file'?: string;
  mnemonic?: string;
  account?: string;
  'service-cert'?: string;
  json?: boolean;
}

const DEFAULT_RPC = 'http://127.0.0.1:8545';

/** The signer of --key-file, else of the private key in `envVar`, else of --mnemonic/--account; undefined if none is given. */
export async function signerFrom(flags: ClientFlags, envVar: string): Promise<Signer | undefined> {
  const fromKey = (text: string, where: string) => {
    try {
      return new Wallet(text.trim());
    } catch {
      throw new ConfigError(`${where} does not hold a private key (64 hex digits)`);
    }
  };
  if (flags['key-file']) return fromKey(await readText(flags['key-file']).catch(() => Promise.reject(new ConfigError(`cannot read ${flags['key-file']}`))), flags['key-file']);
  if (process.env[envVar]) return fromKey(process.env[envVar], envVar);
  if (flags.mnemonic) {
    const index = Number(flags.account ?? 0);
    if (!Number.isSafeInteger(index) || index < 0) throw new ConfigError('--account must be a non-negative integer');
    try {
      return HDNodeWallet.fromPhrase(flags.mnemonic, undefined, `m/44'/60'/0'/0/${index}`);
    } catch (e) {
      throw new ConfigError(`--mnemonic: ${(e as Error).message}`);
    }
  }
  return undefined;
}

/** --rpc (default local plain HTTP) and the --service-cert it needs when it is https://. */
export async function rpcTarget(flags: ClientFlags, why: string): Promise<{ url: string; serviceCert?: string }> {
  const url = flags.rpc ?? DEFAULT_RPC;
  const serviceCert = flags['service-cert'] ? await readText(flags['service-cert']).catch(() => Promise.reject(new ConfigError(`cannot read ${flags['service-cert']}`))) : undefined;
  if (url.startsWith('https://') && !serviceCert) throw new ConfigError(`an https:// --rpc needs --service-cert FILE (${why})`);
  return { url, ...(serviceCert ? { serviceCert } : {}) };
}

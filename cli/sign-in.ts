// `ccevm sign-in`: a user's session token, by Sign-In with Ethereum (EIP-4361) as a
// wallet would do it: ask the node for a nonce, sign the message for its domain and chain
// with the user's key (personal_sign), and print the URL and the header that carry it.
import { SiweMessage } from 'siwe';
import { JsonRpcClient, httpTransport } from '../rpc/client.js';
import { rpcTarget, signerFrom, type ClientFlags, type Signer } from './client-flags.js';
import { ConfigError } from './config.js';

export interface Session {
  token: string;
  /** checksummed */
  address: string;
  /** unix seconds */
  expiresAt: number;
  /** the node's JSON-RPC URL with the token in its path */
  url: string;
}

/**
 * The EIP-4361 message `address` signs to sign in at the node `url` (its host:port is the
 * domain) on chain `chainId` with `nonce`; `fields` override any (tests of the checks).
 */
export function signInMessage(url: string, address: string, chainId: number, nonce: string, fields: Record<string, unknown> = {}): string {
  return new SiweMessage({
    domain: new URL(url).host,
    address,
    statement: 'Sign in to this ccevm network: the session token reads as this account.',
    uri: new URL(url).origin,
    version: '1',
    chainId,
    nonce,
    issuedAt: new Date().toISOString(),
    ...fields,
  }).prepareMessage();
}

/** Sign in at the node `url` as `signer`: the SIWE message names the URL's host:port and the node's chain. */
export async function signIn(url: string, signer: Signer, options: { serviceCert?: string } = {}): Promise<Session> {
  const endpoint = new URL(url);
  // (at the node's root: a URL that carries a token already is not the one to sign in at)
  const rpc = new JsonRpcClient(httpTransport(endpoint.origin, options.serviceCert ? { ca: options.serviceCert } : {}));
  const [chainId, nonce] = await Promise.all([rpc.call<string>('eth_chainId'), rpc.call<string>('ccevm_signInNonce')]);
  const message = signInMessage(endpoint.origin, signer.address, Number(BigInt(chainId)), nonce);
  const answer = await rpc.call<Omit<Session, 'url'>>('ccevm_signIn', [message, await signer.signMessage(message)]);
  return { ...answer, url: `${endpoint.origin}/rpc/${answer.token}` };
}

export async function runSignIn(flags: ClientFlags): Promise<void> {
  const { url, serviceCert } = await rpcTarget(flags, 'the CA to trust');
  const signer = await signerFrom(flags, 'CCEVM_USER_KEY');
  if (!signer) throw new ConfigError('no user key: give --key-file FILE, CCEVM_USER_KEY or --mnemonic "…" [--account N]');
  const session = await signIn(url, signer, serviceCert ? { serviceCert } : {});
  if (flags.json) return void process.stdout.write(`${JSON.stringify(session, null, 2)}\n`);
  process.stdout.write(
    [
      `signed in as ${session.address} until ${new Date(session.expiresAt * 1000).toISOString()}`,
      '',
      `RPC URL (MetaMask's custom network, or any client):`,
      `  ${session.url}`,
      `or keep the URL ${new URL(url).origin} and send the header (Hardhat httpHeaders, ethers FetchRequest, viem fetchOptions):`,
      `  Authorization: Bearer ${session.token}`,
      '',
      `The token is a secret. End the session with ccevm_signOut (sent with the token).`,
      '',
    ].join('\n'),
  );
}

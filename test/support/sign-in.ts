// Sign-In with Ethereum for tests: the EIP-4361 message a wallet builds to sign in at a node.
import { SiweMessage } from 'siwe';

/** What signs a message: an ethers Wallet or HD wallet. */
export type Signer = { address: string; signMessage(message: string): Promise<string> };

/** The SIWE message `address` signs to sign in at `url` (its host:port is the domain) with `nonce`; `fields` override. */
export function signInMessage(url: string, address: string, nonce: string, fields: Record<string, unknown> = {}): string {
  return new SiweMessage({ domain: new URL(url).host, address, uri: url, version: '1', chainId: 1337, nonce, issuedAt: new Date().toISOString(), statement: 'Sign in to ccevm', ...fields }).prepareMessage();
}

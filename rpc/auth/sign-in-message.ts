// What a Sign-In with Ethereum (EIP-4361) message must be to open a session here: it
// parses (the siwe package: version 1, an EIP-55 address, an alphanumeric nonce), is for
// this chain, carries a fresh nonce this service issued, is within its validity window,
// and its EIP-191 (personal_sign) signature is its address's. The signature is checked
// over the text as received (what the wallet showed and signed), not a re-serialised
// form; siwe's own verify() re-serialises, and prints to the console on a malformed
// signature, so ethers checks it. Whose node the domain must name is domains.ts's.
import { SiweMessage } from 'siwe';
import { verifyMessage } from 'ethers';
import { signInRefused } from './errors.js';
import { CLOCK_SKEW_S, nonceExpiry, type Nonces } from './nonces.js';

/** A message that passed every check. */
export interface CheckedSignIn {
  /** lowercase 0x hex */
  address: string;
  nonce: string;
  /** unix seconds: when the nonce stops being fresh (until then its use must be remembered) */
  nonceExpiresAt: number;
  /** unix seconds: the message's expirationTime, if it has one */
  expiresAt?: number;
}

/** Parse a SIWE message; a refusal (reason 'malformed') says what is wrong with it. */
export function parseSignInMessage(text: unknown): SiweMessage {
  if (typeof text !== 'string' || text.length === 0) throw signInRefused('malformed', 'the message must be the text of a Sign-In with Ethereum (EIP-4361) message');
  if (text.length > 16_384) throw signInRefused('malformed', 'the message is longer than 16 KiB');
  try {
    return new SiweMessage(text);
  } catch (e) {
    const why = ((e as Error).message ?? String(e)).split('\n')[0];
    throw signInRefused('malformed', `not a Sign-In with Ethereum (EIP-4361) message: ${why}`);
  }
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export function checkSignIn(text: unknown, signature: unknown, expected: { chainId: bigint; nonces: Nonces; nowMs: number }): CheckedSignIn {
  const message = parseSignInMessage(text);
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) throw signInRefused('malformed', 'the signature must be 0x and 65 bytes in hex (personal_sign of the message)');
  if (BigInt(message.chainId) !== expected.chainId) throw signInRefused('chain-id', `the message is for chain ${message.chainId}, this network is chain ${expected.chainId}`);
  const issuedAt = expected.nonces.check(message.nonce);
  const now = Math.floor(expected.nowMs / 1000);
  if (message.issuedAt && seconds(message.issuedAt) > now + CLOCK_SKEW_S) throw signInRefused('time', `the message says it was issued at ${message.issuedAt}, in the future`);
  if (message.notBefore && seconds(message.notBefore) > now) throw signInRefused('time', `the message is not valid before ${message.notBefore}`);
  if (message.expirationTime && seconds(message.expirationTime) <= now) throw signInRefused('time', `the message expired at ${message.expirationTime}`);
  let signer: string;
  try {
    signer = verifyMessage(text as string, signature);
  } catch {
    throw signInRefused('signature', 'the signature does not verify');
  }
  if (signer.toLowerCase() !== message.address.toLowerCase()) throw signInRefused('signature', `the message was not signed by ${message.address}`);
  return {
    address: message.address.toLowerCase(),
    nonce: message.nonce,
    nonceExpiresAt: nonceExpiry(issuedAt),
    ...(message.expirationTime ? { expiresAt: seconds(message.expirationTime) } : {}),
  };
}

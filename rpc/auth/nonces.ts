// Sign-in nonces any trusted node of the service issues and checks without shared state:
// hex(issued-at seconds ‖ random ‖ truncated HMAC-SHA256 over both), keyed by a secret
// every trusted node derives alike (Node.deriveServiceKey). A nonce is fresh for
// NONCE_LIFETIME_S; that it signs in only once is the primary's to enforce (sessions.ts
// records used nonces). Hex is alphanumeric, as SIWE requires; the issue time leads, so
// that used nonces sort by age.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { signInRefused } from './errors.js';

export const NONCE_LIFETIME_S = 600;
/** How far ahead of this node's clock another node's may be. */
export const CLOCK_SKEW_S = 60;
const TIME_BYTES = 4;
const RANDOM_BYTES = 12;
const MAC_BYTES = 16;
const NONCE = new RegExp(`^[0-9a-f]{${2 * (TIME_BYTES + RANDOM_BYTES + MAC_BYTES)}}$`);

export class Nonces {
  /** `key`: asked for each nonce (it follows the ledger secret); `clock`: ms since the epoch. */
  constructor(
    private readonly key: () => Uint8Array,
    private readonly clock: () => number = Date.now,
  ) {}

  issue(): string {
    const body = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    body.writeUInt32BE(Math.floor(this.clock() / 1000));
    randomBytes(RANDOM_BYTES).copy(body, TIME_BYTES);
    return Buffer.concat([body, this.mac(body)]).toString('hex');
  }

  /** The issue time (unix seconds) of a fresh nonce this service issued; a refusal (reason 'nonce') otherwise. */
  check(nonce: string): number {
    if (!NONCE.test(nonce)) throw signInRefused('nonce', 'the nonce was not issued by this service (ask ccevm_signInNonce for one)');
    const bytes = Buffer.from(nonce, 'hex');
    const body = bytes.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(bytes.subarray(TIME_BYTES + RANDOM_BYTES), this.mac(body))) {
      throw signInRefused('nonce', 'the nonce was not issued by this service (ask ccevm_signInNonce for one)');
    }
    const issuedAt = body.readUInt32BE(0);
    const age = Math.floor(this.clock() / 1000) - issuedAt;
    if (age > NONCE_LIFETIME_S) throw signInRefused('nonce', `the nonce is ${age} s old, past its ${NONCE_LIFETIME_S} s: ask ccevm_signInNonce for a new one`);
    if (age < -CLOCK_SKEW_S) throw signInRefused('nonce', 'the nonce is from the future (a clock is wrong)');
    return issuedAt;
  }

  private mac(body: Uint8Array): Buffer {
    return createHmac('sha256', this.key()).update(body).digest().subarray(0, MAC_BYTES);
  }
}

/** When a nonce issued at `issuedAt` stops being fresh (unix seconds). */
export const nonceExpiry = (issuedAt: number): number => issuedAt + NONCE_LIFETIME_S;

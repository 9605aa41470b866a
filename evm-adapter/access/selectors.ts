// Which of the adapter's interfaces a contract's code implements: a PUSH4 of the
// function's selector in the code outside push data, as Solidity's dispatcher compiles
// it. Code is immutable, so the answer is kept per code hash.
import { keccak256 } from '../common.js';

const PUSH1 = 0x60;
const PUSH4 = 0x63;
const PUSH32 = 0x7f;

function selector(signature: string): Uint8Array {
  return keccak256(new TextEncoder().encode(signature)).subarray(0, 4);
}

/** ICheckAccess.checkAccess(address) returns (bool) */
export const CHECK_ACCESS_SELECTOR = selector('checkAccess(address)');
/** IEventVisibility.eventVisibility(bytes32) returns (uint256) */
export const EVENT_VISIBILITY_SELECTOR = selector('eventVisibility(bytes32)');

export function codeHasSelector(code: Uint8Array, wanted: Uint8Array): boolean {
  for (let pc = 0; pc < code.length; pc++) {
    const op = code[pc]!;
    if (op < PUSH1 || op > PUSH32) continue;
    if (op === PUSH4 && pc + 4 < code.length && code[pc + 1] === wanted[0] && code[pc + 2] === wanted[1] && code[pc + 3] === wanted[2] && code[pc + 4] === wanted[3]) return true;
    pc += op - PUSH1 + 1;
  }
  return false;
}

/** The call data of `sel` with one 32-byte argument. */
export function callData(sel: Uint8Array, word: Uint8Array): Uint8Array {
  const out = new Uint8Array(36);
  out.set(sel, 0);
  out.set(word, 36 - word.length);
  return out;
}

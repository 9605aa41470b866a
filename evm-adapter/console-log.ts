// console.log from Solidity (hardhat/console.sol): a contract calls the console address
// with an ABI-encoded log(...) call; on a development service the node decodes it and
// prints it to its log, under the transaction's hash or `call`, as Hardhat formats it.
// A production service never prints: a private contract's output would reach the host
// operator's log in clear. The call itself is a plain call to an account without code
// (it costs its gas and returns nothing) wherever it runs.
import { bytesToHex, hexToBytes } from '@ethereumjs/util';
import type { Message } from '@ethereumjs/evm';
import type { VM } from '@ethereumjs/vm';
import { format } from 'node:util';
import { keccak256 } from './common.js';
import { CONSOLE_SIGNATURES } from './console-signatures.js';

export const CONSOLE_ADDRESS = hexToBytes('0x000000000000000000636F6e736F6c652e6c6f67');

/** selector (0x + 8 hex) -> argument types; also the `uint`/`int` spellings older console.sol hashed */
const SIGNATURES = new Map<string, string[]>();
for (const signature of CONSOLE_SIGNATURES) {
  const types = signature.slice(4, -1).split(',').filter((t) => t !== '');
  for (const spelling of new Set([signature, signature.replace(/int256/g, 'int')])) {
    SIGNATURES.set(bytesToHex(keccak256(new TextEncoder().encode(spelling)).subarray(0, 4)), types);
  }
}

const WORD = 32;

/** The message a console call prints, or undefined if `data` is no console.sol call. */
export function decodeConsoleCall(data: Uint8Array): string | undefined {
  const types = SIGNATURES.get(bytesToHex(data.subarray(0, 4)));
  if (!types) return undefined;
  const args = data.subarray(4);
  const word = (at: number): Uint8Array => {
    if (at < 0 || at + WORD > args.length) throw new RangeError('short');
    return args.subarray(at, at + WORD);
  };
  const uint = (at: number): bigint => BigInt(bytesToHex(word(at)));
  const dynamic = (head: number): Uint8Array => {
    const offset = uint(head);
    const length = offset + BigInt(WORD) <= BigInt(args.length) ? uint(Number(offset)) : -1n;
    const start = Number(offset) + WORD;
    if (length < 0n || BigInt(start) + length > BigInt(args.length)) throw new RangeError('short');
    return args.subarray(start, start + Number(length));
  };
  let values: string[];
  try {
    values = types.map((type, i) => {
      const at = i * WORD;
      if (type === 'uint256') return uint(at).toString();
      if (type === 'int256') return BigInt.asIntN(256, uint(at)).toString();
      if (type === 'bool') return word(at)[31] !== 0 ? 'true' : 'false';
      if (type === 'address') return bytesToHex(word(at).subarray(12));
      if (type === 'string') return new TextDecoder().decode(dynamic(at));
      if (type === 'bytes') return bytesToHex(dynamic(at));
      return bytesToHex(word(at).subarray(0, Number(type.slice(5)))); // bytes1 … bytes32
    });
  } catch {
    return `(console.log with malformed arguments: ${bytesToHex(data.subarray(0, 4))})`;
  }
  // As Hardhat: the first argument is a format string whose %d and %i print as %s
  // (a uint256 does not fit a JavaScript number).
  if (values.length > 0) values[0] = values[0]!.replace(/((?<!%)(?:%%)*)(%[di])/g, '$1%s');
  return format(...values);
}

/** Prints the console calls of one VM's executions, under the label of what runs. */
export class ConsoleLog {
  private label: string | undefined;

  constructor(
    vm: VM,
    /** whether to print at all: on a development service only */
    private readonly enabled: () => boolean,
    private readonly print: (line: string) => void,
  ) {
    // (a listener taking one argument runs synchronously and is not awaited)
    vm.evm.events!.on('beforeMessage', (message: Message) => this.message(message));
  }

  /** The executor's VM: each transaction's output under its hash. */
  static ofTransactions(vm: VM, enabled: () => boolean, print: (line: string) => void): ConsoleLog {
    const log = new ConsoleLog(vm, enabled, print);
    vm.events.on('beforeTx', (tx) => log.printAs(bytesToHex(tx.hash())));
    return log;
  }

  /** What the next runs' output is printed under; undefined: not printed (a repeated run of an estimate, a policy question). */
  printAs(label: string | undefined): void {
    this.label = label;
  }

  private message(message: Message): void {
    if (this.label === undefined || !message.to || !equal(message.to.bytes, CONSOLE_ADDRESS)) return;
    try {
      if (!this.enabled()) return;
      const text = decodeConsoleCall(message.data);
      if (text !== undefined) this.print(`console.log [${this.label}] ${text}`);
    } catch {
      // (a console line must never fail the execution that wrote it)
    }
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

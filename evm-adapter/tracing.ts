// debug_traceCall / debug_traceTransaction: geth's two tracers over one run of the EVM —
// `callTracer` (the tree of calls) and the default struct logger (one entry per opcode) —
// shown only as far as the caller may read the contracts that ran.
//
// What a caller is not shown: the internals of a contract it may not read (a private
// contract whose checkAccess does not accept it, or one marked private; access/reader.ts
// seesContract). A call frame running such code (as its storage or as its code, for a
// delegatecall) keeps its type, from, to, gas and gasUsed (what eth_estimateGas already
// tells), and loses its input, output, value, error and sub-calls; its opcode steps are left
// out of the struct logs. The top frame keeps its input and output: they are the caller's
// own message and what eth_call answers it. A public contract calling a private one thus
// shows the call, and nothing of what the private contract did or answered.
import type { EVMInterface, EVMResult, InterpreterStep, Message } from '@ethereumjs/evm';
import { bytesToHex } from '@ethereumjs/util';
import { ErrorCode, EvmError } from './errors.js';

export type TracerName = 'callTracer' | 'structLogger';

export interface TraceOptions {
  tracer: TracerName;
  /** callTracer: the top call only */
  onlyTopCall?: boolean;
  /** struct logger */
  disableStack?: boolean;
  enableMemory?: boolean;
}

/** Steps kept before a struct-log trace is refused as too long (each holds a stack). */
const MAX_STEPS = 200_000;

interface RawFrame {
  type: 'CALL' | 'STATICCALL' | 'DELEGATECALL' | 'CREATE';
  from: string;
  /** the account whose storage the frame runs on; set for a creation once created */
  to: string | undefined;
  /** the account whose code runs */
  codeAddress: string | undefined;
  value: bigint;
  gas: bigint;
  input: string;
  gasUsed?: bigint;
  output?: string;
  error?: string;
  calls: RawFrame[];
}

interface RawStep {
  pc: number;
  op: string;
  gas: bigint;
  gasCost: bigint;
  depth: number;
  address: string;
  codeAddress: string;
  stack?: string[];
  memory?: string[];
}

/** What one run recorded, before it is shown to a caller. */
export class TraceRecorder {
  private readonly stack: RawFrame[] = [];
  root: RawFrame | undefined;
  readonly steps: RawStep[] = [];
  /** more steps ran than are kept (a throw here would end the run as an EVM failure) */
  tooLong = false;

  constructor(readonly options: TraceOptions) {}

  /** Listen to `evm` for one run; call the returned function when it is over. */
  attach(evm: EVMInterface): () => void {
    const events = evm.events;
    if (!events) throw new Error('this EVM emits no events to trace');
    const before = (message: Message) => this.enter(message);
    const after = (result: EVMResult) => this.leave(result);
    const step = (s: InterpreterStep) => this.step(s);
    events.on('beforeMessage', before);
    events.on('afterMessage', after);
    if (this.options.tracer === 'structLogger') events.on('step', step);
    return () => {
      events.off('beforeMessage', before);
      events.off('afterMessage', after);
      events.off('step', step);
    };
  }

  // (the EVM's message does not name its opcode: a static message under a non-static frame
  // is a STATICCALL, one under a STATICCALL is shown as CALL, and CALLCODE as CALL)
  private enter(message: Message): void {
    const frame: RawFrame = {
      type: message.to === undefined ? 'CREATE' : message.delegatecall ? 'DELEGATECALL' : message.isStatic && this.stack.at(-1)?.type !== 'STATICCALL' ? 'STATICCALL' : 'CALL',
      from: message.caller.toString(),
      to: message.to?.toString(),
      codeAddress: message.to === undefined ? undefined : message.codeAddress.toString(),
      value: message.value,
      gas: message.gasLimit,
      input: bytesToHex(message.data),
      calls: [],
    };
    const parent = this.stack.at(-1);
    if (parent) parent.calls.push(frame);
    else this.root = frame;
    this.stack.push(frame);
  }

  private leave(result: EVMResult): void {
    const frame = this.stack.pop();
    if (!frame) return;
    const { execResult } = result;
    frame.gasUsed = execResult.executionGasUsed;
    frame.output = bytesToHex(execResult.returnValue);
    if (frame.type === 'CREATE' && result.createdAddress) frame.to = frame.codeAddress = result.createdAddress.toString();
    if (execResult.exceptionError) frame.error = execResult.exceptionError.error === 'revert' ? 'execution reverted' : execResult.exceptionError.error;
  }

  private step(s: InterpreterStep): void {
    if (this.steps.length >= MAX_STEPS) return void (this.tooLong = true);
    this.steps.push({
      pc: s.pc,
      op: s.opcode.name,
      gas: s.gasLeft,
      gasCost: BigInt(s.opcode.fee) + (s.opcode.dynamicFee ?? 0n),
      depth: s.depth + 1,
      address: s.address.toString(),
      codeAddress: s.codeAddress.toString(),
      ...(this.options.disableStack ? {} : { stack: s.stack.map((v) => `0x${v.toString(16)}`) }),
      ...(this.options.enableMemory ? { memory: words(s.memory) } : {}),
    });
  }
}

function words(memory: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < memory.length; i += 32) out.push(Buffer.from(memory.subarray(i, i + 32)).toString('hex').padEnd(64, '0'));
  return out;
}

/** Whether the caller may see inside the contract at a 0x address (accounts without code: yes). */
export type Readable = (address: string) => boolean | Promise<boolean>;

/**
 * The trace as the caller may see it. `gasUsed`: of the whole message (intrinsic gas
 * included), `gasLimit` its limit, `result` the run.
 */
export async function showTrace(recorder: TraceRecorder, result: EVMResult, gasLimit: bigint, gasUsed: bigint, readable: Readable): Promise<Record<string, unknown>> {
  const known = new Map<string, Promise<boolean>>();
  const mayRead = (address: string | undefined) => {
    if (address === undefined) return Promise.resolve(true);
    let answer = known.get(address);
    if (!answer) known.set(address, (answer = Promise.resolve(readable(address))));
    return answer;
  };
  const open = async (frame: { to: string | undefined; codeAddress: string | undefined }) => (await mayRead(frame.to)) && (await mayRead(frame.codeAddress));
  if (recorder.options.tracer === 'callTracer') {
    const root = recorder.root;
    if (!root) throw new EvmError(ErrorCode.Rejected, 'nothing ran');
    return showFrame(root, true, open, recorder.options.onlyTopCall ?? false, { gas: gasLimit, gasUsed });
  }
  if (recorder.tooLong) throw new EvmError(ErrorCode.ResourceUnavailable, `trace too long: more than ${MAX_STEPS} steps; use the callTracer`);
  const structLogs: Record<string, unknown>[] = [];
  for (const step of recorder.steps) {
    if (!(await open({ to: step.address, codeAddress: step.codeAddress }))) continue;
    structLogs.push({
      pc: step.pc,
      op: step.op,
      gas: Number(step.gas),
      gasCost: Number(step.gasCost),
      depth: step.depth,
      ...(step.stack ? { stack: step.stack } : {}),
      ...(step.memory ? { memory: step.memory } : {}),
    });
  }
  const error = result.execResult.exceptionError;
  return { gas: Number(gasUsed), failed: error !== undefined, returnValue: bytesToHex(result.execResult.returnValue), structLogs };
}

const q = (v: bigint) => `0x${v.toString(16)}`;

async function showFrame(
  frame: RawFrame,
  top: boolean,
  open: (frame: RawFrame) => Promise<boolean>,
  onlyTop: boolean,
  totals?: { gas: bigint; gasUsed: bigint },
): Promise<Record<string, unknown>> {
  const shown: Record<string, unknown> = { type: frame.type, from: frame.from, ...(frame.to !== undefined ? { to: frame.to } : {}), gas: q(totals?.gas ?? frame.gas), gasUsed: q(totals?.gasUsed ?? frame.gasUsed ?? 0n) };
  const inside = await open(frame);
  if (!inside && !top) return { ...shown, redacted: true };
  Object.assign(shown, { value: q(frame.value), input: frame.input, output: frame.output ?? '0x' });
  if (frame.error) shown.error = frame.error;
  if (!inside) return { ...shown, redacted: true };
  if (!onlyTop && frame.calls.length > 0) {
    const calls: Record<string, unknown>[] = [];
    for (const call of frame.calls) calls.push(await showFrame(call, false, open, false));
    shown.calls = calls;
  }
  return shown;
}

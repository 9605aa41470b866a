// The constitution runtime: the consortium's JavaScript (validate, resolve, apply) run in a
// QuickJS sandbox with no I/O, no clock, no randomness, and bounded memory, stack and time.
// Every hook call gets a fresh runtime that evaluates the source again, so nothing one call
// does can reach the next. Values cross the boundary as JSON text. The sandbox's `ccf`
// object reads the governance tables, and (apply only) writes the ones the constitution
// owns; apply's writes go to an overlay that reaches the transaction only if apply succeeds.
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import { stringCodec, uintCodec } from '../kv/codec.js';
import type { MapDef } from '../kv/map-def.js';
import type { ReadOnlyTransaction } from '../kv/read-only.js';
import { Overlay } from '../kv/overlay.js';
import type { Transaction } from '../kv/transaction.js';
import { ConstitutionError } from './constitution-error.js';
import { retireNode, trustPendingNode } from './nodes.js';
import { modulesFor } from './sandbox-modules.js';
import { openService } from './service.js';
import { CONSTITUTION, CORE_GOVERNANCE_TABLES, MEMBERS_INFO, NODE_CODE_IDS, USERS_INFO, type ProposalAction } from './tables.js';

export { ConstitutionError };

export interface ConstitutionLimits {
  memoryBytes: number;
  stackBytes: number;
  deadlineMs: number;
}

/**
 * Per hook call. The stack limit is QuickJS's own count, kept well under the host's: on
 * Node's main-thread stack (about 1 MB) JavaScript recursion exhausts the host's stack
 * before QuickJS has counted 512 KiB (measured), and that costs a module (SandboxModules).
 */
export const DEFAULT_CONSTITUTION_LIMITS: ConstitutionLimits = { memoryBytes: 32 * 1024 * 1024, stackBytes: 256 * 1024, deadlineMs: 1000 };

export interface Vote {
  member_id: string;
  vote: boolean;
}
export type Resolution = 'Open' | 'Accepted' | 'Rejected';
export interface Proposal {
  actions: ProposalAction[];
}
export interface ApplyEffects {
  triggerSnapshot: boolean;
}

type Hook = 'load' | 'validate' | 'resolve' | 'apply';
const HOOKS = ['validate', 'resolve', 'apply'] as const;
type AnyMap = MapDef<string | number, unknown>;

/** Tables the constitution may write; the rest of the core tables are read-only to it. */
const CONSTITUTION_WRITABLE: readonly AnyMap[] = [MEMBERS_INFO, USERS_INFO, NODE_CODE_IDS, CONSTITUTION] as AnyMap[];

export class Constitution {
  private readonly readable = new Map<string, AnyMap>();
  private readonly writable = new Set<string>();

  private constructor(
    readonly source: string,
    private readonly limits: ConstitutionLimits,
    private readonly applicationTables: readonly AnyMap[],
  ) {
    for (const def of [...CORE_GOVERNANCE_TABLES, ...applicationTables]) this.readable.set(def.name, def);
    for (const def of [...CONSTITUTION_WRITABLE, ...applicationTables]) this.writable.add(def.name);
  }

  /** Compile-check `source` (it must define functions validate, resolve, apply); throws ConstitutionError. */
  static async load(source: string, options: { limits?: Partial<ConstitutionLimits>; applicationTables?: readonly MapDef<any, any>[] } = {}): Promise<Constitution> {
    const given = Object.entries(options.limits ?? {}).filter(([, value]) => value !== undefined);
    const limits: ConstitutionLimits = { ...DEFAULT_CONSTITUTION_LIMITS, ...Object.fromEntries(given) };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`constitution limit ${name} must be a positive integer, not ${value}`);
    }
    const applicationTables = (options.applicationTables ?? []) as AnyMap[];
    for (const def of applicationTables) {
      if (!def.name.startsWith('public:ccf.gov.')) throw new TypeError(`application table ${def.name}: the constitution may only see public:ccf.gov.* maps`);
      if (CORE_GOVERNANCE_TABLES.some((core) => core.name === def.name)) throw new TypeError(`application table ${def.name} is a core governance table`);
      if (def.key !== stringCodec && def.key !== uintCodec) throw new TypeError(`application table ${def.name}: keys must use stringCodec or uintCodec`);
    }
    if (typeof source !== 'string') throw new ConstitutionError('the constitution must be JavaScript source text');
    await modulesFor(limits.memoryBytes).ready();
    const constitution = new Constitution(source, limits, applicationTables);
    constitution.run({ hook: 'load' }, []);
    return constitution;
  }

  /** Pure: no ccf.kv at all. Returns what the JS validate(proposal) returned. */
  validate(proposal: Proposal): { valid: boolean; description?: string } {
    const result = this.run({ hook: 'validate' }, [proposal]);
    if (typeof result !== 'object' || result === null || typeof (result as { valid?: unknown }).valid !== 'boolean') {
      throw new ConstitutionError(`validate returned ${describeValue(result)}, not { valid, description? }`);
    }
    const { valid, description } = result as { valid: boolean; description?: unknown };
    if (description !== undefined && typeof description !== 'string') throw new ConstitutionError('validate returned a description that is not a string');
    return description === undefined ? { valid } : { valid, description };
  }

  /** JS resolve(proposal, proposerId, votes) with read-only ccf.kv. */
  resolve(proposal: Proposal, proposerId: string, votes: Vote[], tx: ReadOnlyTransaction): Resolution {
    const result = this.run({ hook: 'resolve', read: tx }, [proposal, proposerId, votes]);
    if (result !== 'Open' && result !== 'Accepted' && result !== 'Rejected') throw new ConstitutionError(`resolve returned ${describeValue(result)}, not 'Open', 'Accepted' or 'Rejected'`);
    return result;
  }

  /** JS apply(proposal, proposalId) with read-write ccf.kv; its writes reach `tx` only if it succeeds. */
  apply(proposal: Proposal, proposalId: string, tx: Transaction, nowMs: number): ApplyEffects {
    const overlay = new Overlay(tx);
    const scope: CallScope = { hook: 'apply', read: overlay, overlay, nowMs, effects: { triggerSnapshot: false } };
    this.run(scope, [proposal, proposalId]);
    // A constitution that does not load would fail every later message, the one that could
    // replace it too: an apply that installs one fails instead, writing nothing.
    const next = overlay.map(CONSTITUTION).get(0);
    if (next !== tx.map(CONSTITUTION).get(0)) {
      try {
        this.successor(next);
      } catch (e) {
        throw new ConstitutionError(`apply set a constitution that does not load: ${(e as Error).message}`);
      }
    }
    overlay.flush();
    return scope.effects!;
  }

  /** `source` as a constitution with this one's limits and maps, checked as load checks it (synchronously: the sandbox is ready). */
  private successor(source: unknown): Constitution {
    if (typeof source !== 'string') throw new ConstitutionError('the constitution must be JavaScript source text');
    const next = new Constitution(source, this.limits, this.applicationTables);
    next.run({ hook: 'load' }, []);
    return next;
  }

  /** One hook call in a fresh runtime; returns the hook's result parsed from JSON. */
  private run(scope: CallScope, args: unknown[]): unknown {
    const { hook } = scope;
    const modules = modulesFor(this.limits.memoryBytes);
    const module = modules.current();
    const rt = module.newRuntime();
    let timedOut = false;
    let poisoned = false;
    const handles: QuickJSHandle[] = [];
    try {
      rt.setMemoryLimit(this.limits.memoryBytes);
      rt.setMaxStackSize(this.limits.stackBytes);
      const deadline = Date.now() + this.limits.deadlineMs;
      rt.setInterruptHandler(() => (timedOut ||= Date.now() > deadline));
      const ctx = rt.newContext();
      try {
        const host = ctx.newFunction('ccf', (op, argsText) => this.host(ctx, scope, ctx.getString(op), ctx.getString(argsText)));
        ctx.setProp(ctx.global, '__ccfHost', host);
        host.dispose();
        const fail = (error: QuickJSHandle): never => {
          const dumped: unknown = ctx.dump(error);
          error.dispose();
          throw new ConstitutionError(scope.refusal ?? this.failure(hook, dumped, timedOut));
        };
        const evaluate = (code: string, file: string): QuickJSHandle => {
          const result = ctx.evalCode(code, file);
          if (result.error) return fail(result.error);
          handles.push(result.value);
          return result.value;
        };
        const invoke = evaluate(PRELUDE, 'ccf-prelude.js');
        evaluate(this.source, 'constitution.js');
        if (scope.refusal) throw new ConstitutionError(scope.refusal);
        if (hook === 'load') {
          const types = ctx.dump(evaluate('[typeof validate, typeof resolve, typeof apply]', 'check.js')) as string[];
          const missing = HOOKS.filter((_, i) => types[i] !== 'function');
          if (missing.length > 0) throw new ConstitutionError(`the constitution does not define ${missing.map((name) => `${name}()`).join(', ')}`);
          return undefined;
        }
        const fn = evaluate(`typeof ${hook} === 'function' ? ${hook} : undefined`, 'hook.js');
        if (ctx.typeof(fn) !== 'function') throw new ConstitutionError(`the constitution does not define ${hook}()`);
        const argsHandle = ctx.newString(JSON.stringify(args));
        handles.push(argsHandle);
        const result = ctx.callFunction(invoke, ctx.undefined, fn, argsHandle);
        if (result.error) return fail(result.error);
        handles.push(result.value);
        if (scope.refusal) throw new ConstitutionError(scope.refusal);
        const text = ctx.typeof(result.value) === 'string' ? ctx.getString(result.value) : undefined;
        return text === undefined ? undefined : JSON.parse(text);
      } catch (e) {
        if (e instanceof ConstitutionError) throw e;
        // The host's own stack ran out inside the sandbox (or the wasm trapped): that
        // module's state is no longer trustworthy; drop it, never dispose into it.
        poisoned = true;
        modules.discard(module);
        const stack = e instanceof RangeError && /call stack/.test(e.message);
        throw new ConstitutionError(stack ? `${hookLabel(hook)} overflowed the stack` : `${hookLabel(hook)} broke the sandbox: ${String(e)}`);
      } finally {
        if (!poisoned) {
          for (const handle of handles) handle.dispose();
          ctx.dispose();
        }
      }
    } finally {
      if (!poisoned) rt.dispose();
    }
  }

  private failure(hook: Hook, dumped: unknown, timedOut: boolean): string {
    const label = hookLabel(hook);
    if (timedOut) return `${label} ran past its ${this.limits.deadlineMs} ms deadline`;
    const { name, message } = typeof dumped === 'object' && dumped !== null ? (dumped as { name?: unknown; message?: unknown }) : { name: undefined, message: undefined };
    if (name === 'InternalError' && message === 'out of memory') return `${label} ran out of memory (${formatBytes(this.limits.memoryBytes)} limit)`;
    if (message === 'stack overflow' || message === 'Maximum call stack size exceeded') return `${label} overflowed its stack (${formatBytes(this.limits.stackBytes)} limit)`;
    if (typeof message === 'string') return `${hook === 'load' ? 'the constitution failed to load' : `${hook} threw`}: ${name === 'Error' || typeof name !== 'string' ? '' : `${name}: `}${message}`;
    return `${hook === 'load' ? 'the constitution failed to load' : `${hook} threw`}: ${describeValue(dumped)}`;
  }

  /** The `ccf` object's one way out: `op` with JSON arguments; returns JSON text, or throws into the sandbox. */
  private host(ctx: QuickJSContext, scope: CallScope, op: string, argsText: string): QuickJSHandle | { error: QuickJSHandle } {
    try {
      const text = this.hostOp(scope, op, JSON.parse(argsText) as unknown[]);
      return text === undefined ? ctx.undefined : ctx.newString(text);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      return { error: ctx.newError({ name: error.name, message: error.message }) };
    }
  }

  private hostOp(scope: CallScope, op: string, args: unknown[]): string | undefined {
    const { hook } = scope;
    const refuse = (message: string): never => {
      scope.refusal ??= message;
      throw new Error(message);
    };
    if (op.startsWith('kv.')) {
      const [table, key] = args;
      if (typeof table !== 'string') throw new TypeError(`ccf.${op}: the table name must be a string`);
      const write = op === 'kv.set' || op === 'kv.delete';
      if (!scope.read) refuse(`${hookLabel(hook)} tried to use ccf.${op} on ${table}: ccf.kv is not available in ${hook === 'load' ? "the constitution's top level" : hook}`);
      const def = this.readable.get(table);
      if (!write && !def) refuse(`${hook} tried to read ${table}, which the constitution may not read`);
      if (write && !this.writable.has(table)) refuse(`${hook} tried to write ${table}, which the constitution may not write`);
      if (write && !scope.overlay) refuse(`${hook} tried to write ${table}: only apply may write`);
      const map = scope.read!.map(def!);
      if (op === 'kv.keys') return JSON.stringify([...map.entries()].map(([k]) => k));
      if (op === 'kv.entries') return JSON.stringify([...map.entries()]);
      checkKey(def!, key, op);
      if (op === 'kv.get') return jsonText(map.get(key as string | number));
      if (op === 'kv.has') return JSON.stringify(map.has(key as string | number));
      const overlayMap = scope.overlay!.map(def!);
      if (op === 'kv.delete') overlayMap.delete(key as string | number);
      else if (op === 'kv.set') {
        if (typeof args[2] !== 'string') throw new TypeError('ccf.kv.set: the value is not JSON');
        overlayMap.set(key as string | number, JSON.parse(args[2]));
      } else throw new TypeError(`ccf.${op} does not exist`);
      return undefined;
    }
    if (!scope.overlay) refuse(`${hookLabel(hook)} tried to call ccf.${op}: only apply may`);
    const tx = scope.overlay!;
    const nodeId = args[0];
    if ((op === 'node.trust' || op === 'node.retire') && typeof nodeId !== 'string') throw new TypeError(`ccf.${op}: the node id must be a string`);
    if (op === 'node.trust') trustPendingNode(tx, nodeId as string, scope.nowMs!);
    else if (op === 'node.retire') retireNode(tx, nodeId as string);
    else if (op === 'service.open') openService(tx);
    else if (op === 'snapshot.trigger') scope.effects!.triggerSnapshot = true;
    else throw new TypeError(`ccf.${op} does not exist`);
    return undefined;
  }
}

interface CallScope {
  hook: Hook;
  /** where ccf.kv reads: none in validate and at load */
  read?: ReadOnlyTransaction;
  /** apply's pending writes */
  overlay?: Overlay;
  nowMs?: number;
  effects?: ApplyEffects;
  /** the first refused access: the call fails with it even if the JS caught the exception */
  refusal?: string;
}

function hookLabel(hook: Hook): string {
  return hook === 'load' ? 'the constitution' : hook;
}

function checkKey(def: AnyMap, key: unknown, op: string): void {
  if (def.key === uintCodec) {
    if (!Number.isSafeInteger(key) || (key as number) < 0) throw new TypeError(`ccf.${op}: ${def.name} has integer keys (0 for its single entry), not ${describeValue(key)}`);
  } else if (typeof key !== 'string') throw new TypeError(`ccf.${op}: ${def.name} has string keys, not ${describeValue(key)}`);
}

function jsonText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

// Runs first in every context: takes the host function out of reach, builds `ccf` over it,
// removes the clock, randomness and garbage-collection timing (the same decision on every
// node, and on replay), and returns the invoker the host calls hooks through (JSON text
// in, JSON text out).
const PRELUDE = `(function (host) {
  'use strict';
  delete globalThis.__ccfHost;
  const parse = JSON.parse, stringify = JSON.stringify, freeze = Object.freeze;
  const call = (op, args) => { const text = host(op, stringify(args)); return text === undefined ? undefined : parse(text); };
  const json = (value) => {
    const text = stringify(value);
    if (text === undefined) throw new TypeError('ccf.kv.set: the value is not JSON (undefined, a function or a symbol)');
    return text;
  };
  globalThis.ccf = freeze({
    kv: freeze({
      get: (table, key) => call('kv.get', [table, key]),
      has: (table, key) => call('kv.has', [table, key]),
      keys: (table) => call('kv.keys', [table]),
      entries: (table) => call('kv.entries', [table]),
      set: (table, key, value) => { call('kv.set', [table, key, json(value)]); },
      delete: (table, key) => { call('kv.delete', [table, key]); },
    }),
    node: freeze({ trust: (nodeId) => { call('node.trust', [nodeId]); }, retire: (nodeId) => { call('node.retire', [nodeId]); } }),
    service: freeze({ open: () => { call('service.open', []); } }),
    snapshot: freeze({ trigger: () => { call('snapshot.trigger', []); } }),
  });
  const refuse = (what) => function () { throw new Error(what + ' is not available to the constitution: its decisions must not depend on the clock or chance'); };
  const NoDate = refuse('Date');
  NoDate.now = refuse('Date.now');
  NoDate.parse = refuse('Date.parse');
  NoDate.UTC = refuse('Date.UTC');
  Object.defineProperty(globalThis, 'Date', { value: freeze(NoDate), writable: false, configurable: false });
  Object.defineProperty(Math, 'random', { value: refuse('Math.random'), writable: false, configurable: false });
  // what these see depends on when the collector ran
  delete globalThis.WeakRef;
  delete globalThis.FinalizationRegistry;
  return (hook, argsText) => stringify(hook(...parse(argsText)));
})(globalThis.__ccfHost)`;

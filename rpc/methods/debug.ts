// debug_traceCall and debug_traceTransaction, as geth answers them with its `callTracer`
// or its default struct logger, as far as the caller may read (evm-adapter/tracing.ts).
// A transaction the caller may not see is answered as an unknown one.
import { ErrorCode, EvmError, invalidParams } from '../../evm-adapter/errors.js';
import type { EvmService } from '../../evm-adapter/service.js';
import type { TraceOptions } from '../../evm-adapter/tracing.js';
import { parseHash, parseStateAt, positional } from '../hex.js';
import { parseCallRequest, type Method } from './eth.js';

export function debugMethods(evm: EvmService): Record<string, Method> {
  return {
    debug_traceCall: (p, caller) => {
      const [request, tag, config] = positional(p, 1, 3);
      const options = parseTraceConfig(config);
      const overrides = (config as { stateOverrides?: unknown } | undefined)?.stateOverrides;
      return evm.traceCall(parseCallRequest(request, overrides), parseStateAt(tag), caller, options);
    },
    debug_traceTransaction: async (p, caller) => {
      const [hash, config] = positional(p, 1, 2);
      const trace = await evm.traceTransaction(parseHash(hash, 'transactionHash'), caller, parseTraceConfig(config));
      // (geth's answer for a hash it does not know)
      if (!trace) throw new EvmError(ErrorCode.Rejected, 'transaction not found');
      return trace;
    },
  };
}

function parseTraceConfig(value: unknown): TraceOptions {
  if (value === undefined || value === null) return { tracer: 'structLogger' };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParams('trace config must be an object');
  const c = value as Record<string, unknown>;
  const flag = (name: string, v: unknown) => {
    if (v !== undefined && typeof v !== 'boolean') throw invalidParams(`${name} must be a boolean`);
    return v === true;
  };
  if (c.tracer === 'callTracer') {
    const tc = (c.tracerConfig ?? {}) as Record<string, unknown>;
    if (typeof tc !== 'object' || Array.isArray(tc)) throw invalidParams('tracerConfig must be an object');
    return { tracer: 'callTracer', onlyTopCall: flag('tracerConfig.onlyTopCall', tc.onlyTopCall) };
  }
  if (c.tracer !== undefined && c.tracer !== null && c.tracer !== '') {
    throw invalidParams(`tracer ${JSON.stringify(c.tracer)} is not supported here: use "callTracer" or none (the struct logger)`);
  }
  return { tracer: 'structLogger', disableStack: flag('disableStack', c.disableStack), enableMemory: flag('enableMemory', c.enableMemory) };
}

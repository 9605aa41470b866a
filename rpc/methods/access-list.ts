// eth_createAccessList: the EIP-2930 access list of a message, run as eth_call runs it (as
// its caller: evm-adapter/service.ts), with the gas it uses with that list. Storage slots are
// listed only of contracts the caller may read.
import type { EvmService } from '../../evm-adapter/service.js';
import { parseStateAt, positional, quantity } from '../hex.js';
import { parseCallRequest, type Method } from './eth.js';

export function accessListMethods(evm: EvmService): Record<string, Method> {
  return {
    eth_createAccessList: async (p, caller) => {
      const [request, tag] = positional(p, 1, 2);
      const { accessList, gasUsed, error } = await evm.createAccessList(parseCallRequest(request, undefined), parseStateAt(tag), caller);
      return { accessList, gasUsed: quantity(gasUsed), ...(error !== undefined ? { error } : {}) };
    },
  };
}

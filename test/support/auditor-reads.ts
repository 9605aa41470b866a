// What EVM tests read: everything, as the service's auditor sees it (a user with role
// 'auditor' that usersGenesis registers), so that tests about execution are not tests of
// the read policy; calls run as their `from`, as a session for it would.
import { bytesToHex } from '@ethereumjs/util';
import { ANONYMOUS, sessionCaller } from '../../evm-adapter/access/caller.js';
import type { CallRequest } from '../../evm-adapter/calls.js';
import type { LogFilter } from '../../evm-adapter/queries.js';
import type { BlockTag, EvmService, StateAt } from '../../evm-adapter/service.js';

/** Registered by usersGenesis with role 'auditor'; no key: tests only read as it. */
export const TEST_AUDITOR = '0x00000000000000000000000000000000000a0d17';

export function reads(evm: EvmService) {
  const auditor = sessionCaller(TEST_AUDITOR);
  const callerOf = (request: CallRequest) => (request.from ? sessionCaller(bytesToHex(request.from)) : ANONYMOUS);
  return {
    auditor,
    async receipt(hash: Uint8Array) {
      const shown = await evm.receipt(hash, auditor);
      return shown && { record: shown.entry.record, receipt: shown.entry.receipt, blockHash: shown.block.hash };
    },
    async block(tag: BlockTag) {
      return (await evm.block(tag, auditor))?.block;
    },
    async blockTransactions(number: number) {
      return (await evm.block(number, auditor))!.transactions.map((t) => ({ hash: t.hash }));
    },
    async transaction(hash: Uint8Array) {
      return (await evm.transaction(hash, auditor))?.view;
    },
    balance: (address: Uint8Array, tag: StateAt) => evm.balance(address, tag, auditor),
    nonce: (address: Uint8Array, tag: StateAt) => evm.nonce(address, tag, auditor),
    code: (address: Uint8Array, tag: StateAt) => evm.code(address, tag, auditor),
    logs: (filter: LogFilter) => evm.logs(filter, auditor),
    call: (request: CallRequest, tag: StateAt) => evm.call(request, tag, callerOf(request)),
    estimateGas: (request: CallRequest, tag: StateAt) => evm.estimateGas(request, tag, callerOf(request)),
  };
}

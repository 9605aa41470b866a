// Errors the EVM adapter reports to clients, with the JSON-RPC codes geth uses.

export const enum ErrorCode {
  /** execution reverted; data carries the revert bytes */
  ExecutionReverted = 3,
  InvalidParams = -32602,
  /** geth's catch-all for rejected transactions and failed calls */
  Rejected = -32000,
  /** state or history this node does not keep */
  ResourceUnavailable = -32002,
  /**
   * EIP-1474 "transaction rejected": the network does not let this sender do this (the
   * service is not open, the sender is no user, may not deploy), whatever the transaction.
   */
  TransactionRejected = -32003,
  /** EIP-1474 "method not supported": a standard method that makes no sense on this node */
  MethodNotSupported = -32004,
}

export class EvmError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** 0x-hex revert data, for code 3 */
    readonly data?: string,
  ) {
    super(message);
    this.name = 'EvmError';
  }
}

export const rejected = (message: string) => new EvmError(ErrorCode.Rejected, message);
export const notPermitted = (message: string) => new EvmError(ErrorCode.TransactionRejected, message);
export const invalidParams = (message: string) => new EvmError(ErrorCode.InvalidParams, message);
export const unsupported = (message: string) => new EvmError(ErrorCode.MethodNotSupported, message);

// Ethereum block headers for sealed blocks, encoded as the hardfork's header RLP. Built
// from a template made once, because constructing a BlockHeader copies the chain
// configuration each time (a measurable share of a small block's cost).
import { createBlockHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import { bigIntToUnpaddedBytes } from '@ethereumjs/util';
import { keccak256 } from './common.js';

/** Positions in the header list (Yellow Paper order, then fork additions). */
export const enum HeaderField {
  ParentHash = 0,
  UncleHash = 1,
  Coinbase = 2,
  StateRoot = 3,
  TransactionsRoot = 4,
  ReceiptsRoot = 5,
  LogsBloom = 6,
  Difficulty = 7,
  Number = 8,
  GasLimit = 9,
  GasUsed = 10,
  Timestamp = 11,
  ExtraData = 12,
  MixHash = 13,
  Nonce = 14,
  BaseFee = 15,
  WithdrawalsRoot = 16,
  BlobGasUsed = 17,
  ExcessBlobGas = 18,
  ParentBeaconBlockRoot = 19,
  RequestsHash = 20,
}

export interface HeaderFields {
  parentHash: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: bigint;
  baseFeePerGas: bigint;
}

export class HeaderBuilder {
  private readonly template: Uint8Array[];

  constructor(common: Common) {
    this.template = createBlockHeader({ baseFeePerGas: 0n }, { common, skipConsensusFormatValidation: true }).raw() as Uint8Array[];
  }

  /** The header's RLP encoding and its hash. */
  build(fields: HeaderFields): { rlp: Uint8Array; hash: Uint8Array } {
    const raw = this.template.slice();
    raw[HeaderField.ParentHash] = fields.parentHash;
    raw[HeaderField.StateRoot] = fields.stateRoot;
    raw[HeaderField.TransactionsRoot] = fields.transactionsRoot;
    raw[HeaderField.ReceiptsRoot] = fields.receiptsRoot;
    raw[HeaderField.LogsBloom] = fields.logsBloom;
    raw[HeaderField.Number] = bigIntToUnpaddedBytes(fields.number);
    raw[HeaderField.GasLimit] = bigIntToUnpaddedBytes(fields.gasLimit);
    raw[HeaderField.GasUsed] = bigIntToUnpaddedBytes(fields.gasUsed);
    raw[HeaderField.Timestamp] = bigIntToUnpaddedBytes(fields.timestamp);
    raw[HeaderField.BaseFee] = bigIntToUnpaddedBytes(fields.baseFeePerGas);
    const rlp = RLP.encode(raw);
    return { rlp, hash: keccak256(rlp) };
  }
}

/** The fields of an encoded header, by position. */
export function decodeHeader(rlp: Uint8Array): Uint8Array[] {
  return RLP.decode(rlp) as Uint8Array[];
}

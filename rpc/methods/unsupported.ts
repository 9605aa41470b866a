// Standard methods that make no sense on this node: each answers EIP-1474's -32004 "method
// not supported" with the reason, so that a client learns why instead of guessing from
// -32601 (unknown method).
import { unsupported } from '../../evm-adapter/errors.js';
import type { Method } from './eth.js';

const NO_KEYS = 'the node holds no user keys: sign locally (your wallet) and use eth_sendRawTransaction';
const NO_MINING = 'ccevm seals blocks by consensus among its members: there is no mining, no coinbase and no hash rate';

const REASONS: Record<string, string> = {
  eth_getProof: 'there is no state trie: accounts and storage are key-value tables, so no Merkle proof exists; ledger receipts (ccevm_getLedgerReceipt) prove transactions instead',
  eth_sendTransaction: NO_KEYS,
  eth_sign: NO_KEYS,
  eth_signTransaction: NO_KEYS,
  eth_signTypedData: NO_KEYS,
  eth_signTypedData_v3: NO_KEYS,
  eth_signTypedData_v4: NO_KEYS,
  eth_fillTransaction: 'the node holds no user keys and fills in no transactions: your wallet or library fills in nonce, gas and fees',
  eth_mining: NO_MINING,
  eth_hashrate: NO_MINING,
  eth_coinbase: NO_MINING,
  eth_getWork: NO_MINING,
  eth_submitWork: NO_MINING,
  eth_submitHashrate: NO_MINING,
  eth_blobBaseFee: 'the service carries no blobs (EIP-4844 blob transactions are refused)',
  eth_getStorageValues: 'contract storage is confidential; read it through the contract',
};

export function unsupportedMethods(): Record<string, Method> {
  return Object.fromEntries(
    Object.entries(REASONS).map(([name, reason]) => [
      name,
      () => {
        throw unsupported(`${name} is not supported here: ${reason}`);
      },
    ]),
  );
}

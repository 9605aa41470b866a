// The execution-apis schema validator (test/support/rpc-schema.ts): it accepts realistic
// answers of the kind geth gives, rejects subtly wrong ones, and pins down where the spec's own
// examples disagree with its schemas.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  checkSpecExamples,
  dereference,
  getMethod,
  loadSpec,
  methodNames,
  validateParams,
  validateResult,
  type ValidationResult,
} from '../support/rpc-schema.js';

/** A deterministic 32-byte hash, lowercase hex. */
const h = (tag: string) => '0x' + createHash('sha256').update(tag).digest('hex');
/** A deterministic 20-byte address, lowercase hex. */
const a = (tag: string) => h(tag).slice(0, 42);
const EMPTY_BLOOM = '0x' + '00'.repeat(256);
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
const clone = <T>(x: T): T => structuredClone(x);

function ok(r: ValidationResult, what: string): void {
  assert.ok(r.valid, `${what} should be valid, got:\n${r.errors}`);
  assert.equal(r.errors, '');
}
function bad(r: ValidationResult, what: string, mention?: RegExp): void {
  assert.ok(!r.valid, `${what} should be rejected`);
  assert.notEqual(r.errors, '');
  if (mention) assert.match(r.errors, mention, `${what}: errors should match ${mention}, got:\n${r.errors}`);
}
const result = (method: string, value: unknown) => validateResult(method, value);

const BLOCK_HASH = h('block 0x10');
const BLOCK_CONTEXT = { blockHash: BLOCK_HASH, blockNumber: '0x10', blockTimestamp: '0x6650f2a0' };

const legacyTx = {
  ...BLOCK_CONTEXT,
  type: '0x0',
  hash: h('tx legacy'),
  transactionIndex: '0x0',
  from: a('alice'),
  to: a('bob'),
  nonce: '0x0',
  gas: '0x5208',
  gasPrice: '0x3b9aca00',
  value: '0xde0b6b3a7640000',
  input: '0x',
  chainId: '0x539',
  v: '0xa95', // EIP-155: 1337 * 2 + 35
  r: '0x2da1c48b670996dcb1f447ef9ef00b33033c48a4fe938f420bec3e56bfd24071',
  s: '0x62e0aa78a81bf0290afbc3a9d8e9a068e6d74caa66c5e0fa8a46deaae96b0833',
};

const accessListTx = {
  ...BLOCK_CONTEXT,
  type: '0x1',
  hash: h('tx 2930'),
  transactionIndex: '0x1',
  from: a('alice'),
  to: a('token'),
  nonce: '0x1',
  gas: '0x7a120',
  gasPrice: '0x3b9aca00',
  value: '0x0',
  input: '0xa9059cbb000000000000000000000000' + a('bob').slice(2) + '0'.repeat(62) + '64',
  chainId: '0x539',
  accessList: [{ address: a('token'), storageKeys: [h('slot 0'), h('slot 1')] }],
  yParity: '0x1',
  v: '0x1',
  r: '0x9b1e5b0b1e9f4ea6dd5f4b8ee4b09ce5e5ab0b3f12c34bde7a01c2b7f6a0f3c1',
  s: '0x1f0c5a2a4c1b6f9b3f0b0d66d6a0f6f06c5b1e2a9d1a2a3b4c5d6e7f8091a2b3',
};

const dynamicFeeCreateTx = {
  ...BLOCK_CONTEXT,
  type: '0x2',
  hash: h('tx 1559'),
  transactionIndex: '0x2',
  from: a('carol'),
  to: null, // contract creation
  nonce: '0x7',
  gas: '0x1e8480',
  maxFeePerGas: '0x77359400',
  maxPriorityFeePerGas: '0x3b9aca00',
  gasPrice: '0x59682f07', // effective price once mined
  value: '0x0',
  input: '0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe6080604052600080fdfea164736f6c634300081c000a',
  chainId: '0x539',
  accessList: [],
  yParity: '0x0',
  v: '0x0',
  r: '0x5c1e8ab3f0d2c7d5e1b2a3f4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8',
  s: '0x3a8bf0a1c6e4d2b5f7091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f',
};

const block = {
  number: '0x10',
  hash: BLOCK_HASH,
  parentHash: h('block 0xf'),
  mixHash: h('prevrandao 0x10'),
  nonce: '0x0000000000000000',
  sha3Uncles: EMPTY_UNCLES,
  logsBloom: EMPTY_BLOOM,
  transactionsRoot: h('txs root'),
  stateRoot: h('state root'),
  receiptsRoot: h('receipts root'),
  miner: a('coinbase'),
  difficulty: '0x0',
  totalDifficulty: '0x0', // not in the spec; extra block fields are allowed
  extraData: '0x',
  size: '0x3e8',
  gasLimit: '0x1c9c380',
  gasUsed: '0x2c1a4',
  timestamp: '0x6650f2a0',
  baseFeePerGas: '0x7',
  withdrawalsRoot: '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
  withdrawals: [],
  blobGasUsed: '0x0',
  excessBlobGas: '0x0',
  parentBeaconBlockRoot: h('beacon root'),
  uncles: [],
  transactions: [legacyTx.hash, accessListTx.hash, dynamicFeeCreateTx.hash],
};
const hydratedBlock = { ...block, transactions: [legacyTx, accessListTx, dynamicFeeCreateTx] };

const log = {
  address: a('token'),
  topics: ['0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef', '0x' + '0'.repeat(24) + a('alice').slice(2), '0x' + '0'.repeat(24) + a('bob').slice(2)],
  data: '0x' + '0'.repeat(62) + '64',
  blockNumber: '0x10',
  blockHash: BLOCK_HASH,
  blockTimestamp: '0x6650f2a0',
  transactionHash: accessListTx.hash,
  transactionIndex: '0x1',
  logIndex: '0x0',
  removed: false,
};

const receipt = {
  type: '0x1',
  transactionHash: accessListTx.hash,
  transactionIndex: '0x1',
  blockHash: BLOCK_HASH,
  blockNumber: '0x10',
  from: a('alice'),
  to: a('token'),
  cumulativeGasUsed: '0x1a0b4',
  gasUsed: '0xc8a4',
  contractAddress: null,
  logs: [log],
  logsBloom: '0x' + '00'.repeat(100) + '10' + '00'.repeat(155),
  status: '0x1',
  effectiveGasPrice: '0x3b9aca00',
};

const creationReceipt = {
  ...receipt,
  type: '0x2',
  transactionHash: dynamicFeeCreateTx.hash,
  transactionIndex: '0x2',
  from: a('carol'),
  to: null,
  contractAddress: a('new contract'),
  logs: [],
  logsBloom: EMPTY_BLOOM,
  status: '0x0',
};

describe('rpc-schema: loading the execution-apis spec', () => {
  it('assembles methods and components.schemas from the YAML files', () => {
    const spec = loadSpec();
    for (const name of ['Block', 'TransactionInfo', 'ReceiptInfo', 'Log', 'uint', 'hash32', 'address', 'bytes', 'FilterResults', 'SyncingStatus']) {
      assert.ok(name in spec.schemas, `components.schemas.${name}`);
    }
    assert.equal(spec.document.methods.length, spec.methods.size);
    assert.ok('GasErrors' in spec.errorGroups);
    assert.equal(getMethod('eth_getBalance')!.file, 'eth/state.yaml');
    assert.deepEqual(
      getMethod('eth_getBalance')!.params.map((p) => [p.name, p.required]),
      [['Address', true], ['Block', false]],
    );
  });

  it('lists every method; web3_* and net_listening are not in the spec', () => {
    const names = methodNames();
    assert.ok(names.length >= 40);
    assert.deepEqual(names, [...names].sort());
    for (const m of ['eth_chainId', 'eth_getBlockByNumber', 'eth_getLogs', 'net_version']) assert.ok(names.includes(m), m);
    for (const m of ['web3_clientVersion', 'net_listening']) {
      assert.ok(!names.includes(m), m);
      assert.throws(() => validateResult(m, 'x'), /not in the execution-apis spec/);
    }
  });

  it('has a result schema for every method ccevm serves that the spec covers', () => {
    const served = [
      'web3_clientVersion', 'net_version', 'net_listening', 'eth_chainId', 'eth_blockNumber', 'eth_syncing',
      'eth_accounts', 'eth_gasPrice', 'eth_maxPriorityFeePerGas', 'eth_feeHistory', 'eth_getBalance',
      'eth_getTransactionCount', 'eth_getCode', 'eth_call', 'eth_estimateGas', 'eth_sendRawTransaction',
      'eth_getTransactionByHash', 'eth_getTransactionReceipt', 'eth_getBlockByNumber', 'eth_getBlockByHash',
      'eth_getBlockTransactionCountByNumber', 'eth_getLogs', 'eth_newFilter', 'eth_newBlockFilter',
      'eth_getFilterChanges', 'eth_getFilterLogs', 'eth_uninstallFilter',
    ];
    const without = served.filter((m) => getMethod(m)?.result === undefined);
    assert.deepEqual(without, ['web3_clientVersion', 'net_listening']);
  });

  it('dereferences the block schema completely (no cycles)', () => {
    const text = JSON.stringify(dereference(getMethod('eth_getBlockByNumber')!.result!.schema));
    assert.ok(!text.includes('$ref'));
    assert.ok(text.includes('^0x[0-9a-f]{64}$'));
  });
});

describe('rpc-schema: realistic results are accepted', () => {
  it('scalars: eth_chainId, eth_blockNumber, eth_getBalance, eth_gasPrice, net_version, eth_accounts', () => {
    ok(result('eth_chainId', '0x539'), 'chainId');
    ok(result('eth_chainId', '0x1'), 'chainId 1');
    ok(result('eth_blockNumber', '0x0'), 'blockNumber 0');
    ok(result('eth_getBalance', '0x0'), 'zero balance');
    ok(result('eth_getBalance', '0xd3c21bcecceda1000000'), 'a million ether');
    ok(result('eth_gasPrice', '0x3b9aca00'), 'gasPrice');
    ok(result('eth_maxPriorityFeePerGas', '0x0'), 'maxPriorityFeePerGas');
    ok(result('eth_getTransactionCount', '0x2a'), 'nonce');
    ok(result('eth_estimateGas', '0x5208'), 'estimateGas');
    ok(result('eth_getCode', '0x'), 'no code');
    ok(result('eth_call', '0x' + '0'.repeat(63) + '1'), 'call');
    ok(result('eth_sendRawTransaction', legacyTx.hash), 'tx hash');
    ok(result('net_version', '1337'), 'net_version (decimal)');
    ok(result('eth_accounts', []), 'no accounts');
    ok(result('eth_accounts', ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed']), 'checksummed account');
    ok(result('eth_uninstallFilter', true), 'uninstallFilter');
    ok(result('eth_newFilter', '0x1'), 'filter id');
    ok(result('eth_newBlockFilter', '0x9d1a4c22f0e14b3cb8a3f7e2c5d6a1b0'), 'random 16-byte filter id without a leading zero');
  });

  it('eth_syncing: false, and a progress object', () => {
    ok(result('eth_syncing', false), 'not syncing');
    ok(result('eth_syncing', { startingBlock: '0x0', currentBlock: '0x1518', highestBlock: '0x9567a3' }), 'syncing');
  });

  it('eth_getBlockByNumber / ByHash: transaction hashes, full transactions, null', () => {
    for (const m of ['eth_getBlockByNumber', 'eth_getBlockByHash']) {
      ok(result(m, block), `${m} with hashes`);
      ok(result(m, hydratedBlock), `${m} with legacy, 2930 and 1559 transactions`);
      ok(result(m, { ...block, transactions: [] }), `${m} empty block`);
      ok(result(m, null), `${m} unknown block`);
    }
    // The pre-Shanghai/pre-London shape: no baseFeePerGas, withdrawals, blob fields.
    const { baseFeePerGas: _b, withdrawals: _w, withdrawalsRoot: _wr, blobGasUsed: _bg, excessBlobGas: _eb, parentBeaconBlockRoot: _p, ...old } = block;
    ok(result('eth_getBlockByNumber', old), 'block without optional fork fields');
    ok(result('eth_getBlockByNumber', { ...block, withdrawals: [{ index: '0x0', validatorIndex: '0x9d8c0', address: a('validator'), amount: '0x11a33e3760' }] }), 'withdrawals');
    ok(result('eth_getBlockTransactionCountByNumber', '0x3'), 'tx count');
    ok(result('eth_getBlockTransactionCountByNumber', null), 'tx count of unknown block');
  });

  it('eth_getTransactionByHash: each transaction type, and null', () => {
    ok(result('eth_getTransactionByHash', legacyTx), 'legacy');
    const { chainId: _c, ...preEip155 } = legacyTx;
    ok(result('eth_getTransactionByHash', { ...preEip155, v: '0x1b' }), 'legacy without chainId (pre-EIP-155)');
    ok(result('eth_getTransactionByHash', accessListTx), 'EIP-2930');
    ok(result('eth_getTransactionByHash', dynamicFeeCreateTx), 'EIP-1559 contract creation');
    ok(result('eth_getTransactionByHash', { ...dynamicFeeCreateTx, to: a('bob'), input: '0x' }), 'EIP-1559 transfer');
    ok(result('eth_getTransactionByHash', null), 'unknown tx');
  });

  it('eth_getTransactionReceipt: call with a log, failed contract creation, null', () => {
    ok(result('eth_getTransactionReceipt', receipt), 'receipt');
    ok(result('eth_getTransactionReceipt', creationReceipt), 'creation receipt');
    ok(result('eth_getTransactionReceipt', null), 'no receipt');
  });

  it('eth_getLogs / eth_getFilterLogs / eth_getFilterChanges', () => {
    const { blockTimestamp: _t, ...logWithoutTimestamp } = log;
    for (const m of ['eth_getLogs', 'eth_getFilterLogs', 'eth_getFilterChanges']) {
      ok(result(m, [log, { ...log, logIndex: '0x1', topics: [], data: '0x' }]), `${m} logs`);
      ok(result(m, [logWithoutTimestamp]), `${m} log without blockTimestamp`);
      ok(result(m, []), `${m} nothing new`);
    }
    ok(result('eth_getFilterChanges', [BLOCK_HASH, h('block 0x11')]), 'block filter changes');
  });

  it('eth_feeHistory: with and without rewards, with blob fields', () => {
    ok(result('eth_feeHistory', { oldestBlock: '0xe', baseFeePerGas: ['0x7', '0x7', '0x7'], gasUsedRatio: [0, 0.0173] }), 'no rewards');
    ok(
      result('eth_feeHistory', {
        oldestBlock: '0xe',
        baseFeePerGas: ['0x3b9aca00', '0x3a13012a', '0x3e36f20a'],
        gasUsedRatio: [0.5, 1],
        reward: [['0x0', '0x3b9aca00'], ['0x0', '0x0']],
        baseFeePerBlobGas: ['0x1', '0x1', '0x1'],
        blobGasUsedRatio: [0, 0],
      }),
      'full',
    );
  });
});

describe('rpc-schema: subtly wrong results are rejected', () => {
  it('quantities: leading zeros, uppercase, empty, missing 0x, numbers, negative', () => {
    bad(result('eth_chainId', '0x01'), 'leading zero', /pattern/);
    bad(result('eth_blockNumber', '0x00'), 'zero with leading zero');
    bad(result('eth_blockNumber', '0x'), 'empty quantity');
    bad(result('eth_getBalance', '0xDE0B6B3A7640000'), 'uppercase quantity');
    bad(result('eth_getBalance', '0XDE0'), 'uppercase prefix');
    bad(result('eth_getBalance', 'de0b6b3a7640000'), 'no prefix');
    bad(result('eth_chainId', 1337), 'number', /must be string/);
    bad(result('eth_blockNumber', '16'), 'decimal string');
    bad(result('eth_getBalance', '-0x1'), 'negative');
    bad(result('eth_gasPrice', null), 'null where a value is required');
    bad(result('net_version', '0x539'), 'net_version must be decimal');
    bad(result('net_version', '01337'), 'net_version with a leading zero');
  });

  it('data: odd length, uppercase, missing prefix', () => {
    bad(result('eth_getCode', '0x6080604'), 'odd-length code', /pattern/);
    bad(result('eth_call', '0xABCD'), 'uppercase data');
    bad(result('eth_call', ''), 'empty string instead of 0x');
    bad(result('eth_sendRawTransaction', h('x').slice(0, -1)), 'odd-length (63 digit) hash');
    bad(result('eth_sendRawTransaction', h('x') + '00'), '33-byte hash');
    bad(result('eth_sendRawTransaction', h('x').toUpperCase().replace('0X', '0x')), 'uppercase hash');
  });

  it('addresses: wrong length, missing prefix (mixed-case checksums are fine)', () => {
    bad(result('eth_accounts', [a('x').slice(0, -2)]), '19-byte address', /result\/0 must match pattern/);
    bad(result('eth_accounts', [a('x') + 'aa']), '21-byte address');
    bad(result('eth_accounts', [a('x').slice(2)]), 'address without 0x');
    bad(result('eth_accounts', a('x')), 'single address instead of a list', /must be array/);
    bad(result('eth_getBlockByNumber', { ...block, miner: a('x').slice(0, 41) }), 'odd-length miner', /result\/miner must match pattern/);
  });

  it('blocks: missing required fields, wrong types, bad nested transactions', () => {
    for (const field of ['hash', 'parentHash', 'mixHash', 'nonce', 'size', 'uncles', 'transactions', 'logsBloom', 'sha3Uncles', 'extraData']) {
      const b: Record<string, unknown> = clone(block);
      delete b[field];
      bad(result('eth_getBlockByNumber', b), `block without ${field}`, new RegExp(`required property '${field}'`));
    }
    bad(result('eth_getBlockByNumber', { ...block, nonce: '0x0' }), 'nonce must be 8 bytes', /result\/nonce/);
    bad(result('eth_getBlockByNumber', { ...block, logsBloom: '0x00' }), 'short bloom', /result\/logsBloom/);
    bad(result('eth_getBlockByNumber', { ...block, gasUsed: 180644 }), 'number gasUsed', /result\/gasUsed must be string/);
    bad(result('eth_getBlockByNumber', { ...block, timestamp: '0x06650f2a0' }), 'timestamp with leading zero', /result\/timestamp/);
    bad(result('eth_getBlockByNumber', { ...block, withdrawals: [{ index: '0x0', validatorIndex: '0x1', address: a('v'), amount: '0x1', extra: 1 }] }), 'withdrawal with extra field', /additional properties/);
    bad(result('eth_getBlockByNumber', {}), 'empty object');
    bad(result('eth_getBlockByNumber', false), 'false instead of null');

    const tx: Record<string, unknown> = clone(legacyTx);
    delete tx['blockTimestamp'];
    bad(result('eth_getBlockByNumber', { ...block, transactions: [tx] }), 'hydrated tx without blockTimestamp', /result\/transactions\/0 must have required property 'blockTimestamp'/);
    bad(result('eth_getBlockByNumber', { ...block, transactions: [legacyTx.hash, legacyTx] }), 'mixed hashes and objects');
  });

  it('transactions: per-type required fields and discriminator', () => {
    const without = (tx: Record<string, unknown>, field: string) => {
      const copy = clone(tx);
      delete copy[field];
      return copy;
    };
    for (const f of ['type', 'nonce', 'gas', 'value', 'input', 'gasPrice', 'v', 'r', 's', 'hash', 'from', 'blockHash', 'blockNumber', 'transactionIndex', 'blockTimestamp']) {
      bad(result('eth_getTransactionByHash', without(legacyTx, f)), `legacy without ${f}`);
    }
    for (const f of ['chainId', 'accessList', 'gasPrice', 'yParity']) {
      bad(result('eth_getTransactionByHash', without(accessListTx, f)), `2930 without ${f}`);
    }
    for (const f of ['chainId', 'accessList', 'maxFeePerGas', 'maxPriorityFeePerGas', 'gasPrice', 'yParity']) {
      bad(result('eth_getTransactionByHash', without(dynamicFeeCreateTx, f)), `1559 without ${f}`);
    }
    // optional: `to` (legacy, 2930, 1559), `chainId` (legacy), `v` (typed)
    ok(result('eth_getTransactionByHash', without(without(legacyTx, 'to'), 'chainId')), 'legacy without to/chainId');
    ok(result('eth_getTransactionByHash', without(dynamicFeeCreateTx, 'v')), '1559 without v');

    bad(result('eth_getTransactionByHash', { ...legacyTx, type: '0x00' }), 'type 0x00');
    bad(result('eth_getTransactionByHash', { ...legacyTx, type: '0x2' }), 'legacy fields under type 0x2');
    // yParity (and `v` of typed transactions, and the receipt's `type`) are `byte`: ^0x[0-9a-f]{1,2}$,
    // so the spec lets through 0x2 or even 0x01; it only stops more than one byte.
    ok(result('eth_getTransactionByHash', { ...dynamicFeeCreateTx, yParity: '0x01' }), 'yParity 0x01 is a `byte`');
    bad(result('eth_getTransactionByHash', { ...dynamicFeeCreateTx, yParity: '0x100' }), 'yParity 0x100', /result\/yParity/);
    bad(result('eth_getTransactionByHash', { ...legacyTx, r: '0x00' + legacyTx.r.slice(4) }), 'r padded with a leading zero byte', /result\/r/);
    bad(result('eth_getTransactionByHash', { ...accessListTx, accessList: [{ address: a('t') }] }), 'access list entry without storageKeys');
    bad(result('eth_getTransactionByHash', { ...accessListTx, accessList: [{ address: a('t'), storageKeys: [], x: 1 }] }), 'access list entry with an extra field');
    bad(result('eth_getTransactionByHash', { ...dynamicFeeCreateTx, to: '0x' }), 'creation with to = 0x');
  });

  it('explains a bad transaction against the closest variant only', () => {
    const r = result('eth_getTransactionByHash', { ...legacyTx, gasPrice: '0x03b9aca00' });
    bad(r, 'legacy tx with a padded gasPrice', /result\/gasPrice must match pattern/);
    assert.match(r.errors, /closest: Signed Legacy Transaction/);
    assert.doesNotMatch(r.errors, /authorizationList|maxFeePerGas|must be null/);
  });

  it('receipts: required fields, no extra fields, typed numbers', () => {
    for (const f of ['blockHash', 'blockNumber', 'from', 'cumulativeGasUsed', 'gasUsed', 'logs', 'logsBloom', 'transactionHash', 'transactionIndex', 'effectiveGasPrice']) {
      const r: Record<string, unknown> = clone(receipt);
      delete r[f];
      bad(result('eth_getTransactionReceipt', r), `receipt without ${f}`, new RegExp(`required property '${f}'`));
    }
    bad(result('eth_getTransactionReceipt', { ...receipt, gasUsed: 51364 }), 'number gasUsed', /result\/gasUsed must be string/);
    bad(result('eth_getTransactionReceipt', { ...receipt, status: '0x01' }), 'status 0x01');
    bad(result('eth_getTransactionReceipt', { ...receipt, status: true }), 'boolean status');
    bad(result('eth_getTransactionReceipt', { ...receipt, contractAddress: '0x' }), 'contractAddress 0x');
    bad(result('eth_getTransactionReceipt', { ...receipt, blockTimestamp: '0x6650f2a0' }), 'receipt with blockTimestamp (additionalProperties: false)', /additional properties \(blockTimestamp\)/);
    bad(result('eth_getTransactionReceipt', { ...receipt, logs: [{ ...log, topics: [h('t').slice(0, 40)] }] }), 'short topic', /result\/logs\/0\/topics\/0/);
  });

  it('logs, feeHistory, syncing', () => {
    bad(result('eth_getLogs', [{ ...log, logIndex: 0 }]), 'number logIndex');
    bad(result('eth_getLogs', [{ ...log, removed: 'false' }]), 'string removed');
    bad(result('eth_getLogs', [{ ...log, transactionLogIndex: '0x0' }]), 'extra log field (additionalProperties: false)');
    const { transactionHash: _h, ...noTxHash } = log;
    bad(result('eth_getLogs', [noTxHash]), 'log without transactionHash');
    bad(result('eth_getLogs', null), 'null instead of []');

    const fee = { oldestBlock: '0x1', baseFeePerGas: ['0x7', '0x7'], gasUsedRatio: [0.5] };
    bad(result('eth_feeHistory', { ...fee, oldestBlock: undefined }), 'feeHistory without oldestBlock');
    bad(result('eth_feeHistory', { ...fee, gasUsedRatio: [1.5] }), 'ratio above 1', /gasUsedRatio\/0/);
    bad(result('eth_feeHistory', { ...fee, gasUsedRatio: ['0.5'] }), 'ratio as string');
    bad(result('eth_feeHistory', { ...fee, reward: [['0x00']] }), 'reward 0x00');
    bad(result('eth_feeHistory', { ...fee, oldestblock: '0x1' }), 'misspelt key', /additional properties/);

    bad(result('eth_syncing', { startingBlock: '0x0', currentBlock: '0x1', highestBlock: '0x2', knownStates: '0x0' }), 'syncing with an extra field', /additional properties \(knownStates\)/);
    bad(result('eth_syncing', 'false'), 'string false');
    bad(result('eth_syncing', null), 'null');
  });
});

describe('rpc-schema: params', () => {
  const addr = a('alice');
  it('accepts what well-behaved clients send', () => {
    ok(validateParams('eth_getBlockByNumber', ['latest', false]), 'latest');
    ok(validateParams('eth_getBlockByNumber', ['0x10', true]), 'number, hydrated');
    ok(validateParams('eth_getBlockByHash', [BLOCK_HASH, false]), 'by hash');
    ok(validateParams('eth_getBalance', [addr]), 'block omitted');
    ok(validateParams('eth_getBalance', [addr, 'pending']), 'pending');
    ok(validateParams('eth_getBalance', [addr, BLOCK_HASH]), 'block hash (plain string form)');
    ok(validateParams('eth_getBalance', ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'latest']), 'checksummed');
    ok(validateParams('eth_call', [{ from: addr, to: a('token'), input: '0x70a08231' + '0'.repeat(24) + addr.slice(2) }, 'latest']), 'call with input');
    ok(validateParams('eth_estimateGas', [{ from: addr, to: a('bob'), value: '0x1' }]), 'estimateGas');
    ok(validateParams('eth_feeHistory', ['0x4', 'latest', [25, 75]]), 'feeHistory');
    ok(validateParams('eth_getLogs', [{ fromBlock: '0x1', toBlock: 'latest', address: [addr], topics: [h('e'), null, [h('a'), h('b')]] }]), 'range filter');
    ok(validateParams('eth_getLogs', [{ blockHash: BLOCK_HASH, address: addr }]), 'block hash filter');
    ok(validateParams('eth_getLogs', [{}]), 'empty filter');
    // The spec's by-block-hash filter has no additionalProperties: false, so it does not forbid
    // fromBlock/toBlock next to blockHash (geth answers that with an error).
    ok(validateParams('eth_getLogs', [{ blockHash: BLOCK_HASH, fromBlock: '0x1' }]), 'blockHash with a range');
    ok(validateParams('eth_newFilter', [{ fromBlock: 'earliest' }]), 'newFilter');
    ok(validateParams('eth_chainId', []), 'no params');
    ok(validateParams('eth_chainId', undefined), 'params omitted');
    ok(validateParams('eth_sendRawTransaction', ['0xf86c808504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0']), 'raw tx');
  });

  it('rejects what the spec does not allow', () => {
    bad(validateParams('eth_getBlockByNumber', ['latest']), 'missing hydrated flag', /params\/1 \(Hydrated transactions\) is required/);
    bad(validateParams('eth_getBlockByNumber', ['0x01', false]), 'leading zero block number');
    bad(validateParams('eth_getBlockByNumber', ['Latest', false]), 'capitalised tag');
    bad(validateParams('eth_getBlockByNumber', [16, false]), 'numeric block number');
    bad(validateParams('eth_getBlockByNumber', ['latest', false, 1]), 'too many', /at most 2/);
    bad(validateParams('eth_getBalance', []), 'no address');
    bad(validateParams('eth_getBalance', [addr, null]), 'explicit null block');
    bad(validateParams('eth_getBalance', [addr, { blockHash: BLOCK_HASH }]), 'EIP-1898 object form is not in the spec');
    bad(validateParams('eth_call', [{ to: a('token'), data: '0x70a08231' }, 'latest']), '`data` instead of `input`', /additional properties \(data\)/);
    bad(validateParams('eth_getLogs', [{ fromBlock: 'pending' }]), 'pending is not a range tag');
    bad(validateParams('eth_getLogs', [{ blockHash: 'latest' }]), 'blockHash given a tag');
    bad(validateParams('eth_getLogs', [{ address: a('x'), topics: [h('e')], extra: 1, fromBlock: '0x01' }]), 'range filter with a padded block');
    bad(validateParams('eth_getLogs', [{ topics: ['0x1234'] }]), 'short topic');
    bad(validateParams('eth_chainId', { x: 1 }), 'by-name params', /must be an array/);
  });
});

describe('rpc-schema: oneOf and bytes, practical vs exact', () => {
  it('an empty log list matches both FilterResults branches: only exact oneOf rejects it', () => {
    ok(validateResult('eth_getLogs', []), 'practical');
    const r = validateResult('eth_getLogs', [], { exact: true });
    bad(r, 'exact', /must match exactly one schema in oneOf but matches 2/);
    ok(validateResult('eth_getLogs', [log], { exact: true }), 'non-empty logs, exact');
    ok(validateResult('eth_getBlockByNumber', hydratedBlock, { exact: true }), 'hydrated block, exact');
    ok(validateResult('eth_getTransactionReceipt', receipt, { exact: true }), 'receipt, exact');
  });

  it('the spec pattern for bytes admits odd lengths; the practical mode does not', () => {
    ok(validateResult('eth_getCode', '0x123', { exact: true }), 'exact');
    bad(validateResult('eth_getCode', '0x123'), 'practical');
  });
});

describe("rpc-schema: the spec's own examples", () => {
  // Examples in the YAML that do not validate against their own method's schemas. This list is
  // exact: if the spec is updated and an example is fixed or broken, this test says so.
  const KNOWN_BAD = [
    'eth_createAccessList params', // sends `data`; GenericTransaction only has `input`
    'eth_feeHistory result', // `oldestblock` (lowercase b)
    'eth_newFilter result', // '0x01' (leading zero)
    'eth_newBlockFilter result', // '0x01'
    'eth_newPendingTransactionFilter result', // '0x01'
    'eth_uninstallFilter params', // '0x01'
    'eth_getFilterChanges params', // '0x01'
    'eth_getFilterLogs params', // '0x01'
    'eth_sendTransaction result', // 63 hex digits
    'eth_sendRawTransaction result', // 63 hex digits
    'eth_getTransactionByHash result', // no `type`, no `blockTimestamp`
    'eth_getTransactionByBlockHashAndIndex result', // same
    'eth_getTransactionByBlockNumberAndIndex result', // same
  ].sort();

  for (const exact of [false, true]) {
    it(`exactly the known examples fail (${exact ? 'exact' : 'practical'} mode)`, () => {
      const failures = checkSpecExamples({ exact });
      const got = failures.map((f) => `${f.method} ${f.part}`).sort();
      assert.deepEqual(got, KNOWN_BAD, failures.map((f) => `${f.method} ${f.part}: ${f.errors}`).join('\n'));
    });
  }

  it('only eth_simulateV1 and eth_fillTransaction come without examples', () => {
    const noExample = [...loadSpec().methods.values()].filter((m) => m.examples.length === 0).map((m) => m.name);
    assert.deepEqual(noExample.sort(), ['eth_fillTransaction', 'eth_simulateV1']);
  });
});

// Bad input to a real node: every malformed, invalid or refused request gets a clear
// JSON-RPC error, the node stays up, and the state of the sender (balance, nonce) and the
// chain (block number) do not move.
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { AbiCoder, BaseWallet, concat, decodeRlp, encodeRlp, getBytes, hexlify, keccak256, toBeArray, Transaction, Wallet, type RlpStructuredData, type TransactionRequest } from 'ethers';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';

const CHAIN_ID = 1337n;
const GWEI = 10n ** 9n;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const showcase = contractInterface('Showcase');
const abi = AbiCoder.defaultAbiCoder();

type RpcError = { code: number; message: string; data?: unknown };

describe('e2e: bad input', function () {
  this.timeout(60_000);

  let node: NodeProcess;
  const alice = new Wallet(DEV_KEYS[0]!);
  const bob = new Wallet(DEV_KEYS[1]!);
  /** Used only by the unfilled nonce gap, which waits ~10 s in the background. */
  const gapper = new Wallet(DEV_KEYS[4]!);
  let gapOutcome: Promise<{ error?: RpcError; result?: unknown; elapsedMs: number }>;
  let showcaseAddress = '';

  const sign = (wallet: BaseWallet, nonce: number, tx: TransactionRequest = {}) =>
    wallet.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce,
      to: bob.address,
      value: 1n,
      gasLimit: 21_000n,
      maxFeePerGas: 2n * GWEI,
      maxPriorityFeePerGas: GWEI,
      ...tx,
    });

  const nonceOf = async (address: string) => Number(await node.rpc('eth_getTransactionCount', [address, 'latest']));

  async function raw(body: unknown): Promise<any> {
    return node.rpcRaw(body);
  }

  async function rpcError(method: string, params: unknown): Promise<RpcError> {
    const response = await raw({ jsonrpc: '2.0', id: 7, method, params });
    assert.ok(response, `${method}: empty response`);
    assert.equal(response.jsonrpc, '2.0');
    assert.equal(response.id, 7);
    assert.ok(response.error, `${method}(${JSON.stringify(params).slice(0, 200)}) succeeded with ${JSON.stringify(response.result)?.slice(0, 200)}`);
    assert.equal(response.result, undefined);
    assert.equal(typeof response.error.code, 'number');
    assert.equal(typeof response.error.message, 'string');
    assert.ok(response.error.message.length > 0);
    return response.error;
  }

  async function snapshot(addresses: string[]) {
    const out: Record<string, unknown> = { blockNumber: await node.rpc('eth_blockNumber') };
    for (const a of addresses) {
      out[a] = {
        balance: await node.rpc('eth_getBalance', [a, 'latest']),
        nonce: await node.rpc('eth_getTransactionCount', [a, 'latest']),
        pendingNonce: await node.rpc('eth_getTransactionCount', [a, 'pending']),
        pendingBalance: await node.rpc('eth_getBalance', [a, 'pending']),
      };
    }
    return out;
  }

  /** Send a raw transaction that must be refused; the sender's state and the chain must not move. */
  async function refused(rawTx: string, message: RegExp, addresses: string[] = [alice.address], codes = [-32000, -32602, -32003]): Promise<RpcError> {
    const before = await snapshot(addresses);
    const error = await rpcError('eth_sendRawTransaction', [rawTx]);
    assert.ok(codes.includes(error.code), `unexpected code ${error.code} (${error.message})`);
    assert.match(error.message, message);
    // Give a wrongly accepted transaction the time to be sealed into a block.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await snapshot(addresses), before, `state changed after a refused transaction (${error.message})`);
    return error;
  }

  async function assertAlive() {
    assert.equal(node.child.exitCode, null, `node exited:\n${node.output}`);
    assert.equal(await node.rpc('eth_chainId'), '0x539');
  }

  /** The signed fields of a type-2 transaction, with r and s replaced. */
  function withSignature(rawTx: string, r: bigint, s: bigint): string {
    const fields = decodeRlp(`0x${rawTx.slice(4)}`) as string[];
    assert.equal(fields.length, 12);
    const quantityBytes = (v: bigint) => (v === 0n ? '0x' : hexlify(getBytes(`0x${v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0')}`)));
    fields[10] = quantityBytes(r);
    fields[11] = quantityBytes(s);
    return `0x02${encodeRlp(fields as RlpStructuredData).slice(2)}`;
  }

  before(async () => {
    ensureContractsCompiled();
    node = await NodeProcess.start();
    // Start the unfilled nonce gap now: the node should wait ~10 s for nonce 0, then refuse.
    const gapTx = await sign(gapper, 3);
    const started = Date.now();
    gapOutcome = raw({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [gapTx] }).then((r) => ({ ...r, elapsedMs: Date.now() - started }));
    // Showcase, for the eth_call reverts.
    const hash = await node.rpc('eth_sendRawTransaction', [await sign(bob, 0, { to: null, value: 0n, gasLimit: 2_000_000n, data: deployData('Showcase') })]);
    for (let i = 0; i < 500; i++) {
      const receipt = await node.rpc('eth_getTransactionReceipt', [hash]);
      if (receipt) {
        assert.equal(receipt.status, '0x1');
        showcaseAddress = receipt.contractAddress;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(showcaseAddress, 'Showcase was not deployed');
  });

  after(async () => {
    await node?.dispose();
  });

  afterEach(async function () {
    if (node && this.currentTest?.state === 'passed') await assertAlive();
  });

  describe('eth_sendRawTransaction', () => {
    it('refuses a transaction signed for another chain id (EIP-1559 and EIP-155 legacy)', async () => {
      const nonce = await nonceOf(alice.address);
      await refused(await sign(alice, nonce, { chainId: 1n }), /chain ?id/i);
      await refused(await alice.signTransaction({ type: 0, chainId: 5n, nonce, to: bob.address, value: 1n, gasLimit: 21_000n, gasPrice: GWEI }), /chain ?id/i);
    });

    it('refuses bad signatures (zero, out of range, high s, flipped bytes of r and s)', async () => {
      const good = await sign(alice, await nonceOf(alice.address));
      const { signature } = Transaction.from(good);
      const r = BigInt(signature!.r);
      const s = BigInt(signature!.s);
      await refused(withSignature(good, 0n, s), /signature|sender/i);
      await refused(withSignature(good, r, 0n), /signature|sender/i);
      await refused(withSignature(good, SECP256K1_N + 1n, s), /signature|sender/i);
      await refused(withSignature(good, r, SECP256K1_N - s), /signature|sender/i); // EIP-2: high s
      // A flipped byte either breaks recovery or recovers some other, unfunded account.
      await refused(withSignature(good, r ^ 0xffn, s), /signature|sender|insufficient funds/i);
      await refused(withSignature(good, r, s ^ (0xffn << 64n)), /signature|sender|insufficient funds/i);
      // And the untouched transaction still goes through afterwards.
      const hash: string = await node.rpc('eth_sendRawTransaction', [good]);
      assert.equal(hash, Transaction.from(good).hash!);
      assert.equal((await waitReceipt(hash)).status, '0x1');
    });

    it('refuses an unprotected legacy transaction (no EIP-155 chain id)', async () => {
      const tx = Transaction.from({ type: 0, chainId: 0n, nonce: await nonceOf(alice.address), to: bob.address, value: 1n, gasLimit: 21_000n, gasPrice: GWEI });
      tx.signature = alice.signingKey.sign(tx.unsignedHash);
      const unprotected = tx.serialized;
      const v = (decodeRlp(unprotected) as string[])[6]!;
      assert.ok(v === '0x1b' || v === '0x1c', `v is ${v}: not a pre-EIP-155 signature`);
      await refused(unprotected, /replay|EIP-155|protected/i);
    });

    it('refuses a reused nonce (nonce too low) and a resent transaction', async () => {
      const nonce = await nonceOf(alice.address);
      const first = await sign(alice, nonce, { value: 5n });
      const hash = await node.rpc('eth_sendRawTransaction', [first]);
      await waitReceipt(hash);
      await refused(await sign(alice, nonce, { value: 6n }), /nonce too low/i);
      await refused(await sign(alice, 0, { value: 7n }), /nonce too low/i);
      await refused(first, /already known|nonce too low/i);
    });

    it('holds a transaction with a nonce gap until the gap is filled, then both succeed', async () => {
      const nonce = await nonceOf(alice.address);
      const second = node.rpc('eth_sendRawTransaction', [await sign(alice, nonce + 1, { value: 11n })]);
      await new Promise((r) => setTimeout(r, 300));
      const firstHash = await node.rpc('eth_sendRawTransaction', [await sign(alice, nonce, { value: 10n })]);
      const secondHash = await second;
      const [r1, r2] = [await waitReceipt(firstHash), await waitReceipt(secondHash)];
      assert.equal(r1.status, '0x1');
      assert.equal(r2.status, '0x1');
      assert.ok(Number(r2.blockNumber) > Number(r1.blockNumber) || (r2.blockNumber === r1.blockNumber && Number(r2.transactionIndex) > Number(r1.transactionIndex)));
      assert.equal(await nonceOf(alice.address), nonce + 2);
    });

    it('refuses a transaction whose nonce gap is never filled (after waiting), and nothing moves', async function () {
      this.timeout(30_000);
      const before = await snapshot([gapper.address]);
      const outcome = await gapOutcome;
      assert.ok(outcome.error, `the transaction with a nonce gap was accepted: ${JSON.stringify(outcome.result)}`);
      assert.match(outcome.error.message, /nonce too high/i);
      assert.equal(outcome.error.code, -32000);
      assert.deepEqual(await snapshot([gapper.address]), before);
      assert.equal(await nonceOf(gapper.address), 0);
    });

    it('refuses a transaction from a sender who is not a user of the network', async () => {
      const stranger = Wallet.createRandom();
      const error = await refused(await sign(stranger, 0), /is not a user of this network/, [stranger.address, bob.address]);
      assert.equal(error.code, -32003);
    });

    it('refuses a transaction the sender cannot pay for (insufficient funds)', async () => {
      const balance = BigInt(await node.rpc('eth_getBalance', [alice.address, 'latest']));
      await refused(await sign(alice, await nonceOf(alice.address), { value: balance }), /insufficient funds/i);
    });

    it('refuses a gas limit below the intrinsic gas', async () => {
      await refused(await sign(alice, await nonceOf(alice.address), { gasLimit: 20_999n }), /intrinsic gas too low/i);
      await refused(await sign(alice, await nonceOf(alice.address), { gasLimit: 21_000n, data: '0x01' }), /intrinsic gas too low/i);
    });

    it('refuses a gas limit above the EIP-7825 cap of 2^24', async () => {
      await refused(await sign(alice, await nonceOf(alice.address), { gasLimit: (1n << 24n) + 1n }), /gas limit|gas cap|too high/i);
      // Exactly the cap is allowed.
      const hash = await node.rpc('eth_sendRawTransaction', [await sign(alice, await nonceOf(alice.address), { gasLimit: 1n << 24n })]);
      assert.equal((await waitReceipt(hash)).status, '0x1');
    });

    it('refuses a transaction over 128 KiB', async () => {
      const data = hexlify(new Uint8Array(128 * 1024 + 1).fill(1));
      await refused(await sign(alice, await nonceOf(alice.address), { gasLimit: 1n << 24n, data }), /oversized|too large|size/i);
    });

    it('refuses garbage bytes, an empty transaction and non-hex input', async () => {
      await refused('0xdeadbeef', /invalid|transaction|decode|rlp/i);
      await refused('0xf8', /invalid|transaction|decode|rlp/i);
      await refused('0x02c0', /invalid|transaction|decode|rlp/i);
      await refused('0x', /empty|invalid/i);
      await refused('0xzz', /hex/i, undefined, [-32602]);
      await refused('deadbeef', /hex/i, undefined, [-32602]);
    });

    it('refuses a priority fee above the max fee', async () => {
      // ethers refuses to sign this, so the type-2 payload is encoded and signed by hand.
      const q = (v: bigint | number) => toBeArray(BigInt(v));
      const fields = [q(CHAIN_ID), q(await nonceOf(alice.address)), q(2n * GWEI), q(GWEI), q(21_000), bob.address, q(1), '0x', []];
      const unsigned = concat(['0x02', encodeRlp(fields)]);
      const sig = alice.signingKey.sign(keccak256(unsigned));
      const signed = concat(['0x02', encodeRlp([...fields, q(sig.yParity), toBeArray(BigInt(sig.r)), toBeArray(BigInt(sig.s))])]);
      await refused(signed, /priority fee|maxFeePerGas|max fee/i);
    });

    it('accepts exactly one of the same transaction sent twice at once', async () => {
      const nonce = await nonceOf(alice.address);
      const tx = await sign(alice, nonce, { value: 99n });
      const answers = await Promise.all([raw({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [tx] }), raw({ jsonrpc: '2.0', id: 2, method: 'eth_sendRawTransaction', params: [tx] })]);
      const ok = answers.filter((a) => a.result);
      const refusedAnswers = answers.filter((a) => a.error);
      assert.equal(ok.length, 1, JSON.stringify(answers));
      assert.match(refusedAnswers[0].error.message, /already known|nonce too low/i);
      await waitReceipt(ok[0].result);
      assert.equal(await nonceOf(alice.address), nonce + 1);
    });

    it('refuses blob (type 3) transactions', async () => {
      // A structurally plausible type-3 payload: chain id, nonce, fees, gas, to, value, data,
      // access list, max fee per blob gas, blob hashes, then a signature.
      const fields = ['0x0539', '0x', '0x3b9aca00', '0x77359400', '0x5208', bob.address, '0x01', '0x', [], '0x01', [`0x01${'00'.repeat(31)}`], '0x', `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`];
      await refused(`0x03${encodeRlp(fields).slice(2)}`, /type 3|not supported|blob/i);
    });
  });

  describe('the JSON-RPC envelope', () => {
    it('answers a malformed JSON body with -32700', async () => {
      for (const body of ['{"jsonrpc":"2.0","id":1,"method":', 'not json at all', '']) {
        const response = await raw(body);
        assert.ok(response?.error, `no error for ${JSON.stringify(body)}: ${JSON.stringify(response)}`);
        assert.equal(response.error.code, -32700);
        assert.equal(response.id, null);
      }
    });

    it('answers an empty batch with a single -32600 error', async () => {
      const response = await raw([]);
      assert.ok(response && !Array.isArray(response), `expected one error object, got ${JSON.stringify(response)}`);
      assert.equal(response.error.code, -32600);
      assert.equal(response.id, null);
    });

    it('answers each entry of a batch mixing valid and invalid requests, in order', async () => {
      const response = await raw([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_noSuchMethod', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'eth_getBalance', params: ['0x1234'] },
        42,
        { jsonrpc: '2.0', id: 5, method: 'eth_blockNumber', params: [] },
        { jsonrpc: '2.0', method: 'eth_chainId', params: [] }, // a notification: no answer
      ]);
      assert.ok(Array.isArray(response), JSON.stringify(response));
      assert.equal(response.length, 5, JSON.stringify(response));
      const byId = (id: unknown) => response.find((r: any) => r.id === id);
      assert.equal(byId(1).result, '0x539');
      assert.equal(byId(2).error.code, -32601);
      assert.equal(byId(3).error.code, -32602);
      assert.match(byId(5).result, /^0x[0-9a-f]+$/);
      const invalid = response.filter((r: any) => r.id === null);
      assert.equal(invalid.length, 1);
      assert.equal(invalid[0].error.code, -32600);
    });

    it('answers an unknown method with -32601', async () => {
      const error = await rpcError('eth_thisDoesNotExist', []);
      assert.equal(error.code, -32601);
      assert.equal((await rpcError('debug_storageRangeAt', [])).code, -32601);
    });

    it('answers wrong parameters with -32602', async () => {
      const cases: [string, unknown][] = [
        ['eth_getBalance', ['0xZZ00000000000000000000000000000000000000', 'latest']], // bad hex
        ['eth_getBalance', ['0x1234', 'latest']], // wrong-length address
        ['eth_getBalance', [`0x${'11'.repeat(21)}`, 'latest']],
        ['eth_getBalance', [alice.address, 'yesterday']], // bad block tag
        ['eth_getBalance', [alice.address, '0x01']], // quantity with a leading zero
        ['eth_getBalance', []], // missing parameters
        ['eth_getBlockByNumber', ['latest']],
        ['eth_chainId', [1]], // too many parameters
        ['eth_getTransactionReceipt', [`0x${'11'.repeat(32)}`, 'extra']],
        ['eth_getBalance', { address: alice.address }], // not an array
        ['eth_getTransactionByHash', ['0x1234']],
        ['eth_getBlockByNumber', ['latest', 'yes']],
        ['eth_call', ['not an object', 'latest']],
        ['eth_call', [{ to: '0x12' }, 'latest']],
        ['eth_getLogs', [{ topics: ['0x12'] }]],
        ['eth_getLogs', [{ topics: 'nope' }]],
        ['eth_getFilterChanges', ['0xdeadbeef']],
        ['eth_feeHistory', ['0x4', 'latest', [50, 10]]], // percentiles must increase
      ];
      for (const [method, params] of cases) {
        const error = await rpcError(method, params);
        assert.equal(error.code, -32602, `${method}(${JSON.stringify(params)}): code ${error.code} (${error.message})`);
      }
      // params that are neither an array nor an object make the request itself invalid
      // (JSON-RPC 2.0: params MUST be a structured value); -32602 would do as well.
      const response = await raw({ jsonrpc: '2.0', id: 7, method: 'eth_getBalance', params: 'nope' });
      assert.ok([-32600, -32602].includes(response.error?.code), JSON.stringify(response));
    });

    it('refuses a body over 5 MiB with an error, declared or streamed, and keeps serving', async () => {
      const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: ['a'.repeat(5 * 1024 * 1024 + 10)] });
      const res = await fetch(node.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
      assert.ok(res.status === 413 || res.status === 200, `status ${res.status}`);
      const body = (await res.json()) as any;
      assert.ok(body.error, JSON.stringify(body).slice(0, 200));
      assert.match(body.error.message, /too large|size|limit/i);
      await assertAlive();
      // The same without a Content-Length (chunked), so the limit must be enforced while reading.
      const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const url = new URL(node.url);
        const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve({ status: -1, text: '' }) : reject(e)));
        const chunk = Buffer.alloc(256 * 1024, 'a');
        for (let i = 0; i < 24; i++) req.write(chunk);
        req.end();
      });
      if (streamed.status !== -1) {
        assert.ok(streamed.status >= 400 || JSON.parse(streamed.text).error, `status ${streamed.status}: ${streamed.text.slice(0, 200)}`);
      }
      await assertAlive();
    });

    it('answers GET with an error, not a crash', async () => {
      const res = await fetch(node.url, { method: 'GET' });
      assert.ok(res.status >= 400 && res.status < 500, `GET status ${res.status}`);
      await res.text();
    });

    it('answers an OPTIONS preflight with CORS headers', async () => {
      const res = await fetch(node.url, {
        method: 'OPTIONS',
        headers: { Origin: 'https://dapp.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      });
      assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`);
      const origin = res.headers.get('access-control-allow-origin');
      assert.ok(origin === '*' || origin === 'https://dapp.example', `Access-Control-Allow-Origin: ${origin}`);
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type/i);
      // And an actual cross-origin POST carries the header too.
      const post = await fetch(node.url, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'https://dapp.example' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
      assert.ok(post.headers.get('access-control-allow-origin'));
      await post.text();
    });
  });

  describe('refused and failing methods', () => {
    it('refuses eth_getStorageAt with a clear message', async () => {
      const error = await rpcError('eth_getStorageAt', [showcaseAddress, '0x0', 'latest']);
      assert.match(error.message, /storage/i);
      assert.match(error.message, /refused|confidential|not (supported|available)/i);
      assert.notEqual(error.code, -32603);
    });

    it('refuses eth_sendTransaction, pointing at eth_sendRawTransaction', async () => {
      const before = await snapshot([alice.address, bob.address]);
      const error = await rpcError('eth_sendTransaction', [{ from: alice.address, to: bob.address, value: '0x1' }]);
      assert.match(error.message, /eth_sendRawTransaction|not supported/i);
      assert.notEqual(error.code, -32603);
      assert.deepEqual(await snapshot([alice.address, bob.address]), before);
    });

    it('eth_call of a custom-error revert: code 3, the revert data in error.data', async () => {
      const error = await rpcError('eth_call', [{ to: showcaseAddress, data: showcase.encodeFunctionData('failCustomError', [7]) }, 'latest']);
      assert.equal(error.code, 3);
      assert.match(error.message, /^execution reverted/);
      const expected = showcase.encodeErrorResult('Rejected', ['0x0000000000000000000000000000000000000000', 7n, 'rejected']);
      assert.equal(error.data, expected);
      const empty = await rpcError('eth_call', [{ to: showcaseAddress, data: showcase.encodeFunctionData('failEmptyError') }, 'latest']);
      assert.equal(empty.code, 3);
      assert.equal(empty.data, showcase.getError('Empty')!.selector);
    });

    it('eth_call of an Error(string) revert: "execution reverted: <reason>", the data in error.data', async () => {
      const error = await rpcError('eth_call', [{ to: showcaseAddress, data: showcase.encodeFunctionData('failRequire') }, 'latest']);
      assert.equal(error.code, 3);
      assert.equal(error.message, 'execution reverted: Showcase: require failed');
      assert.equal(error.data, `0x08c379a0${abi.encode(['string'], ['Showcase: require failed']).slice(2)}`);
      // eth_estimateGas reports the same revert.
      const estimate = await rpcError('eth_estimateGas', [{ from: alice.address, to: showcaseAddress, data: showcase.encodeFunctionData('failRequire') }]);
      assert.equal(estimate.code, 3);
      assert.equal(estimate.data, error.data);
    });

    it('caps the gas of eth_call and eth_estimateGas (a client cannot ask for unbounded execution)', async () => {
      // Runtime code returning gasleft(): GAS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
      const nonce = await nonceOf(alice.address);
      const hash = await node.rpc('eth_sendRawTransaction', [await sign(alice, nonce, { to: null, value: 0n, gasLimit: 100_000n, data: '0x685a60005260206000f3600052600960176000f3'.replace('60176000f3', '6017f3') })]);
      const gasLeft = (await waitReceipt(hash)).contractAddress;
      assert.equal(await node.rpc('eth_getCode', [gasLeft, 'latest']), '0x5a60005260206000f3');
      const cap = 1n << 24n;
      const normal = BigInt(await node.rpc('eth_call', [{ to: gasLeft }, 'latest']));
      assert.ok(normal > 0n && normal <= cap, `default eth_call gas ${normal}`);
      for (const gas of ['0x10000000000', '0xffffffffffffffff']) {
        const response = await raw({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: gasLeft, gas }, 'latest'] });
        if (response.error) {
          assert.notEqual(response.error.code, -32603);
        } else {
          assert.ok(BigInt(response.result) <= cap, `eth_call with gas ${gas} ran with ${BigInt(response.result)} gas left, more than the cap of 2^24`);
        }
        const estimate = await raw({ jsonrpc: '2.0', id: 2, method: 'eth_estimateGas', params: [{ to: gasLeft, gas }] });
        assert.ok(estimate.error || BigInt(estimate.result) <= cap, JSON.stringify(estimate));
      }
    });

    it('ends an infinite loop in eth_call with an error', async () => {
      // Runtime code JUMPDEST PUSH1 0 JUMP: loops until out of gas.
      const nonce = await nonceOf(alice.address);
      const hash = await node.rpc('eth_sendRawTransaction', [await sign(alice, nonce, { to: null, value: 0n, gasLimit: 100_000n, data: '0x635b6000566000526004601cf3' })]);
      const loop = (await waitReceipt(hash)).contractAddress;
      assert.equal(await node.rpc('eth_getCode', [loop, 'latest']), '0x5b600056');
      const error = await rpcError('eth_call', [{ to: loop }, 'latest']);
      assert.match(error.message, /out of gas|gas/i);
      assert.notEqual(error.code, -32603);
    });

    it('answers state queries at an old block; a future block is a clear error', async () => {
      const head = Number(await node.rpc('eth_blockNumber'));
      assert.ok(head >= 2);
      for (const [method, params] of [
        ['eth_getBalance', [alice.address, '0x1']],
        ['eth_getTransactionCount', [alice.address, '0x1']],
        ['eth_getCode', [showcaseAddress, '0x1']],
        ['eth_call', [{ to: showcaseAddress, data: showcase.encodeFunctionData('count') }, '0x1']],
        ['eth_getBalance', [alice.address, 'earliest']],
      ] as [string, unknown[]][]) {
        assert.match(String(await node.rpc(method, params)), /^0x/, method);
      }
      // The head block by number is fine too; a future block is an error.
      assert.match(String(await node.rpc('eth_getBalance', [alice.address, `0x${head.toString(16)}`])), /^0x/);
      const future = await rpcError('eth_getBalance', [alice.address, `0x${(head + 1000).toString(16)}`]);
      assert.equal(future.code, -32602);
      assert.match(future.message, /not found/);
    });

    it('refuses eth_getLogs over more than 10,000 blocks', async () => {
      const error = await rpcError('eth_getLogs', [{ fromBlock: '0x0', toBlock: `0x${(10_000).toString(16)}` }]);
      assert.match(error.message, /range|too (large|many)|limit/i);
      assert.notEqual(error.code, -32603);
      // 10,000 blocks exactly is allowed.
      assert.ok(Array.isArray(await node.rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: `0x${(9_999).toString(16)}` }])));
      const filter = await rpcError('eth_newFilter', [{ fromBlock: '0x0', toBlock: `0x${(20_000).toString(16)}` }]);
      assert.match(filter.message, /range|too (large|many)|limit/i);
    });
  });

  describe('afterwards', () => {
    it('is still up and consistent after all of the above', async () => {
      await assertAlive();
      const info = await node.rpc('ccevm_nodeInfo');
      assert.ok(info.nodeId);
      // Balances add up: every refused transaction left no trace, every accepted one a receipt.
      const head = Number(await node.rpc('eth_blockNumber'));
      let txCount = 0;
      for (let n = 0; n <= head; n++) txCount += Number(await node.rpc('eth_getBlockTransactionCountByNumber', [`0x${n.toString(16)}`]));
      const nonces = (await Promise.all([alice, bob, gapper].map((w) => nonceOf(w.address)))).reduce((a, b) => a + b, 0);
      assert.equal(txCount, nonces, 'transactions in blocks differ from the senders\' nonces');
    });
  });

  async function waitReceipt(hash: string): Promise<any> {
    for (let i = 0; i < 1000; i++) {
      const receipt = await node.rpc('eth_getTransactionReceipt', [hash]);
      if (receipt) return receipt;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no receipt for ${hash}`);
  }
});

// Clients never see a failover: three real node processes; clients send transfers through
// a backup (one client strictly one at a time, two more alongside) while the primary is
// SIGKILLed, and separately while it is frozen (SIGSTOP) past the election timeout and
// then woken. Every send must be answered with its hash (no error at all), and every
// acknowledged transfer must be on every surviving node exactly once, with exact nonces
// and balances. A backup that cannot reach a majority answers, after the bound, with one
// structured error. Each scenario prints its figures (errors, time from the failure to
// the first answer, longest answer); they are measured, not asserted.
import { strict as assert } from 'node:assert';
import { Transaction, Wallet } from 'ethers';
import { Cluster, ClusterNode, RpcError, devWallet, signTransfer, sleep, waitFor } from './cluster-helpers.js';

const VALUE = 1_000n;

interface Client {
  wallet: Wallet;
  to: string;
  /** hashes acknowledged, in nonce order */
  acked: string[];
}

interface Figures {
  sends: number;
  errors: string[];
  /** ms from the failure to the first answer to a send made after it */
  firstAnswerAfterFailure: number | undefined;
  /** the longest a client waited for any answer, success or error */
  longestAnswer: number;
}

/**
 * Send `count` transfers from `client` through `via`, each after the previous one was
 * answered. An error is recorded, and the same signed transfer is sent again (so that
 * the scenario also measures code that does show failovers); with nothing acknowledged
 * twice: a retry answered 'already known' or 'nonce too low' counts once it has a receipt.
 */
async function sendSequentially(via: ClusterNode, client: Client, count: number, figures: Figures, failedAt: () => number | undefined, onAck?: (n: number) => Promise<void> | void): Promise<void> {
  for (let nonce = 0; nonce < count; nonce++) {
    const raw = await signTransfer(client.wallet, nonce, client.to, VALUE);
    const hash = Transaction.from(raw).hash!;
    for (let attempt = 0; ; attempt++) {
      assert.ok(attempt < 100, `could not deliver ${hash}: ${figures.errors.slice(-3).join(' | ')}`);
      const started = Date.now();
      const afterFailure = failedAt() !== undefined;
      figures.sends++;
      try {
        const answer = await via.rpc('eth_sendRawTransaction', [raw], AbortSignal.timeout(60_000));
        assert.equal(answer, hash);
      } catch (e) {
        figures.longestAnswer = Math.max(figures.longestAnswer, Date.now() - started);
        figures.errors.push(`${(e as Error).message}${e instanceof RpcError && e.data !== undefined ? ` ${JSON.stringify(e.data)}` : ''}`);
        const known = e instanceof RpcError && /already known|nonce too low/.test(e.message);
        if (!(known && (await via.rpc('eth_getTransactionReceipt', [hash]).catch(() => null)))) {
          await sleep(100);
          continue;
        }
      }
      const now = Date.now();
      figures.longestAnswer = Math.max(figures.longestAnswer, now - started);
      if (afterFailure && figures.firstAnswerAfterFailure === undefined) figures.firstAnswerAfterFailure = now - failedAt()!;
      break;
    }
    // Answered once committed here too: the client's next read on this node sees it.
    assert.ok(await via.rpc('eth_getTransactionReceipt', [hash]), `${via.name} answered ${hash} before it had the receipt`);
    client.acked.push(hash);
    await onAck?.(client.acked.length);
  }
}

async function blockTransactionCounts(node: ClusterNode, hashes: Set<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const head = Number(await node.rpc('eth_blockNumber'));
  for (let n = 0; n <= head; n++) {
    const block = await node.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    for (const h of block.transactions as string[]) if (hashes.has(h)) counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every acknowledged transfer is on `node` exactly once, in the same block as on
 * `reference`; nonces and balances are exact. The recipients are no dev accounts: their
 * balances are read in the session `auditor` (Cluster.signInAuditor), who sees every account.
 */
async function checkHolds(node: ClusterNode, clients: Client[], reference: ClusterNode, auditor: string): Promise<void> {
  const all = new Set(clients.flatMap((c) => c.acked));
  for (const hash of all) {
    const receipt = await waitFor(() => node.rpc('eth_getTransactionReceipt', [hash]), `receipt of ${hash} on ${node.name}`, 10_000);
    assert.equal(receipt.status, '0x1', `${node.name}: status of ${hash}`);
    if (node !== reference) assert.equal(receipt.blockHash, (await reference.rpc('eth_getTransactionReceipt', [hash])).blockHash, `${node.name}: block of ${hash}`);
  }
  for (const c of clients) {
    assert.equal(Number(await node.rpc('eth_getTransactionCount', [c.wallet.address, 'latest'])), c.acked.length, `${node.name}: nonce of ${c.wallet.address}`);
    assert.equal(BigInt(await node.rpcAs(auditor, 'eth_getBalance', [c.to, 'latest'])), VALUE * BigInt(c.acked.length), `${node.name}: balance of ${c.to}`);
  }
  const counts = await blockTransactionCounts(node, all);
  const wrong = [...all].filter((h) => counts.get(h) !== 1).map((h) => `${h}: ${counts.get(h) ?? 0}`);
  assert.deepEqual(wrong, [], `${node.name}: acknowledged transfers not in exactly one block`);
}

/**
 * Three clients through one backup; `fail` strikes the primary after the sequential
 * client's 10th answer. Returns the clients, the backup, the old primary and the figures.
 */
async function scenario(cluster: Cluster, wallets: number[], fail: (primary: ClusterNode) => Promise<void>, label: string) {
  const { primary } = await cluster.waitPrimary(cluster.nodes);
  const via = cluster.nodes.find((n) => n !== primary)!;
  const clients: Client[] = wallets.map((i) => ({ wallet: devWallet(i), to: Wallet.createRandom().address, acked: [] }));
  const figures: Figures = { sends: 0, errors: [], firstAnswerAfterFailure: undefined, longestAnswer: 0 };
  let failedAt: number | undefined;
  let failure: Promise<void> | undefined;
  const whenFailed = () => failedAt;
  await Promise.all([
    sendSequentially(via, clients[0]!, 30, figures, whenFailed, (n) => {
      if (n !== 10) return;
      failedAt = Date.now();
      failure = fail(primary);
    }),
    ...clients.slice(1).map((c) => sendSequentially(via, c, 12, figures, whenFailed)),
  ]);
  await failure;
  console.log(
    `      [${label}] ${figures.sends} sends, ${clients.reduce((n, c) => n + c.acked.length, 0)} acknowledged, ${figures.errors.length} errors; ` +
      `first success ${figures.firstAnswerAfterFailure ?? '-'} ms after the failure; longest answer ${figures.longestAnswer} ms` +
      (figures.errors.length ? `\n      errors: ${[...new Set(figures.errors)].slice(0, 5).join(' | ')}` : ''),
  );
  return { clients, via, primary, figures };
}

describe('e2e failover: writes through a backup while the primary fails', function () {
  this.timeout(240_000);
  let cluster: Cluster;

  afterEach(async () => {
    await cluster?.dispose();
  });

  it('SIGKILL of the primary: no client sees an error; every acknowledged transfer is on both survivors exactly once', async () => {
    cluster = await Cluster.start(3, 'fo-kill');
    for (const n of cluster.nodes) assert.equal(await n.rpc('net_peerCount'), '0x2', `${n.name}: peers`);
    const auditor = await cluster.signInAuditor();
    const { clients, via, primary, figures } = await scenario(cluster, [2, 3, 4], (p) => p.stop('SIGKILL').then(() => undefined), 'SIGKILL');
    assert.deepEqual(figures.errors, [], 'errors the clients saw');
    const survivors = cluster.nodes.filter((n) => n !== primary);
    const { primary: next } = await cluster.waitPrimary(survivors);
    assert.notEqual(next, primary);
    await cluster.waitConverged(survivors);
    for (const n of survivors) await checkHolds(n, clients, via, auditor);
    for (const n of survivors) await waitFor(async () => (await n.rpc('net_peerCount')) === '0x1', `${n.name} to count one peer`);
  });

  it('SIGSTOP of the primary past the election timeout: no client sees an error; once woken it rejoins as a backup and holds the same', async () => {
    cluster = await Cluster.start(3, 'fo-stop');
    const auditor = await cluster.signInAuditor();
    const { clients, via, primary, figures } = await scenario(
      cluster,
      [5, 6, 7],
      async (p) => {
        p.pause();
        // frozen well past the election timeout (300–600 ms), while the clients go on
        await sleep(3_000);
      },
      'SIGSTOP',
    );
    const survivors = cluster.nodes.filter((n) => n !== primary);
    try {
      assert.deepEqual(figures.errors, [], 'errors the clients saw');
      const { primary: next } = await cluster.waitPrimary(survivors);
      assert.notEqual(next, primary);
      for (const n of survivors) await checkHolds(n, clients, via, auditor);
    } finally {
      primary.resume();
    }
    const { primary: after } = await cluster.waitPrimary(cluster.nodes);
    assert.notEqual(after, primary, 'the woken node did not take the primary back');
    assert.equal((await primary.info()).role, 'backup');
    await cluster.waitConverged(cluster.nodes);
    for (const n of cluster.nodes) await checkHolds(n, clients, via, auditor);
  });

  it('through a backup: answered once committed there too; a client\'s duplicate is refused as in geth and runs once; a join goes to the primary', async () => {
    cluster = await Cluster.start(3, 'fo-twice');
    const auditor = await cluster.signInAuditor();
    const { primary } = await cluster.waitPrimary(cluster.nodes);
    const via = cluster.nodes.find((n) => n !== primary)!;
    const sender = devWallet(9);
    const to = Wallet.createRandom().address;
    const duplicate = (e: unknown) => e instanceof RpcError && e.code === -32000 && /^(already known|nonce too low)/.test(e.message);
    for (let nonce = 0; nonce < 5; nonce++) {
      const raw = await signTransfer(sender, nonce, to, VALUE);
      const hash = Transaction.from(raw).hash!;
      // the same at once (found pending: 'already known'), then again once committed ('nonce too low')
      const first = via.rpc('eth_sendRawTransaction', [raw]);
      const second = sleep(5).then(() => via.rpc('eth_sendRawTransaction', [raw]).then((r) => `answered ${r}`, (e: unknown) => e));
      assert.equal(await first, hash);
      assert.ok(await via.rpc('eth_getTransactionReceipt', [hash]), 'answered once committed on the backup too');
      const again = await second;
      assert.ok(duplicate(again), String(again));
      await assert.rejects(via.rpc('eth_sendRawTransaction', [raw]), duplicate);
    }
    assert.equal(Number(await via.rpc('eth_getTransactionCount', [sender.address, 'latest'])), 5);
    assert.equal(BigInt(await via.rpcAs(auditor, 'eth_getBalance', [to, 'latest'])), 5n * VALUE);

    // A join request sent to a backup travels to the primary the same way.
    const late = await cluster.add(via, 'fo-twice');
    await waitFor(async () => Number(await late.rpc('eth_getTransactionCount', [sender.address, 'latest'])) === 5, `${late.name} to catch up`);
    assert.equal((await late.info()).role, 'backup');
  });

  it('a nonce gap through a backup is the primary\'s "nonce too high" within the bound; with no majority alive the backup answers, after the bound, with one structured error', async () => {
    const BOUND = 1_500;
    cluster = await Cluster.start(3, 'fo-alone', ['--forward-timeout-ms', String(BOUND)]);
    const { primary } = await cluster.waitPrimary(cluster.nodes);
    const alone = cluster.nodes.find((n) => n !== primary)!;
    // While all are up: a nonce gap is the primary's answer, given within the bound
    // (its wait for the missing nonce is cut short to fit), not an unreachable primary.
    const gap = await signTransfer(devWallet(7), 1, Wallet.createRandom().address, VALUE);
    await assert.rejects(alone.rpc('eth_sendRawTransaction', [gap], AbortSignal.timeout(30_000)), (e: unknown) => e instanceof RpcError && e.code === -32000 && /^nonce too high/.test(e.message));
    for (const n of cluster.nodes) if (n !== alone) await n.stop('SIGKILL');
    const raw = await signTransfer(devWallet(8), 0, Wallet.createRandom().address, VALUE);
    const started = Date.now();
    const error = await alone.rpc('eth_sendRawTransaction', [raw], AbortSignal.timeout(30_000)).then(
      (result) => assert.fail(`answered ${result}`),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(error instanceof RpcError, `a JSON-RPC error, not ${error}`);
    assert.equal(error.code, -32002);
    assert.deepEqual(error.data, { reason: 'no-primary', retryAfterMs: 1_000 });
    assert.ok(elapsed >= BOUND, `answered after ${elapsed} ms, before the bound`);
    assert.equal(await alone.rpc('eth_getTransactionReceipt', [Transaction.from(raw).hash]), null);
  });
});

// A replicated network of three real node processes (`ccevm start` + two `ccevm join`),
// driven only through JSON-RPC: agreement on one primary, writes through a backup, the
// primary killed under load (no receipted transaction lost or applied twice, the killed
// node catches up on restart), a minority that must not commit, a node restarted on a
// corrupted or truncated ledger, and a late joiner that starts from a snapshot.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { createServiceCertificate } from '../../core/crypto/certificates.js';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { JsonRpcClient, TransportError, httpTransport } from '../../rpc/client.js';
import { freePort } from '../support/node-process.js';
import { Transaction, Wallet } from 'ethers';
import { readdir } from 'node:fs/promises';
import { Cluster, ClusterNode, RpcError, devWallet, seqnoOf, signTransfer, sleep, waitFor, type NodeInfo } from './cluster-helpers.js';

const VALUE = 1_000n;

/** Send a raw transaction to one node; resolves with the hash once the node answers (committed). */
async function sendRaw(node: ClusterNode, raw: string, signal?: AbortSignal): Promise<string> {
  return node.rpc('eth_sendRawTransaction', [raw], signal);
}

async function receiptOn(node: ClusterNode, hash: string): Promise<any> {
  return node.rpc('eth_getTransactionReceipt', [hash], AbortSignal.timeout(5_000));
}

/** The receipt of `hash` on `node`, polled until it appears (a backup learns commits a heartbeat later). */
function waitReceipt(node: ClusterNode, hash: string, timeoutMs = 10_000): Promise<any> {
  return waitFor(() => receiptOn(node, hash), `receipt of ${hash} on ${node.name}`, timeoutMs, 25);
}

/**
 * The balance of `address` on `node`, read in the session `auditor` (Cluster.signInAuditor):
 * the recipients here are fresh addresses, whose balances only they and an auditor see.
 */
async function balance(node: ClusterNode, auditor: string, address: string): Promise<bigint> {
  return BigInt(await node.rpcAs(auditor, 'eth_getBalance', [address, 'latest']));
}

async function nonce(node: ClusterNode, address: string): Promise<number> {
  return Number(await node.rpc('eth_getTransactionCount', [address, 'latest']));
}

/** How many times each of `hashes` appears in the blocks of `node`'s chain. */
async function occurrences(node: ClusterNode, hashes: Iterable<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>([...hashes].map((h) => [h.toLowerCase(), 0]));
  const head = Number(await node.rpc('eth_blockNumber'));
  for (let n = 0; n <= head; n++) {
    const block = await node.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    for (const h of block.transactions as string[]) {
      const key = h.toLowerCase();
      if (counts.has(key)) counts.set(key, counts.get(key)! + 1);
    }
  }
  return counts;
}

describe('e2e cluster: three nodes agree on one primary', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let auditor: string;

  before(async () => {
    cluster = await Cluster.start(3, 'cl-basic');
    auditor = await cluster.signInAuditor();
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('elects exactly one primary, and a transfer sent to a backup is visible on every node', async () => {
    const { primary, view, infos } = await cluster.waitPrimary(cluster.nodes);
    assert.equal(infos.filter((i) => i.role === 'primary').length, 1);
    assert.equal(new Set(infos.map((i) => i.nodeId)).size, 3, 'three distinct node ids');
    assert.ok(view >= 1);
    for (const i of infos) {
      assert.equal(i.view, view);
      assert.equal(i.primaryRpc, primary.httpsUrl);
      if (i.nodeId !== infos[cluster.nodes.indexOf(primary)]!.nodeId) assert.equal(i.role, 'backup');
    }

    const backup = cluster.nodes.find((n) => n !== primary)!;
    const sender = devWallet(1);
    const to = Wallet.createRandom().address;
    const raw = await signTransfer(sender, await nonce(backup, sender.address), to, VALUE);
    const hash = await sendRaw(backup, raw);
    assert.equal(hash, Transaction.from(raw).hash);
    const receipt = await receiptOn(backup, hash); // the backup answers once it has the receipt itself
    assert.ok(receipt, 'the backup that forwarded the transaction has its receipt');
    assert.equal(receipt.status, '0x1');
    for (const n of cluster.nodes) {
      assert.equal(await n.rpc('net_peerCount'), '0x2', `${n.name}: connected peers`);
      await waitFor(async () => (await balance(n, auditor, to)) === VALUE, `the transfer's balance on ${n.name}`);
      const r = await waitReceipt(n, hash);
      assert.equal(r.blockHash, receipt.blockHash, `${n.name}: same block`);
    }
  });
});

describe('e2e cluster: the primary is killed under load', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let auditor: string;

  before(async () => {
    cluster = await Cluster.start(3, 'cl-failover');
    auditor = await cluster.signInAuditor();
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('elects a new primary, loses no receipted transfer and applies none twice; the killed node catches up on restart', async () => {
    const KILL_AFTER = 30;
    const TOTAL = 80;
    const first = await cluster.waitPrimary(cluster.nodes);
    let oldPrimary = first.primary;
    let oldPrimaryId = '';
    let killedInView = first.view;

    const wallets = [2, 3, 4, 5].map(devWallet);
    const recipients = wallets.map(() => Wallet.createRandom().address);
    /** hash → block hash of the receipt the client got */
    const receipted = new Map<string, string>();
    const perWallet = wallets.map(() => 0);
    let round = 0;
    let killed = false;
    let retries = 0;
    const errors: string[] = [];

    /** The receipt of `hash` from whichever running node has it first. */
    const anyReceipt = (hash: string, timeoutMs: number) =>
      waitFor(
        async () => {
          for (const n of cluster.running) {
            const r = await receiptOn(n, hash).catch(() => null);
            if (r) return r;
          }
          return undefined;
        },
        `a receipt of ${hash} on a running node`,
        timeoutMs,
        50,
      );

    /**
     * Send one signed transfer until the client holds its receipt, moving to another node
     * on errors. Once a node has answered with the hash, the transfer is acknowledged as
     * committed: it is never sent again, its receipt must show up (a lost acknowledged
     * transfer fails here instead of being quietly re-executed).
     */
    async function deliver(raw: string): Promise<string> {
      const hash = Transaction.from(raw).hash!;
      for (let attempt = 0; ; attempt++) {
        if (attempt > 200) throw new Error(`could not deliver ${hash}: ${errors.slice(-5).join(' | ')}`);
        const live = cluster.running;
        const node = live[round++ % live.length]!;
        let answered: string;
        try {
          answered = await sendRaw(node, raw, AbortSignal.timeout(20_000));
        } catch (e) {
          retries++;
          const message = (e as Error).message;
          errors.push(`${node.name}: ${message}`);
          if (e instanceof RpcError && /already known|nonce too low/.test(message)) {
            // Maybe committed already (an earlier attempt got through): look for the receipt.
            const found = await anyReceipt(hash, 5_000).catch(() => undefined);
            if (found) {
              assert.equal(found.status, '0x1');
              return found.blockHash;
            }
          }
          await sleep(100);
          continue;
        }
        assert.equal(answered, hash);
        const receipt = await anyReceipt(hash, 30_000);
        assert.equal(receipt.status, '0x1');
        return receipt.blockHash;
      }
    }

    async function worker(w: number): Promise<void> {
      const wallet = wallets[w]!;
      for (let n = 0; receipted.size < TOTAL; n++) {
        const raw = await signTransfer(wallet, n, recipients[w]!, VALUE);
        const blockHash = await deliver(raw);
        receipted.set(Transaction.from(raw).hash!, blockHash);
        perWallet[w]!++;
        if (!killed && receipted.size >= KILL_AFTER) {
          killed = true;
          // whoever is primary now (normally still the first one)
          const now = await cluster.waitPrimary(cluster.nodes);
          oldPrimary = now.primary;
          oldPrimaryId = now.infos[cluster.nodes.indexOf(oldPrimary)]!.nodeId;
          killedInView = now.view;
          await oldPrimary.stop('SIGKILL');
        }
      }
    }

    await Promise.all(wallets.map((_, w) => worker(w)));
    assert.ok(killed, 'the primary was killed during the load');
    assert.ok(receipted.size >= TOTAL);

    const survivors = cluster.nodes.filter((n) => n !== oldPrimary);
    const second = await cluster.waitPrimary(survivors);
    assert.notEqual(second.primary, oldPrimary);
    assert.notEqual(second.infos[survivors.indexOf(second.primary)]!.nodeId, oldPrimaryId);
    assert.ok(second.view > killedInView, `view moved on from ${killedInView} (now ${second.view})`);
    const committed = await cluster.waitConverged(survivors);

    /** Everything the clients were told is there, the same, exactly once. */
    async function checkHolds(node: ClusterNode): Promise<void> {
      for (const [hash, blockHash] of receipted) {
        const r = await receiptOn(node, hash);
        assert.ok(r, `${node.name}: receipt of ${hash}`);
        assert.equal(r.status, '0x1', `${node.name}: status of ${hash}`);
        assert.equal(r.blockHash, blockHash, `${node.name}: block of ${hash}`);
      }
      for (let w = 0; w < wallets.length; w++) {
        assert.equal(await nonce(node, wallets[w]!.address), perWallet[w], `${node.name}: nonce of wallet ${w}`);
        assert.equal(await balance(node, auditor, recipients[w]!), VALUE * BigInt(perWallet[w]!), `${node.name}: balance of recipient ${w}`);
      }
      const counts = await occurrences(node, receipted.keys());
      const wrong = [...counts].filter(([, c]) => c !== 1);
      assert.deepEqual(wrong, [], `${node.name}: transactions not in exactly one block`);
    }
    for (const n of survivors) await checkHolds(n);

    // The killed node restarts on its data directory and ports, and catches up.
    await oldPrimary.start();
    await waitFor(async () => seqnoOf((await oldPrimary.info()).lastCommitted) >= seqnoOf(committed), `${oldPrimary.name} to catch up to ${committed}`, 60_000, 100);
    await cluster.waitConverged(cluster.nodes);
    const third = await cluster.waitPrimary(cluster.nodes);
    assert.equal(third.primary, second.primary, 'the restarted node did not disturb the primary');
    assert.equal((await oldPrimary.info()).role, 'backup');
    await checkHolds(oldPrimary);
    // (Sends in flight to the killed node itself fail; those to the others are carried
    // across the failover: test/e2e/failover.test.ts. How many retries is not asserted.)
    void retries;
  });
});

describe('e2e cluster: a minority never commits', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let auditor: string;

  before(async () => {
    cluster = await Cluster.start(3, 'cl-minority');
    auditor = await cluster.signInAuditor();
  });
  after(async () => {
    await cluster?.dispose();
  });

  /**
   * Freeze (SIGSTOP) two nodes, send a transfer to the third: it must not be answered
   * within 3 s and nothing may commit there; then wake them (SIGCONT, always) and check
   * that the network commits a new write and that all nodes agree, including on the fate
   * of the stranded transfer (committed later or rolled back, but the same everywhere).
   */
  async function minority(keepPrimary: boolean, lonelyIndex: number, laterIndex: number): Promise<void> {
    const { primary } = await cluster.waitPrimary(cluster.nodes);
    const alone = keepPrimary ? primary : cluster.nodes.find((n) => n !== primary)!;
    const frozen = cluster.nodes.filter((n) => n !== alone);
    const lonely = devWallet(lonelyIndex);
    const later = devWallet(laterIndex);
    const to = Wallet.createRandom().address;
    const raw = await signTransfer(lonely, 0, to, VALUE);
    const hash = Transaction.from(raw).hash!;
    const before: NodeInfo = await alone.info();

    try {
      for (const n of frozen) n.pause();
      const outcome = await sendRaw(alone, raw, AbortSignal.timeout(3_000)).then(
        (result) => ({ result }),
        (error: Error) => ({ error }),
      );
      assert.ok('error' in outcome, `a write to the minority succeeded: ${JSON.stringify(outcome)}`);
      const after: NodeInfo = await alone.info();
      assert.equal(after.lastCommitted, before.lastCommitted, 'lastCommitted did not move');
      // whatever the node wrote meanwhile (as primary: the transfer, a block seal, a signature) is not committed
      // (a backup has received nothing new; its next seqnos must not be Committed either)
      const fresh = [`${after.view}.${seqnoOf(after.lastSigned) + 1}`, `${after.view}.${seqnoOf(before.lastCommitted) + 1}`];
      if (seqnoOf(after.lastSigned) > seqnoOf(before.lastCommitted)) fresh.push(after.lastSigned);
      for (const txid of new Set(fresh)) {
        const { status } = await alone.rpc('ccevm_getTransactionStatus', [txid]);
        assert.notEqual(status, 'Committed', `${txid} must not be committed`);
      }
      assert.equal(await receiptOn(alone, hash), null, 'no receipt for the uncommitted transfer');
      assert.equal(await balance(alone, auditor, to), 0n);
    } finally {
      for (const n of frozen) n.resume();
    }

    // Awake again: a new write (another sender, so it cannot depend on the stranded one)
    // commits; then the client retries the stranded one (it may have been committed once
    // the network came back, or rolled back): either way it ends up there exactly once.
    const raw2 = await signTransfer(later, 0, to, VALUE);
    const hash2 = await sendUntilCommitted(raw2);
    const strandedBlock = await sendUntilCommitted(raw).then((h) => waitReceipt(cluster.nodes[0]!, h)).then((r) => r.blockHash);
    const committed = await cluster.waitConverged(cluster.nodes);
    assert.ok(seqnoOf(committed) > seqnoOf(before.lastCommitted));
    await cluster.waitPrimary(cluster.nodes);
    for (const n of cluster.nodes) {
      const r = await waitReceipt(n, hash2);
      assert.equal(r.status, '0x1');
      assert.equal((await waitReceipt(n, hash)).blockHash, strandedBlock, `${n.name}: block of the stranded transfer`);
      assert.equal(await nonce(n, lonely.address), 1, `${n.name}: the stranded transfer applied once`);
      assert.equal(await balance(n, auditor, to), 2n * VALUE, `${n.name}: balance`);
    }
    const blocks = await Promise.all(cluster.nodes.map((n) => receiptOn(n, hash2).then((r) => r.blockHash)));
    assert.equal(new Set(blocks).size, 1, 'the same block everywhere');
  }

  /** Send until some node answers with the hash, or says the transaction is already there and has its receipt. */
  async function sendUntilCommitted(raw: string): Promise<string> {
    const hash = Transaction.from(raw).hash!;
    let round = 0;
    return waitFor(
      async () => {
        const node = cluster.nodes[round++ % 3]!;
        try {
          return await sendRaw(node, raw, AbortSignal.timeout(10_000));
        } catch (e) {
          if (/already known|nonce too low/.test((e as Error).message)) return waitReceipt(node, hash, 3_000).then(() => hash);
          throw e;
        }
      },
      `${hash} to be committed after the frozen nodes woke`,
      30_000,
      200,
    );
  }

  it('a primary whose two backups are frozen commits nothing; once they wake, the network commits and converges', async () => {
    await minority(true, 6, 7);
  });

  it('a backup whose primary and other backup are frozen commits nothing (its forwarded write hangs); then all converge', async () => {
    await minority(false, 9, 10);
  });
});

describe('e2e cluster: a node restarted on a damaged ledger', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let auditor: string;
  const sender = devWallet(8);
  const to = Wallet.createRandom().address;
  let sent = 0;
  const hashes: string[] = [];

  async function transfer(node: ClusterNode): Promise<void> {
    const raw = await signTransfer(sender, sent, to, VALUE);
    const hash = await sendRaw(node, raw);
    sent++;
    hashes.push(hash);
  }

  const keyOf = (seqno: number) => {
    const key = new Uint8Array(8);
    new DataView(key.buffer).setBigUint64(0, BigInt(seqno));
    return key;
  };
  const seqnoOfKey = (key: Uint8Array) => Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0));

  async function withLedger<T>(node: ClusterNode, use: (db: Level<Uint8Array, Uint8Array>) => Promise<T>): Promise<T> {
    const db = new Level<Uint8Array, Uint8Array>(`${node.dataDir}/ledger`, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    try {
      return await use(db);
    } finally {
      await db.close();
    }
  }

  async function seqnos(db: Level<Uint8Array, Uint8Array>): Promise<number[]> {
    const out: number[] = [];
    for await (const key of db.keys()) out.push(seqnoOfKey(key));
    return out;
  }

  before(async () => {
    cluster = await Cluster.start(3, 'cl-damaged');
    auditor = await cluster.signInAuditor();
    const { primary } = await cluster.waitPrimary(cluster.nodes);
    for (let i = 0; i < 6; i++) await transfer(primary);
  });
  after(async () => {
    await cluster?.dispose();
  });

  let victim: ClusterNode;

  it('refuses to start on a ledger with a flipped byte', async () => {
    const { primary } = await cluster.waitPrimary(cluster.nodes);
    await cluster.waitConverged(cluster.nodes);
    victim = cluster.nodes.find((n) => n !== primary)!;
    assert.equal(await victim.stop('SIGTERM'), 0, 'a clean stop');

    const damaged = await withLedger(victim, async (db) => {
      const all = await seqnos(db);
      assert.ok(all.length > 10, `a ledger worth damaging (${all.length} entries)`);
      const seqno = all[Math.floor(all.length / 2)]!;
      const bytes = (await db.get(keyOf(seqno)))!;
      const flipped = Uint8Array.from(bytes);
      flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
      await db.put(keyOf(seqno), flipped);
      return { seqno, bytes };
    });

    victim.spawn();
    const code = await Promise.race([victim.waitExit(), sleep(30_000).then(() => 'still running' as const)]);
    assert.notEqual(code, 'still running', `the node started on a corrupted ledger:\n${victim.output}`);
    assert.notEqual(code, 0, 'exit code');
    assert.match(victim.output, /ledger entry at seqno \d+/, 'names the ledger integrity problem');
    const reported = Number(/ledger entry at seqno (\d+)/.exec(victim.output.slice(victim.output.lastIndexOf('--- ')))![1]);
    assert.ok(reported >= damaged.seqno, `reported seqno ${reported} is not before the damaged one (${damaged.seqno})`);

    // Undo the damage for the next test.
    await withLedger(victim, (db) => db.put(keyOf(damaged.seqno), damaged.bytes));
  });

  // What happens (observed): a ledger that lost its last few entries is a shorter but
  // intact prefix; the node replays it (dropping any unsigned tail), starts as a backup,
  // and the primary re-sends what it is missing, so it converges on the same committed
  // state as the others. (It is not refused: nothing in a clean prefix is detectably
  // wrong. With 3 nodes and both others up, the entries it had acknowledged are still
  // held by a majority, so nothing committed is at risk.)
  it('catches up from its peers after losing the end of its ledger', async () => {
    assert.ok(victim, 'runs after the previous test');
    // The network keeps committing while the victim is down.
    const { primary } = await cluster.waitPrimary(cluster.running);
    for (let i = 0; i < 3; i++) await transfer(primary);
    const removed = await withLedger(victim, async (db) => {
      const all = await seqnos(db);
      const last = all.slice(-4);
      for (const s of last) await db.del(keyOf(s));
      return last;
    });
    assert.equal(removed.length, 4);

    await victim.start();
    const target = await cluster.waitConverged(cluster.nodes.filter((n) => n !== victim));
    await waitFor(async () => seqnoOf((await victim.info()).lastCommitted) >= seqnoOf(target), `${victim.name} to catch up to ${target}`, 60_000, 100);
    await transfer(victim); // forwarded to the primary, answered once the victim has it too
    const committed = await cluster.waitConverged(cluster.nodes);
    assert.ok(seqnoOf(committed) > seqnoOf(target));
    const others = cluster.nodes.filter((n) => n !== victim);
    for (const hash of hashes) {
      const expected = await receiptOn(others[0]!, hash);
      assert.ok(expected, `receipt of ${hash}`);
      for (const n of [...others.slice(1), victim]) assert.deepEqual(await receiptOn(n, hash), expected, `${n.name}: receipt of ${hash}`);
    }
    for (const n of cluster.nodes) {
      assert.equal(await nonce(n, sender.address), sent, `${n.name}: sender nonce`);
      assert.equal(await balance(n, auditor, to), VALUE * BigInt(sent), `${n.name}: recipient balance`);
    }
    assert.equal((await victim.info()).role, 'backup');
  });
});

describe('e2e cluster: a node joins after the log was compacted', function () {
  this.timeout(180_000);
  const ARGS = ['--snapshot-interval', '10'];
  let cluster: Cluster;
  let auditor: string;
  const sender = devWallet(9);
  const to = Wallet.createRandom().address;
  const hashes: string[] = [];

  before(async () => {
    cluster = await Cluster.start(3, 'cl-snap', ARGS);
    auditor = await cluster.signInAuditor();
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('the new node starts from a snapshot, serves the old state, and restarts from it after SIGKILL', async () => {
    const { primary } = await cluster.waitPrimary(cluster.nodes);
    // One transaction per block here, so 60 transfers pass several snapshot points.
    for (let i = 0; i < 60; i++) hashes.push(await sendRaw(primary, await signTransfer(sender, i, to, VALUE)));
    await cluster.waitConverged(cluster.nodes);
    for (const n of cluster.nodes) {
      await waitFor(async () => (await readdir(`${n.dataDir}/snapshots`).catch(() => [])).length >= 2, `committed snapshots on ${n.name}`);
    }

    const late = await cluster.add(primary, 'cl-snap', ARGS);
    const target = await cluster.waitConverged(cluster.nodes.slice(0, 3));
    await waitFor(async () => seqnoOf((await late.info()).lastCommitted) >= seqnoOf(target), `${late.name} to catch up`, 60_000, 100);
    assert.match(late.output, /installed the primary's snapshot at \d+\.(\d+)/, 'it was sent a snapshot');
    const base = Number(/installed the primary's snapshot at \d+\.(\d+)/.exec(late.output)![1]);
    assert.ok(base > 1, `snapshot at ${base}`);
    assert.equal(await balance(late, auditor, to), VALUE * 60n);
    assert.equal(await nonce(late, sender.address), 60);
    for (const hash of [hashes[0]!, hashes[30]!, hashes[59]!]) {
      assert.deepEqual(await receiptOn(late, hash), await receiptOn(primary, hash), `receipt of ${hash} (its ledgerTxid too)`);
    }
    // Its ledger starts after the snapshot: the ledger receipt of a transaction before it is
    // for a node with the full ledger to give.
    assert.ok(seqnoOf((await receiptOn(late, hashes[0]!)).ledgerTxid) <= base);
    await assert.rejects(late.rpc('ccevm_getLedgerReceipt', [hashes[0]]), (e: unknown) => e instanceof RpcError && e.code === -32002 && /started from a snapshot/.test(e.message));
    assert.equal((await primary.rpc('ccevm_getLedgerReceipt', [hashes[0]])).status, 'committed');
    // Nor has it the state of a block sealed before its snapshot; the primary has.
    const firstBlock = (await receiptOn(primary, hashes[0]!)).blockNumber;
    await assert.rejects(late.rpc('eth_getTransactionCount', [sender.address, firstBlock]), (e: unknown) => e instanceof RpcError && e.code === -32002 && /started from a snapshot/.test(e.message));
    assert.equal(await primary.rpc('eth_getTransactionCount', [sender.address, firstBlock]), '0x1');

    // It takes part: a write through it commits everywhere.
    hashes.push(await sendRaw(late, await signTransfer(sender, 60, to, VALUE)));
    await cluster.waitConverged(cluster.nodes);
    const after = await waitFor(async () => (await late.rpc('ccevm_getLedgerReceipt', [hashes[60]]))?.receipt, 'the ledger receipt of a transaction after its snapshot', 10_000, 25);
    assert.deepEqual(after, (await primary.rpc('ccevm_getLedgerReceipt', [hashes[60]])).receipt, 'the same receipt as the primary gives');

    assert.equal(await late.stop('SIGKILL'), null);
    await late.start();
    assert.match(late.output.slice(late.output.lastIndexOf('--- ')), new RegExp(`after the snapshot at seqno ${base}`), 'restarted from its snapshot');
    await cluster.waitConverged(cluster.nodes);
    assert.equal(await balance(late, auditor, to), VALUE * 61n);
  });
});

const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;

/** Run the command line to its end (or SIGKILL it after `timeoutMs`); its exit code and output. */
function runCli(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A free port whose successor is free too. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && !(await listening(port + 1))) return port;
  }
}

describe('e2e cluster: no plaintext between nodes by default', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccevm-plain-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses plain-HTTP JSON-RPC on a non-loopback address unless --allow-plain-http', async () => {
    const ports = ['--port', String(await freePort()), '--https-port', '0', '--peer-port', '0', '--data-dir', join(dir, 'n')];
    const refused = await runCli(['start', '--http-host', '0.0.0.0', ...ports]);
    assert.equal(refused.code, 2, refused.output);
    assert.match(refused.output, /plain-HTTP JSON-RPC may listen on loopback only \(got --http-host 0\.0\.0\.0\)/);
    assert.doesNotMatch(refused.output, /\n\s+at /, 'no stack trace');
    // allowed explicitly, it listens there (and so on loopback too)
    const child = spawn(process.execPath, [CLI, 'start', '--http-host', '0.0.0.0', '--allow-plain-http', ...ports], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    try {
      await waitFor(() => /listening on http:\/\/0\.0\.0\.0:\d+/.test(output), 'the node to listen on 0.0.0.0', 30_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('joins only over https:// and with the service certificate', async () => {
    const common = ['--data-dir', join(dir, 'j'), '--port', '0', '--https-port', '0', '--peer-port', String(await freePort())];
    const plain = await runCli(['join', '--target', 'http://127.0.0.1:9', '--service-cert', join(dir, 'x.pem'), ...common]);
    assert.equal(plain.code, 2, plain.output);
    assert.match(plain.output, /join --target must be an https:\/\/ URL/);
    const noCert = await runCli(['join', '--target', 'https://127.0.0.1:9', ...common]);
    assert.equal(noCert.code, 2, noCert.output);
    assert.match(noCert.output, /join needs --service-cert FILE/);
  });
});

describe('e2e cluster: start --nodes N', function () {
  this.timeout(120_000);

  it('honours --port, --https-port and --peer-port as base ports, and stops every node on SIGINT', async () => {
    const [port, httpsPort, peerPort] = [await freePortPair(), await freePortPair(), await freePortPair()];
    const dir = await mkdtemp(join(tmpdir(), 'ccevm-nodes-'));
    const child = spawn(process.execPath, [CLI, 'start', '--nodes', '2', '--port', String(port), '--https-port', String(httpsPort), '--peer-port', String(peerPort), '--data-dir', join(dir, 'node0')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => output.includes('ccevm network of 2 nodes'), `the network to come up:\n${output}`, 90_000, 100);
      const ca = await readFile(join(dir, 'node0', 'service_cert.pem'), 'utf8');
      for (let i = 0; i < 2; i++) {
        const http = new JsonRpcClient(httpTransport(`http://127.0.0.1:${port + i}`));
        const https = new JsonRpcClient(httpTransport(`https://127.0.0.1:${httpsPort + i}`, { ca }));
        const info = await http.call<{ nodeId: string }>('ccevm_nodeInfo');
        assert.equal((await https.call<{ nodeId: string }>('ccevm_nodeInfo')).nodeId, info.nodeId, `node${i}: the same node over HTTPS on ${httpsPort + i}`);
        assert.ok(await listening(peerPort + i), `node${i}: node-to-node channel on ${peerPort + i}`);
        await waitFor(async () => (await http.call('net_peerCount')) === '0x1', `node${i} to be connected to the other`);
      }
      // HTTPS is checked against the service certificate: another CA is refused.
      const stranger = await createServiceCertificate(generateKeyPair());
      await assert.rejects(new JsonRpcClient(httpTransport(`https://127.0.0.1:${httpsPort}`, { ca: stranger })).call('eth_chainId'), (e) => e instanceof TransportError && /certificate/i.test(e.message));
      child.kill('SIGINT');
      assert.equal(await Promise.race([exited, sleep(30_000).then(() => 'still running')]), 0, output);
      for (const p of [port, port + 1, httpsPort, httpsPort + 1, peerPort, peerPort + 1]) assert.equal(await listening(p), false, `port ${p} closed: every node exited`);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// What reads at past blocks cost. In process, on one EVM node: eth_getBalance at each of
// the last 100 blocks (walking forward to the head, then back again), after a first read
// that rebuilds the state from the ledger. Then the core builder on its own over a ledger
// of 100 000 transactions: the state 100 000 transactions deep, rebuilt from the empty
// store and from a snapshot 10 000 entries before it (the default interval), and the cache
// memory each holds. Prints figures only.
//
//   npx tsx bench/historical.ts [--blocks N] [--deep N]
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { MemoryLedgerStorage } from '../core/host/memory-storage.js';
import { rawMap } from '../core/kv/map-def.js';
import { Store } from '../core/kv/store.js';
import { Ledger } from '../core/ledger/ledger.js';
import { LedgerSecrets } from '../core/ledger/secrets.js';
import { HistoricalStates, DEFAULT_HISTORY_LIMITS, type HistorySource } from '../core/node/historical-state.js';
import { ANONYMOUS } from '../evm-adapter/access/caller.js';
import { address, signed, startEvmNode } from '../test/evm/helpers.js';
import { forEachFlag } from './lib/args.js';
import { median, now, percentile } from './lib/measure.js';

let blocks = 300;
let deep = 100_000;
forEachFlag(process.argv.slice(2), (flag, value) => {
  if (flag === '--blocks') blocks = Number(value());
  else if (flag === '--deep') deep = Number(value());
  else throw new Error(`unknown flag ${flag}`);
});

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function recentBlocks(): Promise<void> {
  const n = await startEvmNode();
  try {
    const [sender] = n.wallets as [Wallet];
    const to = Wallet.createRandom().address;
    for (let i = 0; i < blocks; i++) await n.send((await signed(sender, { nonce: i, to, value: 1n, gasLimit: 21_000n })).raw);
    const head = n.evm.blockNumber();
    const at = (b: number) => n.evm.balance(address(sender), b, ANONYMOUS);
    let t0 = now();
    await at(head - 100);
    const first = now() - t0;
    const timed = async (numbers: number[]) => {
      const samples: number[] = [];
      for (const b of numbers) {
        t0 = now();
        await at(b);
        samples.push((now() - t0) * 1000);
      }
      return samples;
    };
    const forward = await timed(Array.from({ length: 100 }, (_, i) => head - 99 + i));
    const back = await timed(Array.from({ length: 100 }, (_, i) => head - 1 - i));
    console.log(`EVM node, ${blocks} blocks of one transfer; eth_getBalance in process:`);
    console.log(`  first read 100 blocks deep (rebuilds from the ledger, ${head - 100} blocks): ${first.toFixed(1)} ms`);
    console.log(`  last 100 blocks, forward to the head (each extends by one block): median ${median(forward).toFixed(0)} µs, p99 ${percentile(forward, 0.99).toFixed(0)} µs`);
    console.log(`  same 100 blocks, head back (each in the cache):                 median ${median(back).toFixed(0)} µs, p99 ${percentile(back, 0.99).toFixed(0)} µs`);
    console.log(`  cache: ${n.node.historyUsage.states} state(s), ~${mib(n.node.historyUsage.bytes)}`);
  } finally {
    await n.stop();
  }
}

async function deepState(): Promise<void> {
  const accounts = rawMap('evm.accounts');
  const secrets = new LedgerSecrets([{ fromSeqno: 1, key: new Uint8Array(randomBytes(32)) }]);
  const ledger = new Ledger(new MemoryLedgerStorage(), secrets);
  const store = new Store();
  store.onCommit((c) => ledger.appendLocal(c));
  // The target is `deep` transactions below the head and as many above genesis; the
  // snapshot before it as far back as the default interval allows.
  const head = 2 * deep;
  const target = head - deep;
  const snapshotAt = target - 9_999;
  let snapshot: ReturnType<Store['state']> | undefined;
  for (let i = 1; i <= head; i++) {
    // about an ether transfer's writes: two accounts of some 80 bytes
    const tx = store.begin();
    tx.map(accounts).set(randomBytes(20), randomBytes(80));
    tx.map(accounts).set(randomBytes(20), randomBytes(80));
    tx.commit();
    if (i === snapshotAt) snapshot = store.state(i);
    store.compact(i);
  }
  await ledger.flush();
  const source = (snapshots: boolean): HistorySource => ({
    ledgerBase: () => 0,
    committed: () => head,
    readEntry: (s) => ledger.readEntry(s),
    secrets,
    snapshotSeqnos: async () => (snapshots ? [snapshotAt] : []),
    loadSnapshot: async () => ({ txid: { view: 0, seqno: snapshotAt }, state: snapshot! }),
  });
  console.log(`core builder, a ledger of ${head} transactions, the state ${deep} transactions deep (seqno ${target}):`);
  for (const [label, snapshots] of [['from the empty store', false], ['from a snapshot 9 999 entries before it', true]] as const) {
    const states = new HistoricalStates(source(snapshots), DEFAULT_HISTORY_LIMITS);
    let t0 = now();
    await states.read(target, (tx) => tx.map(accounts).get(new Uint8Array(20)));
    const built = now() - t0;
    const applied = states.appliedEntries;
    t0 = now();
    await states.read(target + 1, (tx) => tx.map(accounts).get(new Uint8Array(20)));
    console.log(`  ${label}: ${built.toFixed(0)} ms (${applied} entries applied); the next seqno ${((now() - t0) * 1000).toFixed(0)} µs; cache ${states.usage.states} state(s), ~${mib(states.usage.bytes)} (bound ${mib(DEFAULT_HISTORY_LIMITS.maxBytes)})`);
  }
}

await recentBlocks();
await deepState();

// What governance costs: a constitution hook call in its sandbox, and the round trip of a
// signed proposal and ballot through JSON-RPC on a real node process (until committed),
// one node and three. Prints figures only. (hardhat node has no governance to compare with.)
//
//   npx tsx bench/governance.ts [--proposals N]
import { rmSync } from 'node:fs';
import { Wallet } from 'ethers';
import { GovClient } from '../cli/gov-client.js';
import { loadDevMember } from '../cli/consortium.js';
import { Constitution } from '../core/governance/constitution.js';
import { Store } from '../core/kv/store.js';
import { defaultEvmConstitution } from '../evm-adapter/constitution.js';
import { EVM_POLICY } from '../evm-adapter/policy.js';
import { forEachFlag } from './lib/args.js';
import { median, now, percentile } from './lib/measure.js';
import { TargetProcess, installCleanup } from './lib/evm/targets.js';

let proposals = 30;
forEachFlag(process.argv.slice(2), (flag, value) => {
  if (flag === '--proposals') proposals = Number(value());
  else throw new Error(`unknown flag ${flag}`);
});

const ms = (xs: number[]) => `median ${median(xs).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms`;

async function hooks(): Promise<void> {
  const constitution = await Constitution.load(await defaultEvmConstitution(), { applicationTables: [EVM_POLICY] });
  const proposal = { actions: [{ name: 'set_user', args: { user_id: Wallet.createRandom().address.toLowerCase(), roles: ['deploy'] } }] };
  const store = new Store();
  const times: Record<'validate' | 'resolve' | 'apply', number[]> = { validate: [], resolve: [], apply: [] };
  for (let i = 0; i < 200; i++) {
    let t = now();
    constitution.validate(proposal);
    times.validate.push(now() - t);
    const tx = store.begin();
    t = now();
    constitution.resolve(proposal, '0x00', [], tx);
    times.resolve.push(now() - t);
    t = now();
    constitution.apply(proposal, '0x01', tx, Date.now());
    times.apply.push(now() - t);
    tx.abort();
  }
  for (const [hook, xs] of Object.entries(times)) console.log(`constitution ${hook.padEnd(8)} ${ms(xs)} (default constitution, fresh sandbox per call)`);
}

async function roundTrips(kind: 'ccevm' | 'ccevm3'): Promise<void> {
  const target = await TargetProcess.start(kind);
  try {
    const member = (await loadDevMember(target.dataDir!))!;
    const gov = await GovClient.connect(target.url, { signer: member.wallet });
    const propose: number[] = [];
    const vote: number[] = [];
    for (let i = 0; i < proposals; i++) {
      let t = now();
      const p = await gov.propose([{ name: 'set_user', args: { user_id: Wallet.createRandom().address.toLowerCase() } }]);
      propose.push(now() - t);
      if (p.kind === 'ack') throw new Error('unexpected outcome');
      t = now();
      const v = await gov.vote(p.proposalId, true);
      vote.push(now() - t);
      if (v.kind === 'ack' || v.state !== 'Accepted') throw new Error(`proposal ${p.proposalId} not accepted: ${JSON.stringify(v)}`);
    }
    const nodes = kind === 'ccevm' ? '1 node ' : '3 nodes';
    console.log(`${nodes}  propose (signed, checked, validated, committed)   ${ms(propose)}`);
    console.log(`${nodes}  vote that accepts and applies it (committed)   ${ms(vote)}`);
  } finally {
    await target.stop();
    if (target.dataDir) rmSync(target.dataDir, { recursive: true, force: true });
  }
}

installCleanup();
await hooks();
await roundTrips('ccevm');
await roundTrips('ccevm3');

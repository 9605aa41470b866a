// A consortium of three members runs a network of real node processes by signed votes:
// it opens the service, adds a user, a member and a node, removes a member; refused
// messages (non-member, expired, replayed, cross-network, malformed) change nothing;
// a rejected or withdrawn proposal has no effect; a vote signed with ethers'
// signTypedData exactly as a wallet signs counts; the history is read back from the
// exported ledger files by `ccevm audit`.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import { GovClient, type Signer } from '../../cli/gov-client.js';
import { signIn } from '../../cli/sign-in.js';
import { defaultEvmConstitution } from '../../evm-adapter/constitution.js';
import type { GovernanceOutcome } from '../../core/governance/engine.js';
import { GOVERNANCE_REFUSED } from '../../rpc/governance/submit.js';
import { governanceDomain, signGovernanceMessage } from '../../rpc/governance/typed-data.js';
import { CHAIN_ID, ClusterNode, devWallet, rpcCall, seqnoOf, signTransfer, waitFor } from './cluster-helpers.js';
import { freePort } from '../support/node-process.js';

const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;
const run = promisify(execFile);

function encryptionKey(): string {
  const jwk = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('hex');
}

/** What the node answered a refused governance message with. */
async function refusal(promise: Promise<unknown>): Promise<{ reason: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    const error = e as { code?: number; message: string; data?: { reason?: string } };
    assert.equal(error.code, GOVERNANCE_REFUSED, `a governance refusal, not: ${error.message}`);
    return { reason: error.data!.reason!, message: error.message };
  }
  assert.fail('the message was accepted');
}

describe('a consortium governs the network by signed votes (node processes)', function () {
  this.timeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'ccevm-gov-'));
  const [alice, bob, carol, dave] = [0, 1, 2, 3].map(() => Wallet.createRandom());
  const outsider = Wallet.createRandom();
  /** funded at genesis, not a user until the members say so */
  const newcomer = Wallet.createRandom();
  /** the newcomer's session once it is a user: its own nonce is for it to read */
  let newcomerToken: string;
  const nodes: ClusterNode[] = [];
  let gov: Record<'alice' | 'bob' | 'carol' | 'dave', GovClient>;

  const node = async (name: string) => {
    const n = new ClusterNode(name, join(dir, name), await freePort(), await freePort(), await freePort(), ['--config', join(dir, 'config.json')]);
    nodes.push(n);
    return n;
  };
  const users = async () => ((await rpcCall(nodes[0]!.url, 'ccevm_govUsers')) as { userId: string }[]).map((u) => u.userId);
  const members = async () => Object.fromEntries(((await rpcCall(nodes[0]!.url, 'ccevm_govMembers')) as { memberId: string; status: string }[]).map((m) => [m.memberId, m.status]));
  /** Propose, then vote approve with each of `voters`; returns the final outcome. */
  const decide = async (proposer: GovClient, actions: { name: string; args: unknown }[], voters: GovClient[]) => {
    const proposed = await proposer.propose(actions);
    assert.ok(proposed.kind === 'proposal' && proposed.state === 'Open', JSON.stringify(proposed));
    let outcome: GovernanceOutcome = proposed;
    for (const voter of voters) outcome = await voter.vote(proposed.proposalId, true);
    return outcome;
  };

  /** the consortium's own constitution file: the default, amended */
  let constitution: string;
  /** a user from the config file */
  const auditor = Wallet.createRandom();

  before(async () => {
    constitution = `${await defaultEvmConstitution()}\n// amended by the consortium\n`;
    writeFileSync(join(dir, 'constitution.js'), constitution);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        members: [alice, bob, carol].map((w, i) => ({ address: w.address, encryptionKey: encryptionKey(), data: { name: ['alice', 'bob', 'carol'][i] } })),
        users: [{ address: auditor.address, roles: ['audit'], data: { org: 'auditor' } }],
        constitution: 'constitution.js',
        genesis: { [newcomer.address]: { balance: '1000000000000000000' } },
      }),
    );
    await (await node('node0')).start();
    const connect = (w: Signer) => GovClient.connect(nodes[0]!.url, { signer: w });
    gov = { alice: await connect(alice), bob: await connect(bob), carol: await connect(carol), dave: await connect(dave) };
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a new service is Opening: members are Accepted, transactions are refused', async () => {
    assert.equal((await rpcCall(nodes[0]!.url, 'ccevm_govService')).status, 'Opening');
    // The config file's consortium: its users and its constitution.
    assert.equal((await rpcCall(nodes[0]!.url, 'ccevm_govConstitution')).source, constitution);
    const configured = ((await rpcCall(nodes[0]!.url, 'ccevm_govUsers')) as { userId: string; roles: string[]; data?: unknown }[]).find((u) => u.userId === auditor.address.toLowerCase());
    assert.deepEqual(configured, { userId: auditor.address.toLowerCase(), roles: ['audit'], data: { org: 'auditor' } });
    assert.deepEqual(Object.values(await members()), ['Accepted', 'Accepted', 'Accepted']);
    const raw = await signTransfer(devWallet(0), 0, devWallet(1).address, 1n);
    await assert.rejects(rpcCall(nodes[0]!.url, 'eth_sendRawTransaction', [raw]), /not open/);
    // An Accepted member may only acknowledge.
    assert.equal((await refusal(gov.alice.propose([{ name: 'transition_service_to_open', args: {} }]))).reason, 'not-active');
  });

  it('members acknowledge the state, then open the service by a majority', async () => {
    for (const g of [gov.alice, gov.bob, gov.carol]) assert.deepEqual(await g.ack(), { kind: 'ack', memberId: g.memberId, status: 'Active' });
    const outcome = await decide(gov.alice, [{ name: 'transition_service_to_open', args: {} }], [gov.alice, gov.bob]);
    assert.equal(outcome.kind !== 'ack' && outcome.state, 'Accepted');
    assert.equal((await rpcCall(nodes[0]!.url, 'ccevm_govService')).status, 'Open');
    const raw = await signTransfer(devWallet(0), 0, devWallet(1).address, 1n);
    await rpcCall(nodes[0]!.url, 'eth_sendRawTransaction', [raw]);
  });

  it('refuses a non-member, an expired, a replayed, a cross-network and a malformed message, changing nothing', async () => {
    const before = await rpcCall(nodes[0]!.url, 'ccevm_govProposals');
    const proposal = { actions: [{ name: 'set_user', args: JSON.stringify({ user_id: outsider.address.toLowerCase() }) }], createdAt: Math.floor(Date.now() / 1000) };
    const stranger = await GovClient.connect(nodes[0]!.url, { signer: outsider });
    assert.match((await refusal(stranger.propose([{ name: 'set_user', args: { user_id: outsider.address.toLowerCase() } }]))).message, /is not a member/);
    const expired = await signGovernanceMessage(alice, 'proposal', { ...proposal, createdAt: proposal.createdAt - 3600 }, gov.alice.domain);
    assert.deepEqual((await refusal(rpcCall(nodes[0]!.url, 'ccevm_govPropose', [expired]))).reason, 'expired');
    const cert = readFileSync(nodes[0]!.serviceCertFile, 'utf8');
    const otherChain = await signGovernanceMessage(alice, 'proposal', proposal, governanceDomain(CHAIN_ID + 1n, cert));
    assert.match((await refusal(rpcCall(nodes[0]!.url, 'ccevm_govPropose', [otherChain]))).message, /chain id/);
    const ownDomain = gov.alice.domain;
    const forged = await signGovernanceMessage(alice, 'proposal', proposal, { ...ownDomain, salt: `0x${'11'.repeat(32)}` });
    assert.equal((await refusal(rpcCall(nodes[0]!.url, 'ccevm_govPropose', [forged]))).reason, 'wrong-network');
    const good = await signGovernanceMessage(alice, 'proposal', proposal, ownDomain);
    const malformed = { ...good, typedData: { ...good.typedData, message: { createdAt: proposal.createdAt } } };
    assert.equal((await refusal(rpcCall(nodes[0]!.url, 'ccevm_govPropose', [malformed]))).reason, 'malformed');
    const first = await rpcCall(nodes[0]!.url, 'ccevm_govPropose', [good]);
    assert.equal((await refusal(rpcCall(nodes[0]!.url, 'ccevm_govPropose', [good]))).reason, 'replayed');
    const after = await rpcCall(nodes[0]!.url, 'ccevm_govProposals');
    assert.equal(after.length, before.length + 1, 'only the good proposal was recorded');
    await gov.alice.withdraw(first.proposalId);
    assert.ok(!(await users()).includes(outsider.address.toLowerCase()));
  });

  it('adds a user by vote (one member against); the user may then transact', async () => {
    const raw = await newcomer.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: 0, to: devWallet(1).address, value: 5n, gasLimit: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    await assert.rejects(rpcCall(nodes[0]!.url, 'eth_sendRawTransaction', [raw]), /not a user/);
    const proposed = await gov.bob.propose([{ name: 'set_user', args: { user_id: newcomer.address.toLowerCase(), roles: [] } }]);
    assert.ok(proposed.kind === 'proposal');
    assert.equal((await gov.carol.vote(proposed.proposalId, false)).kind !== 'ack' && 'counted', 'counted');
    // Alice votes as a wallet would: ethers signTypedData over the node's typed-data definitions.
    const { domain, messages } = await rpcCall(nodes[0]!.url, 'ccevm_govTypedData');
    const { primaryType, types } = messages.ballot;
    const message = { proposalId: proposed.proposalId, approve: true, createdAt: Math.floor(Date.now() / 1000) };
    const signature = await alice.signTypedData(domain, { Ballot: types.Ballot }, message);
    await rpcCall(nodes[0]!.url, 'ccevm_govVote', [{ typedData: { types, primaryType, domain, message }, signature }]);
    const outcome = await gov.bob.vote(proposed.proposalId, true);
    assert.equal(outcome.kind !== 'ack' && outcome.state, 'Accepted');
    const record = await rpcCall(nodes[0]!.url, 'ccevm_govProposal', [proposed.proposalId]);
    assert.deepEqual(record.ballots, { [carol.address.toLowerCase()]: false, [alice.address.toLowerCase()]: true, [bob.address.toLowerCase()]: true });
    assert.ok((await users()).includes(newcomer.address.toLowerCase()));
    // A user now: it signs in, and sees that the refused transaction left no trace.
    newcomerToken = (await signIn(nodes[0]!.url, newcomer)).token;
    const ownNonce = (tag: string) => rpcCall(`${nodes[0]!.url}/rpc/${newcomerToken}`, 'eth_getTransactionCount', [newcomer.address, tag]);
    assert.equal(await ownNonce('pending'), '0x0');
    await rpcCall(nodes[0]!.url, 'eth_sendRawTransaction', [raw]);
    await waitFor(async () => (await ownNonce('latest')) === '0x1', 'the new user transaction');
  });

  it('a rejected and a withdrawn proposal have no effect, and a ballot after either changes nothing', async () => {
    const rejected = await gov.alice.propose([{ name: 'remove_user', args: { user_id: newcomer.address.toLowerCase() } }]);
    assert.ok(rejected.kind === 'proposal');
    await gov.bob.vote(rejected.proposalId, false);
    const outcome = await gov.carol.vote(rejected.proposalId, false);
    assert.equal(outcome.kind !== 'ack' && outcome.state, 'Rejected');
    assert.equal((await refusal(gov.alice.vote(rejected.proposalId, true))).reason, 'not-open');
    const withdrawn = await gov.alice.propose([{ name: 'set_user_data', args: { user_id: newcomer.address.toLowerCase(), data: { withdrawn: true } } }]);
    assert.ok(withdrawn.kind === 'proposal');
    await gov.alice.vote(withdrawn.proposalId, true);
    assert.equal((await refusal(gov.bob.withdraw(withdrawn.proposalId))).reason, 'not-proposer');
    assert.equal((await gov.alice.withdraw(withdrawn.proposalId)).kind !== 'ack' && 'withdrawn', 'withdrawn');
    assert.equal((await refusal(gov.bob.vote(withdrawn.proposalId, true))).reason, 'not-open');
    assert.equal((await rpcCall(nodes[0]!.url, 'ccevm_govProposal', [withdrawn.proposalId])).state, 'Withdrawn');
    const record = ((await rpcCall(nodes[0]!.url, 'ccevm_govUsers')) as { userId: string; data?: unknown }[]).find((u) => u.userId === newcomer.address.toLowerCase());
    assert.ok(record, 'still a user');
    assert.equal(record.data, undefined, 'the withdrawn proposal changed nothing');
  });

  it('adds a member, who becomes Active by acknowledging, and removes one', async () => {
    const added = await decide(gov.alice, [{ name: 'set_member', args: { member_id: dave.address.toLowerCase(), encryption_key: encryptionKey() } }], [gov.alice, gov.bob]);
    assert.equal(added.kind !== 'ack' && added.state, 'Accepted');
    assert.equal((await members())[dave.address.toLowerCase()], 'Accepted');
    assert.equal((await refusal(gov.dave.propose([{ name: 'trigger_snapshot', args: {} }]))).reason, 'not-active');
    await gov.dave.ack();
    // Four active members: a strict majority is three.
    const removal = await gov.dave.propose([{ name: 'remove_member', args: { member_id: carol.address.toLowerCase() } }]);
    assert.ok(removal.kind === 'proposal');
    await gov.alice.vote(removal.proposalId, true);
    assert.equal((await gov.dave.vote(removal.proposalId, true)).kind !== 'ack' && 'two', 'two');
    assert.equal((await rpcCall(nodes[0]!.url, 'ccevm_govProposal', [removal.proposalId])).state, 'Open', 'two of four is not a majority');
    const outcome = await gov.bob.vote(removal.proposalId, true);
    assert.equal(outcome.kind !== 'ack' && outcome.state, 'Accepted');
    assert.equal((await members())[carol.address.toLowerCase()], undefined);
    assert.equal((await refusal(gov.carol.propose([{ name: 'trigger_snapshot', args: {} }]))).reason, 'not-member');
  });

  /** Spawn a node that joins through node 0; resolves with its pending record, before any vote. */
  const askToJoin = async (name: string) => {
    const joiner = await node(name);
    joiner.spawn(nodes[0]!);
    const pending = await waitFor(async () => ((await rpcCall(nodes[0]!.url, 'ccevm_govNodes')) as { nodeId: string; status: string; peerAddress: string }[]).find((n) => n.peerAddress === `127.0.0.1:${joiner.peerPort}`), `the join request of ${name}`);
    return { joiner, pending };
  };
  /**
   * The members (a majority of the three left) trust it, voting through `through` (a
   * backup takes the messages to the primary); resolves once it has caught up.
   */
  const trust = async (joiner: ClusterNode, nodeId: string, through = nodes[0]!) => {
    const [proposer, ...voters] = await Promise.all([alice, bob, dave].map((w) => GovClient.connect(through.url, { signer: w })));
    const outcome = await decide(proposer!, [{ name: 'transition_node_to_trusted', args: { node_id: nodeId } }], voters);
    assert.equal(outcome.kind !== 'ack' && outcome.state, 'Accepted');
    await waitFor(() => rpcCall(joiner.url, 'eth_chainId', [], AbortSignal.timeout(1_000)).then(() => true, () => false), `${joiner.name} to start once trusted`, 60_000);
    const target = seqnoOf((await nodes[0]!.info()).lastCommitted);
    await waitFor(async () => seqnoOf((await joiner.info()).lastCommitted) >= target, `${joiner.name} to catch up`);
  };

  it('grows the network to three nodes, each trusted by vote', async () => {
    for (const name of ['node1', 'node2']) {
      const { joiner, pending } = await askToJoin(name);
      await trust(joiner, pending.nodeId);
    }
    assert.equal(await rpcCall(nodes[0]!.url, 'net_peerCount'), '0x2');
  });

  it('a fourth node joins as Pending, learns nothing, and replicates only after the members trust it', async () => {
    const { joiner, pending } = await askToJoin('node3');
    assert.equal(pending.status, 'Pending');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(joiner.running, true, 'it waits for the vote');
    assert.equal(await rpcCall(joiner.url, 'eth_chainId').then(() => 'up', () => 'down'), 'down', 'a pending node does not start');
    assert.equal(await rpcCall(nodes[0]!.url, 'net_peerCount'), '0x2', 'nor is it connected');
    await trust(joiner, pending.nodeId, nodes[1]);
    assert.equal(await rpcCall(`${joiner.url}/rpc/${newcomerToken}`, 'eth_getTransactionCount', [newcomer.address, 'latest']), '0x1', "it holds the replicated state (and the newcomer's session)");
    assert.equal((await joiner.info()).role, 'backup');
    assert.equal(await rpcCall(nodes[0]!.url, 'net_peerCount'), '0x3');
  });

  it('`ccevm audit` reads the governance history back from exported ledger files, re-verifying every signature', async () => {
    const joiner = nodes[3]!;
    await joiner.stop();
    const out = join(dir, 'export');
    await run(process.execPath, [CLI, 'export', '--data-dir', joiner.dataDir, '--out', out]);
    const { stdout } = await run(process.execPath, [CLI, 'audit', out, '--service-cert', nodes[0]!.serviceCertFile]);
    assert.match(stdout, /ledger verified/);
    for (const w of [alice, bob, carol, dave]) assert.match(stdout, new RegExp(w.address.toLowerCase()));
    assert.match(stdout, /transition_service_to_open/);
    assert.match(stdout, /transition_node_to_trusted/);
    assert.doesNotMatch(stdout, /INVALID/);
    assert.match(stdout, /Rejected/);
    assert.match(stdout, /Withdrawn/);
  });
});

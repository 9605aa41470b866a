// The governance engine on a real node (in-process), with real EIP-712 signatures and the
// default constitution: the lifecycle rules the end-to-end test does not reach (a failing
// apply, a new constitution dropping open proposals, a hostile constitution, a stale
// acknowledgement, a snapshot on request), and that a refused message writes nothing.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { Signer } from '../../cli/gov-client.js';
import { defaultConstitution } from '../../core/governance/default-constitution.js';
import type { GovernanceOutcome } from '../../core/governance/engine.js';
import { GovernanceError } from '../../core/governance/messages.js';
import { governanceStateDigest } from '../../core/governance/state-digest.js';
import { CONSTITUTION, MEMBERS_INFO, PROPOSALS, USERS_INFO, type ProposalAction } from '../../core/governance/tables.js';
import { Node } from '../../core/node/node.js';
import { Eip712Authenticator, governanceDomain, signGovernanceMessage, type GovernanceDomain } from '../../rpc/governance/typed-data.js';

const encryptionKey = () => Buffer.from(generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const now = () => Math.floor(Date.now() / 1000);

describe('governance / engine on a node', function () {
  this.timeout(60_000);
  const members = [0, 1, 2].map(() => Wallet.createRandom());
  let dir: string;
  let node: Node;
  let domain: GovernanceDomain;
  let auth: Eip712Authenticator;

  const submit = async (wallet: Signer, kind: 'proposal' | 'ballot' | 'withdrawal' | 'ack', message: Record<string, unknown>): Promise<GovernanceOutcome> =>
    node.submitGovernance(auth.authenticate(await signGovernanceMessage(wallet, kind, { ...message, createdAt: (message.createdAt as number | undefined) ?? now() } as never, domain)));
  const propose = (wallet: Signer, actions: ProposalAction[]) => submit(wallet, 'proposal', { actions: actions.map((a) => ({ name: a.name, args: JSON.stringify(a.args) })) });
  const vote = (wallet: Signer, proposalId: string, approve = true) => submit(wallet, 'ballot', { proposalId, approve });
  const proposalState = (id: string) => node.readCommitted((tx) => tx.map(PROPOSALS).get(id)?.state);
  /** Proposed by member 0, approved by members 0 and 1 (a majority of three). */
  const pass = async (actions: ProposalAction[]) => {
    const p = await propose(members[0]!, actions);
    assert.ok(p.kind === 'proposal');
    await vote(members[0]!, p.proposalId);
    return vote(members[1]!, p.proposalId);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ccevm-engine-'));
    node = await Node.create({
      dataDir: dir,
      snapshotInterval: 1_000_000,
      governance: { members: members.map((w) => ({ id: w.address, encryptionKey: encryptionKey() })), users: [], constitution: await defaultConstitution() },
    });
    domain = governanceDomain(1337n, node.serviceCertificate);
    auth = new Eip712Authenticator(domain);
    for (const m of members) {
      await submit(m, 'ack', { stateDigest: stateDigest() });
    }
  });

  afterEach(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stateDigest = () => node.readPending((tx) => governanceStateDigest(tx));

  it('an acknowledgement of a digest that is no longer current is refused', async () => {
    const stale = stateDigest();
    await pass([{ name: 'set_user', args: { user_id: members[2]!.address.toLowerCase() } }]);
    await assert.rejects(submit(members[2]!, 'ack', { stateDigest: stale }), (e: unknown) => e instanceof GovernanceError && e.code === 'stale-digest');
  });

  it('a refused message writes nothing', async () => {
    const before = node.lastSeqno;
    const outsider = Wallet.createRandom();
    await assert.rejects(propose(outsider, [{ name: 'trigger_snapshot', args: {} }]), (e: unknown) => e instanceof GovernanceError && e.code === 'not-member');
    await assert.rejects(propose(members[0]!, [{ name: 'no_such_action', args: {} }]), (e: unknown) => e instanceof GovernanceError && e.code === 'invalid-proposal');
    assert.equal(node.lastSeqno, before);
  });

  it('a member votes once on a proposal', async () => {
    const p = await propose(members[0]!, [{ name: 'set_user', args: { user_id: members[2]!.address.toLowerCase() } }]);
    assert.ok(p.kind === 'proposal');
    await vote(members[2]!, p.proposalId, false);
    await assert.rejects(vote(members[2]!, p.proposalId, true), (e: unknown) => e instanceof GovernanceError && e.code === 'already-voted');
    assert.deepEqual(node.readCommitted((tx) => tx.map(PROPOSALS).get(p.proposalId)?.ballots), { [members[2]!.address.toLowerCase()]: false });
  });

  it('a proposal whose apply fails is Failed, with the reason, and changes nothing', async () => {
    // The last active member cannot be removed: removing all three fails in apply.
    const outcome = await pass(members.map((m) => ({ name: 'remove_member', args: { member_id: m.address.toLowerCase() } })));
    assert.ok(outcome.kind === 'ballot');
    assert.equal(outcome.state, 'Failed');
    assert.match(outcome.reason!, /no active member/);
    assert.equal(node.readCommitted((tx) => [...tx.map(MEMBERS_INFO).entries()].length), 3, 'no member removed');
  });

  it('a new constitution drops the proposals still open under the old one', async () => {
    const open = await propose(members[2]!, [{ name: 'set_user', args: { user_id: members[2]!.address.toLowerCase() } }]);
    assert.ok(open.kind === 'proposal');
    const replaced = (await defaultConstitution()) + '\n// amended\n';
    assert.equal((await pass([{ name: 'set_constitution', args: { constitution: replaced } }])).kind === 'ballot' && 'ok', 'ok');
    assert.equal(node.readCommitted((tx) => tx.map(CONSTITUTION).get(0)), replaced);
    assert.equal(proposalState(open.proposalId), 'Dropped');
    await assert.rejects(vote(members[0]!, open.proposalId), (e: unknown) => e instanceof GovernanceError && e.code === 'not-open');
    assert.equal(node.readCommitted((tx) => tx.map(USERS_INFO).get(members[2]!.address.toLowerCase())), undefined);
  });

  it('a proposal that would install a constitution that does not load fails, and governance goes on', async () => {
    const before = node.readCommitted((tx) => tx.map(CONSTITUTION).get(0));
    for (const broken of ['function validate( {', 'function validate() { return { valid: true }; }']) {
      const outcome = await pass([{ name: 'set_constitution', args: { constitution: broken } }]);
      assert.ok(outcome.kind === 'ballot');
      assert.equal(outcome.state, 'Failed');
      assert.match(outcome.reason!, /apply set a constitution that does not load/);
      assert.equal(node.readCommitted((tx) => tx.map(CONSTITUTION).get(0)), before);
    }
    assert.equal((await pass([{ name: 'set_user', args: { user_id: members[2]!.address.toLowerCase() } }])).kind === 'ballot' && 'ok', 'ok');
    assert.ok(node.readCommitted((tx) => tx.map(USERS_INFO).get(members[2]!.address.toLowerCase())));
  });

  it('a hostile constitution fails its proposals with a reason, never the node', async () => {
    const hostile = `function validate() { return { valid: true }; }
      function resolve() { for (;;) {} }
      function apply() { ccf.kv.set('public:ccf.gov.proposals', 'x', {}); }`;
    await pass([{ name: 'set_constitution', args: { constitution: hostile } }]);
    const started = Date.now();
    const p = await propose(members[0]!, [{ name: 'trigger_snapshot', args: {} }]);
    assert.ok(p.kind === 'proposal');
    assert.equal(p.state, 'Failed');
    assert.match(p.reason!, /deadline/);
    assert.ok(Date.now() - started < 10_000, 'the loop was interrupted');
    // The node still commits, and still answers governance.
    const { txid } = await node.transact((tx) => tx.map(USERS_INFO).set('0x' + '00'.repeat(20), { roles: [] }));
    node.emitSignature();
    await node.waitCommitted(txid!);
  });

  it('trigger_snapshot makes every node take a snapshot at the next signature', async () => {
    const snapshots = () => readdirSync(join(dir, 'snapshots')).length;
    const before = (() => {
      try {
        return snapshots();
      } catch {
        return 0;
      }
    })();
    const outcome = await pass([{ name: 'trigger_snapshot', args: {} }]);
    assert.ok(outcome.kind === 'ballot' && outcome.state === 'Accepted');
    for (let i = 0; i < 3; i++) {
      const { txid } = await node.transact((tx) => tx.map(USERS_INFO).set(`0x${String(i).repeat(40)}`, { roles: [] }));
      node.emitSignature();
      await node.waitCommitted(txid!);
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        if (snapshots() > before) return;
      } catch {
        // no snapshot directory yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail('no snapshot was taken');
  });
});

import { CONTRACT_VISIBILITY, EVENT_VISIBILITY, eventVisibilityKey } from '../../evm-adapter/access/tables.js';
import { strict as assert } from 'node:assert';
import { Constitution, ConstitutionError, type Proposal, type Vote } from '../../core/governance/constitution.js';
import { defaultConstitution } from '../../core/governance/default-constitution.js';
import { defaultEvmConstitution } from '../../evm-adapter/constitution.js';
import { PENDING_JOIN_TTL_MS } from '../../core/governance/nodes.js';
import { CONSTITUTION, MEMBERS_INFO, NODE_CODE_IDS, NODES_INFO, PROPOSALS, SERVICE_INFO, USERS_INFO, type MemberInfo } from '../../core/governance/tables.js';
import { jsonCodec, uintCodec } from '../../core/kv/codec.js';
import { defineMap } from '../../core/kv/map-def.js';
import { Store } from '../../core/kv/store.js';
import type { Transaction } from '../../core/kv/transaction.js';

const EVM_POLICY = defineMap('public:ccf.gov.evm.policy', uintCodec, jsonCodec<Record<string, string>>());

const addr = (n: number) => '0x' + n.toString(16).padStart(40, '0');
const nodeId = (n: number) => n.toString(16).padStart(64, '0');
const KEY = 'ab'.repeat(32);
const NOW = 1_700_000_000_000;

/** A constitution whose validate/resolve are trivial and whose apply is `body`. */
const withApply = (body: string) => `function validate() { return { valid: true } }\nfunction resolve() { return 'Open' }\nfunction apply(proposal, id) { ${body} }`;
const withResolve = (body: string) => `function validate() { return { valid: true } }\nfunction resolve(proposal, proposer, votes) { ${body} }\nfunction apply() {}`;
const withValidate = (body: string) => `function validate(proposal) { ${body} }\nfunction resolve() { return 'Open' }\nfunction apply() {}`;

const FAST = { limits: { deadlineMs: 300 } };

const TOPIC = '0x' + 'ef'.repeat(32);

describe('governance / constitution', () => {
  let store: Store;
  let standard: Constitution;

  const write = (change: (tx: Transaction) => void) => {
    const tx = store.begin();
    change(tx);
    tx.commit();
  };
  const read = <T>(f: (tx: Transaction) => T): T => {
    const tx = store.begin();
    try {
      return f(tx);
    } finally {
      tx.abort();
    }
  };
  const members = (statuses: Record<string, MemberInfo['status']>) =>
    write((tx) => {
      for (const [id, status] of Object.entries(statuses)) tx.map(MEMBERS_INFO).set(id, { encryptionKey: KEY, status });
    });
  /** Apply `actions` with `c` and commit; returns the effects. */
  const enact = (actions: Proposal['actions'], c = standard) => {
    const tx = store.begin();
    try {
      const effects = c.apply({ actions }, 'p1', tx, NOW);
      tx.commit();
      return effects;
    } finally {
      tx.abort();
    }
  };
  /** Apply `actions` and expect it to fail with `reason`, having written nothing. */
  const refused = (actions: Proposal['actions'], reason: RegExp, c = standard) => {
    const tx = store.begin();
    try {
      assert.throws(() => c.apply({ actions }, 'p1', tx, NOW), (e: Error) => e instanceof ConstitutionError && reason.test(e.message));
      assert.equal(tx.hasWrites, false, 'a failed apply writes nothing');
    } finally {
      tx.abort();
    }
  };
  const resolveWith = (c: Constitution, votes: Vote[] = []) => read((tx) => c.resolve({ actions: [] }, addr(1), votes, tx));

  before(async () => {
    standard = await Constitution.load(await defaultEvmConstitution(), { applicationTables: [EVM_POLICY, CONTRACT_VISIBILITY, EVENT_VISIBILITY] });
  });
  beforeEach(() => {
    store = new Store();
    members({ [addr(1)]: 'Active', [addr(2)]: 'Active' });
  });

  describe('the default constitution', () => {
    it('validates each action and says what is wrong with a bad one', () => {
      const good: Proposal['actions'] = [
        { name: 'set_member', args: { member_id: addr(9).toUpperCase().replace('0X', '0x'), encryption_key: KEY, data: { name: 'n' } } },
        { name: 'remove_member', args: { member_id: addr(9) } },
        { name: 'set_member_data', args: { member_id: addr(9), data: null } },
        { name: 'set_user', args: { user_id: addr(5), roles: ['deploy'] } },
        { name: 'remove_user', args: { user_id: addr(5) } },
        { name: 'set_user_data', args: { user_id: addr(5), data: 1 } },
        { name: 'transition_node_to_trusted', args: { node_id: nodeId(1) } },
        { name: 'remove_node', args: { node_id: nodeId(1) } },
        { name: 'add_node_code', args: { measurement: 'abcd' } },
        { name: 'remove_node_code', args: { measurement: 'ABCD' } },
        { name: 'set_constitution', args: { constitution: 'function validate() {}' } },
        { name: 'transition_service_to_open', args: {} },
        { name: 'trigger_snapshot', args: undefined },
        { name: 'set_evm_policy', args: { sends: 'users', deploy: 'deployers', base_fee_per_gas: '0', block_gas_limit: '30000000', balances: 'users', code: 'anyone' } },
        { name: 'set_contract_visibility', args: { address: addr(7), visibility: 'private' } },
        { name: 'set_event_visibility', args: { address: addr(7), topic: TOPIC, rule: 31 } },
        { name: 'set_event_visibility', args: { address: addr(7), topic: TOPIC, rule: null } },
      ];
      for (const action of good) assert.deepEqual(standard.validate({ actions: [action] }), { valid: true }, action.name);
      assert.deepEqual(standard.validate({ actions: good }), { valid: true });
      const bad: [Proposal['actions'][number], RegExp][] = [
        [{ name: 'launch_missiles', args: {} }, /^launch_missiles: no such action$/],
        [{ name: 'toString', args: {} }, /^toString: no such action$/],
        [{ name: 'set_member', args: { member_id: addr(1) } }, /^set_member: missing encryption_key$/],
        [{ name: 'set_member', args: { member_id: '0x12', encryption_key: KEY } }, /^set_member: member_id must be an address/],
        [{ name: 'set_member', args: { member_id: addr(1), encryption_key: 'ab' } }, /^set_member: encryption_key must be an X25519 public key/],
        [{ name: 'set_member', args: { member_id: addr(1), encryption_key: KEY, status: 'Active' } }, /^set_member: unknown argument status$/],
        [{ name: 'remove_member', args: [addr(1)] }, /^remove_member: its arguments must be an object$/],
        [{ name: 'set_member_data', args: { member_id: addr(1) } }, /^set_member_data: missing data$/],
        [{ name: 'set_user', args: { user_id: addr(1), roles: 'deploy' } }, /^set_user: roles must be a list of role names$/],
        [{ name: 'remove_user', args: { user_id: 'alice' } }, /^remove_user: user_id must be an address/],
        [{ name: 'set_user_data', args: { user_id: addr(1) } }, /^set_user_data: missing data$/],
        [{ name: 'transition_node_to_trusted', args: { node_id: 'abc' } }, /^transition_node_to_trusted: node_id must be 64 hex digits$/],
        [{ name: 'remove_node', args: {} }, /^remove_node: missing node_id$/],
        [{ name: 'add_node_code', args: { measurement: 'xyz' } }, /^add_node_code: measurement must be hex$/],
        [{ name: 'remove_node_code', args: { measurement: 12 } }, /^remove_node_code: measurement must be hex$/],
        [{ name: 'set_constitution', args: { constitution: '' } }, /^set_constitution: constitution must be JavaScript source text$/],
        [{ name: 'transition_service_to_open', args: { now: true } }, /^transition_service_to_open: unknown argument now$/],
        [{ name: 'set_evm_policy', args: {} }, /^set_evm_policy: nothing to set$/],
        [{ name: 'set_evm_policy', args: { sends: 'nobody' } }, /^set_evm_policy: sends must be 'users' or 'anyone'$/],
        [{ name: 'set_evm_policy', args: { deploy: 'admins' } }, /^set_evm_policy: deploy must be/],
        [{ name: 'set_evm_policy', args: { base_fee_per_gas: '0x10' } }, /^set_evm_policy: base_fee_per_gas must be a decimal string$/],
        [{ name: 'set_evm_policy', args: { block_gas_limit: '0' } }, /^set_evm_policy: block_gas_limit must be a positive decimal string$/],
        [{ name: 'set_evm_policy', args: { balances: 'everyone' } }, /^set_evm_policy: balances must be 'own' or 'users'$/],
        [{ name: 'set_evm_policy', args: { code: 'nobody' } }, /^set_evm_policy: code must be 'users' or 'anyone'$/],
        [{ name: 'set_contract_visibility', args: { address: addr(7), visibility: 'secret' } }, /^set_contract_visibility: visibility must be 'private', 'public' or 'default'$/],
        [{ name: 'set_contract_visibility', args: { address: '0x1', visibility: 'private' } }, /^set_contract_visibility: address must be an address/],
        [{ name: 'set_event_visibility', args: { address: addr(7), topic: '0x12', rule: 1 } }, /^set_event_visibility: topic must be an event signature hash/],
        [{ name: 'set_event_visibility', args: { address: addr(7), topic: TOPIC, rule: 32 } }, /^set_event_visibility: rule must be null or an integer from 0 to 31$/],
        [{ name: 'set_event_visibility', args: { address: addr(7), topic: TOPIC } }, /^set_event_visibility: missing rule$/],
      ];
      for (const [action, description] of bad) {
        const result = standard.validate({ actions: [good[0]!, action] });
        assert.equal(result.valid, false, JSON.stringify(action));
        assert.match(result.description!, description);
      }
      assert.deepEqual(standard.validate({ actions: [] }), { valid: false, description: 'a proposal needs at least one action' });
    });

    it('set_contract_visibility and set_event_visibility write the marks the read policy reads, and remove them', () => {
      const upper = '0x' + 'CD'.repeat(20);
      enact([
        { name: 'set_contract_visibility', args: { address: upper, visibility: 'public' } },
        { name: 'set_event_visibility', args: { address: upper, topic: TOPIC.toUpperCase().replace('0X', '0x'), rule: 6 } },
      ]);
      assert.equal(read((tx) => tx.map(CONTRACT_VISIBILITY).get(upper.toLowerCase())), 'public');
      assert.equal(read((tx) => tx.map(EVENT_VISIBILITY).get(eventVisibilityKey(upper.toLowerCase(), TOPIC))), 6);
      enact([
        { name: 'set_contract_visibility', args: { address: upper, visibility: 'default' } },
        { name: 'set_event_visibility', args: { address: upper, topic: TOPIC, rule: null } },
      ]);
      assert.equal(read((tx) => tx.map(CONTRACT_VISIBILITY).get(upper.toLowerCase())), undefined);
      assert.equal(read((tx) => tx.map(EVENT_VISIBILITY).get(eventVisibilityKey(upper.toLowerCase(), TOPIC))), undefined);
    });

    it('set_member adds an Accepted member (lowercased), and keeps the status of an existing one', () => {
      const upper = '0x' + 'AB'.repeat(20);
      enact([{ name: 'set_member', args: { member_id: upper, encryption_key: KEY.toUpperCase(), data: { org: 'x' } } }]);
      assert.deepEqual(read((tx) => tx.map(MEMBERS_INFO).get(upper.toLowerCase())), { encryptionKey: KEY, status: 'Accepted', data: { org: 'x' } });
      enact([{ name: 'set_member', args: { member_id: addr(1), encryption_key: 'cd'.repeat(32) } }]);
      assert.deepEqual(read((tx) => tx.map(MEMBERS_INFO).get(addr(1))), { encryptionKey: 'cd'.repeat(32), status: 'Active' });
    });

    it('remove_member removes a member, never the last Active one', () => {
      enact([{ name: 'remove_member', args: { member_id: addr(2) } }]);
      assert.equal(read((tx) => tx.map(MEMBERS_INFO).has(addr(2))), false);
      refused([{ name: 'remove_member', args: { member_id: addr(1) } }], /^apply threw: removing 0x0+1 would leave no active member$/);
      refused([{ name: 'remove_member', args: { member_id: addr(7) } }], /is not a member/);
      members({ [addr(3)]: 'Accepted' });
      enact([{ name: 'remove_member', args: { member_id: addr(3) } }]);
      assert.equal(read((tx) => tx.map(MEMBERS_INFO).has(addr(3))), false, 'an Accepted member may go while an Active one stays');
    });

    it('set_member_data, set_user (roles default to none), set_user_data, remove_user', () => {
      enact([{ name: 'set_member_data', args: { member_id: addr(2), data: { role: 'auditor' } } }]);
      assert.deepEqual(read((tx) => tx.map(MEMBERS_INFO).get(addr(2))), { encryptionKey: KEY, status: 'Active', data: { role: 'auditor' } });
      refused([{ name: 'set_member_data', args: { member_id: addr(8), data: 1 } }], /0x0+8 is not a member/);
      const user = '0x' + 'EF'.repeat(20);
      enact([{ name: 'set_user', args: { user_id: user } }]);
      assert.deepEqual(read((tx) => tx.map(USERS_INFO).get(user.toLowerCase())), { roles: [] });
      enact([{ name: 'set_user', args: { user_id: user, roles: ['deploy'], data: 'd' } }]);
      assert.deepEqual(read((tx) => tx.map(USERS_INFO).get(user.toLowerCase())), { roles: ['deploy'], data: 'd' });
      enact([{ name: 'set_user_data', args: { user_id: user, data: 'e' } }]);
      assert.deepEqual(read((tx) => tx.map(USERS_INFO).get(user.toLowerCase())), { roles: ['deploy'], data: 'e' });
      enact([{ name: 'remove_user', args: { user_id: user } }]);
      assert.equal(read((tx) => tx.map(USERS_INFO).has(user.toLowerCase())), false);
      refused([{ name: 'remove_user', args: { user_id: user } }], /is not a user/);
      refused([{ name: 'set_user_data', args: { user_id: user, data: 1 } }], /is not a user/);
    });

    it('transition_node_to_trusted trusts a pending node, not an expired or unknown one; remove_node retires one', () => {
      write((tx) => {
        tx.map(NODES_INFO).set(nodeId(1), { cert: 'C1', status: 'Trusted' });
        tx.map(NODES_INFO).set(nodeId(2), { cert: 'C2', status: 'Pending', requestedAt: NOW - 1000 });
        tx.map(NODES_INFO).set(nodeId(3), { cert: 'C3', status: 'Pending', requestedAt: NOW - PENDING_JOIN_TTL_MS - 1 });
      });
      enact([{ name: 'transition_node_to_trusted', args: { node_id: nodeId(2).toUpperCase() } }]);
      assert.equal(read((tx) => tx.map(NODES_INFO).get(nodeId(2)))!.status, 'Trusted');
      refused([{ name: 'transition_node_to_trusted', args: { node_id: nodeId(3) } }], /^apply threw: NodeTableError: the join request of node 0+ has expired$/);
      refused([{ name: 'transition_node_to_trusted', args: { node_id: nodeId(9) } }], /is not a pending node/);
      enact([{ name: 'remove_node', args: { node_id: nodeId(1) } }]);
      assert.equal(read((tx) => tx.map(NODES_INFO).get(nodeId(1)))!.status, 'Retired');
      refused([{ name: 'remove_node', args: { node_id: nodeId(2) } }], /cannot retire the last node/);
    });

    it('add_node_code, remove_node_code, set_constitution', () => {
      enact([{ name: 'add_node_code', args: { measurement: 'ABCDEF' } }]);
      assert.equal(read((tx) => tx.map(NODE_CODE_IDS).get('abcdef')), 'AllowedToJoin');
      enact([{ name: 'remove_node_code', args: { measurement: 'abcdef' } }]);
      assert.equal(read((tx) => tx.map(NODE_CODE_IDS).has('abcdef')), false);
      refused([{ name: 'remove_node_code', args: { measurement: 'abcdef' } }], /abcdef is not an allowed code measurement/);
      const next = standard.source + '\n// amended\n';
      enact([{ name: 'set_constitution', args: { constitution: next } }]);
      assert.equal(read((tx) => tx.map(CONSTITUTION).get(0)), next);
      refused([{ name: 'set_constitution', args: { constitution: 'not a constitution' } }], /^apply set a constitution that does not load: /);
    });

    it('transition_service_to_open opens an Opening service, and only that; trigger_snapshot is an effect', () => {
      write((tx) => tx.map(SERVICE_INFO).set(0, { cert: 'S', status: 'Opening' }));
      assert.deepEqual(enact([{ name: 'transition_service_to_open', args: {} }]), { triggerSnapshot: false });
      assert.equal(read((tx) => tx.map(SERVICE_INFO).get(0))!.status, 'Open');
      refused([{ name: 'transition_service_to_open', args: {} }], /^apply threw: ServiceStateError: the service is Open, not Opening$/);
      assert.deepEqual(enact([{ name: 'trigger_snapshot', args: {} }]), { triggerSnapshot: true });
    });

    it('set_evm_policy merges into the application table, key 0', () => {
      enact([{ name: 'set_evm_policy', args: { sends: 'users', base_fee_per_gas: '7' } }]);
      assert.deepEqual(read((tx) => tx.map(EVM_POLICY).get(0)), { sends: 'users', baseFeePerGas: '7' });
      enact([{ name: 'set_evm_policy', args: { deploy: 'deployers', block_gas_limit: '30000000', base_fee_per_gas: '0' } }]);
      assert.deepEqual(read((tx) => tx.map(EVM_POLICY).get(0)), { sends: 'users', deploy: 'deployers', baseFeePerGas: '0', blockGasLimit: '30000000' });
      enact([{ name: 'set_evm_policy', args: { balances: 'users', code: 'anyone' } }]);
      assert.deepEqual(read((tx) => tx.map(EVM_POLICY).get(0)), { sends: 'users', deploy: 'deployers', baseFeePerGas: '0', blockGasLimit: '30000000', balances: 'users', code: 'anyone' });
    });

    it("core's default constitution alone has no EVM action", async () => {
      const core = await Constitution.load(await defaultConstitution());
      assert.deepEqual(core.validate({ actions: [{ name: 'set_evm_policy', args: { sends: 'anyone' } }] }), { valid: false, description: 'set_evm_policy: no such action' });
    });

    it('set_evm_policy fails where the application table was not given to the constitution', async () => {
      const bare = await Constitution.load(standard.source);
      refused([{ name: 'set_evm_policy', args: { sends: 'anyone' } }], /^apply tried to read public:ccf\.gov\.evm\.policy, which the constitution may not read$/, bare);
    });

    it('a proposal with a bad action fails at apply too, with nothing written', () => {
      refused([{ name: 'add_node_code', args: { measurement: 'aa' } }, { name: 'nope', args: {} }], /^apply threw: nope: no such action$/);
    });

    it('resolve: a strict majority of the Active members, counting only their votes', () => {
      const tally = (active: number, yes: number, no: number) => {
        store = new Store();
        const statuses: Record<string, MemberInfo['status']> = {};
        for (let i = 1; i <= active; i++) statuses[addr(i)] = 'Active';
        members(statuses);
        const votes: Vote[] = [];
        for (let i = 1; i <= yes; i++) votes.push({ member_id: addr(i), vote: true });
        for (let i = yes + 1; i <= yes + no; i++) votes.push({ member_id: addr(i), vote: false });
        return resolveWith(standard, votes);
      };
      // [active members, approvals, rejections, outcome]
      const cases: [number, number, number, string][] = [
        [1, 0, 0, 'Open'], [1, 1, 0, 'Accepted'], [1, 0, 1, 'Rejected'],
        [2, 1, 0, 'Open'], [2, 2, 0, 'Accepted'], [2, 0, 1, 'Rejected'], [2, 1, 1, 'Rejected'],
        [3, 1, 0, 'Open'], [3, 2, 0, 'Accepted'], [3, 1, 1, 'Open'], [3, 0, 2, 'Rejected'], [3, 2, 1, 'Accepted'],
        [4, 2, 0, 'Open'], [4, 3, 0, 'Accepted'], [4, 2, 1, 'Open'], [4, 1, 1, 'Open'], [4, 0, 2, 'Rejected'], [4, 2, 2, 'Rejected'], [4, 3, 1, 'Accepted'],
      ];
      for (const [active, yes, no, outcome] of cases) assert.equal(tally(active, yes, no), outcome, `${active} active, ${yes} for, ${no} against`);

      store = new Store();
      members({ [addr(1)]: 'Active', [addr(2)]: 'Accepted', [addr(3)]: 'Accepted' });
      const votes = (ids: number[], vote: boolean) => ids.map((i) => ({ member_id: addr(i), vote }));
      assert.equal(resolveWith(standard, votes([2, 3], false)), 'Open', 'Accepted members do not reject');
      assert.equal(resolveWith(standard, [...votes([2, 3], true), { member_id: addr(9), vote: true }]), 'Open', 'nor approve, nor do strangers');
      assert.equal(resolveWith(standard, votes([1], true)), 'Accepted', 'one Active member is the majority');
    });
  });

  describe('the sandbox', () => {
    const timed = (f: () => unknown, reason: RegExp) => {
      const start = Date.now();
      assert.throws(f, (e: Error) => e instanceof ConstitutionError && reason.test(e.message));
      return Date.now() - start;
    };

    it('stops an endless loop in any hook at its deadline', async () => {
      const loop = 'for (;;) {}';
      for (const [hook, source] of [['validate', withValidate(loop)], ['resolve', withResolve(loop)], ['apply', withApply(`try { ${loop} } catch (e) {} for (;;) {}`)]] as const) {
        const c = await Constitution.load(source, FAST);
        const elapsed = timed(() => {
          if (hook === 'validate') c.validate({ actions: [] });
          else if (hook === 'resolve') resolveWith(c);
          else enact([], c);
        }, new RegExp(`^${hook} ran past its 300 ms deadline$`));
        assert.ok(elapsed >= 250 && elapsed < 2000, `${hook} stopped after ${elapsed} ms`);
      }
      const topLevel = await Constitution.load(`var n = 0; function validate() { for (;;) n++ } function resolve() {} function apply() {}`, FAST);
      timed(() => topLevel.validate({ actions: [] }), /ran past its 300 ms deadline/);
      await assert.rejects(Constitution.load('for (;;) {}', FAST), /^ConstitutionError: the constitution ran past its 300 ms deadline$/);
    });

    it('stops a huge allocation at the memory limit, and the next call works', async () => {
      const c = await Constitution.load(withValidate(`if (proposal.actions.length) { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); } return { valid: true }`), { limits: { memoryBytes: 8 * 1024 * 1024 } });
      // Many allocations of 800 KB each: the bound on the module's wasm memory stops them.
      for (let i = 0; i < 2; i++) assert.ok(timed(() => c.validate({ actions: [{ name: 'x', args: {} }] }), /^validate ran out of memory \(8 MiB limit\)$/) < 3000);
      assert.deepEqual(c.validate({ actions: [] }), { valid: true });
      // How much a call can hold: the limit, past the module's 16 MiB base (its static data and stack live there too).
      const counting = await Constitution.load(withValidate(`const a = []; try { for (;;) a.push(new ArrayBuffer(1024 * 1024)) } catch (e) {} return { valid: true, description: String(a.length) }`), { limits: { memoryBytes: 8 * 1024 * 1024 } });
      const held = Number(counting.validate({ actions: [] }).description);
      assert.ok(held >= 8 && held <= 24, `held ${held} MiB`);
      const buffer = await Constitution.load(withValidate(`return { valid: new ArrayBuffer(12 * 1024 * 1024).byteLength > 0 }`), { limits: { memoryBytes: 8 * 1024 * 1024 } });
      timed(() => buffer.validate({ actions: [] }), /^validate ran out of memory \(8 MiB limit\)$/);
      assert.deepEqual(standard.validate({ actions: [] }).valid, false);
    });

    it('reports a thrown exception, whatever was thrown', async () => {
      const cases: [string, RegExp][] = [
        [`throw new Error('boom')`, /^apply threw: boom$/],
        [`null.x`, /^apply threw: TypeError: /],
        [`throw 'a string'`, /^apply threw: "a string"$/],
        [`throw { code: 7 }`, /^apply threw: \{"code":7\}$/],
      ];
      for (const [body, reason] of cases) refused([], reason, await Constitution.load(withApply(body)));
      await assert.rejects(Constitution.load('function validate( {'), /^ConstitutionError: the constitution failed to load: SyntaxError: /);
      await assert.rejects(Constitution.load(`throw new Error('no')`), /^ConstitutionError: the constitution failed to load: no$/);
    });

    it('stops deep recursion, in JavaScript and in native code, and the next call works', async () => {
      const deep = await Constitution.load(withValidate(`const f = (n) => f(n + 1) + 1; return f(0)`));
      timed(() => deep.validate({ actions: [] }), /^validate overflowed its stack \(256 KiB limit\)$/);
      // Deep JSON exhausts the host's stack before QuickJS's count notices: the module is replaced.
      const native = await Constitution.load(withValidate(`let a = []; for (let i = 0; i < 100000; i++) a = [a]; return { valid: JSON.stringify(a).length > 0 }`));
      timed(() => native.validate({ actions: [] }), /^validate overflowed (its|the) stack/);
      assert.deepEqual(standard.validate({ actions: [] }).valid, false, 'the next call works');
      // Each overflow leaves its module damaged (the next overflows there are misreported, then worse): each is dropped.
      for (let i = 0; i < 8; i++) {
        await Constitution.load(standard.source); // (lets the spare module be made)
        timed(() => native.validate({ actions: [] }), /^validate overflowed (its|the) stack/);
        assert.deepEqual(standard.validate({ actions: [] }).valid, false);
      }
    });

    it('refuses maps outside governance, even when the JavaScript catches the refusal', async () => {
      const swallow = (statement: string) => `try { ${statement} } catch (e) {}`;
      const cases: [string, RegExp][] = [
        [`ccf.kv.get('evm.accounts', 'x')`, /^apply tried to read evm\.accounts, which the constitution may not read$/],
        [`ccf.kv.entries('public:evm.receipts')`, /^apply tried to read public:evm\.receipts/],
        [`ccf.kv.set('evm.accounts', 'x', 1)`, /^apply tried to write evm\.accounts, which the constitution may not write$/],
        [`ccf.kv.set('${PROPOSALS.name}', 'p', { state: 'Accepted' })`, /^apply tried to write public:ccf\.gov\.proposals, which the constitution may not write$/],
        [`ccf.kv.set('${NODES_INFO.name}', '${nodeId(1)}', { cert: 'X', status: 'Trusted' })`, /^apply tried to write public:ccf\.gov\.nodes\.info, which the constitution/],
        [`ccf.kv.delete('${SERVICE_INFO.name}', 0)`, /^apply tried to write public:ccf\.gov\.service\.info, which the constitution/],
      ];
      for (const [statement, reason] of cases) {
        refused([], reason, await Constitution.load(withApply(`ccf.kv.set('${USERS_INFO.name}', '${addr(4)}', { roles: [] }); ${swallow(statement)}`)));
      }
      const resolver = await Constitution.load(withResolve(`${swallow(`ccf.kv.set('${USERS_INFO.name}', 'u', { roles: [] })`)} ${swallow(`ccf.node.trust('n')`)} return 'Accepted'`));
      assert.throws(() => resolveWith(resolver), /^ConstitutionError: resolve tried to write public:ccf\.gov\.users\.info: only apply may write$/);
      const trusting = await Constitution.load(withResolve(`${swallow(`ccf.node.trust('n')`)} return 'Accepted'`));
      assert.throws(() => resolveWith(trusting), /^ConstitutionError: resolve tried to call ccf\.node\.trust: only apply may$/);
      const validator = await Constitution.load(withValidate(`${swallow(`ccf.kv.get('${MEMBERS_INFO.name}', 'm')`)} return { valid: true }`));
      assert.throws(() => validator.validate({ actions: [] }), /^ConstitutionError: validate tried to use ccf\.kv\.get on public:ccf\.gov\.members\.info: ccf\.kv is not available in validate$/);
      await assert.rejects(Constitution.load(`ccf.kv.keys('${MEMBERS_INFO.name}'); ${withApply('')}`), /not available in the constitution's top level/);
      // A refusal lands in JS as an exception it can see.
      const seen = await Constitution.load(withApply(`try { ccf.kv.get('evm.accounts', 'x') } catch (e) { throw new Error('saw: ' + e.message) }`));
      refused([], /^apply tried to read evm\.accounts/, seen);
    });

    it('has no clock, no randomness, and no view of garbage collection', async () => {
      const weak = await Constitution.load(withValidate(`return { valid: typeof WeakRef === 'undefined' && typeof FinalizationRegistry === 'undefined' }`));
      assert.deepEqual(weak.validate({ actions: [] }), { valid: true });
      for (const expression of ['Date.now()', 'new Date()', 'Date()', 'Math.random()']) {
        const c = await Constitution.load(withValidate(`try { ${expression}; return { valid: true } } catch (e) { return { valid: false, description: e.message } }`));
        const result = c.validate({ actions: [] });
        assert.equal(result.valid, false, expression);
        assert.match(result.description!, /^(Date|Date\.now|Math\.random) is not available to the constitution/);
      }
      const overwrite = await Constitution.load(withValidate(`Math.random = () => 4; Date = function () { return 1 }; try { Math.random(); Date.now(); return { valid: true } } catch (e) { return { valid: false, description: e.message } }`));
      assert.match(overwrite.validate({ actions: [] }).description!, /^Math\.random is not available/, 'nor can the constitution put them back');
    });

    it('carries no state from one call to the next', async () => {
      const c = await Constitution.load(withValidate(`globalThis.calls = (globalThis.calls || 0) + 1; return { valid: true, description: String(calls) }`));
      assert.equal(c.validate({ actions: [] }).description, '1');
      assert.equal(c.validate({ actions: [] }).description, '1');
    });

    it('applies all or nothing: a failed apply leaves the transaction untouched', async () => {
      write((tx) => tx.map(NODES_INFO).set(nodeId(2), { cert: 'C2', status: 'Pending' }));
      const c = await Constitution.load(withApply(`ccf.kv.set('${USERS_INFO.name}', '${addr(4)}', { roles: [] }); ccf.kv.delete('${MEMBERS_INFO.name}', '${addr(2)}'); ccf.node.trust('${nodeId(2)}'); ccf.snapshot.trigger(); if (id === 'p1') throw new Error('changed my mind')`));
      refused([], /^apply threw: changed my mind$/, c);
      const tx = store.begin();
      assert.deepEqual(c.apply({ actions: [] }, 'p2', tx, NOW), { triggerSnapshot: true });
      tx.commit();
      assert.deepEqual(read((t) => [t.map(USERS_INFO).get(addr(4)), t.map(MEMBERS_INFO).has(addr(2)), t.map(NODES_INFO).get(nodeId(2))!.status]), [{ roles: [] }, false, 'Trusted']);
    });

    it("apply's own reads see its pending writes; a node-table error reaches the JavaScript", async () => {
      write((tx) => {
        tx.map(NODES_INFO).set(nodeId(2), { cert: 'C2', status: 'Pending' });
        tx.map(CONSTITUTION).set(0, 'old');
      });
      const c = await Constitution.load(
        withApply(`
          const M = '${MEMBERS_INFO.name}';
          ccf.kv.set(M, '${addr(3)}', { encryptionKey: 'k', status: 'Accepted' });
          ccf.kv.delete(M, '${addr(1)}');
          ccf.node.trust('${nodeId(2)}');
          let refusal;
          try { ccf.node.trust('${nodeId(7)}') } catch (e) { refusal = e.name + ': ' + e.message }
          ccf.kv.set('${USERS_INFO.name}', 'probe', { roles: [], data: {
            keys: ccf.kv.keys(M), has1: ccf.kv.has(M, '${addr(1)}'), got3: ccf.kv.get(M, '${addr(3)}'), missing: ccf.kv.get(M, 'nobody') === undefined,
            node: ccf.kv.get('${NODES_INFO.name}', '${nodeId(2)}').status, refusal, constitutionKeys: ccf.kv.keys('${CONSTITUTION.name}'),
            entries: ccf.kv.entries(M).length,
          } });`),
      );
      enact([], c);
      assert.deepEqual(read((tx) => tx.map(USERS_INFO).get('probe'))!.data, {
        keys: [addr(2), addr(3)],
        has1: false,
        got3: { encryptionKey: 'k', status: 'Accepted' },
        missing: true,
        node: 'Trusted',
        refusal: `NodeTableError: node ${nodeId(7).slice(0, 16)} is not a pending node`,
        constitutionKeys: [0],
        entries: 2,
      });
    });

    it('refuses values that are not JSON and keys of the wrong kind', async () => {
      const cases: [string, RegExp][] = [
        [`ccf.kv.set('${USERS_INFO.name}', 'u', undefined)`, /^apply threw: TypeError: ccf\.kv\.set: the value is not JSON/],
        [`ccf.kv.set('${USERS_INFO.name}', 'u', () => 1)`, /the value is not JSON/],
        [`ccf.kv.set('${USERS_INFO.name}', 'u', { n: 1n })`, /^apply threw: TypeError: /],
        [`const o = {}; o.o = o; ccf.kv.set('${USERS_INFO.name}', 'u', o)`, /^apply threw: TypeError: /],
        [`ccf.kv.get('${USERS_INFO.name}', 0)`, /^apply threw: TypeError: ccf\.kv\.get: public:ccf\.gov\.users\.info has string keys, not 0$/],
        [`ccf.kv.set('${CONSTITUTION.name}', 'zero', 's')`, /^apply threw: TypeError: ccf\.kv\.set: public:ccf\.gov\.constitution has integer keys/],
        [`ccf.kv.get(42, 'x')`, /the table name must be a string/],
      ];
      for (const [body, reason] of cases) refused([], reason, await Constitution.load(withApply(body)));
    });

    it('refuses application tables it cannot offer safely, and limits that are not positive integers', async () => {
      const source = standard.source;
      await assert.rejects(Constitution.load(source, { applicationTables: [defineMap('evm.accounts', uintCodec, jsonCodec())] }), /^TypeError: application table evm\.accounts: the constitution may only see public:ccf\.gov\.\* maps$/);
      await assert.rejects(Constitution.load(source, { applicationTables: [MEMBERS_INFO] }), /is a core governance table/);
      await assert.rejects(Constitution.load(source, { applicationTables: [defineMap('public:ccf.gov.x', jsonCodec<number>(), jsonCodec())] }), /keys must use stringCodec or uintCodec/);
      await assert.rejects(Constitution.load(source, { limits: { deadlineMs: 0 } }), /^RangeError: constitution limit deadlineMs must be a positive integer, not 0$/);
      await assert.rejects(Constitution.load(source, { limits: { memoryBytes: 1.5 } }), /memoryBytes must be a positive integer/);
      assert.ok(await Constitution.load(source, { limits: { deadlineMs: undefined } }));
    });

    it('checks what the hooks return, and that the source defines all three', async () => {
      await assert.rejects(Constitution.load('function validate() {} function apply() {}'), /^ConstitutionError: the constitution does not define resolve\(\)$/);
      await assert.rejects(Constitution.load('var validate = 1;'), /^ConstitutionError: the constitution does not define validate\(\), resolve\(\), apply\(\)$/);
      const arrows = await Constitution.load(`const validate = () => ({ valid: true, description: 'ok' }); const resolve = () => 'Rejected'; const apply = () => {};`);
      assert.deepEqual(arrows.validate({ actions: [] }), { valid: true, description: 'ok' });
      assert.equal(resolveWith(arrows), 'Rejected');
      const returns: [string, RegExp][] = [
        [`return 'yes'`, /^validate returned "yes", not \{ valid, description\? \}$/],
        [`return { valid: 1 }`, /^validate returned \{"valid":1\}/],
        [`return { valid: true, description: 5 }`, /^validate returned a description that is not a string$/],
        [`return Promise.resolve({ valid: true })`, /^validate returned \{\}/],
      ];
      for (const [body, reason] of returns) {
        const c = await Constitution.load(withValidate(body));
        assert.throws(() => c.validate({ actions: [] }), (e: Error) => e instanceof ConstitutionError && reason.test(e.message), body);
      }
      for (const [body, reason] of [[`return 'Maybe'`, /^resolve returned "Maybe", not 'Open', 'Accepted' or 'Rejected'$/], [``, /^resolve returned undefined/]] as const) {
        const c = await Constitution.load(withResolve(body));
        assert.throws(() => resolveWith(c), (e: Error) => e instanceof ConstitutionError && reason.test(e.message), body);
      }
    });
  });
});

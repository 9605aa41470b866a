// The EVM's actions for the default constitution, appended to core's actions (see
// evm-adapter/constitution.ts): set_evm_policy changes who may send and deploy, the base
// fee and the block gas limit (from the next block on), and whose balances and code a
// caller reads (evm-adapter/policy.ts); set_contract_visibility marks a contract private
// or public whatever its code says, set_event_visibility says who sees one of its events
// (evm-adapter/access/).
// (Plain script, no imports: it runs in the constitution sandbox after core's files.)
'use strict';

const EVM_POLICY_TABLE = 'public:ccf.gov.evm.policy';
const CONTRACT_VISIBILITY_TABLE = 'public:ccf.gov.evm.contract_visibility';
const EVENT_VISIBILITY_TABLE = 'public:ccf.gov.evm.event_visibility';
/** evm-adapter/access/event-rules.ts: Everyone 1, Sender 2, Topic1 4, Topic2 8, Topic3 16 */
const MAX_EVENT_RULE = 31;

function isTopic(value) {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value);
}

ACTIONS.set_evm_policy = {
  check(args) {
    const wrong = checkArgs(args, [], ['sends', 'deploy', 'base_fee_per_gas', 'block_gas_limit', 'balances', 'code']);
    if (wrong) return wrong;
    if (Object.keys(args).length === 0) return 'nothing to set';
    if (args.sends !== undefined && !['users', 'anyone'].includes(args.sends)) return "sends must be 'users' or 'anyone'";
    if (args.deploy !== undefined && !['deployers', 'users', 'anyone'].includes(args.deploy)) return "deploy must be 'deployers', 'users' or 'anyone'";
    if (args.balances !== undefined && !['own', 'users'].includes(args.balances)) return "balances must be 'own' or 'users'";
    if (args.code !== undefined && !['users', 'anyone'].includes(args.code)) return "code must be 'users' or 'anyone'";
    if (args.base_fee_per_gas !== undefined && !isDecimal(args.base_fee_per_gas)) return 'base_fee_per_gas must be a decimal string';
    if (args.block_gas_limit !== undefined && !(isDecimal(args.block_gas_limit) && args.block_gas_limit !== '0')) return 'block_gas_limit must be a positive decimal string';
    return undefined;
  },
  apply(args) {
    const policy = Object.assign({}, ccf.kv.get(EVM_POLICY_TABLE, 0));
    if (args.sends !== undefined) policy.sends = args.sends;
    if (args.deploy !== undefined) policy.deploy = args.deploy;
    if (args.base_fee_per_gas !== undefined) policy.baseFeePerGas = args.base_fee_per_gas;
    if (args.block_gas_limit !== undefined) policy.blockGasLimit = args.block_gas_limit;
    if (args.balances !== undefined) policy.balances = args.balances;
    if (args.code !== undefined) policy.code = args.code;
    ccf.kv.set(EVM_POLICY_TABLE, 0, policy);
  },
};

// visibility 'default' removes the mark: the contract's code decides again (checkAccess).
ACTIONS.set_contract_visibility = {
  check(args) {
    const wrong = checkIdArgs(args, 'address', ['address', 'visibility'], []);
    if (wrong) return wrong;
    if (!['private', 'public', 'default'].includes(args.visibility)) return "visibility must be 'private', 'public' or 'default'";
    return undefined;
  },
  apply(args) {
    const address = args.address.toLowerCase();
    if (args.visibility === 'default') ccf.kv.delete(CONTRACT_VISIBILITY_TABLE, address);
    else ccf.kv.set(CONTRACT_VISIBILITY_TABLE, address, args.visibility);
  },
};

// rule null removes the members' rule: the contract's own (eventVisibility) applies again.
ACTIONS.set_event_visibility = {
  check(args) {
    const wrong = checkIdArgs(args, 'address', ['address', 'topic', 'rule'], []);
    if (wrong) return wrong;
    if (!isTopic(args.topic)) return 'topic must be an event signature hash (0x and 64 hex digits)';
    if (args.rule !== null && !(Number.isInteger(args.rule) && args.rule >= 0 && args.rule <= MAX_EVENT_RULE)) return 'rule must be null or an integer from 0 to ' + MAX_EVENT_RULE;
    return undefined;
  },
  apply(args) {
    const key = args.address.toLowerCase() + ':' + args.topic.toLowerCase();
    if (args.rule === null) ccf.kv.delete(EVENT_VISIBILITY_TABLE, key);
    else ccf.kv.set(EVENT_VISIBILITY_TABLE, key, args.rule);
  },
};

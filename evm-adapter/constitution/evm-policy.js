// The EVM's action for the default constitution, appended to core's actions (see
// evm-adapter/constitution.ts): set_evm_policy changes who may send and deploy, the base
// fee and the block gas limit, from the next block on (evm-adapter/policy.ts reads them).
// (Plain script, no imports: it runs in the constitution sandbox after core's files.)
'use strict';

const EVM_POLICY_TABLE = 'public:ccf.gov.evm.policy';

ACTIONS.set_evm_policy = {
  check(args) {
    const wrong = checkArgs(args, [], ['sends', 'deploy', 'base_fee_per_gas', 'block_gas_limit']);
    if (wrong) return wrong;
    if (Object.keys(args).length === 0) return 'nothing to set';
    if (args.sends !== undefined && !['users', 'anyone'].includes(args.sends)) return "sends must be 'users' or 'anyone'";
    if (args.deploy !== undefined && !['deployers', 'users', 'anyone'].includes(args.deploy)) return "deploy must be 'deployers', 'users' or 'anyone'";
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
    ccf.kv.set(EVM_POLICY_TABLE, 0, policy);
  },
};

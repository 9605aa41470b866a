// The default constitution of an EVM service: core's (members, users, nodes, service)
// with the EVM's action appended (set_evm_policy, over the policy map in policy.ts).
import { fileURLToPath } from 'node:url';
import { defaultConstitution } from '../core/governance/default-constitution.js';
import { readText } from '../core/host/files.js';

export async function defaultEvmConstitution(): Promise<string> {
  const evm = await readText(fileURLToPath(new URL('./constitution/evm-policy.js', import.meta.url)));
  return `${await defaultConstitution()}\n${evm}`;
}

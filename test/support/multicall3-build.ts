// Compiles the vendored contracts/Multicall3.sol with the repository's solc (the `solc` npm
// package) and the settings upstream deploys with (optimizer on, 10,000,000 runs), for
// Paris (as hardhat.config.cjs: no PUSH0): the runtime bytecode evm-adapter/multicall3.ts
// checks in. Regenerate with `npx tsx scripts/multicall3-runtime.ts`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from './contracts.js';

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { evm: { deployedBytecode: { object: string } } }>>;
}

export function compileMulticall3Runtime(): string {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'Multicall3.sol': { content: readFileSync(join(PROJECT_ROOT, 'contracts', 'Multicall3.sol'), 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 10_000_000 },
      evmVersion: 'paris',
      // no metadata hash: the bytecode then depends on the code alone, not on comments or paths
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { '*': { '*': ['evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  return `0x${output.contracts['Multicall3.sol']!['Multicall3']!.evm.deployedBytecode.object}`;
}

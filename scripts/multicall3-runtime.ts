// Prints the runtime bytecode of the vendored Multicall3 (test/support/multicall3-build.ts):
//
//   npx tsx scripts/multicall3-runtime.ts
//
// paste it into evm-adapter/multicall3.ts; test/evm/multicall3.test.ts checks they agree.
import { compileMulticall3Runtime } from '../test/support/multicall3-build.js';

console.log(compileMulticall3Runtime());

// Hardhat 2 configuration for ccevm's Solidity contracts (CommonJS: package.json has
// "type": "module", and Hardhat 2 loads its config with require()).
//
//   npx hardhat compile                                   # contracts/ → artifacts/
//   npx hardhat run scripts/deploy.cjs --network hardhat  # in-process EDR network
//   npx hardhat run scripts/deploy.cjs --network ccevm    # a ccevm node at CCEVM_URL
//
// Compilation is offline: Hardhat would normally download solc into ~/.cache (impossible on
// our machines), so the subtask that finds a compiler is overridden below to return the
// soljson.js bundled in the `solc` npm package. The Solidity version is that package's
// version, so the two cannot disagree.
'use strict';

const { subtask } = require('hardhat/config');
// What a DApp project loads: ethers on hre, the chai matchers and Ignition (with ethers).
require('@nomicfoundation/hardhat-chai-matchers');
require('@nomicfoundation/hardhat-ignition-ethers');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');

const SOLC_VERSION = require('solc/package.json').version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }) => {
  if (solcVersion !== SOLC_VERSION) {
    throw new Error(
      `hardhat.config.cjs: only solc ${SOLC_VERSION} (the installed solc npm package) is ` +
        `available offline, but ${solcVersion} was requested`,
    );
  }
  // Loaded lazily: instantiating soljson.js takes a second or two, and most Hardhat
  // commands (run, node, test without changes) never compile.
  const solc = require('solc');
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true, // Hardhat then compiles in a child process through solc/wrapper
    version: SOLC_VERSION,
    longVersion: solc.version(), // e.g. "0.8.28+commit.7893614a.Emscripten.clang"
  };
});

const MNEMONIC = 'test test test test test test test test test test test junk';

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Hardhat's own default for solc >= 0.8.20, stated explicitly: Paris bytecode (no
      // PUSH0, MCOPY or transient storage) runs on any post-merge EVM configuration.
      evmVersion: 'paris',
    },
  },
  paths: {
    sources: 'contracts',
    artifacts: 'artifacts',
    cache: 'cache',
    scripts: 'scripts',
    tests: 'hardhat-tests',
    // Ignition's modules; it journals each deployment under ignition/deployments/<id>.
    ignition: 'ignition',
  },
  defaultNetwork: 'hardhat',
  networks: {
    // Hardhat's in-process network (chain id 31337), with its default accounts, which are
    // the same accounts as the ccevm network's below. Osaka (Hardhat's default, pinned here)
    // has the P256VERIFY precompile (EIP-7951) that contracts/ReceiptVerifier.sol calls.
    hardhat: { hardfork: 'osaka' },
    // A ccevm node. Its default chain id is 1337; Hardhat refuses to send transactions if
    // the node reports a different one, so set CCEVM_CHAIN_ID to match a differently
    // configured node. Transactions are signed locally by Hardhat with the mnemonic's keys
    // and sent with eth_sendRawTransaction. A session token (`ccevm sign-in`) in
    // CCEVM_TOKEN goes with every request as Authorization: Bearer (or put it in the URL:
    // CCEVM_URL=http://127.0.0.1:8545/rpc/<token>).
    ccevm: {
      url: process.env.CCEVM_URL ?? 'http://127.0.0.1:8545',
      chainId: Number(process.env.CCEVM_CHAIN_ID ?? 1337),
      accounts: { mnemonic: MNEMONIC },
      timeout: 60_000,
      ...(process.env.CCEVM_TOKEN ? { httpHeaders: { Authorization: `Bearer ${process.env.CCEVM_TOKEN}` } } : {}),
    },
  },
};

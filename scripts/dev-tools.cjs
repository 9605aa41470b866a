// What a Hardhat script does with a development node (`npm start`): seal a block
// (evm_mine), move the clock (evm_increaseTime) and fund an account
// (hardhat_setBalance); prints what it saw as JSON on stdout. A production service
// refuses all three.
//
//   npx hardhat run scripts/dev-tools.cjs --network ccevm
'use strict';

const hre = require('hardhat');

/** Dev account #6 of the mnemonic "test test … junk". */
const ACCOUNT = '0x976EA74026E726554dB657fA54763abd0C3a0aa9';

async function main() {
  const { provider } = hre.network;
  const latest = () => provider.send('eth_getBlockByNumber', ['latest', false]);
  const before = await latest();
  await provider.send('evm_mine', []);
  const mined = await latest();
  await provider.send('evm_increaseTime', [3600]);
  await provider.send('evm_mine', []);
  const later = await latest();
  await provider.send('hardhat_setBalance', [ACCOUNT, '0x4d2']);
  const balance = await provider.send('eth_getBalance', [ACCOUNT, 'latest']);
  const summary = {
    blocksMined: Number(mined.number) - Number(before.number),
    secondsAdvanced: Number(later.timestamp) - Number(mined.timestamp),
    account: ACCOUNT,
    balance: BigInt(balance).toString(),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});

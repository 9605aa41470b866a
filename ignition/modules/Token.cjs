// A Hardhat Ignition module: deploy Token and make one transfer.
//
//   npx hardhat ignition deploy ignition/modules/Token.cjs --network ccevm
'use strict';

const { buildModule } = require('@nomicfoundation/hardhat-ignition/modules');

module.exports = buildModule('TokenModule', (m) => {
  const token = m.contract('Token', ['Ignition Token', 'IGN', 1_000_000n]);
  m.call(token, 'transfer', ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8', 1_000n]);
  return { token };
});

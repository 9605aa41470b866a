// A Hardhat test as a DApp project writes one, with the chai matchers of
// @nomicfoundation/hardhat-chai-matchers: changeTokenBalances and changeEtherBalances read
// balances at the block before the transaction's and at its block (state at past blocks).
//
//   npx hardhat test hardhat-tests/token-balances.cjs --network ccevm   # node at CCEVM_URL
//   npx hardhat test hardhat-tests/token-balances.cjs                   # in-process network
'use strict';

const { expect } = require('chai');
const { ethers } = require('hardhat');

describe('Token balance changes, as Hardhat matchers see them', function () {
  this.timeout(60_000);

  it('a transfer changes both token balances by the amount', async function () {
    const [owner, recipient] = await ethers.getSigners();
    const token = await ethers.deployContract('Token', ['Matcher Token', 'MT', 1_000_000n]);
    await token.waitForDeployment();
    await expect(token.transfer(recipient.address, 250n)).to.changeTokenBalances(token, [owner, recipient], [-250n, 250n]);
  });

  it('a value transfer changes both ether balances (gas excluded)', async function () {
    const [sender, recipient] = await ethers.getSigners();
    await expect(sender.sendTransaction({ to: recipient.address, value: 12_345n })).to.changeEtherBalances([sender, recipient], [-12_345n, 12_345n]);
  });
});

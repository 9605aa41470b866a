// Deploys Token and Showcase, makes one token transfer and one counter increment, waits for
// every receipt, and prints a JSON summary as the only line on stdout (progress goes to
// stderr):
//
//   npx hardhat run scripts/deploy.cjs --network hardhat   # in-process network
//   npx hardhat run scripts/deploy.cjs --network ccevm     # node at CCEVM_URL (chain 1337)
//
// Plain ethers v6 (no hardhat-ethers plugin): the Hardhat network provider is wrapped in an
// ethers BrowserProvider. On the `ccevm` network Hardhat's provider signs eth_sendTransaction
// locally with the configured mnemonic and forwards eth_sendRawTransaction to the node, so
// the script itself holds no keys. CommonJS because package.json says "type": "module" and
// `hardhat run` preloads Hardhat with `--require`.
'use strict';

const hre = require('hardhat');
const { ethers } = require('ethers');

const TOKEN_NAME = 'ccevm Test Token';
const TOKEN_SYMBOL = 'CCT';
const INITIAL_SUPPLY = ethers.parseUnits('1000000', 18);
const TRANSFER_AMOUNT = ethers.parseUnits('1000', 18);
const POLLING_INTERVAL_MS = 200;

function progress(message) {
  process.stderr.write(`${message}\n`);
}

/** Waits for a transaction's receipt and insists that it succeeded. */
async function confirmed(what, tx) {
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) {
    throw new Error(`${what} (${tx.hash}) failed: status ${receipt?.status}`);
  }
  progress(`  ${what}: ${tx.hash} in block ${receipt.blockNumber}, gas ${receipt.gasUsed}`);
  return receipt;
}

async function deploy(signer, name, args) {
  const { abi, bytecode } = await hre.artifacts.readArtifact(name);
  const factory = new ethers.ContractFactory(abi, bytecode, signer);
  const contract = await factory.deploy(...args);
  const tx = contract.deploymentTransaction();
  const receipt = await confirmed(`deploy ${name}`, tx);
  const address = await contract.getAddress();
  if (receipt.contractAddress !== null && receipt.contractAddress !== address) {
    throw new Error(`${name}: receipt says ${receipt.contractAddress}, expected ${address}`);
  }
  if ((await signer.provider.getCode(address)) === '0x') {
    throw new Error(`${name}: no code at ${address} after deployment`);
  }
  return { contract, address, tx, receipt };
}

async function main() {
  // Ask Hardhat's provider directly first: it checks the chain id against the config, and its
  // errors (node unreachable, HH101 chain id mismatch) read better unwrapped than via ethers.
  await hre.network.provider.request({ method: 'eth_chainId' });
  const provider = new ethers.BrowserProvider(hre.network.provider, undefined, {
    pollingInterval: POLLING_INTERVAL_MS,
  });
  const { chainId } = await provider.getNetwork();
  const accounts = await provider.send('eth_accounts', []);
  if (accounts.length < 2) throw new Error(`need two accounts, the network has ${accounts.length}`);
  const deployer = await provider.getSigner(accounts[0]);
  const recipient = ethers.getAddress(accounts[1]);
  progress(`network ${hre.network.name} (chain ${chainId}), deployer ${deployer.address}`);

  const token = await deploy(deployer, 'Token', [TOKEN_NAME, TOKEN_SYMBOL, INITIAL_SUPPLY]);
  const showcase = await deploy(deployer, 'Showcase', []);

  const transferTx = await token.contract.transfer(recipient, TRANSFER_AMOUNT);
  const transferReceipt = await confirmed('Token.transfer', transferTx);
  const incrementTx = await showcase.contract.increment();
  const incrementReceipt = await confirmed('Showcase.increment', incrementTx);

  const recipientBalance = await token.contract.balanceOf(recipient);
  const count = await showcase.contract.count();
  if (recipientBalance < TRANSFER_AMOUNT) {
    throw new Error(`recipient balance ${recipientBalance} < ${TRANSFER_AMOUNT} after transfer`);
  }
  if (count < 1n) throw new Error(`Showcase.count is ${count} after increment`);

  const summary = {
    network: hre.network.name,
    chainId: Number(chainId),
    deployer: deployer.address,
    recipient,
    token: {
      address: token.address,
      deployTx: token.tx.hash,
      block: token.receipt.blockNumber,
    },
    showcase: {
      address: showcase.address,
      deployTx: showcase.tx.hash,
      block: showcase.receipt.blockNumber,
    },
    transfer: {
      tx: transferTx.hash,
      block: transferReceipt.blockNumber,
      amount: TRANSFER_AMOUNT.toString(),
      recipientBalance: recipientBalance.toString(),
    },
    increment: {
      tx: incrementTx.hash,
      block: incrementReceipt.blockNumber,
      count: count.toString(),
    },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error) => {
  process.stderr.write(`deploy failed on network ${hre.network.name}: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});

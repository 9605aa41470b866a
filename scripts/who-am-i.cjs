// Asks the node whom it takes this network's requests to come from (ccevm_whoAmI) and
// prints its answer as JSON on stdout: { "address": "0x…" } when the session token the
// network config sends (CCEVM_TOKEN as a Bearer header, or in CCEVM_URL's path) is
// accepted, { "address": null } without one.
//
//   CCEVM_TOKEN=… npx hardhat run scripts/who-am-i.cjs --network ccevm
'use strict';

const hre = require('hardhat');

async function main() {
  const answer = await hre.network.provider.send('ccevm_whoAmI', []);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});

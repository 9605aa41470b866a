// Users of a development network, added as its consortium adds them: the development
// member (whose key `ccevm start` writes to the first node's data directory) proposes
// set_user and approves it, which decides a one-member consortium. An auditor so added
// signs in as any user does (`ccevm sign-in`'s SIWE) and its session reads everything.
import { Wallet } from 'ethers';
import { loadDevMember } from '../../cli/consortium.js';
import { GovClient } from '../../cli/gov-client.js';
import { signIn, type Session } from '../../cli/sign-in.js';
import { AUDITOR_ROLE } from '../../evm-adapter/access/reader.js';

/** The development member in `dataDir` votes `address` in as a user with `roles`, through the node at `rpcUrl`. */
export async function voteUserIn(rpcUrl: string, dataDir: string, address: string, roles: string[]): Promise<void> {
  const member = await loadDevMember(dataDir);
  if (!member) throw new Error(`${dataDir} holds no development member`);
  const gov = await GovClient.connect(rpcUrl, { signer: member.wallet });
  const proposed = await gov.propose([{ name: 'set_user', args: { user_id: address.toLowerCase(), roles } }]);
  const outcome = proposed.kind !== 'ack' && proposed.state === 'Open' ? await gov.vote(proposed.proposalId, true) : proposed;
  if (outcome.kind === 'ack' || outcome.state !== 'Accepted') throw new Error(`set_user ${address} was not accepted: ${JSON.stringify(outcome)}`);
}

/** A new user with role 'auditor', voted in and signed in at `rpcUrl`. */
export async function signInNewAuditor(rpcUrl: string, dataDir: string): Promise<Session> {
  const auditor = Wallet.createRandom();
  await voteUserIn(rpcUrl, dataDir, auditor.address, [AUDITOR_ROLE]);
  return signIn(rpcUrl, auditor);
}

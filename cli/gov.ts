// `ccevm gov …`: a member's command line. Readable output by default (the actions, who
// voted what, the outcome); --json prints what the node answered, for scripts.
import { readText } from '../core/host/files.js';
import type { GovernanceOutcome } from '../core/governance/engine.js';
import type { ProposalAction } from '../core/governance/tables.js';
import { ConfigError } from './config.js';
import { rpcTarget, signerFrom, type ClientFlags } from './client-flags.js';
import { GovClient, type ProposalView } from './gov-client.js';

export interface GovFlags extends ClientFlags {
  actions?: string;
}

export const GOV_HELP = `ccevm gov <subcommand> — govern a network as one of its members

  propose NAME ARGS [NAME ARGS …]   propose actions (ARGS: JSON object, e.g. '{"user_id":"0x…"}');
                                    or --actions FILE with a JSON array of { name, args }
  vote ID approve|reject            vote on an open proposal
  withdraw ID                       withdraw your own open proposal
  ack                               acknowledge the current state (an Accepted member becomes Active)
  list | show ID                    proposals, with their actions, votes and outcome
  members | users | nodes           the consortium as the ledger records it

  --rpc URL             a node's JSON-RPC (default http://127.0.0.1:8545; https:// needs --service-cert)
  --service-cert FILE   the service certificate this member trusts (CA for HTTPS; binds the signatures)
  --key-file FILE       the member's Ethereum private key (hex); or CCEVM_MEMBER_KEY; or
  --mnemonic "…"        with --account N (default 0: m/44'/60'/0'/0/N)
  --json                print the node's answer as JSON
`;

function parseActions(words: string[]): ProposalAction[] {
  if (words.length === 0 || words.length % 2 !== 0) throw new ConfigError('propose needs NAME ARGS pairs (ARGS a JSON object, {} for none), or --actions FILE');
  const actions: ProposalAction[] = [];
  for (let i = 0; i < words.length; i += 2) {
    let args: unknown;
    try {
      args = JSON.parse(words[i + 1]!);
    } catch {
      throw new ConfigError(`the arguments of ${words[i]} are not JSON: ${words[i + 1]}`);
    }
    actions.push({ name: words[i]!, args });
  }
  return actions;
}

async function actionsFile(path: string): Promise<ProposalAction[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readText(path));
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'object' && a !== null && typeof (a as ProposalAction).name === 'string')) {
    throw new ConfigError(`${path} must hold a JSON array of { "name": …, "args": { … } }`);
  }
  return parsed as ProposalAction[];
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export function describeProposal(p: ProposalView): string {
  const ballots = Object.entries(p.ballots);
  const lines = [
    `proposal ${p.proposalId}: ${p.state}${p.reason ? ` (${p.reason})` : ''}`,
    `  proposed by ${p.proposer} at ${iso(p.createdAt)}`,
    `  actions:`,
    ...p.actions.map((a) => `    ${a.name} ${JSON.stringify(a.args)}`),
    ballots.length === 0 ? '  votes: none yet' : '  votes:',
    ...ballots.map(([member, approve]) => `    ${member} ${approve ? 'approve' : 'reject'}`),
  ];
  return lines.join('\n');
}

function describeOutcome(outcome: GovernanceOutcome): string {
  if (outcome.kind === 'ack') return `member ${outcome.memberId} is ${outcome.status}`;
  const next = outcome.state === 'Open' ? `\n(vote: ccevm gov vote ${outcome.proposalId} approve|reject)` : '';
  return `proposal ${outcome.proposalId}: ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}${next}`;
}

export async function runGov(args: string[], flags: GovFlags): Promise<void> {
  const [sub, ...rest] = args;
  if (!sub) {
    process.stdout.write(GOV_HELP);
    return;
  }
  const { url, serviceCert } = await rpcTarget(flags, 'the CA, and what the signatures are bound to');
  const client = await GovClient.connect(url, { signer: await signerFrom(flags, 'CCEVM_MEMBER_KEY'), ...(serviceCert ? { serviceCert } : {}) });
  const print = (value: unknown, text: () => string): void => void process.stdout.write(`${flags.json ? JSON.stringify(value, null, 2) : text()}\n`);
  const id = () => rest[0] ?? (() => { throw new ConfigError(`${sub} needs a proposal id`); })();
  switch (sub) {
    case 'propose': {
      const outcome = await client.propose(flags.actions ? await actionsFile(flags.actions) : parseActions(rest));
      return print(outcome, () => describeOutcome(outcome));
    }
    case 'vote': {
      const choice = rest[1];
      if (choice !== 'approve' && choice !== 'reject') throw new ConfigError('vote needs ID approve|reject');
      const outcome = await client.vote(id(), choice === 'approve');
      return print(outcome, () => describeOutcome(outcome));
    }
    case 'withdraw': {
      const outcome = await client.withdraw(id());
      return print(outcome, () => describeOutcome(outcome));
    }
    case 'ack': {
      const outcome = await client.ack();
      return print(outcome, () => describeOutcome(outcome));
    }
    case 'list': {
      const proposals = await client.proposals();
      return print(proposals, () =>
        proposals.length === 0
          ? 'no proposals'
          : proposals
              .map((p) => {
                const votes = Object.values(p.ballots);
                return `${p.proposalId}  ${p.state.padEnd(9)} ${p.actions.map((a) => a.name).join(', ')}  (${votes.filter(Boolean).length} approve, ${votes.filter((v) => !v).length} reject) by ${p.proposer}`;
              })
              .join('\n'),
      );
    }
    case 'show': {
      const proposal = await client.proposal(id());
      if (!proposal) throw new ConfigError(`no proposal ${id()}`);
      return print(proposal, () => describeProposal(proposal));
    }
    case 'members': {
      const members = await client.rpc.call<{ memberId: string; status: string; encryptionKey: string; data?: unknown }[]>('ccevm_govMembers');
      return print(members, () => members.map((m) => `${m.memberId}  ${m.status.padEnd(8)} encryption key ${m.encryptionKey}${m.data !== undefined ? `  ${JSON.stringify(m.data)}` : ''}`).join('\n') || 'no members');
    }
    case 'users': {
      const users = await client.rpc.call<{ userId: string; roles: string[]; data?: unknown }[]>('ccevm_govUsers');
      return print(users, () => users.map((u) => `${u.userId}  roles: ${u.roles.join(', ') || 'none'}${u.data !== undefined ? `  ${JSON.stringify(u.data)}` : ''}`).join('\n') || 'no users');
    }
    case 'nodes': {
      const nodes = await client.rpc.call<{ nodeId: string; status: string; peerAddress: string | null; measurement: string | null }[]>('ccevm_govNodes');
      return print(nodes, () => nodes.map((n) => `${n.nodeId}  ${n.status.padEnd(8)} ${n.peerAddress ?? '-'}${n.measurement ? `  measurement ${n.measurement}` : ''}`).join('\n'));
    }
    default:
      throw new ConfigError(`unknown gov subcommand ${sub} (ccevm gov for the list)`);
  }
}

// The members' console, in the browser: reads the consortium from the node that served the
// page, and has the member's injected wallet (EIP-1193) sign proposals, ballots and
// acknowledgements with eth_signTypedData_v4. The typed data is built by the same module
// the CLI signs with (rpc/governance/typed-data-definitions.ts, bundled with this file by
// rpc/console/route.ts); the domain's salt is the SHA-256 of the service certificate the
// page shows as the service's fingerprint.
import type { ProposalAction } from '../../core/governance/tables.js';
import { domainOf, governanceMessage, typedDataFor, type GovernanceDomain, type GovernanceMessages } from '../governance/typed-data-definitions.js';

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

type Row = Record<string, unknown>;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let domain: GovernanceDomain | undefined;
let account: string | undefined;
let members: Row[] = [];

/** A JSON-RPC call to the node that served this page. */
async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch('/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
  return body.result as T;
}

/** 0x + SHA-256 of a PEM certificate's DER. */
async function fingerprintOf(pem: string): Promise<string> {
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return `0x${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function setStatus(text: string, error = false): void {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

const show = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

function fillTable(id: string, rows: Row[], columns: string[]): void {
  const body = $(id).querySelector('tbody')!;
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement('tr');
      for (const column of columns) tr.append(Object.assign(document.createElement('td'), { textContent: show(row[column]) }));
      return tr;
    }),
  );
}

function proposalView(p: Row & { proposalId: string; state: string; actions: ProposalAction[]; ballots: Record<string, boolean> }): HTMLElement {
  const box = Object.assign(document.createElement('div'), { className: 'proposal' });
  box.dataset.proposal = p.proposalId;
  const state = Object.assign(document.createElement('span'), { className: 'state', textContent: p.state });
  const title = document.createElement('h3');
  title.append(`${p.proposalId} `, state);
  const by = Object.assign(document.createElement('p'), { textContent: `proposed by ${show(p.proposer)} at ${new Date(Number(p.createdAt) * 1000).toISOString()}${p.reason ? ` (${p.reason})` : ''}` });
  const actions = Object.assign(document.createElement('pre'), { className: 'actions', textContent: JSON.stringify(p.actions, null, 2) });
  const ballots = Object.assign(document.createElement('ul'), { className: 'ballots' });
  ballots.append(...Object.entries(p.ballots).map(([member, approve]) => Object.assign(document.createElement('li'), { textContent: `${member}: ${approve ? 'approve' : 'reject'}` })));
  box.append(title, by, actions, ballots);
  if (p.state === 'Open' && isActiveMember()) {
    const button = (label: string, className: string, act: () => Promise<void>) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: label, className });
      b.addEventListener('click', () => void act());
      return b;
    };
    box.append(
      button('Approve', 'approve', () => submit('ccevm_govVote', 'ballot', governanceMessage.ballot(p.proposalId, true))),
      button('Reject', 'reject', () => submit('ccevm_govVote', 'ballot', governanceMessage.ballot(p.proposalId, false))),
    );
    if (p.proposer === account) box.append(button('Withdraw', 'withdraw', () => submit('ccevm_govWithdraw', 'withdrawal', governanceMessage.withdrawal(p.proposalId))));
  }
  return box;
}

const memberOf = (id: string | undefined) => members.find((m) => m.memberId === id);
const isActiveMember = () => memberOf(account)?.status === 'Active';

async function refresh(): Promise<void> {
  const [service, nodeInfo, memberRows, users, nodes, proposals] = await Promise.all([
    rpc<{ status: string } | null>('ccevm_govService'),
    rpc<Row>('ccevm_nodeInfo'),
    rpc<Row[]>('ccevm_govMembers'),
    rpc<Row[]>('ccevm_govUsers'),
    rpc<Row[]>('ccevm_govNodes'),
    rpc<Parameters<typeof proposalView>[0][]>('ccevm_govProposals'),
  ]);
  members = memberRows;
  $('service-status').textContent = service?.status ?? 'unknown';
  $('node-info').textContent = `${show(nodeInfo.nodeId)} (${show(nodeInfo.role)}, version ${show(nodeInfo.version)})`;
  fillTable('members', members, ['memberId', 'status', 'data']);
  fillTable('users', users, ['userId', 'roles', 'data']);
  fillTable('nodes', nodes, ['nodeId', 'status', 'peerAddress', 'rpcAddress']);
  // Open proposals first, newest first within each group.
  proposals.sort((a, b) => Number(b.state === 'Open') - Number(a.state === 'Open') || Number(b.createdAt) - Number(a.createdAt));
  $('proposals').replaceChildren(...proposals.map(proposalView));
  const member = memberOf(account);
  $('account').textContent = account ? `${account}: ${member ? `member, ${show(member.status)}` : 'not a member of this consortium'}` : '';
  $<HTMLButtonElement>('propose').disabled = !isActiveMember();
  $('ack').hidden = member?.status !== 'Accepted';
}

function wallet(): Eip1193Provider {
  const ethereum = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
  if (!ethereum) throw new Error('no wallet in this browser (window.ethereum)');
  return ethereum;
}

async function connect(): Promise<void> {
  const accounts = (await wallet().request({ method: 'eth_requestAccounts' })) as string[];
  if (!accounts[0]) throw new Error('the wallet gave no account');
  account = accounts[0].toLowerCase();
  const walletChain = BigInt((await wallet().request({ method: 'eth_chainId' })) as string);
  if (walletChain !== BigInt(domain!.chainId)) setStatus(`the wallet is on chain ${walletChain}, this service is chain ${domain!.chainId}: switch networks to sign`, true);
  await refresh();
}

/** Sign `message` with the wallet (eth_signTypedData_v4) and submit the envelope with `method`. */
async function submit<K extends keyof GovernanceMessages>(method: string, kind: K, message: GovernanceMessages[K]): Promise<void> {
  try {
    if (!account) throw new Error('connect a wallet first');
    setStatus(`signing a ${kind}`);
    const typedData = typedDataFor(kind, message, domain!);
    const signature = (await wallet().request({ method: 'eth_signTypedData_v4', params: [account, JSON.stringify(typedData)] })) as string;
    const outcome = await rpc<{ kind: string; proposalId?: string; state?: string; status?: string; reason?: string }>(method, [{ typedData, signature }]);
    $('outcome').textContent =
      outcome.kind === 'ack' ? `acknowledged: you are ${outcome.status}` : `${outcome.kind} ${outcome.proposalId}: ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`;
    setStatus('ready');
    await refresh();
  } catch (e) {
    setStatus(`${kind} failed: ${(e as Error).message}`, true);
  }
}

function propose(): Promise<void> {
  let actions: ProposalAction[];
  try {
    const parsed: unknown = JSON.parse($<HTMLTextAreaElement>('actions').value);
    if (!Array.isArray(parsed) || parsed.some((a) => typeof a !== 'object' || a === null || typeof a.name !== 'string')) throw new Error('expected an array of {"name": …, "args": {…}}');
    actions = parsed as ProposalAction[];
  } catch (e) {
    setStatus(`the actions are not valid: ${(e as Error).message}`, true);
    return Promise.resolve();
  }
  return submit('ccevm_govPropose', 'proposal', governanceMessage.proposal(actions));
}

async function acknowledge(): Promise<void> {
  const { digest } = await rpc<{ digest: string }>('ccevm_govStateDigest');
  await submit('ccevm_govAck', 'ack', governanceMessage.ack(digest));
}

async function start(): Promise<void> {
  const [chainId, cert] = await Promise.all([rpc<string>('eth_chainId'), rpc<{ cert: string }>('ccevm_getServiceIdentity').then((identity) => identity.cert)]);
  const fingerprint = await fingerprintOf(cert);
  domain = domainOf(BigInt(chainId), fingerprint);
  $('fingerprint').textContent = fingerprint;
  $('chain-id').textContent = String(domain.chainId);
  $('connect').addEventListener('click', () => void connect().catch((e: Error) => setStatus(`connecting failed: ${e.message}`, true)));
  $('propose').addEventListener('click', () => void propose());
  $('ack').addEventListener('click', () => void acknowledge().catch((e: Error) => setStatus(`acknowledging failed: ${e.message}`, true)));
  await refresh();
  setStatus('ready');
}

start().catch((e: Error) => setStatus(`the console could not load: ${e.message}`, true));

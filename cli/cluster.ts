// `ccevm start --nodes N`: a local network of N node processes. Node 0 starts (or
// creates) the service; the others join it over HTTPS (node 0's HTTPS port, its service
// certificate as the CA), or restart if they already joined. A joining node is trusted by
// a vote of the members: on a development network, node 0's development member votes. Each has its own data
// directory and ports: RPC on port + i, HTTPS on https-port + i (default port + 100 + i),
// node-to-node on peer-port + i (default port + 1000 + i). Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { JsonRpcClient, httpTransport } from '../rpc/client.js';
import { ConfigError } from './config.js';
import { startMode } from '../core/node/boot.js';
import { loadDevMember } from './consortium.js';
import { GovClient } from './gov-client.js';

const CLI = new URL('./ccevm.js', import.meta.url).pathname;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function without(args: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (names.includes(args[i]!.replace(/^--/, ''))) i++;
    else out.push(args[i]!);
  }
  return out;
}

function basePort(args: string[], name: string, fallback: number): number {
  const text = flag(args, name);
  const port = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`--nodes needs --${name} to be a port from 1 to 65535 (each node takes the next one)`);
  return port;
}

export async function runCluster(count: number, args: string[]): Promise<void> {
  const base = basePort(args, 'port', 8545);
  const httpsBase = basePort(args, 'https-port', base + 100);
  const peerBase = basePort(args, 'peer-port', base + 1000);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const httpHost = flag(args, 'http-host') ?? '127.0.0.1';
  const root = (flag(args, 'data-dir') ?? '.data/node0').replace(/\d+$/, '');
  const common = without(args, ['port', 'https-port', 'peer-port', 'data-dir', 'nodes', 'target', 'service-cert']);
  const children: ChildProcess[] = [];
  const stopAll = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null) c.kill(signal);
  };
  process.once('SIGINT', () => stopAll('SIGINT'));
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  for (let i = 0; i < count; i++) {
    const joining = (await startMode(`${root}${i}`)) === 'create'; // (else it restarts: it joined before)
    const own = ['--data-dir', `${root}${i}`, '--port', String(base + i), '--https-port', String(httpsBase + i), '--peer-port', String(peerBase + i)];
    const command = i === 0 ? ['start'] : ['join', '--target', `https://${host}:${httpsBase}`, '--service-cert', `${root}0/service_cert.pem`];
    const child = spawn(process.execPath, [CLI, ...command, ...own, ...common], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const prefix = `[node${i}] `;
    const relay = (chunk: Buffer) => process.stdout.write(chunk.toString().replace(/^(?=.)/gm, prefix));
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    // Let each node come up before the next asks to join it. A joining node waits for
    // the members' vote: the development member (node 0's) trusts it, by proposal and ballot.
    try {
      if (i > 0 && joining) await trustAsDevMember(`http://${httpHost}:${base}`, `${root}0`, `${host}:${peerBase + i}`, child);
      await waitForRpc(`http://${httpHost}:${base + i}`, child);
    } catch (e) {
      stopAll('SIGTERM');
      throw e;
    }
  }
  const lines = children.map((_, i) => `  node${i}: http://${httpHost}:${base + i} and https://${host}:${httpsBase + i}`);
  process.stdout.write(`\nccevm network of ${count} nodes:\n${lines.join('\n')}\n(ccevm_nodeInfo on each says which is primary; Ctrl-C stops all)\n`);
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
}

async function trustAsDevMember(url: string, firstDataDir: string, peerAddress: string, child: ChildProcess): Promise<void> {
  const dev = await loadDevMember(firstDataDir);
  if (!dev) {
    process.stdout.write(`(node 0 has a configured consortium: its members must vote transition_node_to_trusted for the node at ${peerAddress})\n`);
    return;
  }
  const gov = await GovClient.connect(url, { signer: dev.wallet });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the node at ${peerAddress} exited with code ${code}`))));
  const outcome = await Promise.race([gov.trustJoiningNode(peerAddress), exited]);
  if (outcome.kind !== 'ack') process.stdout.write(`development member trusted the node at ${peerAddress} (proposal ${outcome.proposalId}: ${outcome.state})\n`);
}

async function waitForRpc(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the node exited with code ${child.exitCode}`);
    const ok = await new JsonRpcClient(httpTransport(url, { timeoutMs: 2_000 })).call('eth_chainId').then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

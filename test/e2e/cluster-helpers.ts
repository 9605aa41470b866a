// Multi-process networks for end-to-end tests: each node is a real `node cli/ccevm.js`
// process (`start` for the first, `join --target` over HTTPS with the service certificate
// for the others) on free ports with its own data directory, driven only through JSON-RPC, stopped, killed, frozen (SIGSTOP) and
// restarted on the same data directory and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { HDNodeWallet, Wallet } from 'ethers';
import { loadDevMember } from '../../cli/consortium.js';
import { GovClient } from '../../cli/gov-client.js';
import { SEALED_STATE_FILE } from '../../core/node/identity.js';
import { signInNewAuditor } from '../support/dev-member.js';
import { freePort } from '../support/node-process.js';
import type { NodeInfo } from '../../cli/status.js';

const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;
export const CHAIN_ID = 1337n;
export const MNEMONIC = 'test test test test test test test test test test test junk';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns a value other than undefined/null/false; the deadline only turns a hang into a readable failure. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(intervalMs);
  }
}

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** One JSON-RPC call to `url`; throws RpcError for an error answer, a plain Error for transport failures. */
export async function rpcCall(url: string, method: string, params: unknown[] = [], signal?: AbortSignal): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: signal ?? AbortSignal.timeout(40_000) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string; code: number; data?: unknown } };
  if (body.error) throw new RpcError(body.error.message, body.error.code, body.error.data);
  return body.result;
}

export type { NodeInfo } from '../../cli/status.js';

/** The seqno of a "view.seqno" transaction id. */
export const seqnoOf = (txid: string) => Number(txid.split('.')[1]);

/** One node of a test network: its ports and data directory outlive its processes. */
export class ClusterNode {
  child: ChildProcess | undefined;
  /** everything every process of this node printed */
  output = '';
  private exited: Promise<number | null> = Promise.resolve(null);
  private paused = false;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly port: number,
    readonly httpsPort: number,
    readonly peerPort: number,
    /** extra command-line flags for every process of this node */
    readonly args: readonly string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the node tells others to use (ccevm_nodeInfo's primaryRpc) and joiners ask. */
  get httpsUrl(): string {
    return `https://127.0.0.1:${this.httpsPort}`;
  }

  get serviceCertFile(): string {
    return join(this.dataDir, 'service_cert.pem');
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawn `start` (no target) or `join` through `target` on this node's directory and ports; does not wait. */
  spawn(target?: ClusterNode): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const command = target ? ['join', '--target', target.httpsUrl, '--service-cert', target.serviceCertFile] : ['start'];
    const ports = ['--port', String(this.port), '--https-port', String(this.httpsPort), '--peer-port', String(this.peerPort)];
    const child = spawn(process.execPath, [CLI, ...command, '--data-dir', this.dataDir, ...ports, ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.paused = false;
    this.output += `--- ${this.name}: ${command.join(' ')}\n`;
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Spawn and wait until JSON-RPC answers (throws with the output if the process exits
   * first). A node joining for the first time answers only once the members trusted it:
   * the development member of `voter` (the service's first node) votes it in.
   */
  async start(target?: ClusterNode, timeoutMs = 60_000, voter: ClusterNode | undefined = target): Promise<void> {
    const joining = target !== undefined && !existsSync(join(this.dataDir, SEALED_STATE_FILE));
    this.spawn(target);
    const child = this.child!;
    if (joining) await this.trustedBy(voter!, target, child);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} exited with ${child.exitCode ?? child.signalCode}:\n${this.output}`);
      const up = await rpcCall(this.url, 'eth_chainId', [], AbortSignal.timeout(2_000)).then(() => true, () => false);
      if (up) return;
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer JSON-RPC within ${timeoutMs} ms:\n${this.output}`);
      await sleep(100);
    }
  }

  /** The development member whose key `voter`'s directory holds trusts this node, voting through `through`. */
  private async trustedBy(voter: ClusterNode, through: ClusterNode, child: ChildProcess): Promise<void> {
    const member = await loadDevMember(voter.dataDir);
    if (!member) throw new Error(`${voter.name} has no development member to vote ${this.name} in`);
    const gov = await GovClient.connect(through.url, { signer: member.wallet });
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code}:\n${this.output}`))));
    await Promise.race([gov.trustJoiningNode(`127.0.0.1:${this.peerPort}`), exited]);
  }

  /** Wait for the current process to exit; resolves with its exit code (null if killed by a signal). */
  waitExit(): Promise<number | null> {
    return this.exited;
  }

  /** Send a signal and wait for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    if (this.paused) this.resume();
    this.child!.kill(signal);
    return this.exited;
  }

  /** Freeze the process (SIGSTOP): it keeps its sockets but does nothing. */
  pause(): void {
    if (!this.running) return;
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.child || !this.paused) return;
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  rpc(method: string, params: unknown[] = [], signal?: AbortSignal): Promise<any> {
    return rpcCall(this.url, method, params, signal);
  }

  /** A call in the session of `token` (in the URL path, as `ccevm sign-in` prints it). */
  rpcAs(token: string, method: string, params: unknown[] = [], signal?: AbortSignal): Promise<any> {
    return rpcCall(`${this.url}/rpc/${token}`, method, params, signal);
  }

  info(): Promise<NodeInfo> {
    return this.rpc('ccevm_nodeInfo', [], AbortSignal.timeout(5_000));
  }
}

/** A network of node processes, each in its own temporary data directory. */
export class Cluster {
  private constructor(readonly nodes: ClusterNode[]) {}

  /** Start node 0 with `start`, then each other node with `join` through node 0, waiting until each has caught up. */
  static async start(size: number, label = 'cluster', args: readonly string[] = []): Promise<Cluster> {
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < size; i++) nodes.push(await newNode(`node${i}`, label, args));
    const cluster = new Cluster(nodes);
    try {
      await nodes[0]!.start();
      for (const n of nodes.slice(1)) {
        await n.start(nodes[0]!, undefined, nodes[0]!);
        const target = seqnoOf((await nodes[0]!.info()).lastCommitted);
        await waitFor(async () => seqnoOf((await n.info()).lastCommitted) >= target, `${n.name} to catch up after joining`);
      }
      await cluster.waitConverged(nodes);
    } catch (e) {
      await cluster.dispose();
      throw e;
    }
    return cluster;
  }

  /** Join one more node through `target` (a node of the service); resolves once it answers JSON-RPC. */
  async add(target: ClusterNode, label = 'cluster', args: readonly string[] = []): Promise<ClusterNode> {
    const node = await newNode(`node${this.nodes.length}`, label, args);
    this.nodes.push(node);
    await node.start(target, undefined, this.nodes[0]!);
    return node;
  }

  /**
   * The session token of a new auditor (test/support/dev-member.ts: voted in by node 0's
   * development member), once every running node accepts it: it reads any node's state.
   */
  async signInAuditor(): Promise<string> {
    const { token } = await signInNewAuditor(this.nodes[0]!.url, this.nodes[0]!.dataDir);
    for (const n of this.running) await waitFor(async () => (await n.rpcAs(token, 'ccevm_whoAmI')).address, `${n.name} to accept the auditor's token`);
    return token;
  }

  node(i: number): ClusterNode {
    return this.nodes[i]!;
  }

  get running(): ClusterNode[] {
    return this.nodes.filter((n) => n.running);
  }

  /** The node that says it is primary, once every node in `among` agrees on it and on the view. */
  async waitPrimary(among: ClusterNode[] = this.running, timeoutMs = 30_000): Promise<{ primary: ClusterNode; view: number; infos: NodeInfo[] }> {
    return waitFor(
      async () => {
        const infos = await Promise.all(among.map((n) => n.info()));
        const primaries = among.filter((_, i) => infos[i]!.role === 'primary');
        if (primaries.length !== 1) return undefined;
        const primary = primaries[0]!;
        const view = infos[among.indexOf(primary)]!.view;
        if (!infos.every((i) => i.view === view && i.primaryRpc === primary.httpsUrl)) return undefined;
        return { primary, view, infos };
      },
      'one primary all nodes agree on',
      timeoutMs,
      100,
    );
  }

  /** Every node in `among` reports the same lastCommitted, at least `atLeast` (a seqno). */
  async waitConverged(among: ClusterNode[] = this.running, atLeast = 0, timeoutMs = 30_000): Promise<string> {
    return waitFor(
      async () => {
        const infos = await Promise.all(among.map((n) => n.info()));
        const committed = infos[0]!.lastCommitted;
        return infos.every((i) => i.lastCommitted === committed) && seqnoOf(committed) >= atLeast ? committed : undefined;
      },
      `${among.map((n) => n.name).join(', ')} to agree on what is committed`,
      timeoutMs,
      100,
    );
  }

  /** SIGKILL every process (resuming frozen ones) and remove the data directories. */
  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop('SIGKILL')));
    await Promise.all(this.nodes.map((n) => rm(n.dataDir, { recursive: true, force: true })));
  }

  /** Every node's output, for failure messages. */
  outputs(): string {
    return this.nodes.map((n) => n.output).join('\n');
  }
}

async function newNode(name: string, label: string, args: readonly string[]): Promise<ClusterNode> {
  return new ClusterNode(name, await mkdtemp(join(tmpdir(), `ccevm-${label}-${name}-`)), await freePort(), await freePort(), await freePort(), args);
}

/** The i-th account of the dev mnemonic (pre-funded for i < 20). */
export function devWallet(i: number): Wallet {
  const hd = HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
  return new Wallet(hd.privateKey);
}

/** A locally signed ETH transfer (type 2, zero fees, gas 21000). */
export function signTransfer(wallet: Wallet, nonce: number, to: string, value: bigint): Promise<string> {
  return wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, to, value, gasLimit: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
}

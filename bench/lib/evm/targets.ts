// Node processes under test: a ccevm node (fresh temporary data directory, default
// durability) or `hardhat node`, each in its own process, and a cleanup registry that kills
// them and removes temporary directories on exit, including Ctrl-C and uncaught errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../test/support/node-process.js';
import { loadDevMember } from '../../../cli/consortium.js';
import { GovClient } from '../../../cli/gov-client.js';
import { RpcClient } from './rpc-client.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CCEVM_CLI = join(PROJECT_ROOT, 'cli/ccevm.js');

/** ccevm: one node; ccevm3: three node processes (load goes to the first, the primary). */
export type TargetKind = 'ccevm' | 'ccevm3' | 'hardhat';

// ---------------------------------------------------------------------------------------
// cleanup

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cleanupInstalled = false;

function cleanupSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Kill every started node and remove temp dirs when this process exits, however it exits. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping node processes and removing temporary directories\n`);
      cleanupSync();
      process.exit(130);
    });
  }
}

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ccevm-evm-load-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------
// targets

export interface TargetOptions {
  /** ccevm only: start node with --cpu-prof writing into this directory */
  profileDir?: string;
  /** extra flags for `ccevm start` */
  ccevmArgs?: string[];
}

const OUTPUT_TAIL = 32 * 1024;

export class TargetProcess {
  private tail = '';
  readonly rpc: RpcClient;
  /** process.hrtime in microseconds just before spawning (to relate a CPU profile's clock) */
  readonly spawnedAtUs: number;

  private constructor(
    readonly kind: TargetKind,
    readonly child: ChildProcess,
    readonly url: string,
    readonly dataDir: string | undefined,
    readonly description: string,
    spawnedAtUs: number,
  ) {
    this.rpc = new RpcClient(url);
    this.spawnedAtUs = spawnedAtUs;
    const keep = (d: Buffer) => {
      this.tail = (this.tail + d.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /** The last 32 KiB of the process's stdout and stderr. */
  get output(): string {
    return this.tail;
  }

  static async start(kind: TargetKind, options: TargetOptions = {}): Promise<TargetProcess> {
    installCleanup();
    const port = await freePort();
    let args: string[];
    let dataDir: string | undefined;
    let env: NodeJS.ProcessEnv = process.env;
    const peerPort = await freePort();
    // ccevm3: the first node serves HTTPS, through which the others join.
    const httpsPort = kind === 'ccevm3' ? await freePort() : 0;
    if (kind === 'ccevm' || kind === 'ccevm3') {
      dataDir = makeTempDir('ccevm');
      const prof = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
      args = [...prof, CCEVM_CLI, 'start', '--data-dir', dataDir, '--port', String(port), '--https-port', String(httpsPort), '--peer-port', String(peerPort), ...(options.ccevmArgs ?? [])];
    } else {
      const hardhat = createRequire(join(PROJECT_ROOT, 'package.json')).resolve('hardhat/internal/cli/bootstrap.js');
      args = [hardhat, 'node', '--hostname', '127.0.0.1', '--port', String(port)];
      env = { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' };
    }
    const spawnedAtUs = Number(process.hrtime.bigint() / 1000n);
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const description = `node ${args.map((a) => a.replace(PROJECT_ROOT, '')).join(' ')}`;
    const target = new TargetProcess(kind, child, `http://127.0.0.1:${port}`, dataDir, description, spawnedAtUs);
    await target.waitReady();
    if (kind === 'ccevm3') {
      for (let i = 1; i <= 2; i++) await target.addJoiner(i, `https://127.0.0.1:${httpsPort}`, options.ccevmArgs ?? []);
    }
    return target;
  }

  /**
   * ccevm admits transactions from its users only: the development member makes
   * `addresses` users by vote (a proposal of at most 64 actions each); hardhat needs nothing.
   */
  async registerUsers(addresses: string[]): Promise<void> {
    if (!this.dataDir) return;
    const member = await loadDevMember(this.dataDir);
    if (!member) throw new Error('the ccevm target has no development member');
    const gov = await GovClient.connect(this.url, { signer: member.wallet });
    for (let i = 0; i < addresses.length; i += 64) {
      const outcome = await gov.propose(addresses.slice(i, i + 64).map((a) => ({ name: 'set_user', args: { user_id: a.toLowerCase() } })));
      if (outcome.kind === 'proposal' && outcome.state === 'Open') await gov.vote(outcome.proposalId, true);
    }
  }

  /** Further ccevm node processes that joined this one (ccevm3). */
  private readonly joiners: { child: ChildProcess; dataDir: string }[] = [];

  private async addJoiner(i: number, target: string, extra: string[]): Promise<void> {
    const [port, peerPort] = [await freePort(), await freePort()];
    const dataDir = makeTempDir(`ccevm-join${i}`);
    const serviceCert = join(this.dataDir!, 'service_cert.pem');
    const child = spawn(process.execPath, [CCEVM_CLI, 'join', '--target', target, '--service-cert', serviceCert, '--data-dir', dataDir, '--port', String(port), '--https-port', '0', '--peer-port', String(peerPort), ...extra], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    this.joiners.push({ child, dataDir });
    // It joins once the members trust it: the development member of the first node votes.
    const member = await loadDevMember(this.dataDir!);
    if (!member) throw new Error('the first node has no development member to trust joining nodes');
    await (await GovClient.connect(this.url, { signer: member.wallet })).trustJoiningNode(`127.0.0.1:${peerPort}`);
    const rpc = new RpcClient(`http://127.0.0.1:${port}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`joining node ${i} exited with ${child.exitCode}`);
      const ready = await rpc.call('eth_chainId').then(() => true, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`joining node ${i} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
    rpc.close();
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.kind} exited with ${this.child.exitCode} during start-up:\n${this.output}`);
      try {
        await this.rpc.call('eth_chainId');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`${this.kind} did not answer eth_chainId within 60 s:\n${this.output}`);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Stop with `signal` (SIGINT lets ccevm shut down cleanly and write a CPU profile), and
   * SIGKILL if it has not exited after `graceMs`. Removes the temporary data directory.
   */
  async stop(signal: NodeJS.Signals = 'SIGKILL', graceMs = 30_000): Promise<{ code: number | null; signal: string | null; killed: boolean }> {
    this.rpc.close();
    for (const j of this.joiners) {
      j.child.kill('SIGKILL');
      removeTempDir(j.dataDir);
    }
    let killed = false;
    if (this.alive) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill(signal);
      const timer = setTimeout(() => {
        killed = true;
        this.child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    }
    if (this.dataDir) removeTempDir(this.dataDir);
    return { code: this.child.exitCode, signal: this.child.signalCode, killed };
  }
}

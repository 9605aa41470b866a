// Start real ccevm node processes for end-to-end tests: `node cli/ccevm.js start` on free
// ports with a temporary data directory, waiting until JSON-RPC answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;

/** Ports this process has handed out: the kernel may offer a just-closed one again. */
const handedOut = new Set<number>();

/** A port free now and not handed out before in this process (so two nodes of a test never share one). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const found = (server.address() as { port: number }).port;
        server.close(() => resolve(found));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export interface NodeProcessOptions {
  /** reuse a data directory (restart); a fresh temporary one otherwise */
  dataDir?: string;
  /** extra command-line flags */
  args?: string[];
  /** serve HTTPS as well (on its own free port) */
  https?: boolean;
}

export class NodeProcess {
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly url: string,
    readonly httpsUrl: string | undefined,
    private readonly ownsDir: boolean,
  ) {}

  static async start(options: NodeProcessOptions = {}): Promise<NodeProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ccevm-e2e-'));
    const port = await freePort();
    const httpsPort = options.https ? await freePort() : 0;
    const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--port', String(port), '--https-port', String(httpsPort), '--peer-port', '0', ...(options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new NodeProcess(child, dataDir, `http://127.0.0.1:${port}`, options.https ? `https://127.0.0.1:${httpsPort}` : undefined, !options.dataDir);
    child.stdout!.on('data', (d) => (node.output += d));
    child.stderr!.on('data', (d) => (node.output += d));
    await node.waitReady();
    return node;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`node exited with ${this.child.exitCode}:\n${this.output}`);
      try {
        await this.rpc('eth_chainId');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`node did not answer within 30 s:\n${this.output}`);
  }

  /** One raw JSON-RPC call; resolves with the whole response object. */
  async rpcRaw(body: unknown): Promise<any> {
    const res = await fetch(this.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  }

  /** A JSON-RPC call's result; throws with the error's message and code. */
  async rpc(method: string, params: unknown[] = []): Promise<any> {
    const response = await this.rpcRaw({ jsonrpc: '2.0', id: 1, method, params });
    if (response.error) throw Object.assign(new Error(response.error.message), { code: response.error.code, data: response.error.data });
    return response.result;
  }

  /** Stop with a signal and wait for the process to exit; returns its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    // Exited already: with a code, or killed by a signal (exitCode stays null then).
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }

  /** Stop and remove the data directory if this process created it. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The dev accounts' well-known private keys (mnemonic "test test … junk"), first five. */
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
];

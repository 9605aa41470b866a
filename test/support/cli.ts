// Run the command line as a user does (`node cli/ccevm.js …`) to its end.
import { spawn } from 'node:child_process';

const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `stdin`: what the command reads on its standard input (empty by default). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdin.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// Run Hardhat's command line (`hardhat run scripts/… --network ccevm`) in the project, as a
// developer does, to its end or a timeout.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from './contracts.js';

const HARDHAT_CLI = createRequire(join(PROJECT_ROOT, 'package.json')).resolve('hardhat/internal/cli/bootstrap.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runHardhat(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [HARDHAT_CLI, ...args],
      { cwd: PROJECT_ROOT, env: { ...process.env, ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

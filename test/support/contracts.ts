// Compiled Solidity contracts (contracts/*.sol) for tests and benchmarks.
//
//   import { loadArtifact, deployData, contractInterface } from '../support/contracts.js';
//   const { abi, bytecode } = loadArtifact('Token');           // or 'contracts/Token.sol:Token'
//   const data = deployData('Token', ['Test', 'TST', 10n ** 24n]);   // creation tx data
//   const iface = contractInterface('Showcase');                // ethers Interface
//
// The first call in a process makes sure artifacts/ matches the sources: it fingerprints
// contracts/**/*.sol, hardhat.config.cjs and the solc and hardhat versions, and when the
// fingerprint differs from the one recorded by the last compile (in cache/), it runs
// `hardhat compile --quiet` in a child process (offline; see hardhat.config.cjs) and records
// the new one. Concurrent processes (mocha and a benchmark, say) take turns through a lock
// directory in cache/. This is synchronous and blocks the event loop: a cold compile takes
// about 5 s on our machines, so call it (or ensureContractsCompiled()) before starting nodes
// in the same process.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, type JsonFragment } from 'ethers';

/** The repository root (where hardhat.config.cjs lives). */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// These must match `paths` in hardhat.config.cjs.
const SOURCES_DIR = 'contracts';
const ARTIFACTS_DIR = 'artifacts';
const CACHE_DIR = 'cache';
const CONFIG_FILE = 'hardhat.config.cjs';
const FINGERPRINT_FILE = 'ccevm-contracts.fingerprint';
const LOCK_DIR = 'ccevm-compile.lock';
/** A lock older than this is considered abandoned even if its owner still runs. */
const LOCK_STALE_MS = 10 * 60_000;
const COMPILE_TIMEOUT_MS = 5 * 60_000;

/** A Hardhat artifact, reduced to what tests and benchmarks use. */
export interface ContractArtifact {
  contractName: string;
  /** Path of the source relative to the project root, e.g. `contracts/Token.sol`. */
  sourceName: string;
  abi: JsonFragment[];
  /** Creation code (constructor arguments are appended ABI-encoded; see deployData). */
  bytecode: `0x${string}`;
  /** Runtime code, as `eth_getCode` returns it after deployment. */
  deployedBytecode: `0x${string}`;
}

export interface CompileOptions {
  /** Project to compile; default PROJECT_ROOT. */
  root?: string;
  /** Environment of the `hardhat compile` child process; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Run `hardhat compile --force` even when the fingerprint matches. */
  force?: boolean;
}

/**
 * Makes sure the artifacts match the sources, compiling if needed. Returns `'fresh'` when
 * nothing had to be done, `'compiled'` when Hardhat ran (here or in a concurrent process).
 * Throws with Hardhat's output if compilation fails.
 */
export function ensureContractsCompiled(options: CompileOptions = {}): 'fresh' | 'compiled' {
  const root = options.root ?? PROJECT_ROOT;
  const cacheDir = join(root, CACHE_DIR);
  const stampPath = join(cacheDir, FINGERPRINT_FILE);
  const isFresh = (fingerprint: string): boolean =>
    readIfExists(stampPath) === fingerprint && existsSync(join(root, ARTIFACTS_DIR, SOURCES_DIR));

  let fingerprint = sourceFingerprint(root);
  if (!options.force && isFresh(fingerprint)) return 'fresh';

  mkdirSync(cacheDir, { recursive: true });
  const release = acquireLock(join(cacheDir, LOCK_DIR));
  try {
    // Another process may have compiled the same sources while we waited for the lock.
    fingerprint = sourceFingerprint(root);
    if (!options.force && isFresh(fingerprint)) return 'compiled';
    rmSync(stampPath, { force: true });
    runHardhatCompile(root, options.env ?? process.env, options.force ?? false);
    writeFileSync(stampPath, fingerprint);
    return 'compiled';
  } finally {
    release();
  }
}

const artifactCache = new Map<string, ContractArtifact>();
const checkedRoots = new Set<string>();

/**
 * The artifact of contract `name`: a bare contract name (`'Token'`, which must be unique)
 * or a fully qualified one (`'contracts/Token.sol:Token'`). Compiles first if needed (once
 * per process and project). The returned object is shared: do not modify it.
 */
export function loadArtifact(name: string, root: string = PROJECT_ROOT): ContractArtifact {
  const key = `${root}\0${name}`;
  const cached = artifactCache.get(key);
  if (cached !== undefined) return cached;
  if (!checkedRoots.has(root)) {
    ensureContractsCompiled({ root });
    checkedRoots.add(root);
  }
  let path = findArtifact(root, name);
  if (path === undefined) {
    // Perhaps a source was added since this process last checked: check again.
    ensureContractsCompiled({ root });
    path = findArtifact(root, name);
  }
  if (path === undefined) {
    throw new Error(
      `no artifact for contract ${JSON.stringify(name)}; available: ${listArtifacts(root).join(', ')}`,
    );
  }
  const raw = JSON.parse(readFileSync(path, 'utf8')) as ContractArtifact & {
    linkReferences?: Record<string, unknown>;
  };
  if (raw.linkReferences !== undefined && Object.keys(raw.linkReferences).length > 0) {
    throw new Error(`${name} needs linked libraries, which loadArtifact does not support`);
  }
  const artifact: ContractArtifact = {
    contractName: raw.contractName,
    sourceName: raw.sourceName,
    abi: raw.abi,
    bytecode: raw.bytecode,
    deployedBytecode: raw.deployedBytecode,
  };
  artifactCache.set(key, artifact);
  return artifact;
}

/** Fully qualified names (`source:Contract`) of every compiled contract, sorted. */
export function listArtifacts(root: string = PROJECT_ROOT): string[] {
  const base = join(root, ARTIFACTS_DIR);
  return walk(join(base, SOURCES_DIR))
    .filter((file) => file.endsWith('.json') && !file.endsWith('.dbg.json'))
    .map((file) => {
      const parts = relative(base, file).split(sep);
      const contract = parts.pop()!.replace(/\.json$/, '');
      return `${parts.join('/')}:${contract}`;
    })
    .sort();
}

/** An ethers Interface for contract `name` (encode calls, decode results, logs and errors). */
export function contractInterface(name: string, root: string = PROJECT_ROOT): Interface {
  return new Interface(loadArtifact(name, root).abi);
}

/** The data of a transaction creating contract `name` with constructor arguments `args`. */
export function deployData(
  name: string,
  args: readonly unknown[] = [],
  root: string = PROJECT_ROOT,
): `0x${string}` {
  const artifact = loadArtifact(name, root);
  const encoded = new Interface(artifact.abi).encodeDeploy(args);
  return `${artifact.bytecode}${encoded.slice(2)}`;
}

// ---------------------------------------------------------------------------------------

function findArtifact(root: string, name: string): string | undefined {
  const colon = name.lastIndexOf(':');
  if (colon >= 0) {
    const path = join(root, ARTIFACTS_DIR, name.slice(0, colon), `${name.slice(colon + 1)}.json`);
    return existsSync(path) ? path : undefined;
  }
  const matches = listArtifacts(root).filter((fqn) => fqn.endsWith(`:${name}`));
  if (matches.length > 1) {
    throw new Error(`contract name ${name} is ambiguous, use one of: ${matches.join(', ')}`);
  }
  if (matches.length === 0) return undefined;
  const [source, contract] = matches[0]!.split(':') as [string, string];
  return join(root, ARTIFACTS_DIR, source, `${contract}.json`);
}

/** Hash of everything the compiled output depends on. */
function sourceFingerprint(root: string): string {
  const hash = createHash('sha256');
  const requireFromRoot = createRequire(join(root, 'package.json'));
  for (const pkg of ['solc', 'hardhat']) {
    const { version } = requireFromRoot(`${pkg}/package.json`) as { version: string };
    hash.update(`${pkg}@${version}\0`);
  }
  const files = [
    join(root, CONFIG_FILE),
    ...walk(join(root, SOURCES_DIR)).filter((file) => file.endsWith('.sol')),
  ].sort();
  for (const file of files) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function runHardhatCompile(root: string, env: NodeJS.ProcessEnv, force: boolean): void {
  // Hardhat's own CLI entry point run by this Node.js binary: no npx (which would look for
  // npm updates online), no shell.
  const cli = createRequire(join(root, 'package.json')).resolve('hardhat/internal/cli/bootstrap.js');
  const args = [cli, 'compile', '--quiet', ...(force ? ['--force'] : [])];
  try {
    execFileSync(process.execPath, args, {
      cwd: root,
      env: { ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
      stdio: 'pipe',
      encoding: 'utf8',
      timeout: COMPILE_TIMEOUT_MS,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
    throw new Error(`hardhat compile failed in ${root}:\n${output || e.message}`);
  }
}

/** Takes a lock directory (mkdir is atomic), waiting while a live process holds it. */
function acquireLock(lockDir: string): () => void {
  const ownerFile = join(lockDir, 'owner');
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(ownerFile, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (lockIsAbandoned(lockDir, ownerFile)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    sleepSync(100);
  }
}

function lockIsAbandoned(lockDir: string, ownerFile: string): boolean {
  let age: number;
  try {
    age = Date.now() - statSync(lockDir).mtimeMs;
  } catch {
    return false; // just released: try again
  }
  if (age > LOCK_STALE_MS) return true;
  const pid = Number(readIfExists(ownerFile));
  if (!Number.isInteger(pid) || pid <= 0) return age > 5_000; // owner not written yet
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function walk(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

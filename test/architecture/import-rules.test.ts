// DESIGN.md's folder rules, checked: core/ knows nothing of Ethereum, only core/host
// touches the filesystem or raw sockets, consensus is a state machine of its own (it
// imports only its own files), the EVM adapter knows nothing of the RPC front end, and the
// offline receipt verifier needs nothing but node:crypto.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const PRODUCT_FOLDERS = ['core', 'evm-adapter', 'rpc', 'cli'];

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports, statically or dynamically, or requires. */
export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[^'"]*?\s+from\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) specifiers.push(m[1]!);
  return specifiers;
}

const ETHEREUM = /^(@ethereumjs\/|ethers$|ethers\/|viem$|viem\/|web3|hardhat|@nomicfoundation\/|rlp$|keccak|secp256k1|ethereum-cryptography|@noble\/curves\/secp256k1|solc)/;
const HOST_ONLY = /^(node:)?(fs|fs\/promises|net)$/;
/** Network clients and servers: the front end (rpc/) and the host's sockets (core/host/) only. */
const NETWORK = /^(node:)?(http|https|tls|http2)$/;
/** A call of the global fetch (no import to see): `fetch(`, `globalThis.fetch(`. */
const FETCH_CALL = /(?<![\w$.])(?:globalThis\.)?fetch\s*\(/;

/** Where a source file does network I/O outside its folder's right: imports of NETWORK modules and fetch calls. */
export function networkUses(source: string): string[] {
  const found = importsOf(source).filter((spec) => NETWORK.test(spec));
  // (comments may mention fetch; only code counts)
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  if (FETCH_CALL.test(code)) found.push('fetch()');
  return found;
}

/** Where a relative import of `file` lands, from the repository root. */
function target(spec: string, file: string): string | undefined {
  return spec.startsWith('.') ? relative(ROOT, join(file, '..', spec)) : undefined;
}

/** core/consensus/ imports only files of core/consensus/ (no packages, no other folder). */
const CONSENSUS_OWN_ONLY = (spec: string, file: string) => !target(spec, file)?.startsWith('core/consensus/');
/** evm-adapter/ imports nothing from rpc/. */
const ADAPTER_WITHOUT_RPC = (spec: string, file: string) => target(spec, file)?.startsWith('rpc/') ?? false;

function violations(files: string[], rule: (spec: string, file: string) => boolean): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (rule(spec, file)) found.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  return found;
}

describe('folder rules (DESIGN.md)', () => {
  it('the import scanner sees every form of import', () => {
    const sample = [
      "import { a } from 'node:fs';",
      "import type { B } from '@ethereumjs/vm';",
      "import * as net from 'net';",
      "export { x } from 'viem';",
      "const m = await import('ethers');",
      "const r = require('fs/promises');",
      "import 'keccak';",
    ].join('\n');
    assert.deepEqual(importsOf(sample).sort(), ['@ethereumjs/vm', 'ethers', 'fs/promises', 'keccak', 'net', 'node:fs', 'viem'].sort());
    assert.ok(ETHEREUM.test('@ethereumjs/vm') && ETHEREUM.test('ethers') && !ETHEREUM.test('level'));
    assert.ok(HOST_ONLY.test('node:fs') && HOST_ONLY.test('fs/promises') && HOST_ONLY.test('net') && !HOST_ONLY.test('node:crypto'));
    // Each folder rule catches a violating import, and lets the allowed ones through.
    const raft = join(ROOT, 'core', 'consensus', 'raft.ts');
    assert.equal(CONSENSUS_OWN_ONLY('./types.js', raft), false);
    for (const bad of ['../kv/codec.js', '../../evm-adapter/tables.js', 'node:crypto', '@noble/hashes']) assert.equal(CONSENSUS_OWN_ONLY(bad, raft), true, bad);
    const service = join(ROOT, 'evm-adapter', 'service.ts');
    assert.equal(ADAPTER_WITHOUT_RPC('../rpc/hex.js', service), true);
    assert.equal(ADAPTER_WITHOUT_RPC('../rpc/methods/eth.js', join(ROOT, 'evm-adapter', 'sub', 'x.ts')), false, 'a sibling folder named rpc inside evm-adapter is not rpc/');
    assert.equal(ADAPTER_WITHOUT_RPC('../../rpc/methods/eth.js', join(ROOT, 'evm-adapter', 'sub', 'x.ts')), true);
    for (const ok of ['../core/kv/codec.js', './tables.js', '@ethereumjs/vm']) assert.equal(ADAPTER_WITHOUT_RPC(ok, service), false, ok);
  });

  it('core/ imports nothing Ethereum-specific and nothing outside core/', () => {
    const files = sourceFiles(join(ROOT, 'core'));
    assert.ok(files.length > 10, 'core sources found');
    const found = violations(files, (spec, file) => {
      if (ETHEREUM.test(spec)) return true;
      if (spec.startsWith('.')) return !join(file, '..', spec).startsWith(join(ROOT, 'core'));
      return false;
    });
    assert.deepEqual(found, []);
  });

  it('only core/host/ imports node:fs or node:net', () => {
    const files = PRODUCT_FOLDERS.flatMap((f) => sourceFiles(join(ROOT, f))).filter((f) => !f.startsWith(join(ROOT, 'core', 'host')));
    assert.deepEqual(violations(files, (spec) => HOST_ONLY.test(spec)), []);
  });

  it('core/consensus/ imports only its own files', () => {
    const files = sourceFiles(join(ROOT, 'core', 'consensus'));
    assert.ok(files.length >= 2, 'consensus sources found');
    assert.deepEqual(violations(files, CONSENSUS_OWN_ONLY), []);
  });

  it('evm-adapter/ imports nothing from rpc/', () => {
    const files = sourceFiles(join(ROOT, 'evm-adapter'));
    assert.ok(files.length > 5, 'adapter sources found');
    assert.deepEqual(violations(files, ADAPTER_WITHOUT_RPC), []);
  });

  it('the receipt verifier imports node:crypto and nothing else (it can be copied out and run anywhere)', () => {
    const verifier = join(ROOT, 'evm-adapter', 'receipts', 'verify-receipt.ts');
    const imports = importsOf(readFileSync(verifier, 'utf8'));
    assert.ok(imports.includes('node:crypto'), 'verifier source found');
    assert.deepEqual(violations([verifier], (spec) => spec !== 'node:crypto'), []);
  });

  it('only core/host/ and rpc/ use fetch, http, https or tls (cli/ goes through the rpc client)', () => {
    // The check itself catches each form, and not a mere mention.
    const bad = ["import { request } from 'node:https';", "import * as tls from 'tls';", "const r = await fetch(url);", "const h = await import('http');"];
    for (const line of bad) assert.notDeepEqual(networkUses(line), [], `not caught: ${line}`);
    assert.deepEqual(networkUses("// fetch(url) was here\nimport { x } from 'node:crypto';\nconst prefetch = (a: number) => a;\nobj.fetch(1);"), []);
    const allowed = [join(ROOT, 'core', 'host'), join(ROOT, 'rpc')];
    const files = PRODUCT_FOLDERS.flatMap((f) => sourceFiles(join(ROOT, f))).filter((f) => !allowed.some((dir) => f.startsWith(dir + '/')));
    assert.ok(files.some((f) => f.includes('/cli/')) && files.some((f) => f.includes('/evm-adapter/')), 'cli and evm-adapter sources checked');
    const found = files.flatMap((file) => networkUses(readFileSync(file, 'utf8')).map((use) => `${relative(ROOT, file)} uses ${use}`));
    assert.deepEqual(found, []);
  });
});

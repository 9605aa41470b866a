// DESIGN.md's folder rules, checked: core/ knows nothing of Ethereum, and only core/host
// touches the filesystem or raw sockets.
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
});

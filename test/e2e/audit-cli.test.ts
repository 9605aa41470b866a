// `ccevm audit` as a user runs it (spawning `node cli/ccevm.js`): the summary after the
// governance history, --json, --ledger-secrets, progress on stderr, and tampering or bad
// input as one line on stderr that says where, with exit code 2.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rawMap } from '../../core/kv/map-def.js';
import { CHUNK_NAME, decodeChunk } from '../../core/ledger/chunks.js';
import { decodeEntry, EntryKind, HEADER_SIZE } from '../../core/ledger/entry.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { audit as auditDirectory, auditJson, formatAudit, type ClaimsCheck } from '../../cli/audit.js';
import { runCli, type CliResult } from '../support/cli.js';
import { ledgerSecretsFile, unsealLedgerSecrets } from '../support/ledger-secrets.js';
import { tempDirs } from '../support/tmpdir.js';

const accounts = rawMap('accounts');
const records = rawMap('public:records');
const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;

function assertOneLine(result: CliResult, expected: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
  assert.match(result.stderr, expected);
}

describe('e2e: ccevm audit', function () {
  this.timeout(90_000);
  const dirs = tempDirs();
  let out: string;
  let certFile: string;
  let secretsFile: string;
  let otherSecretsFile: string;
  let nodeId: string;
  let committed: number;
  let firstChunkName: string;

  before(async () => {
    const dataDir = await dirs.make('audit-cli');
    const node = await Node.create({ dataDir, signatures: { transactions: 1_000_000, milliseconds: 600_000 } });
    for (let i = 0; i < 12; i++) {
      await node.transact((tx) => {
        tx.map(accounts).set(utf8(`acct ${i}`), utf8(`secret ${i}`));
        tx.map(records).set(utf8(`rec ${i}`), utf8(`public ${i}`));
      });
      if (i % 4 === 3) await node.waitCommitted(node.emitSignature()!);
    }
    out = await dirs.make('audit-cli-export');
    await node.exportLedger(out, 1_000);
    firstChunkName = (await readdir(out)).find((n) => n.startsWith('ledger_1-'))!;
    nodeId = node.nodeId;
    committed = node.committed;
    certFile = join(out, 'service_cert.pem');
    await writeFile(certFile, node.serviceCertificate);
    await node.stop();
    secretsFile = join(await dirs.make('audit-cli-secrets'), 'secrets.json');
    await writeFile(secretsFile, ledgerSecretsFile(await unsealLedgerSecrets(dataDir)));

    const otherDir = await dirs.make('audit-cli-other');
    await (await Node.create({ dataDir: otherDir })).stop();
    otherSecretsFile = join(await dirs.make('audit-cli-other-secrets'), 'secrets.json');
    await writeFile(otherSecretsFile, ledgerSecretsFile(await unsealLedgerSecrets(otherDir)));
  });

  after(() => dirs.cleanup());

  const audit = (dir: string, ...flags: string[]) => runCli(['audit', dir, '--service-cert', certFile, ...flags]);

  /** A copy of the export with one ciphertext byte flipped in the first private domain a signature follows in its chunk. */
  async function tampered() {
    const dir = await dirs.copy(out, 'audit-cli-tampered');
    for (const file of (await readdir(dir)).filter((n) => CHUNK_NAME.test(n)).sort()) {
      const bytes = new Uint8Array(await readFile(join(dir, file)));
      const entries = decodeChunk(bytes, file);
      const target = entries.find((e, i) => decodeEntry(e.bytes).privateCiphertext.length > 0 && i < entries.length - 1);
      if (!target) continue;
      const signature = entries.find((e) => e.seqno > target.seqno && decodeEntry(e.bytes).kind === EntryKind.Signature)!;
      bytes[target.offset + HEADER_SIZE + decodeEntry(target.bytes).publicDomain.length + 3]! ^= 0x01;
      await writeFile(join(dir, file), bytes);
      return { dir, file, seqno: target.seqno, offset: target.offset, signature: { seqno: signature.seqno, offset: signature.offset } };
    }
    throw new Error('no private domain in the export');
  }

  it('prints the verdict, the governance history, then the summary; progress only when asked (stderr is no terminal)', async () => {
    const result = await audit(out);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^ledger verified: ${committed} entries, \\d+ signatures, last txid \\d+\\.${committed}$`));
    assert.ok(lines.includes('governance history:') || lines.includes('governance history: none in these entries'), result.stdout);
    const summary = lines.slice(lines.indexOf('summary:'));
    assert.match(summary[1]!, new RegExp(`^ {2}entries: ${committed}, txids \\d+\\.1 to \\d+\\.${committed}$`));
    assert.match(summary[2]!, new RegExp(`^ {2}signatures: \\d+, by 1 node: ${nodeId}$`));
    assert.match(summary[3]!, /^ {2}node status changes: [1-9]\d*$/);
    assert.ok(summary.some((l) => new RegExp(`^ {4}seqno \\d+: node ${nodeId} Trusted$`).test(l)), result.stdout);
    assert.ok(summary.some((l) => /^ {2}service identity records: [1-9]\d* \(seqno 1: Opening/.test(l)), result.stdout);
    assert.equal(summary.at(-1), '  private domains: not checked (no --ledger-secrets)');

    const progress = await audit(out, '--progress');
    assert.equal(progress.code, 0, progress.stderr);
    assert.equal(progress.stdout, result.stdout);
    assert.match(progress.stderr, new RegExp(`^(auditing: \\d+/${committed} entries \\(\\d+%\\)\\n)*auditing: ${committed}/${committed} entries \\(100%\\)\\n$`));
    assert.doesNotMatch(progress.stderr, /\r/);
  });

  it('on a terminal, progress is one line rewritten in place (carriage returns), ended before the report', async function () {
    // `script` gives the command a pseudo-terminal (util-linux; stdout and stderr both go to it).
    const command = [process.execPath, CLI, 'audit', out, '--service-cert', certFile].join(' ');
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null']);
    assert.match(stdout, new RegExp(`\\rauditing: ${committed}/${committed} entries \\(100%\\)\\x1b\\[K\\r?\\nledger verified: `));
  });

  it('--json carries the summary fields', async () => {
    const result = await audit(out, '--json');
    assert.equal(result.code, 0, result.stderr);
    const { ledger, governance } = JSON.parse(result.stdout) as { ledger: Record<string, unknown>; governance: unknown[] };
    assert.ok(Array.isArray(governance));
    assert.equal(ledger.entries, committed);
    assert.equal(ledger.lastSeqno, committed);
    assert.equal(ledger.firstSeqno, 1);
    assert.equal(ledger.from, 0);
    assert.match(String(ledger.firstTxid), /^\d+\.1$/);
    assert.match(String(ledger.lastTxid), new RegExp(`^\\d+\\.${committed}$`));
    assert.deepEqual(ledger.signers, [nodeId]);
    assert.ok((ledger.nodeChanges as { node: string; status: string }[]).some((c) => c.node === nodeId && c.status === 'Trusted'));
    assert.ok((ledger.serviceRecords as { seqno: number }[]).length >= 1);
    assert.equal(ledger.privateChecked, false);
    assert.equal('store' in ledger, false);
  });

  it('--ledger-secrets decrypts and verifies the private domains', async () => {
    const result = await audit(out, '--ledger-secrets', secretsFile);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\n {2}private domains: decrypted and verified with the ledger secrets\n/);
    const json = JSON.parse((await audit(out, '--ledger-secrets', secretsFile, '--json')).stdout) as { ledger: { privateChecked: boolean } };
    assert.equal(json.ledger.privateChecked, true);
  });

  it('a tampered chunk: one line naming the file, the seqno and the byte offset; with the secrets, the exact entry', async () => {
    const t = await tampered();
    assertOneLine(await audit(t.dir), new RegExp(`^ccevm: ledger entry at seqno ${t.signature.seqno} in ${t.file} at byte ${t.signature.offset}: signed Merkle root does not match the entries: an entry in \\d+\\.\\.\\d+ was altered\\n$`));
    assertOneLine(await audit(t.dir, '--ledger-secrets', secretsFile), new RegExp(`^ccevm: ledger entry at seqno ${t.seqno} in ${t.file} at byte ${t.offset}: private domain fails authentication`));
    const progress = await audit(t.dir, '--progress');
    assert.equal(progress.code, 2);
    assert.match(progress.stderr.split('\n').filter(Boolean).at(-1)!, new RegExp(`^ccevm: ledger entry at seqno ${t.signature.seqno} in ${t.file}`));
  });

  it('with the secrets, the claims check runs on every normal entry and the summary counts its Ethereum transactions', async () => {
    let made = 0;
    const claims = (): ClaimsCheck => {
      made++;
      let transactions = 0;
      return {
        check: (_txid, writes) => void (writes.has(accounts.name) && transactions++),
        get transactions() {
          return transactions;
        },
      };
    };
    const report = await auditDirectory(out, { 'service-cert': certFile, 'ledger-secrets': secretsFile }, claims);
    assert.equal(report.ethereumTransactions, 12);
    assert.ok(formatAudit(report).includes('  Ethereum transactions checked: 12'));
    assert.equal(auditJson(report).ledger.ethereumTransactionsChecked, 12);
    const without = await auditDirectory(out, { 'service-cert': certFile }, claims);
    assert.equal(made, 1, 'no claims check without the secrets');
    assert.equal(without.ethereumTransactions, undefined);
    assert.equal(formatAudit(without).some((l) => /Ethereum/.test(l)), false);
  });

  it("another service's ledger secrets: refused at the first entry they do not fit", async () => {
    assertOneLine(await audit(out, '--ledger-secrets', otherSecretsFile), new RegExp(`^ccevm: ledger entry at seqno 1 in ${firstChunkName} at byte 32: `));
  });

  it('a ledger secrets file that is missing or malformed is one line', async () => {
    const dir = await dirs.make('audit-cli-bad-secrets');
    const cases: [string, RegExp][] = [
      ['not json', /: not JSON \(expected \[/],
      ['[]', /: not a non-empty list of ledger secrets/],
      ['[{"fromSeqno": 1, "key": "abc"}]', /: secret 0: key must be 64 hex digits/],
      [`[{"fromSeqno": 0, "key": "${'00'.repeat(32)}"}]`, /: secret 0: fromSeqno must be a positive integer/],
      [`[{"fromSeqno": 5, "key": "${'00'.repeat(32)}"}]`, /: the first secret must be in force from seqno 1/],
      [`[{"fromSeqno": 1, "key": "${'00'.repeat(32)}"}, {"fromSeqno": 1, "key": "${'11'.repeat(32)}"}]`, /: secret 1: ledger secrets must be added in seqno order/],
    ];
    const files = cases.map((_, i) => join(dir, `${i}.json`));
    await Promise.all(cases.map(([text], i) => writeFile(files[i]!, text)));
    const [missing, noDir, noArgs, ...results] = await Promise.all([
      audit(out, '--ledger-secrets', join(dir, 'none.json')),
      audit(join(dir, 'no-such-dir')),
      runCli(['audit']),
      ...files.map((file) => audit(out, '--ledger-secrets', file)),
    ]);
    results.forEach((result, i) => assertOneLine(result, new RegExp(`^ccevm: ${files[i]}${cases[i]![1].source}`)));
    assertOneLine(missing!, /^ccevm: cannot read the ledger secrets .*none\.json: ENOENT\n$/);
    assertOneLine(noDir!, /^ccevm: cannot read the directory .*no-such-dir: ENOENT\n$/);
    assertOneLine(noArgs!, /^ccevm: audit needs the directory of ledger chunks\n$/);
  });
});

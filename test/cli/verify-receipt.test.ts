// `ccevm verify-receipt`, run as a user runs it (node cli/ccevm.js): a ccevm_getLedgerReceipt
// answer and a plain ledger receipt verify and print what they prove (lines, or --json);
// a tampered one is exit code 2 and one line naming the failed check.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEthereumResponse, buildReceipt, makeService, SAMPLE_FACTS, type TestService } from '../support/receipt-builder.js';
import { runCli, type CliResult } from '../support/cli.js';
import { tempDirs } from '../support/tmpdir.js';

function assertOneLine(result: CliResult, expected: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
  assert.match(result.stderr, expected);
}

describe('cli / verify-receipt', function () {
  this.timeout(60_000);
  const dirs = tempDirs();
  let s: TestService;
  let dir: string;
  let certFile: string;
  let made: ReturnType<typeof buildEthereumResponse>;
  const write = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  before(async () => {
    s = await makeService();
    dir = await dirs.make('verify-receipt');
    certFile = write('service_cert.pem', s.serviceCert);
    made = buildEthereumResponse(s);
  });
  after(() => dirs.cleanup());

  it('an Ethereum receipt: what it proves, in lines', async () => {
    const result = await runCli(['verify-receipt', write('eth.json', made.response), '--service-cert', certFile]);
    assert.equal(result.code, 0, result.stderr);
    const [shown0, , shown2] = SAMPLE_FACTS.logs;
    assert.equal(
      result.stdout,
      [
        `receipt verified: transaction ${SAMPLE_FACTS.transactionHash} is committed at ledger txid 2.11`,
        `  signed at         ${new Date(made.built.iat * 1000).toISOString()} by the service (signature transaction 2.23)`,
        `  transaction hash  ${SAMPLE_FACTS.transactionHash}`,
        `  from              ${SAMPLE_FACTS.from}`,
        `  status            success`,
        `  gas used          52341`,
        `  contract created  ${SAMPLE_FACTS.contractAddress}`,
        `  log 0             ${shown0!.address}`,
        `    topic           ${shown0!.topics[0]}`,
        `    topic           ${shown0!.topics[1]}`,
        `    data            ${shown0!.data}`,
        `  log 2             ${shown2!.address}`,
        `    data            0x`,
        `  1 log withheld (proven only by hash)`,
        '',
      ].join('\n'),
    );
  });

  it('--json prints the proven object (gas as a decimal string), also from standard input or a saved JSON-RPC response', async () => {
    const envelope = JSON.stringify({ jsonrpc: '2.0', id: 1, result: made.response });
    const [file, stdin] = await Promise.all([
      runCli(['verify-receipt', write('eth.json', made.response), '--service-cert', certFile, '--json']),
      runCli(['verify-receipt', '-', '--service-cert', certFile, '--json'], {}, envelope),
    ]);
    for (const result of [file, stdin]) {
      assert.equal(result.code, 0, result.stderr);
      const proven = JSON.parse(result.stdout) as Record<string, unknown>;
      assert.deepEqual(proven, {
        txid: '2.11',
        signatureTxid: '2.23',
        signedAt: new Date(made.built.iat * 1000).toISOString(),
        transactionHash: SAMPLE_FACTS.transactionHash,
        from: SAMPLE_FACTS.from,
        status: 'success',
        gasUsed: '52341',
        contractAddress: SAMPLE_FACTS.contractAddress,
        logs: [0, 2].map((index) => {
          const { shown: _, ...log } = SAMPLE_FACTS.logs[index]!;
          return { index, ...log };
        }),
        withheldLogs: 1,
      });
    }
  });

  it('a plain ledger receipt, and --at for when the node certificate must be valid', async () => {
    const { receipt, iat } = buildReceipt(s);
    const file = write('ledger.json', receipt);
    const result = await runCli(['verify-receipt', file, '--service-cert', certFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        'receipt verified: ledger transaction 2.11 is committed',
        `  signed at         ${new Date(iat * 1000).toISOString()} by the service (signature transaction 2.23)`,
        `  write set digest  ${receipt.leaf_components.write_set_digest}`,
        `  claims digest     ${'00'.repeat(32)}`,
        '',
      ].join('\n'),
    );
    const later = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString();
    const [expired, soon] = await Promise.all([
      runCli(['verify-receipt', file, '--service-cert', certFile, '--at', later]),
      runCli(['verify-receipt', file, '--service-cert', certFile, '--at', new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)]),
    ]);
    assertOneLine(expired, /^ccevm: receipt rejected \(check cert\): cert is not valid at /);
    assert.equal(soon.code, 0, soon.stderr);
  });

  it('a tampered receipt is exit code 2 and one line naming the failed check', async () => {
    const gas = JSON.parse(JSON.stringify(made.response)) as typeof made.response;
    gas.ethereumReceipt.gasUsed = '0x1';
    const claims = JSON.parse(JSON.stringify(made.response)) as typeof made.response;
    claims.claims.status = '0x0';
    const service = JSON.parse(JSON.stringify(made.response)) as typeof made.response;
    service.receipt.service_signature.signature = Buffer.alloc(64, 1).toString('base64');
    const results = await Promise.all([
      runCli(['verify-receipt', write('gas.json', gas), '--service-cert', certFile]),
      runCli(['verify-receipt', write('claims.json', claims), '--service-cert', certFile]),
      runCli(['verify-receipt', write('service.json', service), '--service-cert', certFile]),
      runCli(['verify-receipt', '-', '--service-cert', certFile], {}, JSON.stringify({ ...made.response, status: 'pending' })),
    ]);
    assertOneLine(results[0]!, /^ccevm: receipt rejected \(check ethereumReceipt\): ethereumReceipt\.gasUsed is 1, the proven claims say 52341$/m);
    assertOneLine(results[1]!, /^ccevm: receipt rejected \(check claims_digest\): the claims hash to /);
    assertOneLine(results[2]!, /^ccevm: receipt rejected \(check service_signature\): service_signature does not verify/);
    assertOneLine(results[3]!, /^ccevm: receipt rejected \(check status\): status is "pending"/);
  });

  it('bad command lines are one line', async () => {
    const results = await Promise.all([
      runCli(['verify-receipt', write('x.json', made.response)]),
      runCli(['verify-receipt', '--service-cert', certFile]),
      runCli(['verify-receipt', write('bad.json', '{ not json'), '--service-cert', certFile]),
      runCli(['verify-receipt', join(dir, 'missing.json'), '--service-cert', certFile]),
      runCli(['verify-receipt', write('y.json', made.response), '--service-cert', certFile, '--at', 'tomorrow']),
    ]);
    assertOneLine(results[0]!, /^ccevm: verify-receipt needs --service-cert FILE/);
    assertOneLine(results[1]!, /^ccevm: verify-receipt needs a receipt file/);
    assertOneLine(results[2]!, /^ccevm: .*bad\.json is not JSON/);
    assertOneLine(results[3]!, /^ccevm: cannot read .*missing\.json: ENOENT\n$/);
    assertOneLine(results[4]!, /^ccevm: --at must be an ISO date/);
  });
});

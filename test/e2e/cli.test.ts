// The command line as a user meets it, by spawning `node cli/ccevm.js`: --version, one clear
// line (and exit code 2) for a bad flag, and a data directory that a running node holds.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../../core/host/dir-lock.js';
import { runCli } from '../support/cli.js';
import { freePort, NodeProcess } from '../support/node-process.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const ccevm = (...args: string[]) => runCli(args);

/** A failure the user can read: exit code 2, exactly one line on stderr, no stack trace. */
function assertOneLine(result: { code: number | null; stderr: string }, expected: string | RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'a stack trace');
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
  if (typeof expected === 'string') assert.equal(result.stderr, `${expected}\n`);
  else assert.match(result.stderr, expected);
}

describe('e2e: the command line', function () {
  this.timeout(90_000);

  it('--version prints the version', async () => {
    const result = await ccevm('--version');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `ccevm ${VERSION}\n`);
  });

  it('an unknown option, a bad value or a directory that holds no node is one line and exit code 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ccevm-cli-empty-'));
    const cases: [string[], string | RegExp][] = [
      [['--foo'], 'ccevm: unknown option --foo (see --help)'],
      [['start', '--foo=1'], 'ccevm: unknown option --foo (see --help)'],
      [['start', '-x'], 'ccevm: unknown option -x (see --help)'],
      [['start', '--port'], 'ccevm: option --port needs a value (see --help)'],
      [['--help=yes'], 'ccevm: option --help takes no value (see --help)'],
      [['start', '--port', 'eighty'], /^ccevm: port must be an integer/],
      [['frobnicate'], 'ccevm: unknown command frobnicate (see --help)'],
      [['export', '--data-dir', empty], `ccevm: ${empty} holds no node (no node.sealed.json)`],
      [['audit', empty, '--service-cert', join(empty, 'none.pem')], `ccevm: cannot read the service certificate ${join(empty, 'none.pem')}: ENOENT`],
    ];
    const results = await Promise.all(cases.map(([args]) => ccevm(...args)));
    results.forEach((result, i) => assertOneLine(result, cases[i]![1]));
    rmSync(empty, { recursive: true, force: true });
  });

  it('a join the service refuses is one line and exit code 2', async () => {
    const service = await NodeProcess.start({ https: true });
    const joiner = mkdtempSync(join(tmpdir(), 'ccevm-cli-join-'));
    try {
      // (a peer address the service cannot record: the host has a space in it)
      const result = await ccevm('join', '--target', service.httpsUrl!, '--service-cert', join(service.dataDir, 'service_cert.pem'), '--data-dir', joiner, '--host', 'bad host', '--port', String(await freePort()), '--https-port', '0', '--peer-port', String(await freePort()));
      assertOneLine(result, /^ccevm: could not join through https:\/\/127\.0\.0\.1:\d+: peerAddress must be host:port/);
    } finally {
      await service.dispose();
      rmSync(joiner, { recursive: true, force: true });
    }
  });

  describe('a data directory a running node holds', () => {
    let first: NodeProcess | undefined;
    let second: NodeProcess | undefined;

    after(async () => {
      await second?.stop('SIGKILL');
      // The first node was killed in the test (or never started): only its directory is left.
      if (first) rmSync(first.dataDir, { recursive: true, force: true });
    });

    it('is refused with the pid of the node that holds it; after that node is killed, a restart takes it over', async () => {
      first = await NodeProcess.start();
      const pid = first.child.pid!;
      const start = await ccevm('start', '--data-dir', first.dataDir, '--port', String(await freePort()), '--https-port', '0', '--peer-port', '0');
      assertOneLine(start, new RegExp(`^ccevm: data directory ${first.dataDir} is in use by process ${pid} on .* \\(started [0-9T:.-]+Z\\); stop that process first\\n$`));
      assertOneLine(await ccevm('export', '--data-dir', first.dataDir), new RegExp(`in use by process ${pid} `));
      assert.ok(await first.rpc('eth_blockNumber'), 'the first node still serves');

      await first.stop('SIGKILL');
      const stale = JSON.parse(readFileSync(join(first.dataDir, LOCK_FILE), 'utf8')) as { pid: number };
      assert.equal(stale.pid, pid, 'a killed node leaves its lock behind');
      second = await NodeProcess.start({ dataDir: first.dataDir });
      assert.ok(await second.rpc('eth_blockNumber'));
      const taken = JSON.parse(readFileSync(join(first.dataDir, LOCK_FILE), 'utf8')) as { pid: number };
      assert.equal(taken.pid, second.child.pid);
    });
  });
});

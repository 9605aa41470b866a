// Which SIWE domains name a node: where its endpoints listen (loopback and wildcard
// addresses with their loopback names, the bare host on the scheme's default port), and
// the config file's signInDomains.
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadStartConfig } from '../../cli/config.js';
import { SignInDomains } from '../../rpc/auth/domains.js';
import { tempDirs } from '../support/tmpdir.js';

describe('auth / sign-in domains', () => {
  const dirs = tempDirs();
  after(() => dirs.cleanup());

  it('a loopback endpoint answers to every loopback name with its port, and to nothing else', () => {
    const domains = new SignInDomains();
    assert.equal(domains.includes('127.0.0.1:8545'), false, 'nothing before it listens');
    domains.listeningAt('http://127.0.0.1:8545');
    for (const d of ['127.0.0.1:8545', 'localhost:8545', 'LOCALHOST:8545', '[::1]:8545']) assert.ok(domains.includes(d), d);
    for (const d of ['127.0.0.1:8546', '127.0.0.1', 'example.com:8545', 'localhost']) assert.ok(!domains.includes(d), d);
  });

  it('a named endpoint answers to its name (bare on the default port); a wildcard one to the loopback names', () => {
    const domains = new SignInDomains();
    domains.listeningAt('https://node1.example.com:443');
    domains.listeningAt('https://10.0.0.5:8645');
    domains.listeningAt('http://0.0.0.0:9000');
    for (const d of ['node1.example.com', 'node1.example.com:443', '10.0.0.5:8645', 'localhost:9000', '127.0.0.1:9000']) assert.ok(domains.includes(d), d);
    for (const d of ['localhost:8645', '10.0.0.5', 'localhost:443']) assert.ok(!domains.includes(d), d);
  });

  it('the config file adds names (a proxy, a DNS name), checked as host[:port]', async () => {
    const dir = await dirs.make('domains');
    const config = async (signInDomains: unknown) => {
      const file = join(dir, 'config.json');
      await writeFile(file, JSON.stringify({ signInDomains }));
      return loadStartConfig({ config: file, 'data-dir': dir });
    };
    const loaded = await config(['rpc.example.com', 'Proxy.Example.com:8443', '[::1]:1']);
    assert.deepEqual(loaded.signInDomains, ['rpc.example.com', 'Proxy.Example.com:8443', '[::1]:1']);
    const domains = new SignInDomains(loaded.signInDomains);
    assert.ok(domains.includes('proxy.example.com:8443') && domains.includes('rpc.example.com'));
    assert.ok(!domains.includes('rpc.example.com:8545'));
    assert.deepEqual((await loadStartConfig({ 'data-dir': dir })).signInDomains, []);
    for (const bad of ['rpc.example.com', ['https://rpc.example.com'], ['a b'], [7]]) {
      await assert.rejects(config(bad), (e: Error) => e instanceof ConfigError && /signInDomains must be a list of host or host:port names/.test(e.message));
    }
  });
});

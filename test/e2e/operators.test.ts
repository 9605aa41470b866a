// Operating a node, against real node processes: GET /health (200 when ready, 503 while
// the service is not open), Prometheus GET /metrics whose counters move under load, JSON
// log lines (time, level, msg) with a request log that never carries params, addresses or
// payloads, and `ccevm status`.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { fetchHealth } from '../../rpc/health.js';
import { signInMessage } from '../../cli/sign-in.js';
import { runCli } from '../support/cli.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { Cluster } from './cluster-helpers.js';
import { waitFor } from './helpers.js';

/** Prometheus text format, parsed strictly (NaN in any case, as Prometheus reads it): `name{labels} value` samples, each family with HELP and TYPE. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') typed.add(meta[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)$/.exec(line);
    assert.ok(sample, `not a Prometheus sample line: ${line}`);
    const family = sample[1]!.replace(/_(bucket|sum|count|total)$/, '');
    assert.ok(typed.has(sample[1]!) || typed.has(family) || typed.has(`${family}_total`), `no TYPE for ${sample[1]}`);
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}

async function metrics(node: NodeProcess): Promise<Map<string, number>> {
  const res = await fetch(`${node.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

async function health(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: await res.json() };
}

describe('e2e: operating a node', function () {
  this.timeout(120_000);
  let node: NodeProcess;
  const sender = new Wallet(DEV_KEYS[0]!);
  const recipient = Wallet.createRandom().address;
  /** an address sent only as a param, to look for in the logs */
  const asked = Wallet.createRandom().address;
  const raws: string[] = [];

  before(async () => {
    // (snapshots often enough for the load below to make one)
    node = await NodeProcess.start({ https: true, args: ['--log-format', 'json', '--snapshot-interval', '10'] });
  });
  after(async () => {
    await node?.dispose();
  });

  it('GET /health: 200 and where the node stands, on HTTP and HTTPS, without a token', async () => {
    const { status, body } = await health(node.url);
    assert.equal(status, 200, JSON.stringify(body));
    const info = await node.rpc('ccevm_nodeInfo');
    assert.deepEqual(Object.keys(body).sort(), ['lastCommitted', 'lastSigned', 'nodeId', 'peers', 'primary', 'ready', 'role', 'serviceStatus', 'view'].sort());
    assert.equal(body.ready, true);
    assert.equal(body.role, 'primary');
    assert.equal(body.nodeId, info.nodeId);
    assert.equal(body.primary, info.nodeId);
    assert.equal(body.serviceStatus, 'Open');
    assert.equal(body.view, info.view);
    assert.match(body.lastCommitted, /^\d+\.\d+$/);
    assert.deepEqual(body.peers, []);
    const ca = readFileSync(join(node.dataDir, 'service_cert.pem'), 'utf8');
    const overHttps = await fetchHealth(node.httpsUrl!, { ca });
    assert.equal(overHttps.ready, true);
    assert.equal(overHttps.nodeId, info.nodeId);
    // only GET routes: anything else is still JSON-RPC's
    assert.equal((await fetch(`${node.url}/nowhere`)).status, 405);
  });

  it('GET /metrics: Prometheus text whose counters move under load', async () => {
    const before = await metrics(node);
    for (const name of ['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'ccevm_view', 'ccevm_committed_seqno', 'ccevm_ledger_entries', 'ccevm_ledger_appended_bytes_total', 'ccevm_signature_transactions_total', 'ccevm_peers_connected', 'ccevm_role{role="primary"}', 'ccevm_role_changes_total{role="primary"}', 'ccevm_view_changes_total', 'ccevm_votes_total', 'ccevm_snapshot_last_bytes']) {
      assert.ok(before.has(name), `${name} missing`);
    }
    assert.equal(before.get('ccevm_role{role="primary"}'), 1);
    assert.equal(before.get('ccevm_role{role="backup"}'), 0);
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, batchMaxCount: 1 });
    const wallet = sender.connect(provider);
    let nonce = await provider.getTransactionCount(sender.address);
    for (let i = 0; i < 5; i++) {
      const signed = await wallet.signTransaction({ to: recipient, value: 1n, nonce: nonce++, gasLimit: 21_000n, gasPrice: 0n, chainId: 1337n, type: 0 });
      raws.push(signed);
      await provider.send('eth_sendRawTransaction', [signed]);
    }
    await provider.send('eth_getBalance', [asked, 'latest']);
    const unknown = await node.rpcRaw({ jsonrpc: '2.0', id: 1, method: `no_such_method_${asked}`, params: [] });
    assert.equal(unknown.error.code, -32601);
    const after = await waitFor(async () => {
      const m = await metrics(node);
      return (m.get('ccevm_transactions_committed_total') ?? 0) - (before.get('ccevm_transactions_committed_total') ?? 0) >= 5 && m;
    }, 'five transactions committed');
    const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    assert.equal(grew('ccevm_transactions_executed_total'), 5);
    assert.equal(grew('ccevm_commit_latency_seconds_count'), 5);
    assert.ok(grew('ccevm_commit_latency_seconds_sum') > 0);
    assert.equal(grew('ccevm_rpc_requests_total{method="eth_sendRawTransaction"}'), 5);
    assert.equal(grew('ccevm_rpc_requests_total{method="eth_getBalance"}'), 1);
    assert.equal(grew('ccevm_rpc_requests_total{method="other"}'), 1);
    assert.equal(grew('ccevm_rpc_errors_total{code="-32601"}'), 1);
    assert.ok(grew('ccevm_signature_transactions_total') >= 1);
    assert.ok(grew('ccevm_ledger_appended_entries_total') >= 5);
    assert.ok(grew('ccevm_committed_seqno') >= 5);
    assert.ok(grew('ccevm_http_responses_total{status="200"}') >= 7);
    const snapshotted = await waitFor(async () => {
      const m = await metrics(node);
      return (m.get('ccevm_snapshots_total{source="taken"}') ?? 0) >= 1 && m;
    }, 'a snapshot taken');
    assert.ok(snapshotted.get('ccevm_snapshot_last_bytes')! > 0);
    // Only known method names as labels: never what a client sent
    const text = await (await fetch(`${node.url}/metrics`)).text();
    assert.ok(!text.toLowerCase().includes(asked.slice(2).toLowerCase()), 'a param in the metrics');
  });

  it('logs JSON lines (time, level, msg) with a request log and events, never params, addresses, payloads or tokens', async () => {
    const { token } = await signedInToken(node);
    await fetch(`${node.url}/rpc/${token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ccevm_whoAmI', params: [] }) });
    await waitFor(() => node.output.includes('"ccevm_whoAmI"'), 'the request logged');
    const lines = node.output.trim().split('\n').map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        assert.fail(`not a JSON line: ${line}`);
      }
    });
    for (const line of lines) {
      assert.ok(!Number.isNaN(Date.parse(line.time)), `no time: ${JSON.stringify(line)}`);
      assert.match(line.level, /^(info|error|warn)$/);
      assert.equal(typeof line.msg, 'string');
    }
    const requests = lines.filter((l) => l.event === 'request');
    const sends = requests.filter((l) => l.methods[0] === 'eth_sendRawTransaction');
    assert.equal(sends.length, 5);
    for (const r of sends) assert.ok(r.status === 200 && typeof r.durationMs === 'number' && Array.isArray(r.errors), JSON.stringify(r));
    assert.ok(requests.some((r) => r.methods[0] === 'other' && r.errors[0] === -32601));
    assert.ok(requests.some((r) => r.methods[0] === 'GET /health'));
    assert.ok(lines.some((l) => l.event === 'role' && l.role === 'primary' && typeof l.view === 'number'), 'the election logged');
    assert.ok(lines.some((l) => l.event === 'vote'), 'the vote logged');
    assert.ok(lines.some((l) => l.event === 'snapshot' && l.source === 'taken' && l.bytes > 0), 'the snapshot logged');
    const output = node.output.toLowerCase();
    for (const secret of [sender.address, recipient, asked].map((a) => a.slice(2).toLowerCase())) assert.ok(!output.includes(secret), `address ${secret} in the logs`);
    for (const raw of raws) assert.ok(!output.includes(raw.slice(2, 66).toLowerCase()), 'a raw transaction in the logs');
    assert.ok(!node.output.includes(token), 'a token in the logs');
  });

  it('ccevm status: the node and its network, readable and as JSON', async () => {
    const text = await runCli(['status', node.url]);
    assert.equal(text.code, 0, text.stderr);
    const info = await node.rpc('ccevm_nodeInfo');
    assert.match(text.stdout, new RegExp(`^${node.url.replace(/[/.]/g, '\\$&')}: ready \\(service Open\\)`));
    assert.match(text.stdout, new RegExp(`node ${info.nodeId} \\(ccevm 0\\.1\\.0\\): primary in view ${info.view}`));
    assert.match(text.stdout, /network: 1 node\n {2}[0-9a-f]{16} {2}Trusted .* this node {2}primary/);
    const certFile = join(node.dataDir, 'service_cert.pem');
    const json = await runCli(['status', node.httpsUrl!, '--service-cert', certFile, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.health.ready, true);
    assert.equal(status.node.nodeId, info.nodeId);
    assert.equal(status.node.serviceCertificate, undefined);
    assert.deepEqual(status.nodes.map((n: { nodeId: string }) => n.nodeId), [info.nodeId]);
    const noCert = await runCli(['status', node.httpsUrl!]);
    assert.equal(noCert.code, 2);
    assert.match(noCert.stderr, /an https:\/\/ URL needs --service-cert FILE/);
    const noUrl = await runCli(['status']);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /status needs one URL/);
  });
});

describe('e2e: /health before the service opens', function () {
  this.timeout(60_000);
  let node: NodeProcess;
  const dir = mkdtempSync(join(tmpdir(), 'ccevm-ops-'));
  after(async () => {
    await node?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 (not ready) while the service is Opening, and status says so', async () => {
    const config = join(dir, 'config.json');
    // a member of its own: no development member opens the service
    writeFileSync(config, JSON.stringify({ members: [{ address: Wallet.createRandom().address, encryptionKey: 'ab'.repeat(32) }] }));
    node = await NodeProcess.start({ args: ['--config', config] });
    const { status, body } = await health(node.url);
    assert.equal(status, 503);
    assert.equal(body.ready, false);
    assert.equal(body.role, 'primary');
    assert.equal(body.serviceStatus, 'Opening');
    const text = await runCli(['status', node.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /NOT READY \(service Opening\)/);
  });
});

/** A session token of the dev account 1, signed in as a wallet does (Sign-In with Ethereum). */
async function signedInToken(node: NodeProcess): Promise<{ token: string }> {
  const wallet = new Wallet(DEV_KEYS[1]!);
  const text = signInMessage(node.url, wallet.address, 1337, await node.rpc('ccevm_signInNonce'), {});
  return node.rpc('ccevm_signIn', [text, await wallet.signMessage(text)]);
}

describe('e2e: /health and /metrics of a backup', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(2, 'ops');
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('a backup following its primary is ready, with its peer connected; cut off from it, 503', async () => {
    const [primary, backup] = [cluster.node(0), cluster.node(1)];
    const [primaryId, backupId] = [(await primary.info()).nodeId, (await backup.info()).nodeId];
    const ready = await waitFor(async () => {
      const h = await health(backup.url);
      return h.status === 200 && h;
    }, 'the backup ready');
    assert.equal(ready.body.role, 'backup');
    assert.equal(ready.body.primary, primaryId);
    assert.deepEqual(ready.body.peers, [{ id: primaryId, connected: true, primary: true }]);
    const m = parseMetrics(await (await fetch(`${backup.url}/metrics`)).text());
    assert.equal(m.get('ccevm_role{role="backup"}'), 1);
    assert.equal(m.get(`ccevm_peer_connected{peer="${primaryId}"}`), 1);
    assert.equal(m.get('ccevm_peers_connected'), 1);
    const status = await runCli(['status', backup.url]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /: ready \(service Open\)\nnode [0-9a-f]{64} \(ccevm [\d.]+\): backup in view \d+/);
    assert.match(status.stdout, new RegExp(`network: 2 nodes\\n(.*\\n)*  ${primaryId.slice(0, 16)}  Trusted .* connected  primary`));
    assert.match(status.stdout, new RegExp(`  ${backupId.slice(0, 16)}  Trusted .* this node`));
    // Alone, the backup cannot elect a primary: not ready
    await primary.stop('SIGKILL');
    const down = await waitFor(async () => {
      const h = await health(backup.url);
      return h.status === 503 && h;
    }, 'the backup not ready');
    assert.equal(down.body.ready, false);
    assert.deepEqual(down.body.peers.map((p: { connected: boolean }) => p.connected), [false]);
  });
});

// The forwarder's resubmission after a failover, made deterministic: three nodes with the
// EVM in one process over real TLS, where the primary does what a primary that freezes
// at the wrong moment does (it commits the forwarded transaction, or another one with
// its nonce, and never answers) and then stops. The backup must resubmit to the next
// primary, recognise that its first submission got in ('already known' / 'nonce too
// low' with the receipt here: answer the hash, nothing runs twice), and report a real
// error only when another transaction took the nonce.
import { reads } from '../support/auditor-reads.js';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction, Wallet, parseEther } from 'ethers';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { identityFromJoin } from '../../core/node/join.js';
import { Node } from '../../core/node/node.js';
import { DEFAULT_EVM_CONFIG, type EvmConfig } from '../../evm-adapter/config.js';
import { EvmApplication } from '../../evm-adapter/application.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { Forwarder } from '../../rpc/forwarder.js';
import { servePeerCalls } from '../../rpc/peer-calls.js';
import { devWallet, signTransfer } from '../e2e/cluster-helpers.js';
import { freePort } from '../support/node-process.js';
import { joinTrusted, until } from '../node/helpers.js';
import { openServiceNow, usersGenesis } from '../support/open-service.js';

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.slice(2), 'hex'));

interface Member {
  dataDir: string;
  port: number;
  node: Node;
  evm: EvmService;
  forwarder: Forwarder;
  logs: string[];
}

describe('rpc / forwarder: resubmission after the primary committed and went silent', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  let members: Member[] = [];
  const sender = devWallet(1);
  const config: EvmConfig = { ...DEFAULT_EVM_CONFIG, genesis: { [sender.address.toLowerCase()]: { balance: parseEther('1') } } };

  async function member(dataDir: string, port: number, node: Node, app: EvmApplication): Promise<Member> {
    const evm = await app.attach(node);
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    servePeerCalls(node, evm, log);
    return { dataDir, port, node, evm, forwarder: new Forwarder(node, evm, { timeoutMs: 20_000, log }), logs };
  }

  /** Stop a member and start it again on its data directory and port. */
  async function restart(m: Member): Promise<void> {
    const app = new EvmApplication(config);
    const node = await Node.restart({ dataDir: m.dataDir, network: { host: '127.0.0.1', port: m.port }, application: app.hooks });
    Object.assign(m, await member(m.dataDir, m.port, node, app));
  }

  beforeEach(async () => {
    const dir = () => {
      const d = mkdtempSync(join(tmpdir(), 'ccevm-fwd-'));
      dirs.push(d);
      return d;
    };
    const firstApp = new EvmApplication(config);
    const [firstDir, firstPort] = [dir(), await freePort()];
    const first = await Node.create({ dataDir: firstDir, network: { host: '127.0.0.1', port: firstPort }, rpcAddress: 'https://127.0.0.1:1', application: firstApp.hooks, governance: usersGenesis([sender.address]) });
    await openServiceNow(first);
    members = [await member(firstDir, firstPort, first, firstApp)];
    for (let i = 1; i < 3; i++) {
      const key = generateKeyPair();
      const port = await freePort();
      const response = await joinTrusted(first, key, `127.0.0.1:${port}`, `https://127.0.0.1:${port + 1}`);
      const app = new EvmApplication(config);
      const dataDir = dir();
      const node = await Node.join({ dataDir, network: { host: '127.0.0.1', port }, joined: { identity: identityFromJoin(key, response), peers: response.peers }, application: app.hooks });
      members.push(await member(dataDir, port, node, app));
    }
    // Every node must know the last membership change committed: until a backup knows,
    // it still needs a quorum of the two-node configuration before it (joint quorums),
    // and with the primary gone no election could succeed.
    const joined = first.lastSigned;
    await until(() => members.every((m) => m.node.primaryId === first.nodeId && m.node.committed >= joined), 'the backups to follow');
  });

  afterEach(async () => {
    for (const m of members) await m.node.stop().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** The primary runs `instead` for the next forwarded call (committing it) and never answers; then it stops. */
  function silentPrimary(run: (primary: Member) => Promise<void>): Promise<void> {
    const primary = members[0]!;
    return new Promise((resolve, reject) => {
      primary.node.servePeerRequests(async () => {
        run(primary).then(() => primary.node.stop()).then(resolve, reject);
        return new Promise<Uint8Array>(() => {}); // never answers
      });
    });
  }

  it('answers the hash when its first submission committed before the primary went silent, and the transfer runs once', async () => {
    const to = Wallet.createRandom().address;
    const raw = await signTransfer(sender, 0, to, 5n);
    const backup = members[1]!;
    const silenced = silentPrimary(async (primary) => {
      const { txid } = await primary.evm.sendRawTransaction(fromHex(raw));
      await primary.node.waitCommitted(txid);
    });
    const hash = await backup.forwarder.sendRawTransaction(fromHex(raw));
    await silenced;
    assert.equal(hex(hash), Transaction.from(raw).hash);
    assert.ok((await reads(backup.evm).receipt(hash)), 'committed on the backup that answered');
    assert.ok(backup.logs.some((l) => /resubmitted after a failover, refused as (already known|nonce too low)/.test(l)), backup.logs.join('\n'));
    const [, b, c] = members;
    await until(() => c!.node.committed >= b!.node.committed, 'the other survivor to learn the commit');
    for (const m of [b!, c!]) {
      assert.equal((await reads(m.evm).nonce(fromHex(sender.address), 'latest')), 1n, 'ran once');
      assert.equal((await reads(m.evm).balance(fromHex(to), 'latest')), 5n);
    }
  });

  it('reports "nonce too low" when another transaction took the nonce meanwhile', async () => {
    const raw = await signTransfer(sender, 0, Wallet.createRandom().address, 5n);
    const other = await signTransfer(sender, 0, Wallet.createRandom().address, 7n);
    const backup = members[1]!;
    const silenced = silentPrimary(async (primary) => {
      const { txid } = await primary.evm.sendRawTransaction(fromHex(other));
      await primary.node.waitCommitted(txid);
    });
    await assert.rejects(backup.forwarder.sendRawTransaction(fromHex(raw)), /^EvmError: nonce too low|nonce too low/);
    await silenced;
    assert.equal((await reads(backup.evm).receipt(fromHex(Transaction.from(raw).hash!))), undefined);
    assert.ok((await reads(backup.evm).receipt(fromHex(Transaction.from(other).hash!))), 'the other one is there');
  });

  it('a primary that executed a transaction and lost the role before it committed submits it to the next primary: it runs once', async () => {
    const [a, b, c] = members as [Member, Member, Member];
    const to = Wallet.createRandom().address;
    const raw = await signTransfer(sender, 0, to, 5n);
    // The primary is cut off (its backups stop): it executes, cannot commit, steps down.
    await b.node.stop();
    await c.node.stop();
    const answered = a.forwarder.sendRawTransaction(fromHex(raw));
    const hash = fromHex(Transaction.from(raw).hash!);
    await until(async () => (await reads(a.evm).transaction(hash)) !== undefined, 'the cut-off primary to execute it');
    await until(() => a.node.primaryId === undefined, 'the cut-off primary to step down');
    assert.equal((await reads(a.evm).receipt(hash)), undefined, 'not committed');
    // The backups come back; whoever is elected, the transfer gets in once.
    await restart(b);
    await restart(c);
    assert.equal(hex(await answered), Transaction.from(raw).hash);
    const committed = a.node.committed;
    for (const m of members) {
      await until(() => m.node.committed >= committed, 'every node to learn the commit');
      assert.equal((await reads(m.evm).nonce(fromHex(sender.address), 'latest')), 1n, 'ran once');
      assert.equal((await reads(m.evm).balance(fromHex(to), 'latest')), 5n);
    }
  });
});

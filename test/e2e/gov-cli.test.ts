// `ccevm gov` as a member meets it, against a development service (`ccevm start` on an
// empty directory: one member, whose key is in the data directory): readable output,
// --json for scripts, the key from a file, from CCEVM_MEMBER_KEY or from a mnemonic, and
// one clear line for what is wrong.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import { DEV_MEMBER_KEY_FILE } from '../../cli/consortium.js';
import { runCli } from '../support/cli.js';
import { NodeProcess } from '../support/node-process.js';

const CLI = new URL('../../cli/ccevm.js', import.meta.url).pathname;

const ccevm = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { CCEVM_MEMBER_KEY: '', ...env });

describe('e2e: ccevm gov', function () {
  this.timeout(90_000);
  let node: NodeProcess;
  let keyFile: string;
  const gov = (args: string[], env?: NodeJS.ProcessEnv) => ccevm(['gov', ...args, '--rpc', node.url], env);
  const ok = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const result = await gov(args, env);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    node = await NodeProcess.start({ https: true });
    keyFile = join(node.dataDir, DEV_MEMBER_KEY_FILE);
  });
  after(() => node.dispose());

  it('npm start prints the development member and how to use it; the service is open', async () => {
    assert.match(node.output, /development member 0x[0-9a-fA-F]{40}, private key 0x[0-9a-f]{64}/);
    assert.match(node.output, new RegExp(`ccevm gov list --key-file ${keyFile.replace(/[/.]/g, '\\$&')}`));
    assert.match(node.output, /MetaMask/);
    assert.equal((await node.rpc('ccevm_govService')).status, 'Open');
    const member = new Wallet(readFileSync(keyFile, 'utf8').trim());
    assert.match(await ok(['members']), new RegExp(`${member.address.toLowerCase()}  Active`));
    assert.equal((await node.rpc('ccevm_govUsers')).length, 20, 'the dev accounts are users');
  });

  it('propose, vote, show and list: readable, and --json for scripts', async () => {
    const user = Wallet.createRandom().address.toLowerCase();
    const proposed = await ok(['propose', 'set_user', JSON.stringify({ user_id: user, roles: ['deploy'] }), '--key-file', keyFile]);
    const id = /proposal (0x[0-9a-f]{64}): Open/.exec(proposed)?.[1];
    assert.ok(id, proposed);
    assert.match(proposed, new RegExp(`ccevm gov vote ${id} approve\\|reject`));
    assert.match(await ok(['vote', id, 'approve'], { CCEVM_MEMBER_KEY: readFileSync(keyFile, 'utf8').trim() }), new RegExp(`proposal ${id}: Accepted`));
    const shown = await ok(['show', id]);
    assert.match(shown, /actions:\n {4}set_user \{"user_id":"0x[0-9a-f]{40}","roles":\["deploy"\]\}/);
    assert.match(shown, /votes:\n {4}0x[0-9a-f]{40} approve/);
    const json = JSON.parse(await ok(['show', id, '--json']));
    assert.equal(json.state, 'Accepted');
    assert.match(await ok(['list']), new RegExp(`${id}  Accepted  set_user  \\(1 approve, 0 reject\\)`));
    assert.match(await ok(['users']), new RegExp(`${user}  roles: deploy`));
  });

  it('one proposal of several actions from --actions FILE, withdrawn by its proposer; nodes', async () => {
    const file = join(node.dataDir, 'actions.json');
    const users = [Wallet.createRandom(), Wallet.createRandom()].map((w) => w.address.toLowerCase());
    writeFileSync(file, JSON.stringify(users.map((user_id) => ({ name: 'set_user', args: { user_id } }))));
    const proposed = await ok(['propose', '--actions', file, '--key-file', keyFile]);
    const id = /proposal (0x[0-9a-f]{64}): Open/.exec(proposed)![1]!;
    assert.equal(JSON.parse(await ok(['show', id, '--json'])).actions.length, 2);
    assert.match(await ok(['withdraw', id, '--key-file', keyFile]), new RegExp(`proposal ${id}: Withdrawn`));
    assert.ok(!(await ok(['users'])).includes(users[0]!), 'withdrawn: no effect');
    assert.match(await ok(['nodes']), /^[0-9a-f]{64}  Trusted  127\.0\.0\.1:\d+/);
  });

  it('set_evm_policy by vote: a network open to every key, and a new base fee from the next block', async () => {
    const stranger = Wallet.createRandom();
    const transfer = (baseFee: bigint) => stranger.signTransaction({ type: 2, chainId: 1337, nonce: 0, to: stranger.address, value: 0n, gasLimit: 21_000n, maxFeePerGas: baseFee, maxPriorityFeePerGas: 0n });
    await assert.rejects(node.rpc('eth_sendRawTransaction', [await transfer(0n)]), /is not a user/);
    const proposed = JSON.parse(await ok(['propose', 'set_evm_policy', JSON.stringify({ sends: 'anyone', base_fee_per_gas: '0' }), '--key-file', keyFile, '--json']));
    await ok(['vote', proposed.proposalId, 'approve', '--key-file', keyFile]);
    await node.rpc('eth_sendRawTransaction', [await transfer(0n)]);
    const raised = JSON.parse(await ok(['propose', 'set_evm_policy', JSON.stringify({ base_fee_per_gas: '7' }), '--key-file', keyFile, '--json']));
    await ok(['vote', raised.proposalId, 'approve', '--key-file', keyFile]);
    assert.equal(await node.rpc('eth_gasPrice'), '0x7');
  });

  it('a member whose key comes from a mnemonic acknowledges and becomes Active', async () => {
    const phrase = Mnemonic.fromEntropy(Buffer.alloc(16, 9)).phrase;
    const member = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'/0/2");
    const key = Buffer.from(generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    const proposed = await ok(['propose', 'set_member', JSON.stringify({ member_id: member.address.toLowerCase(), encryption_key: key }), '--key-file', keyFile, '--json']);
    await ok(['vote', JSON.parse(proposed).proposalId, 'approve', '--key-file', keyFile]);
    assert.match(await ok(['ack', '--mnemonic', phrase, '--account', '2']), new RegExp(`member ${member.address.toLowerCase()} is Active`));
  });

  it('over HTTPS, with the service certificate the member trusts as CA and as what it signs for', async () => {
    const cert = join(node.dataDir, 'service_cert.pem');
    const https = await ccevm(['gov', 'members', '--rpc', node.httpsUrl!, '--service-cert', cert]);
    assert.equal(https.code, 0, https.stderr);
    assert.match(https.stdout, /Active/);
    const signed = await ccevm(['gov', 'ack', '--rpc', node.httpsUrl!, '--service-cert', cert, '--key-file', keyFile]);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /is Active/);
    const refused = await ccevm(['gov', 'members', '--rpc', node.httpsUrl!]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^ccevm: an https:\/\/ --rpc needs --service-cert FILE/);
  });

  it('what is wrong is one line with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['vote', `0x${'00'.repeat(32)}`, 'approve', '--key-file', keyFile], /^ccevm: no proposal 0x0+$/],
      [['propose', 'set_user', '--key-file', keyFile], /NAME ARGS pairs/],
      [['propose', 'set_user', '{oops', '--key-file', keyFile], /not JSON/],
      [['propose', 'no_such_action', '{}', '--key-file', keyFile], /the constitution refuses the proposal/],
      [['propose', 'trigger_snapshot', '{}'], /no member key/],
      [['propose', 'trigger_snapshot', '{}', '--key-file', CLI], /does not hold a private key/],
      [['frobnicate'], /unknown gov subcommand frobnicate/],
    ];
    for (const [args, expected] of cases) {
      const result = await gov(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
      assert.match(result.stderr.trim(), expected, args.join(' '));
    }
    const stranger = await gov(['propose', 'trigger_snapshot', '{}'], { CCEVM_MEMBER_KEY: Wallet.createRandom().privateKey });
    assert.equal(stranger.code, 2);
    assert.match(stranger.stderr, /^ccevm: 0x[0-9a-f]{40} is not a member of this consortium\n$/);
  });
});

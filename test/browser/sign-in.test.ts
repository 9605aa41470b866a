// The confidentiality of reads as a DApp user meets it, end to end: a page in headless
// Chromium signs in to a real node process with Ethereum (EIP-4361, signed by the injected
// test wallet), then reads its own PrivateToken balance through the session's URL-token
// path (<node>/rpc/<token>) and shows it. The reader is a user registered by the members'
// vote, not a dev account; the same read without a token gets nothing.
import { strict as assert } from 'node:assert';
import { JsonRpcProvider, Wallet, getCreateAddress, id } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { GovClient } from '../../cli/gov-client.js';
import { loadDevMember } from '../../cli/consortium.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { DEV_KEYS, NodeProcess } from '../support/node-process.js';
import { waitFor } from '../e2e/helpers.js';
import { launchChromium } from './chromium.js';
import { TestWallet, injectWallet } from './injected-wallet.js';
import { serveDapp, type StaticServer } from './static-server.js';

const CHAIN_ID = 1337;
const SUPPLY = 10n ** 24n;
const AMOUNT = 1234n * 10n ** 15n;

describe('a DApp in headless Chromium signs in with an injected wallet and reads its private balance', function () {
  this.timeout(120_000);
  const token = contractInterface('PrivateToken');
  const reader = new Wallet(id('ccevm browser test: the signed-in reader'));
  let node: NodeProcess;
  let provider: JsonRpcProvider;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let tokenAddress = '';
  let auditor: Wallet;

  /** eth_call of balanceOf(reader) at latest, by `tx` (from, if any) without a token. */
  const balanceCall = (from?: string) => node.rpc('eth_call', [{ ...(from ? { from } : {}), to: tokenAddress, data: token.encodeFunctionData('balanceOf', [reader.address]) }, 'latest']);
  /** The reader's balance as the auditor (a dev account: on a dev network it needs no token) reads it. */
  const auditedBalance = async () => BigInt(await balanceCall(auditor.address));

  before(async () => {
    ensureContractsCompiled();
    [node, server, browser] = await Promise.all([NodeProcess.start(), serveDapp(), launchChromium()]);
    provider = new JsonRpcProvider(node.url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    const deployer = new Wallet(DEV_KEYS[0]!, provider);
    auditor = new Wallet(DEV_KEYS[1]!);

    // The members (here the development member) make the reader a user.
    const dev = await loadDevMember(node.dataDir);
    assert.ok(dev, 'the node runs a development consortium');
    const gov = await GovClient.connect(node.url, { signer: dev.wallet });
    const proposed = await gov.propose([{ name: 'set_user', args: { user_id: reader.address.toLowerCase(), roles: [] } }]);
    assert.ok(proposed.kind === 'proposal', JSON.stringify(proposed));
    const outcome = await gov.vote(proposed.proposalId, true);
    assert.ok(outcome.kind !== 'ack' && outcome.state === 'Accepted', JSON.stringify(outcome));
    const users = (await node.rpc('ccevm_govUsers')) as { userId: string }[];
    assert.ok(users.some((u) => u.userId === reader.address.toLowerCase()), 'the reader is a user');

    // The deployer creates the token (auditor: a dev account) and sends the reader AMOUNT.
    // Receipts of a private contract are not for anonymous eyes, so the test waits for the
    // effects as the auditor sees them.
    tokenAddress = getCreateAddress({ from: deployer.address, nonce: await provider.getTransactionCount(deployer.address, 'pending') });
    await deployer.sendTransaction({ data: deployData('PrivateToken', ['Private Token', 'PRV', SUPPLY, auditor.address]), gasLimit: 3_000_000 });
    await deployer.sendTransaction({ to: tokenAddress, data: token.encodeFunctionData('transfer', [reader.address, AMOUNT]), gasLimit: 200_000 });
    await waitFor(async () => (await auditedBalance().catch(() => 0n)) === AMOUNT, 'the transfer to the reader to be committed');
  });

  after(async () => {
    await page?.close();
    await browser?.close();
    await server?.close();
    provider?.destroy();
    await node?.dispose();
  });

  it('the page signs in, is known as the reader, and shows the balance the auditor reads', async () => {
    page = await browser.newPage();
    await injectWallet(page, new TestWallet(reader, CHAIN_ID));
    await page.goto(`${server.url}/?node=${encodeURIComponent(node.url)}&token=${tokenAddress}`);
    await page.locator('#status', { hasText: 'ready' }).waitFor();
    await page.locator('#sign-in').click();
    await page.locator('#status', { hasText: /^(signed in|failed)$/ }).waitFor({ timeout: 60_000 });
    const shown = async (field: string) => page.locator(`#${field}`).innerText();
    assert.equal(await shown('status'), 'signed in', `the page failed: ${await shown('error')}`);
    assert.equal(await shown('account'), reader.address);
    assert.equal(await shown('chain'), String(CHAIN_ID));
    assert.equal((await shown('who')).toLowerCase(), reader.address.toLowerCase());
    assert.equal(BigInt(await shown('balance')), AMOUNT);
    assert.equal(BigInt(await shown('balance')), await auditedBalance());
  });

  it('without a token the same read returns no balance: anonymous (msg.sender 0x0), or naming the reader as `from`', async () => {
    await assert.rejects(balanceCall(), 'anonymous, without from');
    await assert.rejects(balanceCall(reader.address), 'anonymous, claiming to be the reader');
  });
});

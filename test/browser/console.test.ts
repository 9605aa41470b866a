// The members' console (GET /console) in headless Chromium against a real node process
// governed by two members: each connects an injected wallet (EIP-1193, a test key), member
// 1 acknowledges and proposes a user through the page, both vote through the page, and
// the page shows the proposal Accepted and the new user. The page comes with a
// Content-Security-Policy that allows nothing but its own origin, and works over HTTPS
// under the service certificate. A failed test leaves a screenshot in test-output/
// (or $TEST_OUTPUT_DIR).
import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Wallet } from 'ethers';
import type { Browser, Locator, Page } from 'playwright-core';
import { GovClient } from '../../cli/gov-client.js';
import { CONSOLE_CSP } from '../../rpc/console/route.js';
import { governanceDomain } from '../../rpc/governance/typed-data.js';
import { CHAIN_ID, ClusterNode } from '../e2e/cluster-helpers.js';
import { freePort } from '../support/node-process.js';
import { launchChromium } from './chromium.js';
import { TestWallet, injectWallet } from './injected-wallet.js';

const OUTPUT_DIR = process.env.TEST_OUTPUT_DIR ?? new URL('../../test-output/', import.meta.url).pathname;

function encryptionKey(): string {
  const jwk = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('hex');
}

/** GET `url` over HTTPS trusting only `ca`; the response and the certificate the server presented. */
function httpsGet(url: string, ca: string): Promise<{ status: number; headers: Record<string, unknown>; body: string; peer: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      const peer = new X509Certificate((res.socket as TLSSocket).getPeerCertificate().raw);
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, peer }));
    });
    req.on('error', reject).end();
  });
}

describe("the members' console in headless Chromium: two members propose and vote a user in through the page", function () {
  this.timeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'ccevm-console-'));
  const [alice, bob] = [0, 1].map(() => new Wallet(Wallet.createRandom().privateKey));
  const newUser = new Wallet(Wallet.createRandom().privateKey);
  let node: ClusterNode;
  let browser: Browser;
  const pages: Page[] = [];

  /** A page of the console at `url` with `wallet` injected, ready. */
  const openConsole = async (url: string, wallet: Wallet, b = browser): Promise<Page> => {
    const page = await b.newPage();
    pages.push(page);
    await injectWallet(page, new TestWallet(wallet, Number(CHAIN_ID)));
    await page.goto(`${url}/console`);
    await page.locator('#status', { hasText: /^(ready|the console could not load.*)$/ }).waitFor();
    assert.equal(await page.locator('#status').textContent(), 'ready');
    return page;
  };
  const connected = async (page: Page, wallet: Wallet, status: string) => {
    await page.locator('#connect').click();
    await page.locator('#account', { hasText: `${wallet.address.toLowerCase()}: member, ${status}` }).waitFor();
  };
  /**
   * Click `button` and wait for the page's outcome line to say something new that matches
   * `pattern`; fails with the page's status line if signing or submitting failed.
   */
  const outcome = async (page: Page, button: Locator, pattern: RegExp) => {
    const before = await page.locator('#outcome').textContent();
    await button.click();
    const changed = page.locator('#outcome').filter({ hasText: pattern }).filter({ hasNotText: before || '\u0000never' });
    await Promise.race([changed.waitFor(), page.locator('#status.error').waitFor().then(async () => assert.fail(String(await page.locator('#status').textContent())))]);
    return (await page.locator('#outcome').textContent())!;
  };

  before(async () => {
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ members: [alice, bob].map((w, i) => ({ address: w.address, encryptionKey: encryptionKey(), data: { name: ['alice', 'bob'][i] } })) }),
    );
    node = new ClusterNode('node0', join(dir, 'node0'), await freePort(), await freePort(), await freePort(), ['--config', join(dir, 'config.json')]);
    [, browser] = await Promise.all([node.start(), launchChromium()]);
    // Bob acknowledges with the CLI's client; Alice will through the page.
    await (await GovClient.connect(node.url, { signer: bob })).ack();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
    await Promise.all(pages.map((p, i) => p.screenshot({ path: join(OUTPUT_DIR, `console-${name}-${i}.png`), fullPage: true }).catch(() => {})));
  });

  after(async () => {
    await browser?.close();
    await node?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is served with a Content-Security-Policy that allows only its own origin, no inline script', async () => {
    for (const path of ['/console', '/console/console.js', '/console/console.css']) {
      const res = await fetch(`${node.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    }
    const head = await fetch(`${node.url}/console`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
    assert.equal((await fetch(`${node.url}/console/nothing-here`)).status, 404);
    // The page loads nothing from elsewhere: every script, style and link is of this origin.
    const html = await (await fetch(`${node.url}/console`)).text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc="\/console\/)/, 'no inline script');
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing from another origin');
  });

  it('shows the service: its certificate fingerprint (the signing salt), status and members', async () => {
    const page = await openConsole(node.url, alice);
    const cert = readFileSync(node.serviceCertFile, 'utf8');
    assert.equal(await page.locator('#fingerprint').textContent(), governanceDomain(CHAIN_ID, cert).salt);
    assert.equal(await page.locator('#chain-id').textContent(), String(CHAIN_ID));
    assert.equal(await page.locator('#service-status').textContent(), 'Opening');
    const members = await page.locator('#members tbody tr').allTextContents();
    assert.equal(members.length, 2);
    assert.ok(members.some((m) => m.includes(bob.address.toLowerCase()) && m.includes('Active')), members.join('\n'));
    assert.ok(members.some((m) => m.includes(alice.address.toLowerCase()) && m.includes('Accepted')), members.join('\n'));
    assert.ok((await page.locator('#nodes tbody tr').count()) >= 1);
    // The browser enforces the policy: a script written into the page does not run.
    // (the function runs in the page, as text: Node's types know no document there)
    const ran = await page.evaluate(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return window.inlineRan === true;
    })()`);
    assert.equal(ran, false, 'an inline script ran');
  });

  it('member 1 acknowledges and proposes a user, members 1 and 2 approve, the page shows it Accepted and the user', async () => {
    const alicePage = await openConsole(node.url, alice);
    await connected(alicePage, alice, 'Accepted');
    assert.equal(await outcome(alicePage, alicePage.locator('#ack'), /acknowledged/), 'acknowledged: you are Active');
    await alicePage.locator('#account', { hasText: 'member, Active' }).waitFor();

    const user = newUser.address.toLowerCase();
    await alicePage.locator('#actions').fill(JSON.stringify([{ name: 'set_user', args: { user_id: user, roles: [] } }]));
    const proposed = await outcome(alicePage, alicePage.locator('#propose'), /^proposal 0x[0-9a-f]{64}: Open$/);
    const proposalId = proposed.split(' ')[1]!.replace(/:$/, '');
    const aliceBox = alicePage.locator(`[data-proposal="${proposalId}"]`);
    assert.match((await aliceBox.locator('.actions').textContent())!, new RegExp(user));
    await outcome(alicePage, aliceBox.locator('button.approve'), new RegExp(`^ballot ${proposalId}: Open$`));
    await aliceBox.locator('.ballots', { hasText: `${alice.address.toLowerCase()}: approve` }).waitFor();

    const bobPage = await openConsole(node.url, bob);
    await connected(bobPage, bob, 'Active');
    const bobBox = bobPage.locator(`[data-proposal="${proposalId}"]`);
    assert.equal(await outcome(bobPage, bobBox.locator('button.approve'), /^ballot /), `ballot ${proposalId}: Accepted`);
    assert.equal(await bobBox.locator('.state').textContent(), 'Accepted');
    await bobPage.locator('#users tbody tr', { hasText: user }).waitFor();
    // What the page did is what the node holds: the CLI's view agrees.
    const record = await node.rpc('ccevm_govProposal', [proposalId]);
    assert.equal(record.state, 'Accepted');
    assert.deepEqual(record.ballots, { [alice.address.toLowerCase()]: true, [bob.address.toLowerCase()]: true });
  });

  it('a member rejects and the proposer withdraws through the page; actions that are not JSON are refused', async () => {
    const alicePage = await openConsole(node.url, alice);
    await connected(alicePage, alice, 'Active');
    await alicePage.locator('#actions').fill('[{"name": "set_user"');
    await alicePage.locator('#propose').click();
    await alicePage.locator('#status.error', { hasText: /^the actions are not valid: / }).waitFor();
    await alicePage.locator('#actions').fill(JSON.stringify([{ name: 'set_user_data', args: { user_id: newUser.address.toLowerCase(), data: { note: 'rejected' } } }]));
    const proposalId = (await outcome(alicePage, alicePage.locator('#propose'), /^proposal 0x[0-9a-f]{64}: Open$/)).split(' ')[1]!.replace(/:$/, '');

    const bobPage = await openConsole(node.url, bob);
    await connected(bobPage, bob, 'Active');
    assert.equal(await bobPage.locator(`[data-proposal="${proposalId}"] button.withdraw`).count(), 0, 'only the proposer may withdraw');
    // One of two against: a majority can no longer approve.
    assert.equal(await outcome(bobPage, bobPage.locator(`[data-proposal="${proposalId}"] button.reject`), /^ballot /), `ballot ${proposalId}: Rejected`);
    await bobPage.locator(`[data-proposal="${proposalId}"] .ballots`, { hasText: `${bob.address.toLowerCase()}: reject` }).waitFor();

    await alicePage.locator('#actions').fill(JSON.stringify([{ name: 'set_user_data', args: { user_id: newUser.address.toLowerCase(), data: { note: 'withdrawn' } } }]));
    const second = (await outcome(alicePage, alicePage.locator('#propose'), /^proposal 0x[0-9a-f]{64}: Open$/)).split(' ')[1]!.replace(/:$/, '');
    assert.equal(await outcome(alicePage, alicePage.locator(`[data-proposal="${second}"] button.withdraw`), /^withdrawal /), `withdrawal ${second}: Withdrawn`);
    assert.equal(await alicePage.locator(`[data-proposal="${second}"] .state`).textContent(), 'Withdrawn');
  });

  it('a wallet that is no member may not propose or vote; a wallet on another chain is told so', async () => {
    const open = await (await GovClient.connect(node.url, { signer: alice })).propose([{ name: 'set_user_data', args: { user_id: newUser.address.toLowerCase(), data: { note: 'open' } } }]);
    assert.ok(open.kind === 'proposal' && open.state === 'Open', JSON.stringify(open));
    const stranger = new Wallet(Wallet.createRandom().privateKey);
    const page = await openConsole(node.url, stranger);
    await page.locator('#connect').click();
    await page.locator('#account', { hasText: 'not a member of this consortium' }).waitFor();
    await page.locator(`[data-proposal="${open.proposalId}"] .state`, { hasText: 'Open' }).waitFor();
    const elsewhere = await browser.newPage();
    pages.push(elsewhere);
    await injectWallet(elsewhere, new TestWallet(stranger, 1));
    await elsewhere.goto(`${node.url}/console`);
    await elsewhere.locator('#status', { hasText: 'ready' }).waitFor();
    await elsewhere.locator('#connect').click();
    await elsewhere.locator('#status.error', { hasText: `the wallet is on chain 1, this service is chain ${CHAIN_ID}: switch networks to sign` }).waitFor();
    assert.equal(await page.locator('#propose').isDisabled(), true);
    assert.equal(await page.locator('button.approve, button.reject, button.withdraw').count(), 0);
  });

  it('works over HTTPS under the service certificate', async () => {
    const cert = readFileSync(node.serviceCertFile, 'utf8');
    // Node's TLS, trusting only the service certificate, gets the page and its policy.
    const res = await httpsGet(`${node.httpsUrl}/console`, cert);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-security-policy'], CONSOLE_CSP);
    assert.ok(res.peer.checkIssued(new X509Certificate(cert)), 'the node presents a certificate the service certificate endorses');
    // Chromium trusts the certificate the node presented (as a member's browser would once
    // told to trust the service): the console loads, reads and connects over HTTPS.
    const spki = createHash('sha256').update(res.peer.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    const httpsBrowser = await launchChromium([`--ignore-certificate-errors-spki-list=${spki}`]);
    try {
      const page = await openConsole(node.httpsUrl, bob, httpsBrowser);
      assert.equal(await page.locator('#fingerprint').textContent(), governanceDomain(CHAIN_ID, cert).salt);
      await connected(page, bob, 'Active');
      await page.locator('#users tbody tr', { hasText: newUser.address.toLowerCase() }).waitFor();
    } finally {
      await httpsBrowser.close();
    }
  });
});

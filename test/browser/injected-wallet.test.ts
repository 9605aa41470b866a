// The browser harness itself, in headless Chromium: the DApp server serves the page and
// ethers' browser build and nothing else; the injected test wallet answers a page's
// EIP-1193 requests as a wallet does (accounts only once connected, the chain id, EIP-191
// personal_sign signatures by its key, clear errors for anything else); the page says
// clearly when it is opened without its parameters.
import { strict as assert } from 'node:assert';
import { Wallet, hexlify, id, toUtf8Bytes, verifyMessage } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { INVALID_PARAMS, TestWallet, UNAUTHORIZED, UNSUPPORTED_METHOD, injectWallet } from './injected-wallet.js';
import { serveDapp, type StaticServer } from './static-server.js';

const CHAIN_ID = 1337;
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

describe('browser harness: DApp server and injected test wallet (headless Chromium)', function () {
  this.timeout(60_000);
  const key = new Wallet(id('ccevm browser test: injected wallet'));
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    server = await serveDapp();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage();
    await injectWallet(page, new TestWallet(key, CHAIN_ID));
    await page.goto(`${server.url}/?node=${encodeURIComponent('http://127.0.0.1:1')}&token=${TOKEN}`);
  });
  afterEach(() => page?.close());

  /** window.ethereum.request in the page: its result, or the error's code and message. */
  const request = (args: unknown) =>
    page.evaluate(async (a) => {
      try {
        return { result: await (globalThis as any).ethereum.request(a) };
      } catch (e) {
        return { code: (e as { code?: number }).code, message: (e as Error).message };
      }
    }, args);

  it('serves the page, its scripts and ethers, and nothing else', async () => {
    for (const path of ['/', '/dapp.js', '/siwe-message.js', '/ethers.umd.min.js']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 200, path);
    }
    for (const path of ['/package.json', '/../package.json', '/dapp/index.html', '/static-server.ts']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${server.url}/`, { method: 'POST' })).status, 404);
    assert.equal(await page.evaluate(() => typeof (globalThis as any).ethers?.JsonRpcProvider), 'function');
    await page.locator('#status', { hasText: 'ready' }).waitFor();
    assert.equal(await page.locator('#sign-in').isEnabled(), true);
  });

  it('injects window.ethereum before the page runs; accounts once connected; the chain id', async () => {
    assert.equal(await page.evaluate(() => (globalThis as any).ethereum?.isCcevmTestWallet), true);
    assert.deepEqual(await request({ method: 'eth_accounts' }), { result: [] });
    assert.deepEqual(await request({ method: 'eth_chainId' }), { result: '0x539' });
    assert.deepEqual(await request({ method: 'eth_requestAccounts' }), { result: [key.address] });
    assert.deepEqual(await request({ method: 'eth_accounts', params: [] }), { result: [key.address] });
  });

  it('personal_sign signs the message bytes with the wallet key (EIP-191), only once connected and only for its address', async () => {
    const message = 'localhost wants you to sign in with your Ethereum account:\n…';
    const data = hexlify(toUtf8Bytes(message));
    assert.equal((await request({ method: 'personal_sign', params: [data, key.address] })).code, UNAUTHORIZED);
    await request({ method: 'eth_requestAccounts' });
    const signed = await request({ method: 'personal_sign', params: [data, key.address.toLowerCase()] });
    assert.equal(typeof signed.result, 'string', JSON.stringify(signed));
    assert.equal(verifyMessage(message, signed.result as string), key.address);
    // The page's own ethers recovers the same signer.
    assert.equal(await page.evaluate(([m, s]) => (globalThis as any).ethers.verifyMessage(m, s), [message, signed.result as string]), key.address);
    const other = Wallet.createRandom().address;
    assert.deepEqual(await request({ method: 'personal_sign', params: [data, other] }), {
      code: UNAUTHORIZED,
      message: `personal_sign: this wallet holds no key for ${other}`,
    });
  });

  it('answers malformed and unsupported requests with EIP-1193 errors', async () => {
    await request({ method: 'eth_requestAccounts' });
    const cases: [unknown, number, RegExp][] = [
      [{ method: 'personal_sign', params: ['hello', key.address] }, INVALID_PARAMS, /0x-prefixed hex/],
      [{ method: 'personal_sign', params: ['0x68656c6c6f'] }, INVALID_PARAMS, /signing address/],
      [{ method: 'eth_accounts', params: 'x' }, INVALID_PARAMS, /params must be an array/],
      [{ method: 42 }, INVALID_PARAMS, /method must be a string/],
      ['eth_accounts', INVALID_PARAMS, /expected \{ method, params \}/],
      [{ method: 'eth_sendTransaction', params: [{}] }, UNSUPPORTED_METHOD, /does not support eth_sendTransaction/],
    ];
    for (const [args, code, message] of cases) {
      const answer = await request(args);
      assert.equal(answer.code, code, JSON.stringify(args));
      assert.match(answer.message!, message);
    }
  });

  it('the page names its missing parameters', async () => {
    await page.goto(`${server.url}/?node=${encodeURIComponent('http://127.0.0.1:1')}`);
    await page.locator('#status', { hasText: 'failed' }).waitFor();
    assert.match(await page.locator('#error').innerText(), /open this page as \/\?node=<node URL>&token=<token address>/);
    assert.equal(await page.locator('#sign-in').isEnabled(), false);
  });
});

// An injected test wallet for the browser tests: `window.ethereum`, a minimal EIP-1193
// provider (eth_requestAccounts, eth_accounts, eth_chainId, personal_sign,
// eth_signTypedData_v4) backed by an
// ethers Wallet with a test key. As in a wallet extension, the key never enters the page:
// the init script's `request` forwards to a function exposed by the test process, which
// answers with the wallet.
import { getBytes, isHexString, type TypedDataDomain, type TypedDataField, type Wallet } from 'ethers';
import type { Page } from 'playwright-core';

/** EIP-1193 provider errors (and the JSON-RPC one for malformed requests). */
export const UNAUTHORIZED = 4100;
export const UNSUPPORTED_METHOD = 4200;
export const INVALID_PARAMS = -32602;

type Answer = { result: unknown } | { error: { code: number; message: string } };

class ProviderError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The wallet's side: what it answers to each request of the page. */
export class TestWallet {
  private connected = false;

  constructor(
    readonly wallet: Wallet,
    readonly chainId: number,
  ) {}

  async answer(method: unknown, params: unknown): Promise<Answer> {
    try {
      return { result: await this.request(method, params) };
    } catch (error) {
      if (error instanceof ProviderError) return { error: { code: error.code, message: error.message } };
      throw error;
    }
  }

  private async request(method: unknown, params: unknown): Promise<unknown> {
    if (typeof method !== 'string') throw new ProviderError(INVALID_PARAMS, 'request: method must be a string');
    if (params !== undefined && !Array.isArray(params)) throw new ProviderError(INVALID_PARAMS, `${method}: params must be an array`);
    switch (method) {
      case 'eth_requestAccounts':
        this.connected = true; // a user who always clicks "Connect"
        return [this.wallet.address];
      case 'eth_accounts':
        return this.connected ? [this.wallet.address] : [];
      case 'eth_chainId':
        return `0x${this.chainId.toString(16)}`;
      case 'personal_sign':
        return this.personalSign(params ?? []);
      case 'eth_signTypedData_v4':
        return this.signTypedData(params ?? []);
      default:
        throw new ProviderError(UNSUPPORTED_METHOD, `the test wallet does not support ${method}`);
    }
  }

  /** personal_sign [data (0x hex of the message bytes), address]: an EIP-191 signature. */
  private async personalSign(params: unknown[]): Promise<string> {
    const [data, address] = params;
    if (!isHexString(data)) throw new ProviderError(INVALID_PARAMS, 'personal_sign: the message must be 0x-prefixed hex of its bytes');
    if (typeof address !== 'string') throw new ProviderError(INVALID_PARAMS, 'personal_sign: the second parameter must be the signing address');
    this.checkSigner('personal_sign', address);
    return this.wallet.signMessage(getBytes(data));
  }

  /** eth_signTypedData_v4 [address, typed data as JSON text]: an EIP-712 signature, as MetaMask makes it. */
  private async signTypedData(params: unknown[]): Promise<string> {
    const [address, json] = params;
    if (typeof address !== 'string' || typeof json !== 'string') throw new ProviderError(INVALID_PARAMS, 'eth_signTypedData_v4: expected [address, typed data as JSON text]');
    this.checkSigner('eth_signTypedData_v4', address);
    let typedData: { domain: TypedDataDomain; types: Record<string, TypedDataField[]>; message: Record<string, unknown> };
    try {
      typedData = JSON.parse(json);
    } catch {
      throw new ProviderError(INVALID_PARAMS, 'eth_signTypedData_v4: the typed data is not JSON');
    }
    const { EIP712Domain: _, ...types } = typedData.types ?? {};
    if (Number(typedData.domain?.chainId) !== this.chainId) throw new ProviderError(INVALID_PARAMS, `eth_signTypedData_v4: domain chain id ${typedData.domain?.chainId} is not the wallet's ${this.chainId}`);
    try {
      return await this.wallet.signTypedData(typedData.domain, types, typedData.message);
    } catch (e) {
      throw new ProviderError(INVALID_PARAMS, `eth_signTypedData_v4: ${(e as Error).message}`);
    }
  }

  private checkSigner(method: string, address: string): void {
    if (!this.connected) throw new ProviderError(UNAUTHORIZED, `${method}: not connected (call eth_requestAccounts first)`);
    if (address.toLowerCase() !== this.wallet.address.toLowerCase()) throw new ProviderError(UNAUTHORIZED, `${method}: this wallet holds no key for ${address}`);
  }
}

const BINDING = '__ccevmTestWallet';

/** Injects `wallet` as `window.ethereum` into every document `page` loads from now on. */
export async function injectWallet(page: Page, wallet: TestWallet): Promise<void> {
  await page.exposeFunction(BINDING, (method: unknown, params: unknown) => wallet.answer(method, params));
  await page.addInitScript((binding: string) => {
    // (runs in the page: globalThis is its window)
    const page = globalThis as unknown as Record<string, unknown>;
    const ethereum = {
      isCcevmTestWallet: true,
      async request(args: { method: unknown; params?: unknown }) {
        // (-32602: INVALID_PARAMS; this function is serialized into the page, outer names do not exist there)
        if (typeof args !== 'object' || args === null) throw Object.assign(new Error('request: expected { method, params }'), { code: -32602 });
        const forward = page[binding] as (method: unknown, params: unknown) => Promise<Answer>;
        const answer = await forward(args.method, args.params);
        if ('error' in answer) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
        return answer.result;
      },
    };
    Object.defineProperty(page, 'ethereum', { value: ethereum, configurable: false, writable: false });
  }, BINDING);
}

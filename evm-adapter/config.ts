// What a consortium configures about its EVM chain.

export interface GenesisAccount {
  balance: bigint;
  nonce?: bigint;
  code?: Uint8Array;
}

export interface EvmConfig {
  chainId: bigint;
  // sends, deploy, baseFeePerGas, blockGasLimit, balances and code are the genesis EVM policy (policy.ts):
  // after genesis the members' vote changes them, not this configuration.
  /** Who may transact: only users (the users table), or anyone. */
  sends: 'users' | 'anyone';
  /** Who may create contracts: users with role 'deploy', any user, or any sender. */
  deploy: 'deployers' | 'users' | 'anyone';
  /** Base fee of blocks, in wei (consortium chains may run at zero). */
  baseFeePerGas: bigint;
  /** Largest gas a block header advertises and eth_call/eth_estimateGas may use. */
  blockGasLimit: bigint;
  /** Whose balances and nonces a caller reads: its own, or (users) any. */
  balances: 'own' | 'users';
  /** Who reads contract code: users, or anyone. */
  code: 'users' | 'anyone';
  /** The dev accounts' addresses (keys from the public mnemonic): none on a production service. */
  devAccounts: string[];
  /** Largest signed transaction accepted, in bytes (geth: 128 KiB). */
  maxTransactionBytes: number;
  /** Accounts funded in the genesis block, by 0x address. */
  genesis: Record<string, GenesisAccount>;
}

export const DEFAULT_EVM_CONFIG: EvmConfig = {
  chainId: 1337n,
  sends: 'users',
  deploy: 'deployers',
  baseFeePerGas: 0n,
  blockGasLimit: 30_000_000n,
  balances: 'own',
  code: 'users',
  devAccounts: [],
  maxTransactionBytes: 128 * 1024,
  genesis: {},
};

// Writes the test vectors of the Ethereum claims (evm-adapter/FORMAT.md) from fixed inputs:
//
//   npx tsx scripts/eth-claims-vectors.ts > test/fixtures/eth-claims-vectors.json
//
// Run once when the encoding is defined; test/evm/claims-vectors.test.ts then checks that
// the encoding still gives these bytes (a change of encoding must be a new version).
import { claimsBytes, claimsDigest, logLeaves, logSaltAt, logsHash } from '../evm-adapter/receipts/claims.js';
import type { LogRecord } from '../evm-adapter/tables.js';

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const fill = (byte: number, n: number) => hex(new Uint8Array(n).fill(byte));

interface Input {
  name: string;
  transactionHash: string;
  from: string;
  status: 0 | 1;
  gasUsed: string;
  contractAddress: string | null;
  logSalt: string | null;
  logs: { address: string; topics: string[]; data: string }[];
}

const inputs: Input[] = [
  { name: 'ether transfer, no logs', transactionHash: fill(0x11, 32), from: fill(0x22, 20), status: 1, gasUsed: '0x5208', contractAddress: null, logSalt: null, logs: [] },
  {
    name: 'contract creation with two logs (no topics; three topics)',
    transactionHash: fill(0x33, 32),
    from: fill(0x44, 20),
    status: 1,
    gasUsed: '0x1e8480',
    contractAddress: fill(0x55, 20),
    logSalt: fill(0x42, 32),
    logs: [
      { address: fill(0x55, 20), topics: [], data: '0x' },
      { address: fill(0x55, 20), topics: [fill(0xaa, 32), fill(0xbb, 32), fill(0xcc, 32)], data: '0x0102030405' },
    ],
  },
  { name: 'failed call, all gas used', transactionHash: fill(0x66, 32), from: fill(0x77, 20), status: 0, gasUsed: '0xffffffffffffffff', contractAddress: null, logSalt: null, logs: [] },
];

const vectors = inputs.map((input) => {
  const logs: LogRecord[] = input.logs.map((l) => [bytes(l.address.slice(2)), l.topics.map((t) => bytes(t.slice(2))), bytes(l.data.slice(2))]);
  const salt = input.logSalt ? bytes(input.logSalt.slice(2)) : undefined;
  const leaves = logLeaves(salt, logs);
  const claims = {
    transactionHash: bytes(input.transactionHash.slice(2)),
    from: bytes(input.from.slice(2)),
    status: input.status,
    gasUsed: BigInt(input.gasUsed),
    contractAddress: input.contractAddress ? bytes(input.contractAddress.slice(2)) : null,
    logsHash: logsHash(leaves),
  };
  return {
    input,
    salts: logs.map((_, i) => hex(logSaltAt(salt!, i))),
    logLeaves: leaves.map(hex),
    logsHash: hex(claims.logsHash),
    claims: hex(claimsBytes(claims)),
    claimsDigest: hex(claimsDigest(claims)),
  };
});

process.stdout.write(`${JSON.stringify(vectors, null, 2)}\n`);

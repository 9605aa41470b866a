// The calldata of contracts/ReceiptVerifier.sol `verify(Receipt, Claims)` from what
// `ccevm_getLedgerReceipt` returns for a committed transaction (the coordinator's issue-11
// spec, S5; FORMAT.md "Receipt (JSON)" plus `service_signature`):
//
//   const { receipt, claims } = receiptCalldata(await rpc('ccevm_getLedgerReceipt', hash));
//   await verifier.call('verify', [receipt, claims]);   // ethers encodes the named tuples
//
// Only the shape is checked here (a malformed response throws ReceiptCalldataError naming
// the field); whether it proves anything is the contract's job.

export class ReceiptCalldataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptCalldataError';
  }
}

type Hex = `0x${string}`;

/** The JSON of a committed `ccevm_getLedgerReceipt` answer, as far as the contract uses it. */
export interface LedgerReceiptResponse {
  status: 'committed';
  receipt: {
    leaf_components: { write_set_digest: string; commit_evidence: string; claims_digest: string };
    proof: ({ left: string } | { right: string })[];
    service_signature: { protected: string; signature: string };
  };
  claims: {
    version: number;
    transactionHash: string;
    from: string;
    status: string;
    gasUsed: string;
    contractAddress: string | null;
    logs: ({ salt: string; address: string; topics: string[]; data: string } | { leaf: string })[];
  };
}

export interface ReceiptStruct {
  writeSetDigest: Hex;
  commitEvidence: Hex;
  proof: Hex[];
  leftBits: bigint;
  coseProtected: Hex;
  r: Hex;
  s: Hex;
}

export interface LogStruct {
  salt: Hex;
  emitter: Hex;
  topics: Hex[];
  data: Hex;
  hidden: boolean;
  leaf: Hex;
}

export interface ClaimsStruct {
  txHash: Hex;
  from: Hex;
  success: boolean;
  gasUsed: bigint;
  contractAddress: Hex;
  logs: LogStruct[];
}

const ZERO32: Hex = `0x${'00'.repeat(32)}`;
const ZERO_ADDRESS: Hex = `0x${'00'.repeat(20)}`;

function fail(message: string): never {
  throw new ReceiptCalldataError(message);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(`${what} is not an array`);
  return value;
}

/** `0x` and `bytes` bytes of hex (any case); `bytes` undefined: any whole number of bytes. */
function hex(value: unknown, what: string, bytes?: number): Hex {
  const pairs = bytes === undefined ? '*' : `{${bytes}}`;
  if (typeof value !== 'string' || !new RegExp(`^0x(?:[0-9a-fA-F]{2})${pairs}$`).test(value)) {
    fail(`${what} is not ${bytes === undefined ? '' : `${bytes} bytes of `}0x-prefixed hex`);
  }
  return value.toLowerCase() as Hex;
}

/** A digest written as 64 hex characters without 0x (FORMAT.md's receipt fields). */
function digest(value: unknown, what: string): Hex {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) fail(`${what} is not 64 lowercase hex characters`);
  return `0x${value}`;
}

function base64(value: unknown, what: string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
  if (bytes === undefined || bytes.toString('base64') !== value) fail(`${what} is not canonical base64`);
  return bytes;
}

function quantity(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^0x(0|[1-9a-f][0-9a-f]*)$/.test(value)) fail(`${what} is not a hex quantity`);
  return BigInt(value);
}

function log(value: unknown, what: string): LogStruct {
  const l = record(value, what);
  if ('leaf' in l) {
    if (Object.keys(l).length !== 1) fail(`${what} has a leaf and other fields`);
    return { salt: ZERO32, emitter: ZERO_ADDRESS, topics: [], data: '0x', hidden: true, leaf: hex(l.leaf, `${what}.leaf`, 32) };
  }
  const topics = list(l.topics, `${what}.topics`).map((t, i) => hex(t, `${what}.topics[${i}]`, 32));
  return {
    salt: hex(l.salt, `${what}.salt`, 32),
    emitter: hex(l.address, `${what}.address`, 20),
    topics,
    data: hex(l.data, `${what}.data`),
    hidden: false,
    leaf: ZERO32,
  };
}

/** The `verify` arguments for a committed ccevm_getLedgerReceipt answer. */
export function receiptCalldata(response: unknown): { receipt: ReceiptStruct; claims: ClaimsStruct } {
  const top = record(response, 'response');
  if (top.status !== 'committed') fail(`response status is ${JSON.stringify(top.status)}, not "committed"`);
  const receipt = record(top.receipt, 'receipt');
  const components = record(receipt.leaf_components, 'receipt.leaf_components');
  const commitEvidence = components.commit_evidence;
  if (typeof commitEvidence !== 'string' || !/^[\x20-\x7e]*$/.test(commitEvidence)) {
    fail('receipt.leaf_components.commit_evidence is not an ASCII string');
  }
  const steps = list(receipt.proof, 'receipt.proof');
  if (steps.length > 256) fail(`receipt.proof has ${steps.length} steps; the contract takes at most 256`);
  let leftBits = 0n;
  const proof = steps.map((value, i) => {
    const step = record(value, `receipt.proof[${i}]`);
    const side = Object.keys(step);
    if (side.length !== 1 || (side[0] !== 'left' && side[0] !== 'right')) {
      fail(`receipt.proof[${i}] is not {"left": …} or {"right": …}`);
    }
    if (side[0] === 'left') leftBits |= 1n << BigInt(i);
    return digest(step[side[0]], `receipt.proof[${i}].${side[0]}`);
  });
  const signature = record(receipt.service_signature, 'receipt.service_signature');
  const rs = base64(signature.signature, 'receipt.service_signature.signature');
  if (rs.length !== 64) fail(`receipt.service_signature.signature is ${rs.length} bytes, not 64 (r || s)`);

  const claims = record(top.claims, 'claims');
  if (claims.version !== 1) fail(`claims.version is ${JSON.stringify(claims.version)}, not 1`);
  if (claims.status !== '0x1' && claims.status !== '0x0') fail('claims.status is not "0x1" or "0x0"');
  return {
    receipt: {
      writeSetDigest: digest(components.write_set_digest, 'receipt.leaf_components.write_set_digest'),
      commitEvidence: `0x${Buffer.from(commitEvidence, 'ascii').toString('hex')}`,
      proof,
      leftBits,
      coseProtected: `0x${base64(signature.protected, 'receipt.service_signature.protected').toString('hex')}`,
      r: `0x${rs.subarray(0, 32).toString('hex')}`,
      s: `0x${rs.subarray(32).toString('hex')}`,
    },
    claims: {
      txHash: hex(claims.transactionHash, 'claims.transactionHash', 32),
      from: hex(claims.from, 'claims.from', 20),
      success: claims.status === '0x1',
      gasUsed: quantity(claims.gasUsed, 'claims.gasUsed'),
      contractAddress: claims.contractAddress === null ? ZERO_ADDRESS : hex(claims.contractAddress, 'claims.contractAddress', 20),
      logs: list(claims.logs, 'claims.logs').map((l, i) => log(l, `claims.logs[${i}]`)),
    },
  };
}

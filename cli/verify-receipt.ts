// `ccevm verify-receipt <file | ->`: verify, offline and against the service certificate
// alone, a ledger receipt or a ccevm_getLedgerReceipt answer (told apart by their shape),
// and print what it proves: when the service signed it, and for an Ethereum transaction its
// hash, sender, result, gas, created contract and the logs shown (with how many withheld).
import { readText } from '../core/host/files.js';
import {
  ReceiptVerificationError,
  verifyEthereumReceipt,
  verifyLedgerReceipt,
  type ProvenEthereumReceipt,
  type ProvenLedgerReceipt,
} from '../evm-adapter/receipts/verify-receipt.js';
import { ConfigError } from './config.js';

export interface VerifyReceiptFlags {
  'service-cert'?: string;
  /** ISO date at which the node certificate must be valid (default now) */
  at?: string;
  json?: boolean;
}

/** A receipt that does not verify, as one line naming the failed check. */
export class ReceiptRejected extends Error {
  constructor(e: ReceiptVerificationError) {
    super(`receipt rejected (check ${e.check}): ${e.message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readInput(file: string): Promise<unknown> {
  const text = file === '-' ? await readStdin() : await readText(file).catch((e: NodeJS.ErrnoException) => Promise.reject(new ConfigError(`cannot read ${file}: ${e.code ?? e.message}`)));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file === '-' ? 'standard input' : file} is not JSON: ${(e as Error).message}`);
  }
  // A saved JSON-RPC response: its result.
  const o = json as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && 'jsonrpc' in o && 'result' in o ? o.result : json;
}

function atDate(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime())) throw new ConfigError(`--at must be an ISO date (2026-12-01 or 2026-12-01T21:00:00Z), not ${text}`);
  return at;
}

function describeLedger(p: ProvenLedgerReceipt): string[] {
  return [
    `receipt verified: ledger transaction ${p.txid} is committed`,
    `  signed at         ${p.signedAt.toISOString()} by the service (signature transaction ${p.signatureTxid})`,
    `  write set digest  ${p.writeSetDigest}`,
    `  claims digest     ${p.claimsDigest}`,
  ];
}

function describeEthereum(p: ProvenEthereumReceipt): string[] {
  const lines = [
    `receipt verified: transaction ${p.transactionHash} is committed at ledger txid ${p.txid}`,
    `  signed at         ${p.signedAt.toISOString()} by the service (signature transaction ${p.signatureTxid})`,
    `  transaction hash  ${p.transactionHash}`,
    `  from              ${p.from}`,
    `  status            ${p.status}`,
    `  gas used          ${p.gasUsed}`,
    `  contract created  ${p.contractAddress ?? 'none'}`,
  ];
  for (const log of p.logs) {
    lines.push(`  log ${log.index}`.padEnd(20) + log.address);
    for (const topic of log.topics) lines.push(`    topic           ${topic}`);
    lines.push(`    data            ${log.data}`);
  }
  lines.push(`  ${p.withheldLogs} log${p.withheldLogs === 1 ? '' : 's'} withheld (proven only by hash)`);
  return lines;
}

export async function runVerifyReceipt(args: readonly string[], flags: VerifyReceiptFlags): Promise<void> {
  const file = args[0];
  if (file === undefined) throw new ConfigError('verify-receipt needs a receipt file (or - for standard input)');
  const certPath = flags['service-cert'];
  if (!certPath) throw new ConfigError('verify-receipt needs --service-cert FILE (the service certificate to verify against)');
  const serviceCert = await readText(certPath).catch((e: NodeJS.ErrnoException) => Promise.reject(new ConfigError(`cannot read the service certificate ${certPath}: ${e.code ?? e.message}`)));
  const at = atDate(flags.at);
  const input = await readInput(file);
  const options = at ? { now: at } : {};
  const isLedgerReceipt = typeof input === 'object' && input !== null && 'leaf_components' in input;
  let proven: ProvenLedgerReceipt | ProvenEthereumReceipt;
  try {
    proven = isLedgerReceipt ? verifyLedgerReceipt(input, serviceCert, options) : verifyEthereumReceipt(input, serviceCert, options);
  } catch (e) {
    throw e instanceof ReceiptVerificationError ? new ReceiptRejected(e) : e;
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(proven, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    return;
  }
  const lines = isLedgerReceipt ? describeLedger(proven as ProvenLedgerReceipt) : describeEthereum(proven as ProvenEthereumReceipt);
  process.stdout.write(`${lines.join('\n')}\n`);
}

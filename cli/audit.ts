// `ccevm audit <dir>`: verify exported ledger chunks offline against the service
// certificate, with a progress display on stderr, then print the governance history and
// a summary. With --ledger-secrets FILE (an auditor the members trust) the private
// domains are decrypted and verified too, and each transaction's claims re-derived by
// the injected claims check.
import { readFiles } from '../core/host/data-dir.js';
import { readText } from '../core/host/files.js';
import { auditChunks, type AuditResult, type EntryCheck } from '../core/ledger/audit.js';
import { CHUNK_NAME } from '../core/ledger/chunks.js';
import { LedgerSecrets } from '../core/ledger/secrets.js';
import { SNAPSHOT_NAME } from '../core/ledger/snapshot.js';
import { formatGovernanceHistory, governanceHistory, type GovernanceEvent } from './governance-history.js';

/** What the user gave that cannot be audited: one line, no stack trace. */
export class AuditInputError extends Error {}

/** Re-derives what each transaction claims (the Ethereum claims, in evm-adapter) and counts what it checked. */
export interface ClaimsCheck {
  readonly check: EntryCheck;
  /** how many Ethereum transactions it has checked so far */
  readonly transactions: number;
}

export interface AuditFlags {
  'service-cert'?: string;
  'ledger-secrets'?: string;
  progress?: boolean;
  json?: boolean;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** `[{ "fromSeqno": 1, "key": "<64 hex>" }, …]`, in seqno order. */
export function parseLedgerSecrets(text: string, path: string): LedgerSecrets {
  const bad = (why: string): never => {
    throw new AuditInputError(`${path}: ${why} (expected [{ "fromSeqno": 1, "key": "<64 hex digits>" }, …])`);
  };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    bad('not JSON');
  }
  if (!Array.isArray(list) || list.length === 0) bad('not a non-empty list of ledger secrets');
  const secrets = new LedgerSecrets();
  (list as unknown[]).forEach((item, i) => {
    const { fromSeqno, key } = (typeof item === 'object' && item !== null ? item : {}) as { fromSeqno?: unknown; key?: unknown };
    if (!Number.isSafeInteger(fromSeqno) || (fromSeqno as number) < 1) bad(`secret ${i}: fromSeqno must be a positive integer`);
    if (typeof key !== 'string' || !HEX_KEY.test(key)) bad(`secret ${i}: key must be 64 hex digits`);
    try {
      secrets.add({ fromSeqno: fromSeqno as number, key: Buffer.from(key as string, 'hex') });
    } catch (e) {
      bad(`secret ${i}: ${(e as Error).message}`);
    }
  });
  if (secrets.all[0]!.fromSeqno !== 1) bad('the first secret must be in force from seqno 1');
  return secrets;
}

/** Progress on stderr: one line rewritten in place on a terminal, plain lines otherwise. */
function progressDisplay(stream: NodeJS.WriteStream, asked: boolean) {
  const tty = stream.isTTY === true;
  if (!tty && !asked) return undefined;
  let shown = false;
  return {
    intervalMs: tty ? 250 : 2_000,
    show(done: number, total: number) {
      const line = `auditing: ${done}/${total} entries (${total === 0 ? 100 : Math.floor((done * 100) / total)}%)`;
      stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      shown = true;
    },
    /** End the rewritten line, so that what follows starts on its own. */
    end() {
      if (tty && shown) stream.write('\n');
    },
  };
}

export interface AuditReport {
  result: AuditResult;
  governance: GovernanceEvent[];
  /** Ethereum transactions whose claims were re-derived (with the secrets and a claims check) */
  ethereumTransactions?: number;
}

/** The summary as JSON (the store is left out: it is the audit's working state). */
export function auditJson({ result, governance, ethereumTransactions }: AuditReport) {
  const { store: _, checkedEntries: __, ...ledger } = result;
  return {
    ledger: {
      ...ledger,
      firstTxid: `${result.firstView}.${result.firstSeqno}`,
      lastTxid: `${result.lastView}.${result.lastSeqno}`,
      ...(ethereumTransactions === undefined ? {} : { ethereumTransactionsChecked: ethereumTransactions }),
    },
    governance,
  };
}

/** The report as lines for a person: the verdict, the governance history, the summary. */
export function formatAudit({ result, governance, ethereumTransactions }: AuditReport): string[] {
  const from = result.from > 0 ? ` after the committed snapshot at seqno ${result.from}` : '';
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  return [
    `ledger verified: ${result.entries} entries${from}, ${result.signatures} signatures, last txid ${result.lastView}.${result.lastSeqno}`,
    ...formatGovernanceHistory(governance),
    'summary:',
    `  entries: ${result.entries}, txids ${result.firstView}.${result.firstSeqno} to ${result.lastView}.${result.lastSeqno}${from}`,
    `  signatures: ${result.signatures}, by ${plural(result.signers.length, 'node')}: ${result.signers.join(', ')}`,
    `  node status changes: ${result.nodeChanges.length}`,
    ...result.nodeChanges.map((c) => `    seqno ${c.seqno}: node ${c.node} ${c.status ?? 'record removed'}`),
    `  service identity records: ${result.serviceRecords.length}${result.serviceRecords.map((r) => `${r === result.serviceRecords[0] ? ' (' : ', '}seqno ${r.seqno}: ${r.status}`).join('')}${result.serviceRecords.length ? ')' : ''}`,
    result.privateChecked ? '  private domains: decrypted and verified with the ledger secrets' : '  private domains: not checked (no --ledger-secrets)',
    ...(ethereumTransactions === undefined ? [] : [`  Ethereum transactions checked: ${ethereumTransactions}`]),
  ];
}

async function readInput<T>(what: string, read: () => Promise<T>): Promise<T> {
  return read().catch((e: NodeJS.ErrnoException) => {
    throw new AuditInputError(`cannot read ${what}: ${e.code ?? e.message}`);
  });
}

/** Audit the export in `dir`; `claims` is the claims check to run when the secrets are given. */
export async function audit(dir: string, flags: AuditFlags, claims?: () => ClaimsCheck): Promise<AuditReport> {
  const certFile = flags['service-cert'];
  if (!certFile) throw new AuditInputError('--service-cert FILE is required');
  const cert = await readInput(`the service certificate ${certFile}`, () => readText(certFile));
  const secretsFile = flags['ledger-secrets'];
  const secrets = secretsFile === undefined ? undefined : parseLedgerSecrets(await readInput(`the ledger secrets ${secretsFile}`, () => readText(secretsFile)), secretsFile);
  const snapshots = await readInput(`the directory ${dir}`, () => readFiles(dir, SNAPSHOT_NAME));
  if (snapshots.length > 1) throw new AuditInputError('an export holds at most one snapshot (the one its chunks start after)');
  const chunks = await readInput(`the directory ${dir}`, () => readFiles(dir, CHUNK_NAME));
  const check = secrets ? claims?.() : undefined;
  const progress = progressDisplay(process.stderr, flags.progress === true);
  let result;
  try {
    result = auditChunks(chunks, cert, secrets, snapshots[0], {
      ...(progress ? { onProgress: progress.show, progressIntervalMs: progress.intervalMs } : {}),
      ...(check ? { checkEntry: check.check } : {}),
    });
  } finally {
    progress?.end();
  }
  return { result, governance: governanceHistory(chunks, cert), ...(check ? { ethereumTransactions: check.transactions } : {}) };
}

export async function runAudit(positionals: readonly string[], flags: AuditFlags, claims?: () => ClaimsCheck): Promise<void> {
  const dir = positionals[0];
  if (!dir) throw new AuditInputError('audit needs the directory of ledger chunks');
  const report = await audit(dir, flags, claims);
  process.stdout.write(flags.json ? `${JSON.stringify(auditJson(report), null, 2)}\n` : `${formatAudit(report).join('\n')}\n`);
}

// The ccevm command line: start a node, export and audit its ledger, verify receipts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import packageJson from '../package.json' with { type: 'json' };
import { DataDirLockedError } from '../core/host/dir-lock.js';
import { BootError } from '../core/node/boot.js';
import { ExportError, exportDataDir } from '../core/node/export.js';
import { IdentityError } from '../core/node/identity.js';
import { JoinError } from '../core/node/join.js';
import { LedgerIntegrityError } from '../core/ledger/errors.js';
import { JsonRpcError, TransportError } from '../rpc/client.js';
import { ConfigError, loadStartConfig, type Flags, type StartConfig } from './config.js';
import { AuditInputError, runAudit } from './audit.js';
import { EthereumClaimsCheck } from '../evm-adapter/receipts/audit-claims.js';
import { runCluster } from './cluster.js';
import { runGov } from './gov.js';
import { runSignIn } from './sign-in.js';
import { ReceiptRejected, runVerifyReceipt } from './verify-receipt.js';
import { describeStart, joinNode, startNode } from './start.js';
import { LOG_FORMATS, nodeLog, type LogFormat, type NodeLog } from './logging.js';
import { runStatus } from './status.js';

const HELP = `ccevm — a confidential consortium ledger node that speaks Ethereum

usage: ccevm <command> [options]

commands:
  start            start a node with JSON-RPC (creates a new service if the data directory is empty);
                   with --nodes N, a local network of N node processes
  join             start a node that joins the service of --target (or restarts if it already did)
  export           verify a stopped node's ledger and write it as chunk files
  audit <dir>      verify exported ledger chunks offline against the service certificate
                   (every entry, signature and node endorsement; any failure names the
                   file, seqno and byte offset), list their governance history (signed
                   messages re-verified, proposal states, constitution versions) and a
                   summary; with --ledger-secrets, the private domains too
  gov <subcommand> govern the network as a member: propose, vote, withdraw, ack, list, show,
                   members, users, nodes (ccevm gov for details)
  sign-in          sign in as a user (Sign-In with Ethereum): prints the RPC URL with the
                   session token in its path, and the Authorization header form
  status URL       a node and its network at a glance: /health, ccevm_nodeInfo and the nodes table
  verify-receipt <file | ->
                   verify offline, against --service-cert, a ledger receipt or a
                   ccevm_getLedgerReceipt answer (file, or - for standard input), and print
                   what it proves: txid, when signed, and for an Ethereum transaction its hash,
                   sender, status, gas used, contract created, the logs shown and how many withheld

options:
  --config FILE        JSON config file (keys: dataDir, host, httpHost, allowPlainHttp, port,
                       httpsPort, peerPort, forwardTimeoutMs, durability, signEvery, signMs, snapshotInterval, devAccounts, chainId, baseFeePerGas, blockGasLimit,
                       genesis; signInDomains [host[:port]] a Sign-In with Ethereum message may name
                       besides where the node listens; a new service's consortium: members
                       [{ address, encryptionKey }], users [{ address, roles }], constitution FILE(s));
                       flags override it
  --data-dir DIR       node data directory (default .data/node0)
  --host HOST          where HTTPS and the node-to-node channel listen (default 127.0.0.1)
  --http-host ADDR     where plain-HTTP JSON-RPC listens (default 127.0.0.1; loopback only
                       unless --allow-plain-http: plain HTTP is for local tools)
  --allow-plain-http   let --http-host be a non-loopback address (traffic in clear)
  --port PORT          JSON-RPC over HTTP (default 8545)
  --https-port PORT    JSON-RPC over HTTPS with the node certificate (default port + 100; 0: off)
  --peer-port PORT     node-to-node channel, mutual TLS (default port + 1000)
  --forward-timeout-ms MS  how long a write waits for a primary (failover) before it
                       fails with error.data.reason (default 10000)
  --nodes N            start: N local nodes, RPC on port, port+1, …, HTTPS on https-port+i,
                       node-to-node on peer-port+i, data in .data/node0, node1, …
  --target URL         join: https:// URL of a node of the service to join (with --service-cert)
  --chain-id ID        chain id of a new service (default 1337)
  --base-fee WEI       base fee per gas of every block (default 0)
  --genesis FILE       JSON { "0xaddress": { "balance": "0x…" } } funded in a new service
  --dev-accounts N     fund N accounts of the dev mnemonic "test … junk" (default 20; 0: none)
  --durability MODE    fsync (default): acknowledge commits once fsync'd; os: once written
  --sign-every N       signature transaction (block) after N transactions (default 1000)
  --sign-ms MS         ... or MS milliseconds after the first unsigned one (default 20)
  --snapshot-interval N  snapshot the state every N transactions (default 10000; use the
                       same value on every node): new and lagging nodes start from one
  --service-cert FILE  PEM service certificate to verify against (join, audit, verify-receipt)
  --out DIR            where export writes chunks (default <data-dir>/export)
  --json               audit, gov, verify-receipt: print JSON (audit: the verification summary and the
                       governance history; verify-receipt: what is proven, gas as a decimal string)
  --ledger-secrets FILE  audit: JSON [{ "fromSeqno": 1, "key": "<64 hex>" }, …], the ledger secrets:
                       decrypt and verify the private domains (an auditor the members trust)
  --progress           audit: show progress on stderr even when it is not a terminal
  --at ISO-DATE        verify-receipt: when the node certificate must be valid (default now)
  gov: --rpc URL, --key-file FILE | CCEVM_MEMBER_KEY | --mnemonic "…" [--account N],
       --actions FILE, --service-cert FILE (see ccevm gov)
  sign-in: --rpc URL (default http://127.0.0.1:8545), --service-cert FILE (for https://),
       the user's key: --key-file FILE | CCEVM_USER_KEY | --mnemonic "…" [--account N]; --json
  --log-format FORMAT  start, join: pretty (default: one message a line) or json (JSON lines:
                       time, level, msg and the event's fields; requests: method, status, duration)
  status: ccevm status URL [--service-cert FILE] [--json]: the node's health, role and
       commit, and its network (the nodes table)
  -h, --help           this text
  --version            the version of ccevm
`;

/** Every flag, one a line. */
const OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  'http-host': { type: 'string' },
  'allow-plain-http': { type: 'boolean' },
  'forward-timeout-ms': { type: 'string' },
  port: { type: 'string' },
  'https-port': { type: 'string' },
  'peer-port': { type: 'string' },
  nodes: { type: 'string' },
  target: { type: 'string' },
  rpc: { type: 'string' },
  'key-file': { type: 'string' },
  mnemonic: { type: 'string' },
  account: { type: 'string' },
  actions: { type: 'string' },
  'chain-id': { type: 'string' },
  'base-fee': { type: 'string' },
  genesis: { type: 'string' },
  'dev-accounts': { type: 'string' },
  durability: { type: 'string' },
  'sign-every': { type: 'string' },
  'sign-ms': { type: 'string' },
  'snapshot-interval': { type: 'string' },
  'service-cert': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'ledger-secrets': { type: 'string' },
  progress: { type: 'boolean' },
  at: { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

function fail(message: string): never {
  process.stderr.write(`ccevm: ${message}\n`);
  process.exit(2);
}

/** The command line, or one line saying what is wrong with it. */
function parseCommandLine() {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (e) {
    fail(`${describeArgsError(e as Error & { code?: string })} (see --help)`);
  }
}

/** node:util's parse errors are long and talk about its own syntax; say what is wrong. */
function describeArgsError(e: Error & { code?: string }): string {
  // The option as quoted in the message: '--foo', '--port <value>', '-h, --help'.
  const option = /'([^']+)'/.exec(e.message)?.[1]?.split(', ').pop()?.split(' ')[0];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return /does not take an argument/.test(e.message) ? `option ${option} takes no value` : `option ${option} needs a value`;
  }
  return e.message.split('\n')[0]!;
}

const { values, positionals } = parseCommandLine();

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${name} must be a positive integer`);
  return n;
}

function nodeOptions() {
  const durability = values.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'os') fail('--durability must be fsync or os');
  return {
    dataDir: values['data-dir'] ?? '.data/node0',
    durability: durability as 'fsync' | 'os',
    signatures: {
      ...(values['sign-every'] ? { transactions: positiveInt('sign-every', values['sign-every']) } : {}),
      ...(values['sign-ms'] ? { milliseconds: positiveInt('sign-ms', values['sign-ms']) } : {}),
    },
    log: (m: string) => process.stdout.write(`${m}\n`),
  };
}

function runUntilSignalled(running: { stop: () => Promise<void> }, log: NodeLog): void {
  const stop = async (signal: string) => {
    log(`${signal}: stopping`);
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** The running node's log, as --log-format says. */
function startLog(): { log: NodeLog; json: boolean } {
  const format = values['log-format'] ?? 'pretty';
  if (!(LOG_FORMATS as readonly string[]).includes(format)) fail(`--log-format must be ${LOG_FORMATS.join(' or ')}`);
  return { log: nodeLog(format as LogFormat), json: format === 'json' };
}

/** Say where the node listens: the banner for people, one log line in JSON (the banner lists keys). */
function announce(config: StartConfig, urls: string[], { log, json }: ReturnType<typeof startLog>): void {
  if (json) log(`ccevm node listening on ${urls.join(' and ')}`);
  else process.stdout.write(`${describeStart(config, urls)}\n`);
}

async function start(): Promise<void> {
  if (values.nodes !== undefined) {
    const count = positiveInt('nodes', values.nodes)!;
    return runCluster(count, process.argv.slice(3));
  }
  const config = await loadStartConfig(values as Flags);
  const logging = startLog();
  const running = await startNode(config, logging.log);
  announce(config, running.urls, logging);
  runUntilSignalled(running, logging.log);
}

async function join(): Promise<void> {
  const target = values.target ?? fail('join needs --target URL (a node of the service)');
  const config = await loadStartConfig(values as Flags);
  const logging = startLog();
  const running = await joinNode(config, target, values['service-cert'], logging.log);
  announce(config, running.urls, logging);
  runUntilSignalled(running, logging.log);
}

async function exportLedger(): Promise<void> {
  const { dataDir, log } = nodeOptions();
  const result = await exportDataDir({ dataDir, out: values.out ?? `${dataDir}/export`, log });
  const from = result.from > 0 ? `the committed snapshot at seqno ${result.from} and ` : '';
  const what = result.to > result.from ? `${from}entries ${result.from + 1}..${result.to}` : `${from}no entries`;
  const rest = result.lastSigned > result.to ? `; its ledger holds signed entries up to ${result.lastSigned} not known to be committed, left out` : '';
  process.stdout.write(`${result.files.join('\n')}\nexported ${what}: ${result.reason}${rest}\n`);
}

/** Failures that say what is wrong with the input or the situation: one line, no stack trace (anything else is a bug, and prints its stack). */
const USER_ERRORS = [AuditInputError, ConfigError, DataDirLockedError, BootError, ExportError, IdentityError, JoinError, LedgerIntegrityError, JsonRpcError, TransportError, ReceiptRejected];

const gov = () => runGov(positionals.slice(1), values);

const audit = () => runAudit(positionals.slice(1), values, () => new EthereumClaimsCheck());

const commands: Record<string, () => Promise<void>> = { start, join, export: exportLedger, audit, gov, 'sign-in': () => runSignIn(values), 'verify-receipt': () => runVerifyReceipt(positionals.slice(1), values), status: () => runStatus(positionals.slice(1), values) };

if (values.version) {
  process.stdout.write(`ccevm ${packageJson.version}\n`);
} else if (values.help || positionals.length === 0) {
  process.stdout.write(HELP);
} else {
  const command = commands[positionals[0]!] ?? fail(`unknown command ${positionals[0]} (see --help)`);
  // Errors about what the user asked for are one line; anything else is a bug: its stack helps.
  command().catch((e: Error) => fail(USER_ERRORS.some((type) => e instanceof type) ? e.message : (e.stack ?? e.message)));
}

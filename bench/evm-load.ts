// End-to-end load benchmark: ERC-20 transfers through eth_sendRawTransaction against a
// ccevm node process and/or `hardhat node`, each started fresh by this script. Figures only;
// the one thing it asserts is that every transfer it saw committed really landed.
//
//   npx tsx bench/evm-load.ts [--target ccevm|ccevm3|hardhat|both|all] [--concurrency 1,32] [--seconds 10]
//                             [--quick] [--poll-ms 5] [--max-rate 2000] [--profile-dir DIR] [--reads session|anonymous]
//
// Per target: start the node (ccevm: fresh temporary data directory, default durability =
// fsync), deploy contracts/Token.sol from dev account 0, fund one sender account per
// in-flight slot with ETH and tokens. Per concurrency C: pre-sign every transfer the run
// could need (explicit nonces, gas limit 60000, the node's fees), then for --seconds run C
// slots, each sending one transaction (eth_sendRawTransaction), polling
// eth_getTransactionReceipt every --poll-ms until the receipt appears, then sending the
// next. Slot i always uses sender i, so nonces never wait on each other. On ccevm each
// sender signs in first (Sign-In with Ethereum) and sends and polls with its own session
// token in the URL path, as a DApp reading its own receipts does (--reads anonymous: the
// timed phase without tokens, as the anonymous caller of a development service, who reads
// as the dev accounts, to show what sessions cost).
//
//   tx/s     receipts obtained within the timed window / window length
//   p50/p99  latency from submitting the transaction to seeing its receipt (every receipt,
//            including those of transactions still in flight when the window closed)
//   errors   RPC errors, reverted receipts, receipt time-outs (a slot stops at its first
//            send error or time-out: its later pre-signed nonces would be unusable)
//
// At the end of each target, token balances and nonces of every account involved are read
// back and compared with the receipts seen; any difference is reported loudly and makes
// the exit code 1.
//
// --max-rate R      pre-sign enough transactions for R tx/s overall (default 2000; at most
//                   600/s per slot); a slot that runs out is flagged "exhausted"
// --profile-dir DIR start the ccevm node with `node --cpu-prof --cpu-prof-dir=DIR`, stop it
//                   with SIGINT and summarise the profile's self time (whole run and each
//                   timed window)
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Interface, Wallet } from 'ethers';
import { signIn } from '../cli/sign-in.js';
import { ensureContractsCompiled, loadArtifact } from '../test/support/contracts.js';
import { DEV_KEYS } from '../test/support/node-process.js';
import { fmt, machineInfo, now, percentile } from './lib/measure.js';
import { loadProfile, renderSummary, summariseProfile } from './lib/evm/profile-summary.js';
import { RpcClient, RpcError } from './lib/evm/rpc-client.js';
import { benchKey, FastSigner, signerKind, type SignedTx } from './lib/evm/signing.js';
import { installCleanup, TargetProcess, type TargetKind } from './lib/evm/targets.js';
import { forEachFlag } from './lib/args.js';

// ---------------------------------------------------------------------------------------
// options

const USAGE = `usage: npx tsx bench/evm-load.ts [--target ccevm|ccevm3|hardhat|both|all] [--concurrency 1,32] [--seconds 10]
       [--quick] [--poll-ms 5] [--max-rate 2000] [--per-slot-max-rate 600] [--receipt-timeout-ms 30000]
       [--recipients 16] [--profile-dir DIR] [--ccevm-args "--durability os ..."] [--reads session|anonymous]`;

function parseArgs(argv: string[]) {
  const opts = {
    targets: ['ccevm', 'ccevm3', 'hardhat'] as TargetKind[],
    concurrency: [1, 32],
    seconds: 10,
    pollMs: 5,
    maxRate: 2000,
    perSlotMaxRate: 600,
    receiptTimeoutMs: 30_000,
    recipients: 16,
    gasLimit: 60_000n,
    profileDir: undefined as string | undefined,
    ccevmArgs: [] as string[],
    reads: 'session' as 'session' | 'anonymous',
  };
  forEachFlag(argv, (a, next) => {
    const positive = (v: string) => {
      const n = Number(v);
      if (!(n > 0)) throw new Error(`${a} must be a positive number`);
      return n;
    };
    if (a === '--target') {
      const v = next();
      if (v === 'both') opts.targets = ['ccevm', 'hardhat'];
      else if (v === 'all') opts.targets = ['ccevm', 'ccevm3', 'hardhat'];
      else if (v === 'ccevm' || v === 'ccevm3' || v === 'hardhat') opts.targets = [v];
      else throw new Error('--target must be ccevm, ccevm3, hardhat, both or all');
    } else if (a === '--concurrency') {
      opts.concurrency = next().split(',').map((s) => Math.floor(positive(s.trim())));
    } else if (a === '--seconds') opts.seconds = positive(next());
    else if (a === '--quick') Object.assign(opts, { seconds: 2, maxRate: 1000 });
    else if (a === '--poll-ms') opts.pollMs = Number(next());
    else if (a === '--max-rate') opts.maxRate = positive(next());
    else if (a === '--per-slot-max-rate') opts.perSlotMaxRate = positive(next());
    else if (a === '--receipt-timeout-ms') opts.receiptTimeoutMs = positive(next());
    else if (a === '--recipients') opts.recipients = Math.floor(positive(next()));
    else if (a === '--profile-dir') opts.profileDir = resolve(next());
    else if (a === '--ccevm-args') opts.ccevmArgs = next().split(/\s+/).filter(Boolean);
    else if (a === '--reads') {
      const v = next();
      if (v !== 'session' && v !== 'anonymous') throw new Error('--reads must be session or anonymous');
      opts.reads = v;
    }
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  });
  if (!(opts.pollMs >= 0)) throw new Error('--poll-ms must be >= 0');
  return opts;
}

const OPTS = parseArgs(process.argv.slice(2));
const SENDERS = Math.max(...OPTS.concurrency);
const TOKEN_SUPPLY = 10n ** 27n;
const TOKENS_PER_SENDER = 10n ** 24n;
const TRANSFER_AMOUNT = 1n;
const DEPLOY_GAS = 3_000_000n;

// ---------------------------------------------------------------------------------------
// helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const hrtimeUs = () => Number(process.hrtime.bigint() / 1000n);

/** CPU seconds (user + system) a process has used so far, from /proc; undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Error messages grouped with numbers and hex blobs folded, so counts aggregate. */
function errorKey(where: string, e: unknown): string {
  const message = e instanceof RpcError ? `${e.message}${e.code !== undefined ? ` (${e.code})` : ''}` : e instanceof Error ? e.message : String(e);
  return `${where}: ${message.replace(/0x[0-9a-fA-F]+/g, '0x…').replace(/\d+/g, 'N').slice(0, 160)}`;
}

class Counter {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }
}

async function waitReceipt(rpc: RpcClient, hash: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc.call('eth_getTransactionReceipt', [hash]);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + (cpu[7] ?? 0);
    return busy / 100;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// setup: deploy and fund

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

interface Context {
  kind: TargetKind;
  target: TargetProcess;
  rpc: RpcClient;
  chainId: bigint;
  token: string;
  iface: Interface;
  deployer: FastSigner;
  senders: FastSigner[];
  /** per sender: the client that reads its nonce (its session's URL on ccevm) */
  senderRpc: RpcClient[];
  /** per sender: the client it sends and polls with in the timed phase (its session's, or with --reads anonymous none) */
  timedRpc: RpcClient[];
  recipients: string[];
  /** transfer(recipient, TRANSFER_AMOUNT) calldata, per recipient */
  transferData: string[];
  /** what each address's token balance must be, from the receipts seen */
  expectedTokens: Map<string, bigint>;
  /** next nonce each sender must have, from the receipts seen; undefined if unknown */
  expectedNonce: Map<string, number | undefined>;
  landed: number;
  recipientCursor: number;
}

/** The node's fees: for ccevm a zero base fee gives zeros; for hardhat its gas price. */
async function currentFees(rpc: RpcClient): Promise<Fees> {
  const block = await rpc.call('eth_getBlockByNumber', ['latest', false]);
  const baseFee = BigInt(block?.baseFeePerGas ?? 0);
  let tip = 0n;
  try {
    tip = BigInt(await rpc.call('eth_maxPriorityFeePerGas'));
  } catch {
    tip = 0n;
  }
  let gasPrice = 0n;
  try {
    gasPrice = BigInt(await rpc.call('eth_gasPrice'));
  } catch {
    gasPrice = 0n;
  }
  const maxFee = 2n * baseFee + tip > gasPrice ? 2n * baseFee + tip : gasPrice;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip > maxFee ? maxFee : tip };
}

async function tokenBalance(ctx: Context, address: string): Promise<bigint> {
  const data = ctx.iface.encodeFunctionData('balanceOf', [address]);
  return BigInt(await ctx.rpc.call('eth_call', [{ to: ctx.token, data }, 'latest']));
}

async function setup(kind: TargetKind, target: TargetProcess, iface: Interface, bytecode: string): Promise<Context> {
  const rpc = target.rpc;
  const chainId = BigInt(await rpc.call('eth_chainId'));
  const deployer = new FastSigner(DEV_KEYS[0]!);
  const fees = await currentFees(rpc);
  let nonce = Number(await rpc.call('eth_getTransactionCount', [deployer.address, 'latest']));
  const base = { chainId, value: 0n, ...fees };

  const t0 = now();
  const deployTx = deployer.sign({
    ...base,
    nonce: nonce++,
    to: null,
    gasLimit: DEPLOY_GAS,
    data: bytecode + iface.encodeDeploy(['Load Test Token', 'LOAD', TOKEN_SUPPLY]).slice(2),
  });
  await rpc.call('eth_sendRawTransaction', [deployTx.raw]);
  const deployReceipt = await waitReceipt(rpc, deployTx.hash);
  if (deployReceipt.status !== '0x1' || !deployReceipt.contractAddress) throw new Error(`Token deployment failed: ${JSON.stringify(deployReceipt)}`);
  const token: string = deployReceipt.contractAddress;

  const senders = Array.from({ length: SENDERS }, (_, i) => new FastSigner(benchKey(`sender ${i}`)));
  await target.registerUsers(senders.map((s) => s.address));
  const senderRpc = await Promise.all(senders.map(async (_, i) => {
    if (kind === 'hardhat') return rpc;
    const session = await signIn(target.url, new Wallet(benchKey(`sender ${i}`)));
    return new RpcClient(session.url);
  }));
  const recipients = Array.from({ length: OPTS.recipients }, (_, i) => new Wallet(benchKey(`recipient ${i}`)).address);
  // Gas money for every transfer a sender could make at these fees, with a wide margin.
  const ethPerSender = fees.maxFeePerGas > 0n ? fees.maxFeePerGas * OPTS.gasLimit * 100_000n : 10n ** 18n;
  const funding: SignedTx[] = [];
  for (const s of senders) {
    funding.push(deployer.sign({ ...base, nonce: nonce++, to: s.address, data: '0x', value: ethPerSender, gasLimit: 21_000n }));
    funding.push(deployer.sign({ ...base, nonce: nonce++, to: token, data: iface.encodeFunctionData('transfer', [s.address, TOKENS_PER_SENDER]), gasLimit: 100_000n }));
  }
  // In nonce order, one at a time (each send returns once the node accepted it), then wait.
  for (const tx of funding) {
    const hash = await rpc.call('eth_sendRawTransaction', [tx.raw]);
    if (String(hash).toLowerCase() !== tx.hash.toLowerCase()) throw new Error(`node returned hash ${hash}, expected ${tx.hash}`);
  }
  for (const tx of funding) {
    const r = await waitReceipt(rpc, tx.hash);
    if (r.status !== '0x1') throw new Error(`funding transaction ${tx.hash} failed: ${JSON.stringify(r)}`);
  }

  const ctx: Context = {
    kind,
    target,
    rpc,
    chainId,
    token,
    iface,
    deployer,
    senders,
    senderRpc,
    timedRpc: OPTS.reads === 'anonymous' ? senderRpc.map(() => rpc) : senderRpc,
    recipients,
    transferData: recipients.map((r) => iface.encodeFunctionData('transfer', [r, TRANSFER_AMOUNT])),
    expectedTokens: new Map(),
    expectedNonce: new Map(),
    landed: 0,
    recipientCursor: 0,
  };
  ctx.expectedTokens.set(deployer.address, TOKEN_SUPPLY - TOKENS_PER_SENDER * BigInt(SENDERS));
  for (const s of senders) {
    ctx.expectedTokens.set(s.address, TOKENS_PER_SENDER);
    ctx.expectedNonce.set(s.address, 0);
  }
  for (const r of recipients) ctx.expectedTokens.set(r, 0n);
  for (const s of senders.slice(0, 2)) {
    const b = await tokenBalance(ctx, s.address);
    if (b !== TOKENS_PER_SENDER) throw new Error(`sender ${s.address} holds ${b} tokens after funding, expected ${TOKENS_PER_SENDER}`);
  }
  console.log(`  setup: Token at ${token}, ${SENDERS} senders funded (${funding.length + 1} transactions, ${fmt((now() - t0) / 1000)} s); fees maxFee ${fees.maxFeePerGas} wei, tip ${fees.maxPriorityFeePerGas} wei`);
  return ctx;
}

// ---------------------------------------------------------------------------------------
// the timed phase

interface PlannedTx extends SignedTx {
  sender: number;
  recipient: number;
  nonce: number;
}

interface RunResult {
  kind: TargetKind;
  concurrency: number;
  seconds: number;
  presigned: number;
  signMs: number;
  receiptsInWindow: number;
  receiptsTotal: number;
  rate: number;
  latencies: number[];
  sendLatencies: number[];
  polls: number;
  errors: Counter;
  exhaustedSlots: number;
  abortedSlots: number;
  windowUs: [number, number];
  /** CPU used during the window, as a share of one core: the node process and this client */
  nodeCpu: number | undefined;
  clientCpu: number;
  /** CPU used by every other process on the machine during the window (noise indicator) */
  otherCpu: number | undefined;
}

async function presign(ctx: Context, concurrency: number): Promise<{ slots: PlannedTx[][]; signMs: number }> {
  const fees = await currentFees(ctx.rpc);
  const perSlot = Math.ceil(OPTS.seconds * Math.min(OPTS.perSlotMaxRate, OPTS.maxRate / concurrency)) + 2;
  const t0 = now();
  const slots: PlannedTx[][] = [];
  for (let s = 0; s < concurrency; s++) {
    const sender = ctx.senders[s]!;
    const onChain = Number(await ctx.senderRpc[s]!.call('eth_getTransactionCount', [sender.address, 'latest']));
    const expected = ctx.expectedNonce.get(sender.address);
    if (expected !== undefined && expected !== onChain) {
      console.log(`  WARNING: sender ${s} nonce on chain ${onChain}, expected ${expected} from receipts seen`);
    }
    const list: PlannedTx[] = [];
    for (let k = 0; k < perSlot; k++) {
      const recipient = ctx.recipientCursor++ % ctx.recipients.length;
      const nonce = onChain + k;
      const signed = sender.sign({
        chainId: ctx.chainId,
        nonce,
        to: ctx.token,
        data: ctx.transferData[recipient]!,
        value: 0n,
        gasLimit: OPTS.gasLimit,
        ...fees,
      });
      list.push({ ...signed, sender: s, recipient, nonce });
    }
    slots.push(list);
  }
  return { slots, signMs: now() - t0 };
}

async function runLoad(ctx: Context, concurrency: number): Promise<RunResult> {
  const { slots, signMs } = await presign(ctx, concurrency);
  const presigned = slots.reduce((n, l) => n + l.length, 0);
  console.log(`  ${ctx.kind} x ${concurrency} in flight: pre-signed ${presigned} transfers in ${fmt(signMs / 1000)} s; running ${OPTS.seconds} s`);
  const errors = new Counter();
  const latencies: number[] = [];
  const sendLatencies: number[] = [];
  const completions: number[] = [];
  let polls = 0;
  let exhaustedSlots = 0;
  let abortedSlots = 0;
  // Warm the keep-alive pools so the window does not include TCP connects.
  await Promise.all(Array.from({ length: concurrency }, (_, s) => ctx.timedRpc[s]!.call('eth_chainId')));

  const nodeCpu0 = processCpuSeconds(ctx.target.child.pid);
  const clientCpu0 = process.cpuUsage();
  const machine0 = machineBusySeconds();
  const startUs = hrtimeUs();
  const t0 = now();
  const deadline = t0 + OPTS.seconds * 1000;

  const slot = async (list: PlannedTx[]) => {
    let i = 0;
    for (; i < list.length && now() < deadline; i++) {
      const tx = list[i]!;
      const sender = ctx.senders[tx.sender]!.address;
      const rpc = ctx.timedRpc[tx.sender]!;
      const tSubmit = now();
      try {
        const hash = await rpc.call('eth_sendRawTransaction', [tx.raw]);
        if (String(hash).toLowerCase() !== tx.hash.toLowerCase()) errors.add(`send: node returned a different hash`);
      } catch (e) {
        errors.add(errorKey('eth_sendRawTransaction', e));
        abortedSlots++;
        return;
      }
      sendLatencies.push(now() - tSubmit);
      ctx.expectedNonce.set(sender, undefined); // in flight: unknown until the receipt
      let receipt: any = null;
      for (;;) {
        polls++;
        try {
          receipt = await rpc.call('eth_getTransactionReceipt', [tx.hash]);
        } catch (e) {
          errors.add(errorKey('eth_getTransactionReceipt', e));
          if (!ctx.target.alive) break;
        }
        if (receipt) break;
        if (now() - tSubmit > OPTS.receiptTimeoutMs) break;
        if (OPTS.pollMs > 0) await sleep(OPTS.pollMs);
        else await new Promise((r) => setImmediate(r));
      }
      if (!receipt) {
        errors.add(ctx.target.alive ? `receipt: none within ${OPTS.receiptTimeoutMs} ms` : 'receipt: node process died');
        abortedSlots++;
        return;
      }
      const tDone = now();
      latencies.push(tDone - tSubmit);
      completions.push(tDone);
      ctx.expectedNonce.set(sender, tx.nonce + 1);
      if (receipt.status === '0x1') {
        ctx.expectedTokens.set(sender, ctx.expectedTokens.get(sender)! - TRANSFER_AMOUNT);
        const to = ctx.recipients[tx.recipient]!;
        ctx.expectedTokens.set(to, ctx.expectedTokens.get(to)! + TRANSFER_AMOUNT);
        ctx.landed++;
      } else {
        errors.add(`receipt: status ${receipt.status} (reverted)`);
      }
    }
    if (i >= list.length && now() < deadline) exhaustedSlots++;
  };

  await Promise.all(slots.map((list) => slot(list)));
  const endUs = hrtimeUs();
  const wallS = (endUs - startUs) / 1e6;
  const nodeCpu1 = processCpuSeconds(ctx.target.child.pid);
  const clientCpu1 = process.cpuUsage(clientCpu0);
  const machine1 = machineBusySeconds();
  const inWindow = completions.filter((t) => t <= deadline).length;
  return {
    kind: ctx.kind,
    concurrency,
    seconds: OPTS.seconds,
    presigned,
    signMs,
    receiptsInWindow: inWindow,
    receiptsTotal: completions.length,
    rate: inWindow / OPTS.seconds,
    latencies,
    sendLatencies,
    polls,
    errors,
    exhaustedSlots,
    abortedSlots,
    windowUs: [startUs, endUs],
    nodeCpu: nodeCpu0 !== undefined && nodeCpu1 !== undefined ? (nodeCpu1 - nodeCpu0) / wallS : undefined,
    clientCpu: (clientCpu1.user + clientCpu1.system) / 1e6 / wallS,
    otherCpu:
      machine0 !== undefined && machine1 !== undefined && nodeCpu0 !== undefined && nodeCpu1 !== undefined
        ? Math.max(0, (machine1 - machine0 - (nodeCpu1 - nodeCpu0)) / wallS - (clientCpu1.user + clientCpu1.system) / 1e6 / wallS)
        : undefined,
  };
}

// ---------------------------------------------------------------------------------------
// verification

async function verify(ctx: Context): Promise<string[]> {
  const problems: string[] = [];
  const check = async () => {
    problems.length = 0;
    const supply = BigInt(await ctx.rpc.call('eth_call', [{ to: ctx.token, data: ctx.iface.encodeFunctionData('totalSupply') }, 'latest']));
    if (supply !== TOKEN_SUPPLY) problems.push(`totalSupply ${supply}, expected ${TOKEN_SUPPLY}`);
    let sum = 0n;
    for (const [address, expected] of ctx.expectedTokens) {
      const actual = await tokenBalance(ctx, address);
      sum += actual;
      if (actual !== expected) problems.push(`token balance of ${address}: ${actual}, expected ${expected} (difference ${actual - expected})`);
    }
    if (sum !== TOKEN_SUPPLY) problems.push(`balances of all accounts involved sum to ${sum}, expected the whole supply ${TOKEN_SUPPLY}`);
    for (const [address, expected] of ctx.expectedNonce) {
      // (a sender's own nonce: read with its session)
      const reader = ctx.senderRpc[ctx.senders.findIndex((s) => s.address === address)]!;
      const actual = Number(await reader.call('eth_getTransactionCount', [address, 'latest']));
      if (expected === undefined) problems.push(`nonce of ${address} unknown (a transaction of it had no receipt); on chain ${actual}`);
      else if (actual !== expected) problems.push(`nonce of ${address}: ${actual}, expected ${expected}`);
    }
  };
  // 'latest' may trail the receipts by a block seal on some nodes: allow a few seconds.
  for (let attempt = 0; attempt < 5; attempt++) {
    await check();
    if (problems.length === 0) break;
    await sleep(1000);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// profile

/**
 * The .cpuprofile files process `pid` wrote (node names them CPU.<date>.<time>.<pid>.<thread>.<seq>),
 * main thread (thread id 0) first; tsx's module-loader worker thread writes its own.
 */
function profilesOf(dir: string, pid: number | undefined): string[] {
  if (!existsSync(dir) || pid === undefined) return [];
  const threadOf = (f: string) => Number(f.split('.').at(-3));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.split('.').at(-4) === String(pid))
    .sort((a, b) => threadOf(a) - threadOf(b))
    .map((f) => join(dir, f));
}

// ---------------------------------------------------------------------------------------
// output

function renderTable(results: RunResult[]): string {
  const headers = ['target', 'in flight', 'tx/s', 'p50 ms', 'p99 ms', 'receipts', 'errors', 'notes'];
  const rows = results.map((r) => {
    const notes = [
      `CPU node ${r.nodeCpu === undefined ? '?' : `${Math.round(r.nodeCpu * 100)}%`} client ${Math.round(r.clientCpu * 100)}% other ${r.otherCpu === undefined ? '?' : `${Math.round(r.otherCpu * 100)}%`}`,
      `send p50 ${fmt(percentile(r.sendLatencies, 0.5))} ms`,
      `${fmt(r.receiptsTotal ? r.polls / r.receiptsTotal : 0)} polls/receipt`,
      r.exhaustedSlots ? `${r.exhaustedSlots} slots EXHAUSTED pre-signed txs (raise --max-rate)` : '',
      r.abortedSlots ? `${r.abortedSlots} slots aborted` : '',
    ].filter(Boolean);
    return [
      r.kind,
      String(r.concurrency),
      fmt(r.rate),
      fmt(percentile(r.latencies, 0.5)),
      fmt(percentile(r.latencies, 0.99)),
      `${r.receiptsInWindow}${r.receiptsTotal > r.receiptsInWindow ? ` (+${r.receiptsTotal - r.receiptsInWindow})` : ''}`,
      String(r.errors.total),
      notes.join('; '),
    ];
  });
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const right = new Set([1, 2, 3, 4, 5, 6]);
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ').trimEnd();
  return [line(headers), widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? 5 : w)).join('-+-'), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------
// main

async function main(): Promise<void> {
  installCleanup();
  console.log('ccevm evm-load: ERC-20 transfers via eth_sendRawTransaction, one sender per in-flight slot');
  for (const l of machineInfo()) console.log(`  ${l}`);
  console.log(`  targets ${OPTS.targets.join(', ')}; in flight ${OPTS.concurrency.join(', ')}; ${OPTS.seconds} s per run; poll every ${OPTS.pollMs} ms; signer ${signerKind()}`);

  ensureContractsCompiled();
  const artifact = loadArtifact('Token');
  const iface = new Interface(artifact.abi);
  // The fast signer must produce exactly ethers' bytes.
  await new FastSigner(DEV_KEYS[1]!).checkAgainstEthers({
    chainId: 1337n,
    nonce: 7,
    to: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    data: iface.encodeFunctionData('transfer', ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8', 1n]),
    value: 0n,
    gasLimit: 60_000n,
    maxFeePerGas: 2_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  });

  const results: RunResult[] = [];
  const failures: string[] = [];
  const reports: string[] = [];
  for (const kind of OPTS.targets) {
    console.log(`\n${kind}: starting node`);
    const profileDir = kind === 'ccevm' ? OPTS.profileDir : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    let target: TargetProcess;
    try {
      target = await TargetProcess.start(kind, { ...(profileDir ? { profileDir } : {}), ccevmArgs: OPTS.ccevmArgs });
    } catch (e) {
      failures.push(`${kind}: FAILED to start: ${(e as Error).message}`);
      continue;
    }
    console.log(`  ${target.description} at ${target.url}`);
    const targetResults: RunResult[] = [];
    let phase = 'setup';
    try {
      const ctx = await setup(kind, target, iface, artifact.bytecode);
      for (const c of OPTS.concurrency) {
        phase = `load with ${c} in flight`;
        const r = await runLoad(ctx, c);
        results.push(r);
        targetResults.push(r);
        console.log(
          `    ${fmt(r.rate)} tx/s, p50 ${fmt(percentile(r.latencies, 0.5))} ms, p99 ${fmt(percentile(r.latencies, 0.99))} ms, ${r.receiptsTotal} receipts, ${r.errors.total} errors`,
        );
        for (const [k, n] of r.errors.counts) console.log(`      ${n} x ${k}`);
        if (!target.alive) throw new Error(`node process died (exit ${target.child.exitCode}, signal ${target.child.signalCode})`);
      }
      phase = 'verification';
      const problems = await verify(ctx);
      if (problems.length === 0) {
        reports.push(`${kind}: verified — all ${ctx.landed} transfers with a success receipt are reflected in token balances (${ctx.expectedTokens.size} accounts, sum = total supply) and sender nonces`);
      } else {
        failures.push(`${kind}: VERIFICATION FAILED (${problems.length} problems):\n${problems.slice(0, 20).map((p) => `    ${p}`).join('\n')}`);
      }
    } catch (e) {
      failures.push(`${kind}: FAILED during ${phase}: ${(e as Error).stack ?? e}\n  --- last node output ---\n${target.output.slice(-3000)}`);
    } finally {
      const signal: NodeJS.Signals = kind === 'hardhat' ? 'SIGTERM' : 'SIGINT';
      const stopped = await target.stop(signal, 30_000);
      if (stopped.killed) console.log(`  ${kind} did not exit within 30 s of ${signal}: killed`);
      else console.log(`  ${kind} stopped (${signal}, exit code ${stopped.code})`);
    }
    if (profileDir) {
      const files = profilesOf(profileDir, target.child.pid);
      if (files.length === 0) {
        failures.push(`ccevm: no .cpuprofile of process ${target.child.pid} written in ${profileDir}`);
      } else {
        const [mainFile, ...others] = files as [string, ...string[]];
        const profile = loadProfile(mainFile);
        const lines = [renderSummary(summariseProfile(profile, { top: 20 }), `CPU profile ${mainFile} (main thread, whole process life)`)];
        for (const r of targetResults) {
          lines.push(renderSummary(summariseProfile(profile, { top: 20, fromUs: r.windowUs[0], toUs: r.windowUs[1] }), `CPU profile, main thread, timed window with ${r.concurrency} in flight`));
        }
        for (const other of others) {
          const s = summariseProfile(loadProfile(other), { top: 3 });
          const idle = s.byFunction.find((row) => row.key === '(idle)')?.selfMs ?? 0;
          lines.push(`  other thread ${other}: ${((s.totalMs - idle) / 1000).toFixed(2)} s busy of ${(s.totalMs / 1000).toFixed(2)} s (tsx's loader worker, start-up only)`);
        }
        const startSkew = (profile.startTime - target.spawnedAtUs) / 1000;
        lines.push(`  (profile clock check: main-thread profile starts ${fmt(startSkew)} ms after spawn by the benchmark's clock; should be small and positive)`);
        reports.push(lines.join('\n'));
      }
    }
  }

  console.log('\n' + renderTable(results));
  console.log('\nlatency = submission of eth_sendRawTransaction to first non-null eth_getTransactionReceipt; tx/s = receipts within the window / window');
  console.log('CPU = CPU time during the timed phase / its wall time, per process (100% = one core; this machine has ' + availableParallelism() + '); other = all other processes on the machine (noise)');
  console.log('(+N) = receipts of transactions still in flight at the end of the window (in latencies, not in tx/s)');
  for (const r of results) for (const [k, n] of r.errors.counts) console.log(`  errors ${r.kind} x ${r.concurrency}: ${n} x ${k}`);
  for (const r of reports) console.log(`\n${r}`);
  if (failures.length > 0) {
    console.log('\n' + '!'.repeat(80));
    for (const f of failures) console.log(`\n${f}`);
    console.log('\n' + '!'.repeat(80));
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

// Small measuring and printing helpers for the benchmarks. Figures only: nothing here
// asserts on timings.
import os from 'node:os';
import { readFileSync } from 'node:fs';

export const now = (): number => performance.now();

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** p in [0, 1]; nearest-rank on a sorted copy. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** Calls `body(i)` in batches until `seconds` have passed; returns calls per second. */
export function rateSync(seconds: number, body: (i: number) => void, batch = 64): { rate: number; n: number; ms: number } {
  let n = 0;
  const t0 = now();
  const end = t0 + seconds * 1000;
  let t = t0;
  while (t < end) {
    for (let k = 0; k < batch; k++) body(n++);
    t = now();
  }
  const ms = t - t0;
  return { rate: (n * 1000) / ms, n, ms };
}

/** As rateSync for an async body, one call at a time. */
export async function rateAsync(seconds: number, body: (i: number) => Promise<unknown>): Promise<{ rate: number; n: number; ms: number }> {
  let n = 0;
  const t0 = now();
  const end = t0 + seconds * 1000;
  let t = t0;
  while (t < end) {
    await body(n++);
    t = now();
  }
  const ms = t - t0;
  return { rate: (n * 1000) / ms, n, ms };
}

/** `workers` concurrent loops of `body` until `seconds` have passed. */
export async function rateConcurrent(
  seconds: number,
  workers: number,
  body: (worker: number, i: number) => Promise<unknown>,
): Promise<{ rate: number; n: number; ms: number }> {
  let n = 0;
  const t0 = now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (now() < end) await body(w, n++);
    }),
  );
  const ms = now() - t0;
  return { rate: (n * 1000) / ms, n, ms };
}

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `fn` `runs` times and reports the median and spread of what it returns. */
export async function repeat(runs: number, fn: (run: number) => number | Promise<number>): Promise<Stat> {
  const xs: number[] = [];
  for (let r = 0; r < runs; r++) xs.push(await fn(r));
  return stat(xs);
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stat(xs: readonly number[]): Stat {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length };
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 100) return Math.round(x).toLocaleString('en-US');
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

export function fmtSpread(s: Stat): string {
  if (s.runs <= 1 || s.median === 0) return '';
  const lo = ((s.min - s.median) / s.median) * 100;
  const hi = ((s.max - s.median) / s.median) * 100;
  return `${s.runs} runs, ${lo.toFixed(0)}%/+${hi.toFixed(0)}%`;
}

export interface Row {
  section: string;
  what: string;
  figure: string;
  unit: string;
  notes: string;
}

export class Table {
  readonly rows: Row[] = [];

  add(section: string, what: string, figure: number | string, unit: string, notes = ''): void {
    const row = { section, what, figure: typeof figure === 'number' ? fmt(figure) : figure, unit, notes };
    this.rows.push(row);
    console.log(`  ${row.what}: ${row.figure} ${row.unit}${row.notes ? `  (${row.notes})` : ''}`);
  }

  addStat(section: string, what: string, s: Stat, unit: string, notes = ''): void {
    const spread = fmtSpread(s);
    this.add(section, what, s.median, unit, [notes, spread].filter(Boolean).join('; '));
  }

  render(): string {
    const headers: Row = { section: 'section', what: 'case', figure: 'figure', unit: 'unit', notes: 'notes' };
    const all = [headers, ...this.rows];
    const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
    const ws = { section: w('section'), what: w('what'), figure: w('figure'), unit: w('unit') };
    const line = (r: Row) =>
      `${r.section.padEnd(ws.section)} | ${r.what.padEnd(ws.what)} | ${r.figure.padStart(ws.figure)} | ${r.unit.padEnd(ws.unit)} | ${r.notes}`.trimEnd();
    const sep = `${'-'.repeat(ws.section)}-+-${'-'.repeat(ws.what)}-+-${'-'.repeat(ws.figure)}-+-${'-'.repeat(ws.unit)}-+-------`;
    const out = [line(headers), sep];
    let last = '';
    for (const r of this.rows) {
      out.push(line(r.section === last ? { ...r, section: '' } : r));
      last = r.section;
    }
    return out.join('\n');
  }
}

export function machineInfo(): string[] {
  const cpus = os.cpus();
  const mem = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`;
  let fsNote = '';
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '));
    const tmp = os.tmpdir();
    const best = mounts.filter((m) => m[1] && tmp.startsWith(m[1])).sort((a, b) => b[1]!.length - a[1]!.length)[0];
    if (best) fsNote = `tmpdir ${tmp} on ${best[0]} (${best[2]})`;
  } catch {
    fsNote = `tmpdir ${os.tmpdir()}`;
  }
  return [
    `node ${process.version} (v8 ${process.versions.v8}, openssl ${process.versions.openssl}), ${process.platform}-${process.arch}, kernel ${os.release()}`,
    `CPU ${cpus[0]?.model ?? 'unknown'} x ${cpus.length} logical cores (availableParallelism ${os.availableParallelism()}), ${mem}`,
    fsNote,
  ].filter(Boolean);
}

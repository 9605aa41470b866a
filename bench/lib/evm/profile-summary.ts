// Summarise a V8 .cpuprofile (as written by `node --cpu-prof`): self time aggregated by
// function (name + script URL + start line) and by file/package, optionally restricted to
// a window of the profile's clock (microseconds of the monotonic clock that
// process.hrtime uses, on Linux the same as V8's).
//
//   npx tsx bench/lib/evm/profile-summary.ts FILE.cpuprofile [--top 15] [--from-us T0 --to-us T1]
//                                            [--callers NAME [--depth 4]]
//
// --callers NAME  instead: the call stacks (up to --depth frames above) under which functions
//                 called NAME spent their self time
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './targets.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  key: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  /** sampled time in the window, ms */
  totalMs: number;
  samples: number;
  profileStartUs: number;
  profileEndUs: number;
  windowUs?: [number, number];
  byFunction: SelfTimeRow[];
  byFile: SelfTimeRow[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url.split('?')[0]!);
    } catch {
      path = url;
    }
  }
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  if (path.startsWith(PROJECT_ROOT)) return path.slice(PROJECT_ROOT.length);
  return path;
}

/** Bucket for the by-file table: npm package, project folder/file, node internals, or V8 pseudo-frame. */
function fileBucket(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native/no url)';
  if (url.startsWith('node:')) return 'node: internals';
  const short = shortUrl(url);
  if (url.includes('/node_modules/')) {
    const parts = short.split('/');
    return `npm ${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return short;
}

export function summariseProfile(profile: CpuProfile, options: { top?: number; fromUs?: number; toUs?: number } = {}): ProfileSummary {
  const top = options.top ?? 15;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  let count = 0;
  let t = profile.startTime;
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = i + 1 < n ? t + (profile.timeDeltas[i + 1] ?? 0) : profile.endTime;
    const dur = Math.max(0, next - t);
    if (options.fromUs !== undefined && t < options.fromUs) continue;
    if (options.toUs !== undefined && t > options.toUs) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const key = url ? `${name}  ${shortUrl(url)}:${lineNumber + 1}` : name;
    fn.set(key, (fn.get(key) ?? 0) + dur);
    const bucket = fileBucket(url, name);
    file.set(bucket, (file.get(bucket) ?? 0) + dur);
    total += dur;
    count++;
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => ({ key, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
  return {
    totalMs: total / 1000,
    samples: count,
    profileStartUs: profile.startTime,
    profileEndUs: profile.endTime,
    ...(options.fromUs !== undefined && options.toUs !== undefined ? { windowUs: [options.fromUs, options.toUs] as [number, number] } : {}),
    byFunction: rows(fn),
    byFile: rows(file),
  };
}

function frameKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url ? `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
}

/** Self time of functions named `name`, grouped by the `depth` frames above them. */
export function callersOf(profile: CpuProfile, name: string, options: { depth?: number; top?: number; fromUs?: number; toUs?: number } = {}): SelfTimeRow[] {
  const depth = options.depth ?? 4;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stacks = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = i + 1 < n ? t + (profile.timeDeltas[i + 1] ?? 0) : profile.endTime;
    if (options.fromUs !== undefined && t < options.fromUs) continue;
    if (options.toUs !== undefined && t > options.toUs) continue;
    const leaf = byId.get(profile.samples[i]!);
    if (!leaf || (leaf.callFrame.functionName || '(anonymous)') !== name) continue;
    const frames: string[] = [];
    let id = parent.get(leaf.id);
    while (id !== undefined && frames.length < depth) {
      const node = byId.get(id)!;
      if (node.callFrame.functionName !== '(root)') frames.push(frameKey(node.callFrame));
      id = parent.get(id);
    }
    const key = frames.join('\n        <- ') || '(no caller)';
    const dur = Math.max(0, next - t);
    stacks.set(key, (stacks.get(key) ?? 0) + dur);
    total += dur;
  }
  return [...stacks.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top ?? 10)
    .map(([key, us]) => ({ key, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}

export function renderSummary(s: ProfileSummary, title = 'CPU profile'): string {
  const lines: string[] = [];
  const span = s.windowUs ? `window ${((s.windowUs[1] - s.windowUs[0]) / 1e6).toFixed(2)} s` : `whole profile ${((s.profileEndUs - s.profileStartUs) / 1e6).toFixed(2)} s`;
  lines.push(`${title}: ${span}, ${s.samples} samples, ${(s.totalMs / 1000).toFixed(2)} s sampled`);
  const table = (heading: string, rows: SelfTimeRow[]) => {
    lines.push(`  ${heading}`);
    lines.push(`    ${'self ms'.padStart(9)} ${'%'.padStart(6)}  function`);
    for (const r of rows) lines.push(`    ${r.selfMs.toFixed(0).padStart(9)} ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.key}`);
  };
  table('top self time by function (name, file:line of definition)', s.byFunction);
  table('self time by file / package', s.byFile);
  return lines.join('\n');
}

export function loadProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

// ---------------------------------------------------------------------------------------
// command line

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  let file: string | undefined;
  const opts: { top?: number; fromUs?: number; toUs?: number; depth?: number } = {};
  let callers: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--top') opts.top = Number(argv[++i]);
    else if (a === '--from-us') opts.fromUs = Number(argv[++i]);
    else if (a === '--to-us') opts.toUs = Number(argv[++i]);
    else if (a === '--callers') callers = argv[++i];
    else if (a === '--depth') opts.depth = Number(argv[++i]);
    else if (!a.startsWith('--')) file = a;
    else throw new Error(`unknown option ${a}`);
  }
  if (!file) {
    console.error('usage: npx tsx bench/lib/evm/profile-summary.ts FILE.cpuprofile [--top N] [--from-us T0 --to-us T1]');
    process.exit(2);
  }
  if (callers !== undefined) {
    console.log(`self time of ${callers} by calling stack (share of ${callers}'s self time):`);
    for (const r of callersOf(loadProfile(file), callers, opts)) console.log(`  ${r.selfMs.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  <- ${r.key}`);
  } else {
    console.log(renderSummary(summariseProfile(loadProfile(file), opts), file));
  }
}

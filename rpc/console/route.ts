// The members' console (GET /console): a page, its style sheet and its script, served by
// the JSON-RPC server on each of its ports (HTTPS, and plain HTTP on loopback) to sign
// governance messages with a browser wallet. The script is console.ts bundled with the
// typed-data module the CLI signs with, by esbuild (which tsx, the node's loader, ships),
// once per process on first request. Everything comes from this origin: the
// Content-Security-Policy forbids inline script and every other origin.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { readText } from '../../core/host/files.js';

export const CONSOLE_PATH = '/console';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

type Asset = { type: string; load: () => Promise<string> };

const ASSETS: Record<string, Asset> = {
  [CONSOLE_PATH]: { type: 'text/html; charset=utf-8', load: () => readText(here('index.html')) },
  [`${CONSOLE_PATH}/`]: { type: 'text/html; charset=utf-8', load: () => readText(here('index.html')) },
  [`${CONSOLE_PATH}/console.css`]: { type: 'text/css; charset=utf-8', load: () => readText(here('console.css')) },
  [`${CONSOLE_PATH}/console.js`]: { type: 'text/javascript; charset=utf-8', load: () => bundle() },
};

let bundled: Promise<string> | undefined;

/** console.ts and what it imports as one browser script, built once (a failure is retried on the next request). */
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({ entryPoints: [here('console.ts')], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent' });
    return result.outputFiles[0]!.text;
  })().catch((e: unknown) => {
    bundled = undefined;
    throw e;
  });
  return bundled;
}

const pathOf = (req: IncomingMessage) => (req.url ?? '/').split('?')[0]!;

/** A request for the console: a GET or HEAD of /console or below. */
export function isConsoleRequest(req: IncomingMessage): boolean {
  const path = pathOf(req);
  return (req.method === 'GET' || req.method === 'HEAD') && (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`));
}

export async function serveConsole(req: IncomingMessage, res: ServerResponse, log: (message: string) => void): Promise<void> {
  const headers = { 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-cache' };
  const asset = ASSETS[pathOf(req)];
  if (!asset) return void res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('no such page in the members\' console\n');
  let body: string;
  try {
    body = await asset.load();
  } catch (e) {
    log(`serving ${pathOf(req)} failed: ${(e as Error).message}`);
    return void res.writeHead(500, { ...headers, 'Content-Type': 'text/plain' }).end('the members\' console is unavailable on this node (see its log)\n');
  }
  res.writeHead(200, { ...headers, 'Content-Type': asset.type, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

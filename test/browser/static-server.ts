// The DApp's web server in the browser tests: serves the files of test/browser/dapp/ and
// ethers' browser build (from node_modules, as a DApp would bundle it) on a free local
// port. Only those files exist: anything else is 404, nothing outside is reachable.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../support/contracts.js';

const DAPP_DIR = fileURLToPath(new URL('./dapp/', import.meta.url));

/** URL path -> file on disk. */
const FILES: Record<string, string> = {
  '/': join(DAPP_DIR, 'index.html'),
  '/dapp.js': join(DAPP_DIR, 'dapp.js'),
  '/siwe-message.js': join(DAPP_DIR, 'siwe-message.js'),
  '/ethers.umd.min.js': join(PROJECT_ROOT, 'node_modules', 'ethers', 'dist', 'ethers.umd.min.js'),
};

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

export async function serveDapp(): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = FILES[path];
    if (req.method !== 'GET' || file === undefined) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    readFile(file).then(
      (body) => res.writeHead(200, { 'Content-Type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(body),
      (error: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

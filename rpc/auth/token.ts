// Where a request carries its session token: in the URL path, /rpc/<token> (what a
// wallet's custom-network field takes), or in an Authorization: Bearer header (Hardhat's
// httpHeaders, ethers' FetchRequest, viem's fetchOptions). / and /rpc carry none.
import type { IncomingMessage } from 'node:http';

/** The token a request carries (undefined: none), or why the request is refused as it stands. */
export type TokenInRequest = { token: string | undefined } | { refused: { status: number; message: string } };

const PATH = /^\/rpc\/([^/]+)\/?$/;

export function tokenInRequest(req: IncomingMessage): TokenInRequest {
  const path = (req.url ?? '/').split('?')[0]!;
  let inPath: string | undefined;
  if (path !== '/' && path !== '/rpc' && path !== '/rpc/') {
    const match = PATH.exec(path);
    if (!match) return { refused: { status: 404, message: `no JSON-RPC endpoint at this path: use / (or /rpc), or /rpc/<session token>` } };
    inPath = match[1]!;
  }
  const header = req.headers.authorization;
  let inHeader: string | undefined;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { refused: { status: 401, message: 'the Authorization header must be "Bearer <session token>"' } };
    inHeader = match[1];
  }
  if (inPath !== undefined && inHeader !== undefined && inPath !== inHeader) {
    return { refused: { status: 400, message: 'the URL path and the Authorization header carry different session tokens: send one' } };
  }
  return { token: inPath ?? inHeader };
}

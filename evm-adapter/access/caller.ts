// Who is asking. rpc/ builds a Caller for every JSON-RPC request before dispatch (from a
// sign-in-with-Ethereum session token in the URL path or an Authorization header); every
// read in this adapter takes it and asks the read policy (access/reader.ts) before it
// returns anything. A transaction's sender is authenticated by its signature instead.
export type Caller =
  | { readonly kind: 'anonymous' }
  /** `address`: lowercase 0x hex, the address the session was signed in as */
  | { readonly kind: 'session'; readonly address: string };

export const ANONYMOUS: Caller = Object.freeze({ kind: 'anonymous' });

export function sessionCaller(address: string): Caller {
  return Object.freeze({ kind: 'session', address: address.toLowerCase() });
}

/** A key naming whose state a caller owns (filters): the session's address, or the anonymous caller. */
export function ownerKey(caller: Caller): string {
  return caller.kind === 'session' ? caller.address : 'anonymous';
}

// Which SIWE `domain`s name this node: the authorities (host:port) its JSON-RPC endpoints
// listen on, with the loopback names of a loopback or wildcard address (a wallet on this
// machine may say localhost or 127.0.0.1 for either), the bare host where the port is
// the scheme's default, and the names the operator adds (config signInDomains: a proxy,
// a DNS name). A message for another site's domain is refused: that site asked for it.
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD = ['0.0.0.0', '[::]'];
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

export class SignInDomains {
  private readonly accepted = new Set<string>();

  constructor(configured: readonly string[] = []) {
    for (const domain of configured) this.accepted.add(domain.toLowerCase());
  }

  /** An endpoint of this node listens at `url` (as RpcServer.listen resolves it). */
  listeningAt(url: string): void {
    const parsed = new URL(url);
    const host = parsed.hostname.toLowerCase();
    const port = parsed.port || DEFAULT_PORTS[parsed.protocol]!;
    const hosts = LOOPBACK.includes(host) || /^127\./.test(host) || WILDCARD.includes(host) ? [host, ...LOOPBACK] : [host];
    for (const h of hosts) {
      this.accepted.add(`${h}:${port}`);
      if (port === DEFAULT_PORTS[parsed.protocol]) this.accepted.add(h);
    }
  }

  includes(domain: string): boolean {
    return this.accepted.has(domain.toLowerCase());
  }

  /** For the refusal message. */
  list(): string[] {
    return [...this.accepted].sort();
  }
}

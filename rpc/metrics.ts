// GET /metrics: Prometheus text format, one registry per node (never prom-client's global
// one: two nodes in a process must not mix). Counters are fed by the node's events
// (core/node/observer.ts), the forwarder (transactions this node executed as primary) and
// the RPC server (requests); gauges are read from the node when scraped. Labels carry
// only known method names, error codes, roles and node ids: never params or addresses.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TxID } from '../core/kv/txid.js';
import type { Node, NodeEvent } from '../core/node/node.js';
import type { RequestRecord, Route } from './server.js';

const ROLES = ['primary', 'backup', 'candidate', 'pre-candidate'] as const;

export class NodeMetrics {
  readonly registry = new Registry();
  private node: Node | undefined;
  private readonly executed = this.counter('ccevm_transactions_executed_total', 'Transactions this node executed as primary (eth_sendRawTransaction)');
  private readonly committed = this.counter('ccevm_transactions_committed_total', 'Transactions this node executed that then committed');
  private readonly latency = new Histogram({
    name: 'ccevm_commit_latency_seconds',
    help: 'From submission to commit of the transactions this node executed',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly entries = this.counter('ccevm_ledger_appended_entries_total', 'Ledger entries appended since this process started');
  private readonly entryBytes = this.counter('ccevm_ledger_appended_bytes_total', 'Bytes of ledger entries appended since this process started');
  private readonly signatures = this.counter('ccevm_signature_transactions_total', 'Signature transactions appended to the ledger since this process started');
  private readonly roleChanges = new Counter({ name: 'ccevm_role_changes_total', help: 'Role changes (elections), by the role taken', labelNames: ['role'], registers: [this.registry] });
  private readonly viewChanges = this.counter('ccevm_view_changes_total', 'Views (terms) this node moved to');
  private readonly votes = this.counter('ccevm_votes_total', 'Votes this node cast');
  private readonly snapshots = new Counter({ name: 'ccevm_snapshots_total', help: 'Committed snapshots taken or installed', labelNames: ['source'], registers: [this.registry] });
  private readonly snapshotBytes = new Gauge({ name: 'ccevm_snapshot_last_bytes', help: 'Size of the last committed snapshot taken or installed', registers: [this.registry] });
  private readonly requests = new Counter({ name: 'ccevm_rpc_requests_total', help: 'JSON-RPC calls by method (unknown names as "other")', labelNames: ['method'], registers: [this.registry] });
  private readonly errors = new Counter({ name: 'ccevm_rpc_errors_total', help: 'JSON-RPC error answers by code', labelNames: ['code'], registers: [this.registry] });
  private readonly statuses = new Counter({ name: 'ccevm_http_responses_total', help: 'HTTP answers of the RPC ports by status code', labelNames: ['status'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'ccevm_http_request_duration_seconds', help: 'Time to answer an HTTP request', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  private lastView = -1;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    // (prom-client calls collect with the gauge as `this`, when scraped)
    const pull = (set: (g: Gauge, node: Node) => void) =>
      function (this: Gauge) {
        if (metrics.node) set(this, metrics.node);
      };
    const gauge = (name: string, help: string, read: (node: Node) => number) =>
      new Gauge({ name, help, registers: [this.registry], collect: pull((g, node) => g.set(read(node))) });
    gauge('ccevm_view', 'The view (Raft term) of this node', (n) => n.view);
    gauge('ccevm_committed_seqno', 'Seqno up to which the ledger is committed', (n) => n.committed);
    gauge('ccevm_signed_seqno', 'Seqno of the last signature transaction', (n) => n.lastSigned);
    gauge('ccevm_ledger_entries', 'Seqno of the last ledger entry (entries in the ledger, counting those before its snapshot)', (n) => n.lastSeqno);
    gauge('ccevm_peers_connected', 'Other trusted nodes this node is connected to', (n) => n.connectedPeers);
    gauge('ccevm_peers_trusted', 'Other trusted nodes of the service', (n) => n.peerList().filter((p) => p.nodeId !== n.nodeId).length);
    new Gauge({
      name: 'ccevm_role',
      help: '1 for the role this node has now',
      labelNames: ['role'],
      registers: [this.registry],
      collect: pull((g, node) => ROLES.forEach((role) => g.set({ role }, node.role === role ? 1 : 0))),
    });
    new Gauge({
      name: 'ccevm_peer_connected',
      help: '1 if this node is connected to the trusted node `peer` now',
      labelNames: ['peer'],
      registers: [this.registry],
      collect: pull((g, node) => {
        g.reset();
        const connected = new Set(node.connectedPeerIds);
        for (const p of node.peerList()) if (p.nodeId !== node.nodeId) g.set({ peer: p.nodeId }, connected.has(p.nodeId) ? 1 : 0);
      }),
    });
  }

  /** The node the gauges read (it exists only after boot, which is told of events already). */
  attach(node: Node): void {
    this.node = node;
  }

  /** core/node/observer.ts NodeObserver */
  readonly observe = (event: NodeEvent): void => {
    if (event.kind === 'appended') {
      this.entries.inc();
      this.entryBytes.inc(event.bytes);
      if (event.signature) this.signatures.inc();
    } else if (event.kind === 'role') {
      this.roleChanges.inc({ role: event.role });
      this.view(event.view);
    } else if (event.kind === 'vote') {
      if (event.votedFor !== undefined) this.votes.inc();
      this.view(event.view);
    } else if (event.kind === 'snapshot') {
      this.snapshots.inc({ source: event.source });
      this.snapshotBytes.set(event.bytes);
    }
  };

  /** ForwarderOptions.executed: count it, and time it until it commits. */
  readonly transactionExecuted = (txid: TxID, submittedAt: number): void => {
    this.executed.inc();
    this.node?.waitCommitted(txid).then(
      () => {
        this.committed.inc();
        this.latency.observe((performance.now() - submittedAt) / 1000);
      },
      () => {}, // rolled back: not committed
    );
  };

  /** RpcServerOptions.observeRequest */
  readonly request = (record: RequestRecord): void => {
    for (const method of record.methods) if (!method.startsWith('GET ')) this.requests.inc({ method });
    for (const code of record.errors) this.errors.inc({ code: String(code) });
    this.statuses.inc({ status: String(record.status) });
    this.duration.observe(record.durationMs / 1000);
  };

  route(): Route {
    return async () => ({ status: 200, contentType: this.registry.contentType, body: await this.registry.metrics() });
  }

  private view(view: number): void {
    if (view > this.lastView && this.lastView >= 0) this.viewChanges.inc();
    this.lastView = Math.max(this.lastView, view);
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }
}

// Who this node talks to, and where: the trusted nodes and their addresses as the node
// table (`public:ccf.gov.nodes.info`) records them, plus, for a node that just joined,
// the peers the primary named before the ledger reached this node.
import { NODES_INFO } from '../governance/tables.js';
import type { ReadOnlyTransaction } from '../kv/read-only.js';
import type { PeerInfo } from './join.js';

/** Reads the node's current (pending) state. */
export type Reader = <T>(read: (tx: ReadOnlyTransaction) => T) => T;

/** What the directory points at the addresses it knows. */
export interface PeerAddressBook {
  setAddress(nodeId: string, host: string, port: number): void;
}

export class PeerDirectory {
  constructor(
    private readonly self: string,
    private readonly read: Reader,
    /** a joining node's first contacts */
    private readonly initial: readonly PeerInfo[] = [],
  ) {}

  /** The trusted nodes that listen somewhere. */
  trusted(): PeerInfo[] {
    return this.read((tx) =>
      [...tx.map(NODES_INFO).entries()]
        .filter(([, info]) => info.status === 'Trusted' && info.peerAddress)
        .map(([nodeId, info]) => ({ nodeId, peerAddress: info.peerAddress! })),
    );
  }

  /** May `nodeId` connect? Any node the table names (retired ones too: they may still be catching up), or an initial peer. */
  knows(nodeId: string): boolean {
    return this.initial.some((p) => p.nodeId === nodeId) || this.read((tx) => tx.map(NODES_INFO).has(nodeId));
  }

  /** The JSON-RPC URL a node recorded for itself. */
  rpcAddressOf(nodeId: string): string | undefined {
    return this.read((tx) => tx.map(NODES_INFO).get(nodeId)?.rpcAddress);
  }

  /** Point `book` at every known peer's address. */
  refresh(book: PeerAddressBook): void {
    for (const peer of [...this.initial, ...this.trusted()]) {
      if (peer.nodeId === this.self) continue;
      const at = peer.peerAddress.lastIndexOf(':');
      book.setAddress(peer.nodeId, peer.peerAddress.slice(0, at), Number(peer.peerAddress.slice(at + 1)));
    }
  }
}

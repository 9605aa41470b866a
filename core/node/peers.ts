// Who this node talks to, and where: the trusted nodes and their addresses as the node
// table (`public:ccf.gov.nodes.info`) records them, plus, for a node that just joined,
// the peers the primary named before the ledger reached this node. Pending nodes (asked
// to join, not yet trusted by the members) are no peers.
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

  /**
   * May `nodeId` connect? A trusted node, a retired one (it may still be catching up), or
   * an initial peer; never a pending one: until the members trust it, it learns nothing.
   */
  knows(nodeId: string): boolean {
    if (this.initial.some((p) => p.nodeId === nodeId)) return true;
    const status = this.read((tx) => tx.map(NODES_INFO).get(nodeId)?.status);
    return status === 'Trusted' || status === 'Retired';
  }

  /** Is `nodeId` a trusted node of the service (one whose requests this node answers)? */
  trusts(nodeId: string): boolean {
    return this.read((tx) => tx.map(NODES_INFO).get(nodeId)?.status === 'Trusted');
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

// A member's side of governance over JSON-RPC: sign proposals, ballots, withdrawals and
// acknowledgements with the member's Ethereum key (EIP-712, as a wallet would) and submit
// them; read proposals and the consortium. The domain is computed here from the chain id
// and the service certificate this member trusts, not taken from the node: a node cannot
// make a member sign for another network.
import type { GovernanceOutcome } from '../core/governance/engine.js';
import type { ProposalAction, ProposalRecord } from '../core/governance/tables.js';
import { JsonRpcClient, httpTransport, type Transport } from '../rpc/client.js';
import { governanceDomain, governanceMessage, signGovernanceMessage, type GovernanceDomain } from '../rpc/governance/typed-data.js';
import type { Signer } from './client-flags.js';
import { ConfigError } from './config.js';

export type { Signer } from './client-flags.js';

export type ProposalView = ProposalRecord & { proposalId: string };

export class GovClient {
  private constructor(
    readonly rpc: JsonRpcClient,
    readonly domain: GovernanceDomain,
    private readonly signer: Signer | undefined,
  ) {}

  /** `serviceCert`: the PEM this member trusts (for HTTPS, the CA too); without it, the node's own (local, plain-HTTP use). */
  static connect(url: string, options: { signer?: Signer; serviceCert?: string; timeoutMs?: number } = {}): Promise<GovClient> {
    return GovClient.over(httpTransport(url, { ...(options.serviceCert ? { ca: options.serviceCert } : {}), timeoutMs: options.timeoutMs ?? 30_000 }), options);
  }

  static async over(transport: Transport, options: { signer?: Signer; serviceCert?: string } = {}): Promise<GovClient> {
    const rpc = new JsonRpcClient(transport);
    const chainId = BigInt(await rpc.call<string>('eth_chainId'));
    const cert = options.serviceCert ?? (await rpc.call<{ serviceCertificate: string }>('ccevm_nodeInfo')).serviceCertificate;
    return new GovClient(rpc, governanceDomain(chainId, cert), options.signer);
  }

  get memberId(): string {
    return this.requireSigner().address.toLowerCase();
  }

  async propose(actions: ProposalAction[]): Promise<GovernanceOutcome> {
    return this.rpc.call('ccevm_govPropose', [await signGovernanceMessage(this.requireSigner(), 'proposal', governanceMessage.proposal(actions), this.domain)]);
  }

  async vote(proposalId: string, approve: boolean): Promise<GovernanceOutcome> {
    return this.rpc.call('ccevm_govVote', [await signGovernanceMessage(this.requireSigner(), 'ballot', governanceMessage.ballot(proposalId, approve), this.domain)]);
  }

  async withdraw(proposalId: string): Promise<GovernanceOutcome> {
    return this.rpc.call('ccevm_govWithdraw', [await signGovernanceMessage(this.requireSigner(), 'withdrawal', governanceMessage.withdrawal(proposalId), this.domain)]);
  }

  /** Acknowledge the consortium's current state: an Accepted member becomes Active. */
  async ack(): Promise<GovernanceOutcome> {
    const { digest } = await this.rpc.call<{ digest: string }>('ccevm_govStateDigest');
    return this.rpc.call('ccevm_govAck', [await signGovernanceMessage(this.requireSigner(), 'ack', governanceMessage.ack(digest), this.domain)]);
  }

  /**
   * Wait for the node listening at `peerAddress` to ask to join, then propose to trust it
   * and approve: with a one-member consortium (development) that decides it.
   */
  async trustJoiningNode(peerAddress: string, timeoutMs = 60_000): Promise<GovernanceOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nodes = await this.rpc.call<{ nodeId: string; status: string; peerAddress: string | null }[]>('ccevm_govNodes');
      const pending = nodes.find((n) => n.status === 'Pending' && n.peerAddress === peerAddress);
      if (pending) {
        const proposed = await this.propose([{ name: 'transition_node_to_trusted', args: { node_id: pending.nodeId } }]);
        return proposed.kind !== 'ack' && proposed.state === 'Open' ? this.vote(proposed.proposalId, true) : proposed;
      }
      if (Date.now() > deadline) throw new Error(`no node at ${peerAddress} asked to join within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  proposals(): Promise<ProposalView[]> {
    return this.rpc.call('ccevm_govProposals');
  }

  proposal(id: string): Promise<ProposalView | null> {
    return this.rpc.call('ccevm_govProposal', [id]);
  }

  private requireSigner(): Signer {
    if (!this.signer) throw new ConfigError('no member key: give --key-file FILE, CCEVM_MEMBER_KEY or --mnemonic');
    return this.signer;
  }
}

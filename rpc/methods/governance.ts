// ccevm_gov* methods: members submit signed proposals, ballots, withdrawals and
// acknowledgements (any node takes them to the primary); anyone reads the governance
// maps, which the ledger holds in clear anyway. Reads are of committed state.
import { MEMBERS_INFO, NODES_INFO, PROPOSALS, SERVICE_INFO, USERS_INFO, CONSTITUTION, type MessageKind } from '../../core/governance/tables.js';
import { governanceStateDigest } from '../../core/governance/state-digest.js';
import type { ReadOnlyTransaction } from '../../core/kv/read-only.js';
import type { Node } from '../../core/node/node.js';
import { invalidParams } from '../../evm-adapter/errors.js';
import type { EvmService } from '../../evm-adapter/service.js';
import type { Forwarder } from '../forwarder.js';
import { positional } from '../hex.js';
import { PEER_METHODS } from '../peer-calls.js';
import { submitHere } from '../governance/submit.js';
import { Eip712Authenticator, governanceDomain, PRIMARY_TYPES, signingDefinitions } from '../governance/typed-data.js';
import type { Method } from './eth.js';


export function governanceMethods(node: Node, evm: EvmService, forwarder: Forwarder, authenticator: Eip712Authenticator): Record<string, Method> {
  const submit = (kind: MessageKind): Method => (p) => {
    const [envelope] = positional(p, 1, 1);
    const primaryType = (envelope as { typedData?: { primaryType?: unknown } } | null)?.typedData?.primaryType;
    if (primaryType !== PRIMARY_TYPES[kind]) throw invalidParams(`expected a signed ${PRIMARY_TYPES[kind]} (typedData.primaryType), got ${JSON.stringify(primaryType ?? null)}`);
    return forwarder.toPrimary(`the ${kind}`, () => submitHere(node, authenticator, envelope), PEER_METHODS.governance, [envelope]);
  };
  const read = <T>(fn: (tx: ReadOnlyTransaction) => T): T => node.readCommitted(fn);
  const proposalId = (value: unknown): string => {
    if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw invalidParams('proposal id must be 0x and 64 hex digits');
    return value.toLowerCase();
  };
  const applicationTables = node.governanceTables;
  return {
    ccevm_govPropose: submit('proposal'),
    ccevm_govVote: submit('ballot'),
    ccevm_govWithdraw: submit('withdrawal'),
    ccevm_govAck: submit('ack'),
    /** What a wallet needs to sign for this network: eth_signTypedData_v4's domain, and each message's primary type and types. */
    ccevm_govTypedData: (p) => (positional(p, 0, 0), signingDefinitions(governanceDomain(evm.chainId, node.serviceCertificate))),
    ccevm_govStateDigest: (p) => (positional(p, 0, 0), { digest: read((tx) => governanceStateDigest(tx, applicationTables)) }),
    ccevm_govProposals: (p) => {
      positional(p, 0, 0);
      return read((tx) => [...tx.map(PROPOSALS).entries()].map(([id, record]) => ({ proposalId: id, ...record })));
    },
    ccevm_govProposal: (p) => {
      const [id] = positional(p, 1, 1);
      const key = proposalId(id);
      return read((tx) => {
        const record = tx.map(PROPOSALS).get(key);
        return record ? { proposalId: key, ...record } : null;
      });
    },
    ccevm_govMembers: (p) => (positional(p, 0, 0), read((tx) => [...tx.map(MEMBERS_INFO).entries()].map(([memberId, m]) => ({ memberId, ...m })))),
    ccevm_govUsers: (p) => (positional(p, 0, 0), read((tx) => [...tx.map(USERS_INFO).entries()].map(([userId, u]) => ({ userId, ...u })))),
    ccevm_govNodes: (p) => {
      positional(p, 0, 0);
      return read((tx) =>
        [...tx.map(NODES_INFO).entries()].map(([nodeId, n]) => ({ nodeId, status: n.status, peerAddress: n.peerAddress ?? null, rpcAddress: n.rpcAddress ?? null, measurement: n.measurement ?? null })),
      );
    },
    ccevm_govConstitution: (p) => (positional(p, 0, 0), { source: read((tx) => tx.map(CONSTITUTION).get(0) ?? null) }),
    ccevm_govService: (p) => {
      positional(p, 0, 0);
      const info = read((tx) => tx.map(SERVICE_INFO).get(0));
      return info ? { status: info.status, certificate: info.cert } : null;
    },
  };
}

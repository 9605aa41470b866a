// A signed governance message, from the wire to the engine: its signature is checked on
// the primary (the node that commits the decision), which then runs it through the
// constitution (core/node/governance.ts). A refusal becomes one JSON-RPC error whose
// data.reason says which rule refused it.
import { GovernanceError } from '../../core/governance/messages.js';
import type { GovernanceOutcome } from '../../core/governance/engine.js';
import type { Node } from '../../core/node/node.js';
import { JsonRpcError } from '../client.js';
import type { EvmService } from '../../evm-adapter/service.js';
import { Eip712Authenticator, governanceDomain } from './typed-data.js';

/** JSON-RPC code of a refused governance message; error.data = { reason: GovernanceErrorCode }. */
export const GOVERNANCE_REFUSED = -32010;

/** Members sign for this network only: its chain id and its service identity. */
export function authenticatorFor(node: Node, evm: EvmService): Eip712Authenticator {
  return new Eip712Authenticator(governanceDomain(evm.chainId, node.serviceCertificate));
}

function refusal(e: GovernanceError): JsonRpcError {
  return new JsonRpcError(GOVERNANCE_REFUSED, e.message, { reason: e.code });
}

/** As primary: check the envelope's signature and submit it (throws NotPrimaryError elsewhere). */
export async function submitHere(node: Node, authenticator: Eip712Authenticator, envelope: unknown): Promise<GovernanceOutcome> {
  try {
    return await node.submitGovernance(authenticator.authenticate(envelope));
  } catch (e) {
    if (e instanceof GovernanceError) throw refusal(e);
    throw e;
  }
}

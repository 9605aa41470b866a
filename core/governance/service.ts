// Changes to the service record as functions over a transaction (transition_service_to_open).
import type { WritableMaps } from '../kv/writable.js';
import { SERVICE_INFO } from './tables.js';

export class ServiceStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceStateError';
  }
}

/** Opening -> Open: users may transact from now on. */
export function openService(tx: WritableMaps): void {
  const info = tx.map(SERVICE_INFO).get(0);
  if (!info) throw new ServiceStateError('the service has no record yet');
  if (info.status !== 'Opening') throw new ServiceStateError(`the service is ${info.status}, not Opening`);
  tx.map(SERVICE_INFO).set(0, { ...info, status: 'Open' });
}

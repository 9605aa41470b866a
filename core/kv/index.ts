export * from './codec.js';
export * from './errors.js';
export * from './map-def.js';
export * from './store.js';
export * from './transaction.js';
export * from './txid.js';
export * from './write-set.js';
export * from './read-only.js';

export * from './aead.js';
export * from './certificates.js';
export * from './hash.js';
export * from './keys.js';
export * from './sealing.js';

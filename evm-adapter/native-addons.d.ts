// The native entry points of the keccak and secp256k1 packages (their default entry
// silently falls back to pure JS when the addon fails to load; these do not).
declare module 'keccak/bindings.js' {
  import createKeccakHash from 'keccak';
  export default createKeccakHash;
}
declare module 'secp256k1/bindings.js' {
  import secp256k1 from 'secp256k1';
  export default secp256k1;
}

// The service's COSE_Sign1 signature over each signed Merkle root (CCF's COSE signatures):
// the protected header, the RFC 9052 Sig_structure it signs with a detached payload (the
// root), and strict CBOR decoding. FORMAT.md "Service signature" is the contract.
import { decode, encode, type TagDecoder } from 'cborg';
import type { KeyObject } from 'node:crypto';
import { keyId, signDataP1363, verifyDataP1363, type KeyPair } from '../crypto/keys.js';
import { equalBytes, fromUtf8, utf8 } from '../util/bytes.js';

export class CoseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoseError';
  }
}

/** COSE header labels and values used here. */
export const COSE = {
  alg: 1,
  kid: 4,
  cwtClaims: 15,
  vds: 395,
  vdp: 396,
  inclusionProofs: -1,
  cwtIat: 6,
  ccf: 'ccf.v1',
  ES256: -7,
  CCF_LEDGER_SHA256: 2,
} as const;

export interface ProtectedHeader {
  /** hex SHA-256 of the service public key's SPKI DER */
  kid: string;
  /** unix seconds when signed */
  iat: number;
  /** view.seqno of the signature transaction */
  txid: string;
}

// Maps are written in the order they are built (the order FORMAT.md gives), not sorted.
const ENCODE = { mapSorter: () => 0 };
const DECODE = {
  strict: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
};

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, ENCODE);
}

/**
 * Decode one CBOR item and accept it only in the one encoding `encodeCbor` gives it
 * (shortest lengths, definite lengths, maps in the order read), so one value has one text.
 */
export function decodeCbor(bytes: Uint8Array, what: string, tags: TagDecoder[] = []): unknown {
  let value: unknown;
  try {
    value = decode(bytes, { ...DECODE, tags });
  } catch (e) {
    throw new CoseError(`${what} is not CBOR: ${(e as Error).message}`);
  }
  if (!equalBytes(encodeCbor(value), bytes)) throw new CoseError(`${what} is not deterministically encoded`);
  return value;
}

/** The map's keys, exactly these in this order, or CoseError. */
export function exactMap(value: unknown, keys: readonly (number | string)[], what: string): Map<unknown, unknown> {
  if (!(value instanceof Map)) throw new CoseError(`${what} is not a map`);
  const found = [...value.keys()];
  if (found.length !== keys.length || found.some((k, i) => k !== keys[i])) {
    throw new CoseError(`${what} must have exactly the keys ${keys.map((k) => JSON.stringify(k)).join(', ')} in that order`);
  }
  return value;
}

const TXID = /^\d+\.\d+$/;
const HEX64 = /^[0-9a-f]{64}$/;

export function encodeProtectedHeader(h: ProtectedHeader): Uint8Array {
  return encodeCbor(new Map<number | string, unknown>([
    [COSE.alg, COSE.ES256],
    [COSE.kid, utf8(h.kid)],
    [COSE.vds, COSE.CCF_LEDGER_SHA256],
    [COSE.cwtClaims, new Map([[COSE.cwtIat, h.iat]])],
    [COSE.ccf, new Map([['txid', h.txid]])],
  ]));
}

/** Parse a protected header strictly: exactly the entries `encodeProtectedHeader` writes. */
export function decodeProtectedHeader(bytes: Uint8Array): ProtectedHeader {
  const what = 'COSE protected header';
  const h = exactMap(decodeCbor(bytes, what), [COSE.alg, COSE.kid, COSE.vds, COSE.cwtClaims, COSE.ccf], what);
  if (h.get(COSE.alg) !== COSE.ES256) throw new CoseError(`${what}: alg is not ES256 (-7)`);
  const kid = h.get(COSE.kid);
  if (!(kid instanceof Uint8Array) || !HEX64.test(fromUtf8(kid))) throw new CoseError(`${what}: kid is not the bytes of a 64-hex key id`);
  if (h.get(COSE.vds) !== COSE.CCF_LEDGER_SHA256) throw new CoseError(`${what}: verifiable data structure is not CCF_LEDGER_SHA256 (2)`);
  const iat = exactMap(h.get(COSE.cwtClaims), [COSE.cwtIat], `${what} CWT claims`).get(COSE.cwtIat);
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) throw new CoseError(`${what}: iat is not a non-negative integer`);
  const txid = exactMap(h.get(COSE.ccf), ['txid'], `${what} ccf.v1`).get('txid');
  if (typeof txid !== 'string' || !TXID.test(txid)) throw new CoseError(`${what}: ccf.v1 txid is not view.seqno`);
  return { kid: fromUtf8(kid), iat, txid };
}

/** RFC 9052 Sig_structure for COSE_Sign1 with no external AAD: the bytes ES256 signs. */
export function sigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedHeader, new Uint8Array(0), payload]);
}

export interface ServiceSignature {
  /** the CBOR protected header */
  protectedHeader: Uint8Array;
  /** ES256 r || s over the Sig_structure */
  signature: Uint8Array;
}

// Exporting a key to hash it costs more than signing or checking with it: once per key object.
const kids = new WeakMap<KeyObject, string>();
function serviceKid(key: KeyObject): string {
  let kid = kids.get(key);
  if (kid === undefined) kids.set(key, (kid = keyId(key)));
  return kid;
}

/** The service key's COSE signature over `root` for the signature transaction `txid`. */
export function signRoot(serviceKey: KeyPair, txid: string, root: Uint8Array, iat = Math.floor(Date.now() / 1000)): ServiceSignature {
  const protectedHeader = encodeProtectedHeader({ kid: serviceKid(serviceKey.publicKey), iat, txid });
  return { protectedHeader, signature: signDataP1363(serviceKey, sigStructure(protectedHeader, root)) };
}

/**
 * Check a service signature over `root`: the header is well formed, names `txid` and the
 * service key, and the signature verifies under that key. Returns the header; throws CoseError.
 */
export function checkServiceSignature(serviceKey: KeyObject, sig: ServiceSignature, root: Uint8Array, txid: string): ProtectedHeader {
  const header = decodeProtectedHeader(sig.protectedHeader);
  if (header.txid !== txid) throw new CoseError(`COSE protected header names txid ${header.txid}, not the signature's ${txid}`);
  if (header.kid !== serviceKid(serviceKey)) throw new CoseError('COSE protected header kid is not the service key');
  if (!verifyDataP1363(serviceKey, sigStructure(sig.protectedHeader, root), sig.signature)) throw new CoseError('service signature does not verify');
  return header;
}

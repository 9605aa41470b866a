// X.509 identities: the service's self-signed certificate (the CA that clients and
// auditors trust) and node certificates endorsed by the service key.
// @peculiar/x509's dependency injection needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { exportPrivateKey, publicKeyDer, type KeyPair } from './keys.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const VALIDITY_DAYS = 365;

async function toCryptoKeys(pair: KeyPair): Promise<{ privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey }> {
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', exportPrivateKey(pair), EC, false, ['sign']);
  const publicKey = await subtle.importKey('spki', publicKeyDer(pair.publicKey), EC, true, ['verify']);
  return { privateKey, publicKey };
}

function validity(): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000) };
}

function serial(): string {
  // Positive 16-byte serial.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export async function createServiceCertificate(service: KeyPair, name = 'ccevm service'): Promise<string> {
  const keys = await toCryptoKeys(service);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    ...validity(),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

export interface NodeCertificateOptions {
  nodeId: string;
  /** Host names and IP addresses the node's TLS endpoints answer on. */
  subjectAltNames?: string[];
}

const IP_PATTERN = /^(\d{1,3}\.){3}\d{1,3}$|:/;

export async function createNodeCertificate(
  node: KeyObject,
  service: KeyPair,
  serviceCertPem: string,
  options: NodeCertificateOptions,
): Promise<string> {
  const serviceKeys = await toCryptoKeys(service);
  const nodePublic = await webcrypto.subtle.importKey('spki', publicKeyDer(node), EC, true, ['verify']);
  const issuer = new x509.X509Certificate(serviceCertPem);
  const names = options.subjectAltNames ?? ['localhost', '127.0.0.1'];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=ccevm node ${options.nodeId.slice(0, 16)}`,
    issuer: issuer.subject,
    ...validity(),
    signingAlgorithm: SIGNING,
    publicKey: nodePublic,
    signingKey: serviceKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: IP_PATTERN.test(value) ? ('ip' as const) : ('dns' as const), value }))),
      await x509.AuthorityKeyIdentifierExtension.create(serviceKeys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** True if `certPem` is a currently valid certificate issued and signed by `issuerPem`. */
export function isEndorsedBy(certPem: string, issuerPem: string, at: Date = new Date()): boolean {
  try {
    const cert = new NodeX509(certPem);
    const issuer = new NodeX509(issuerPem);
    if (!cert.checkIssued(issuer)) return false;
    if (!cert.verify(issuer.publicKey)) return false;
    return new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
  } catch {
    return false;
  }
}

export function certificatePublicKey(certPem: string): KeyObject {
  return new NodeX509(certPem).publicKey;
}

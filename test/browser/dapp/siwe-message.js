// The text of an EIP-4361 (Sign-In with Ethereum) message, which the wallet signs with
// personal_sign and the node verifies in ccevm_signIn.

/**
 * @param {{ domain: string, address: string, statement: string, uri: string,
 *           chainId: number, nonce: string, issuedAt: string }} fields
 *   domain: the node's host:port; address: EIP-55 checksummed; issuedAt: ISO 8601.
 * @returns {string}
 */
export function siweMessage({ domain, address, statement, uri, chainId, nonce, issuedAt }) {
  if (statement.includes('\n')) throw new Error('a SIWE statement is one line');
  return [
    `${domain} wants you to sign in with your Ethereum account:`,
    address,
    '',
    statement,
    '',
    `URI: ${uri}`,
    'Version: 1',
    `Chain ID: ${chainId}`,
    `Nonce: ${nonce}`,
    `Issued At: ${issuedAt}`,
  ].join('\n');
}

// The DApp: connect the injected wallet, sign in to the node with Ethereum, and read the
// account's own PrivateToken balance as the signed-in reader (the session token in the
// URL path: <node>/rpc/<token>). Everything it learns, or the error that stopped it, is
// shown in the page.
import { siweMessage } from './siwe-message.js';

const { ethers } = globalThis; // ethers' browser build, loaded by index.html
const TOKEN_ABI = ['function balanceOf(address account) view returns (uint256)'];

const show = (id, text) => {
  document.getElementById(id).textContent = text;
};

function pageParameters() {
  const query = new URLSearchParams(location.search);
  const node = query.get('node');
  const token = query.get('token');
  if (!node || !token || !ethers.isAddress(token)) throw new Error('open this page as /?node=<node URL>&token=<token address>');
  return { nodeUrl: node.replace(/\/+$/, ''), tokenAddress: ethers.getAddress(token) };
}

/** A provider for a fixed chain: it need not ask eth_chainId before every call. */
const providerFor = (url, chainId) => new ethers.JsonRpcProvider(url, chainId, { staticNetwork: true });

async function signInAndRead({ nodeUrl, tokenAddress }) {
  if (!globalThis.ethereum) throw new Error('no wallet: window.ethereum is missing');
  const [account] = await ethereum.request({ method: 'eth_requestAccounts' });
  const address = ethers.getAddress(account);
  const chainId = Number(await ethereum.request({ method: 'eth_chainId' }));
  show('account', address);
  show('chain', String(chainId));

  show('status', 'signing in');
  const anonymous = providerFor(nodeUrl, chainId);
  const nonce = await anonymous.send('ccevm_signInNonce', []);
  const message = siweMessage({
    domain: new URL(nodeUrl).host,
    address,
    statement: 'Sign in to read my private balance.',
    uri: nodeUrl,
    chainId,
    nonce,
    issuedAt: new Date().toISOString(),
  });
  const signature = await ethereum.request({ method: 'personal_sign', params: [ethers.hexlify(ethers.toUtf8Bytes(message)), address] });
  const session = await anonymous.send('ccevm_signIn', [message, signature]);

  const signedIn = providerFor(`${nodeUrl}/rpc/${session.token}`, chainId);
  const whoAmI = await signedIn.send('ccevm_whoAmI', []);
  show('who', whoAmI.address ?? 'anonymous');
  const token = new ethers.Contract(tokenAddress, TOKEN_ABI, signedIn);
  show('balance', (await token.balanceOf(address)).toString()); // msg.sender: the signed-in reader
  show('status', 'signed in');
}

/** ethers' summary, and the node's own message when the node answered with an error. */
const describe = (error) => [error.shortMessage ?? error.message ?? String(error), error.error?.message].filter(Boolean).join(': ');

const button = document.getElementById('sign-in');
try {
  const parameters = pageParameters();
  button.addEventListener('click', () => {
    button.disabled = true;
    show('error', '');
    signInAndRead(parameters).catch((error) => {
      show('status', 'failed');
      show('error', describe(error));
      button.disabled = false;
    });
  });
  button.disabled = false;
  show('status', 'ready');
} catch (error) {
  show('status', 'failed');
  show('error', error.message);
}

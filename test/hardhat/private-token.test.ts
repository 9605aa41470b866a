// PrivateToken on a reference EVM (Hardhat's in-process network): an ERC-20 whose balances
// and allowances only the parties and the auditor can read (an anonymous eth_call runs with
// msg.sender 0x0 on ccevm and learns nothing), whose errors tell no one else's balance, and
// whose checkAccess and eventVisibility answer what the ccevm read policy asks.
import { strict as assert } from 'node:assert';
import { ZeroAddress, id, toBeHex, zeroPadValue } from 'ethers';
import { contractInterface, deployData } from '../support/contracts.js';
import { HardhatNetwork, hardhatProvider, type BoundContract } from './network.js';

const word = (n: bigint | number | string) => zeroPadValue(toBeHex(BigInt(n)), 32);
const SUPPLY = 10n ** 24n;

describe('PrivateToken on a reference EVM (Hardhat network)', function () {
  this.timeout(60_000);
  const iface = contractInterface('PrivateToken');
  const topic = (event: string) => iface.getEvent(event)!.topicHash;
  let network: HardhatNetwork;
  let token: BoundContract;
  let deployTopics: string[];
  // owner: the deployer, who holds the supply; auditor; other: a holder; stranger: neither.
  let owner = '';
  let auditor = '';
  let other = '';
  let stranger = '';

  before(async () => {
    const provider = hardhatProvider();
    [owner, auditor, other, stranger] = (await provider.request({ method: 'eth_accounts' })) as string[];
    network = new HardhatNetwork(provider, owner!);
  });

  beforeEach(async () => {
    const { address, receipt } = await network.deploy('PrivateToken', ['Private Token', 'PRV', SUPPLY, auditor]);
    token = network.bind(iface, address);
    deployTopics = receipt.logs[0]!.topics;
  });

  const balanceSeenBy = async (reader: string, account: string) => (await token.call('balanceOf', [account], { from: reader }))[0] as bigint;
  const notAuthorized = (reader: string) => iface.encodeErrorResult('NotAuthorized', [reader]);

  it('mints the supply to the deployer; name, symbol, decimals, supply and auditor are public', async () => {
    assert.deepEqual(deployTopics, [topic('Transfer'), word(0), word(owner)]);
    assert.equal(await balanceSeenBy(owner, owner), SUPPLY);
    const pub = async (fn: string) => (await token.call(fn, [], { from: ZeroAddress }))[0];
    assert.deepEqual(
      [await pub('name'), await pub('symbol'), await pub('decimals'), await pub('totalSupply'), (await pub('auditor')).toLowerCase()],
      ['Private Token', 'PRV', 18n, SUPPLY, auditor.toLowerCase()],
    );
  });

  it('refuses the zero address as auditor', async () => {
    const data = deployData('PrivateToken', ['Private Token', 'PRV', SUPPLY, ZeroAddress]);
    await assert.rejects(network.rpc('eth_call', { from: owner, data }, 'latest'), (e: { data: string }) => {
      assert.equal(e.data, iface.encodeErrorResult('InvalidAuditor', [ZeroAddress]));
      return true;
    });
  });

  it('a balance is read by its holder and the auditor only; anonymous and third parties get NotAuthorized', async () => {
    await token.send('transfer', [other, 100n]);
    assert.equal(await balanceSeenBy(other, other), 100n);
    assert.equal(await balanceSeenBy(auditor, other), 100n);
    assert.equal(await balanceSeenBy(auditor, owner), SUPPLY - 100n);
    assert.equal(await token.revertData('balanceOf', [other], { from: owner }), notAuthorized(owner));
    assert.equal(await token.revertData('balanceOf', [other], { from: stranger }), notAuthorized(stranger));
    // An anonymous reader on ccevm: msg.sender is the zero address.
    assert.equal(await token.revertData('balanceOf', [other], { from: ZeroAddress }), notAuthorized(ZeroAddress));
  });

  it('transfers with a Transfer log naming both parties; a shortfall tells the sender its own balance', async () => {
    const receipt = await token.send('transfer', [other, 100n]);
    assert.equal(receipt.status, '0x1');
    assert.deepEqual(receipt.logs[0]!.topics, [topic('Transfer'), word(owner), word(other)]);
    assert.equal(BigInt(receipt.logs[0]!.data), 100n);
    assert.equal(await token.revertData('transfer', [owner, 101n], { from: other }), iface.encodeErrorResult('InsufficientBalance', [other, 101n, 100n]));
    assert.equal(await token.revertData('transfer', [ZeroAddress, 1n]), iface.encodeErrorResult('InvalidReceiver', [ZeroAddress]));
  });

  it('allowances: read by owner, spender and auditor; transferFrom spends them and hides the balance of `from`', async () => {
    const approval = await token.send('approve', [other, 50n]);
    assert.deepEqual(approval.logs[0]!.topics, [topic('Approval'), word(owner), word(other)]);
    for (const reader of [owner, other, auditor]) {
      assert.equal((await token.call('allowance', [owner, other], { from: reader }))[0], 50n, reader);
    }
    assert.equal(await token.revertData('allowance', [owner, other], { from: stranger }), notAuthorized(stranger));
    assert.equal(await token.revertData('allowance', [owner, other], { from: ZeroAddress }), notAuthorized(ZeroAddress));
    assert.equal(await token.revertData('approve', [ZeroAddress, 1n]), iface.encodeErrorResult('InvalidSpender', [ZeroAddress]));

    assert.equal(
      await token.revertData('transferFrom', [owner, stranger, 51n], { from: other }),
      iface.encodeErrorResult('InsufficientAllowance', [owner, other, 51n, 50n]),
    );
    await token.send('transferFrom', [owner, stranger, 20n], { from: other });
    assert.equal(await balanceSeenBy(stranger, stranger), 20n);
    assert.equal((await token.call('allowance', [owner, other]))[0], 30n);

    // `other` may spend anything of `stranger`'s, who holds 20: told "too low", not "20".
    await token.send('approve', [other, 2n ** 256n - 1n], { from: stranger });
    assert.equal(
      await token.revertData('transferFrom', [stranger, other, 21n], { from: other }),
      iface.encodeErrorResult('BalanceTooLow', [stranger, 21n]),
    );
    await token.send('transferFrom', [stranger, other, 5n], { from: other });
    assert.equal((await token.call('allowance', [stranger, other], { from: stranger }))[0], 2n ** 256n - 1n, 'unlimited stays unlimited');
  });

  it('checkAccess accepts the auditor only', async () => {
    const access = async (reader: string) => (await token.call('checkAccess', [reader], { from: ZeroAddress }))[0];
    assert.equal(await access(auditor), true);
    for (const reader of [owner, other, ZeroAddress]) assert.equal(await access(reader), false, reader);
  });

  it('eventVisibility: Transfer and Approval to topic 1 and topic 2 (4 | 8), anything else the default (0)', async () => {
    const rule = async (eventTopic: string) => (await token.call('eventVisibility', [eventTopic], { from: ZeroAddress }))[0];
    assert.equal(await rule(topic('Transfer')), 4n | 8n);
    assert.equal(await rule(topic('Approval')), 4n | 8n);
    assert.equal(await rule(id('Other(uint256)')), 0n);
    assert.equal(await rule(word(0)), 0n);
  });
});

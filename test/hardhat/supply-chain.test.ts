// SupplyChain on a reference EVM (Hardhat's in-process network): the owner registers
// participants, manufacturers create items, custodians hand them on with a location and a
// time; only participants read anything (an anonymous eth_call runs with msg.sender 0x0 on
// ccevm), and checkAccess and eventVisibility answer what the ccevm read policy asks.
import { strict as assert } from 'node:assert';
import { ZeroAddress, id, keccak256, toBeHex, toUtf8Bytes, zeroPadValue } from 'ethers';
import { contractInterface } from '../support/contracts.js';
import { HardhatNetwork, hardhatProvider, type BoundContract, type Receipt } from './network.js';

const word = (n: bigint | number | string) => zeroPadValue(toBeHex(BigInt(n)), 32);
const Role = { None: 0n, Manufacturer: 1n, Carrier: 2n, Retailer: 3n } as const;
const DESCRIPTION = keccak256(toUtf8Bytes('pallet of 40 crates, cold chain, lot 7'));

describe('SupplyChain on a reference EVM (Hardhat network)', function () {
  this.timeout(60_000);
  const iface = contractInterface('SupplyChain');
  const topic = (event: string) => iface.getEvent(event)!.topicHash;
  let network: HardhatNetwork;
  let chain: BoundContract;
  // owner registers; maker, carrier and shop are participants; outsider is not.
  let owner = '';
  let maker = '';
  let carrier = '';
  let shop = '';
  let outsider = '';

  before(async () => {
    const provider = hardhatProvider();
    [owner, maker, carrier, shop, outsider] = (await provider.request({ method: 'eth_accounts' })) as string[];
    network = new HardhatNetwork(provider, owner!);
  });

  beforeEach(async () => {
    chain = network.bind(iface, (await network.deploy('SupplyChain')).address);
    for (const [account, role] of [[maker, Role.Manufacturer], [carrier, Role.Carrier], [shop, Role.Retailer]] as const) {
      const receipt = await chain.send('registerParticipant', [account, role]);
      assert.deepEqual(receipt.logs[0]!.topics, [topic('ParticipantRegistered'), word(account)]);
    }
  });

  const error = (name: string, args: unknown[]) => iface.encodeErrorResult(name, args);
  const blockTime = async (receipt: Receipt) => BigInt((await network.rpc<{ timestamp: string }>('eth_getBlockByHash', receipt.blockHash, false)).timestamp);
  const history = async (itemId: bigint, reader = maker) =>
    ((await chain.call('history', [itemId], { from: reader }))[0] as { from: string; to: string; location: string; time: bigint }[]).map((c) => ({
      from: c.from.toLowerCase(),
      to: c.to.toLowerCase(),
      location: c.location,
      time: c.time,
    }));
  const lower = (a: string) => a.toLowerCase();

  it('only the owner registers, once per account, never the zero address or role None', async () => {
    assert.equal(await chain.revertData('registerParticipant', [outsider, Role.Carrier], { from: maker }), error('NotOwner', [maker]));
    assert.equal(await chain.revertData('registerParticipant', [maker, Role.Carrier]), error('InvalidRegistration', [maker, Role.Carrier]));
    assert.equal(await chain.revertData('registerParticipant', [ZeroAddress, Role.Carrier]), error('InvalidRegistration', [ZeroAddress, Role.Carrier]));
    assert.equal(await chain.revertData('registerParticipant', [outsider, Role.None]), error('InvalidRegistration', [outsider, Role.None]));
    assert.equal((await chain.call('roleOf', [carrier], { from: shop }))[0], Role.Carrier);
    assert.equal((await chain.call('roleOf', [outsider], { from: shop }))[0], Role.None);
  });

  it('a manufacturer creates an item it holds; the creation is the first record of its history', async () => {
    assert.equal(await chain.revertData('createItem', [DESCRIPTION, 'Plant A'], { from: carrier }), error('NotManufacturer', [carrier]));
    assert.equal(await chain.revertData('createItem', [DESCRIPTION, 'Plant A'], { from: outsider }), error('NotManufacturer', [outsider]));
    const created = await chain.send('createItem', [DESCRIPTION, 'Plant A'], { from: maker });
    assert.deepEqual(created.logs[0]!.topics, [topic('ItemCreated'), word(0), word(maker)]);
    const item = (await chain.call('item', [0n], { from: shop }))[0];
    assert.deepEqual([item.descriptionHash, lower(item.manufacturer), lower(item.custodian)], [DESCRIPTION, lower(maker), lower(maker)]);
    assert.deepEqual(await history(0n), [{ from: ZeroAddress, to: lower(maker), location: 'Plant A', time: await blockTime(created) }]);
    assert.equal((await chain.call('itemCount', [], { from: carrier }))[0], 1n);
  });

  it('custody passes from custodian to participant, each hand-off recorded with location and time', async () => {
    await chain.send('createItem', [DESCRIPTION, 'Plant A'], { from: maker });
    const toCarrier = await chain.send('transferCustody', [0n, carrier, 'Dock 3'], { from: maker });
    assert.deepEqual(toCarrier.logs[0]!.topics, [topic('CustodyTransferred'), word(0), word(maker), word(carrier)]);
    assert.equal(await chain.revertData('transferCustody', [0n, shop, 'Dock 3'], { from: maker }), error('NotCustodian', [0n, maker]));
    assert.equal(await chain.revertData('transferCustody', [0n, outsider, 'Road'], { from: carrier }), error('NotParticipant', [outsider]));
    assert.equal(await chain.revertData('transferCustody', [1n, shop, 'Road'], { from: carrier }), error('UnknownItem', [1n]));
    const toShop = await chain.send('transferCustody', [0n, shop, 'Store 12'], { from: carrier });

    assert.equal(lower((await chain.call('item', [0n], { from: maker }))[0].custodian), lower(shop));
    const records = await history(0n, carrier);
    assert.deepEqual(records.slice(1), [
      { from: lower(maker), to: lower(carrier), location: 'Dock 3', time: await blockTime(toCarrier) },
      { from: lower(carrier), to: lower(shop), location: 'Store 12', time: await blockTime(toShop) },
    ]);
  });

  it('every view reverts with NotParticipant for an outsider, the owner and an anonymous reader', async () => {
    await chain.send('createItem', [DESCRIPTION, 'Plant A'], { from: maker });
    for (const reader of [outsider, owner, ZeroAddress]) {
      for (const [fn, args] of [['history', [0n]], ['item', [0n]], ['itemCount', []], ['roleOf', [maker]]] as const) {
        assert.equal(await chain.revertData(fn, [...args], { from: reader }), error('NotParticipant', [reader]), `${fn} by ${reader}`);
      }
    }
    assert.equal(await chain.revertData('history', [5n], { from: maker }), error('UnknownItem', [5n]));
  });

  it('checkAccess accepts participants only', async () => {
    const access = async (reader: string) => (await chain.call('checkAccess', [reader], { from: ZeroAddress }))[0];
    for (const reader of [maker, carrier, shop]) assert.equal(await access(reader), true, reader);
    for (const reader of [owner, outsider, ZeroAddress]) assert.equal(await access(reader), false, reader);
  });

  it('eventVisibility: CustodyTransferred to topic 2 and topic 3 (8 | 16); ItemCreated and the rest the default (0)', async () => {
    const rule = async (eventTopic: string) => (await chain.call('eventVisibility', [eventTopic], { from: ZeroAddress }))[0];
    assert.equal(await rule(topic('CustodyTransferred')), 8n | 16n);
    assert.equal(await rule(topic('ItemCreated')), 0n);
    assert.equal(await rule(topic('ParticipantRegistered')), 0n);
    assert.equal(await rule(id('Transfer(address,address,uint256)')), 0n);
  });
});

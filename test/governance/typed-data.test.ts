// The EIP-712 governance scheme as members meet it: what ethers, viem and an
// eth_signTypedData_v4 wallet sign verifies, and anything else is refused with the reason.
import { strict as assert } from 'node:assert';
import { Wallet, TypedDataEncoder } from 'ethers';
import secp256k1 from 'secp256k1';
import { privateKeyToAccount } from 'viem/accounts';
import { createServiceCertificate } from '../../core/crypto/certificates.js';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { GovernanceError, type GovernanceErrorCode } from '../../core/governance/messages.js';
import {
  Eip712Authenticator,
  governanceDomain,
  governanceTypes,
  signGovernanceMessage,
  messageId,
  typedDataFor,
  type GovernanceDomain,
  type GovernanceEnvelope,
} from '../../rpc/governance/typed-data.js';

const PROPOSAL_ID = `0x${'ab'.repeat(32)}`;
const CREATED_AT = 1_767_225_600;

function refusedWith(code: GovernanceErrorCode, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof GovernanceError, `a GovernanceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  };
}

describe('governance / EIP-712 typed data', () => {
  const member = Wallet.createRandom();
  let serviceCert: string;
  let otherServiceCert: string;
  let domain: GovernanceDomain;
  let auth: Eip712Authenticator;
  const proposal = { actions: [{ name: 'set_user', args: JSON.stringify({ id: '0x01', roles: ['deploy'] }) }], createdAt: CREATED_AT };
  const ballot = { proposalId: PROPOSAL_ID, approve: true, createdAt: CREATED_AT };

  before(async () => {
    serviceCert = await createServiceCertificate(generateKeyPair());
    otherServiceCert = await createServiceCertificate(generateKeyPair());
    domain = governanceDomain(1337n, serviceCert);
    auth = new Eip712Authenticator(domain);
  });

  it('the domain names the chain and, as salt, the service certificate', () => {
    assert.equal(domain.name, 'ccevm governance');
    assert.equal(domain.version, '1');
    assert.equal(domain.chainId, 1337);
    assert.match(domain.salt, /^0x[0-9a-f]{64}$/);
    assert.notEqual(governanceDomain(1337n, otherServiceCert).salt, domain.salt);
    assert.equal(governanceDomain(2n ** 64n, serviceCert).chainId, '18446744073709551616', 'beyond a safe number: decimal text');
  });

  it('a proposal signed with ethers Wallet.signTypedData authenticates as its signer, with its actions parsed', async () => {
    const signature = await member.signTypedData(domain, governanceTypes('proposal'), proposal);
    const m = auth.authenticate({ typedData: typedDataFor('proposal', proposal, domain), signature });
    assert.equal(m.kind, 'proposal');
    assert.equal(m.signer, member.address.toLowerCase());
    assert.equal(m.createdAt, CREATED_AT);
    assert.deepEqual(m.body, { kind: 'proposal', actions: [{ name: 'set_user', args: { id: '0x01', roles: ['deploy'] } }] });
    assert.equal(m.digest, messageId(TypedDataEncoder.hash(domain, governanceTypes('proposal'), proposal), m.signer));
  });

  it('a ballot signed with viem signTypedData authenticates', async () => {
    const account = privateKeyToAccount(member.privateKey as `0x${string}`);
    const signature = await account.signTypedData({
      domain: { ...domain, chainId: Number(domain.chainId), salt: domain.salt as `0x${string}` },
      types: governanceTypes('ballot'),
      primaryType: 'Ballot',
      message: ballot,
    });
    const m = auth.authenticate({ typedData: typedDataFor('ballot', ballot, domain), signature });
    assert.equal(m.signer, member.address.toLowerCase());
    assert.deepEqual(m.body, { kind: 'ballot', proposalId: PROPOSAL_ID, approve: true });
  });

  it('the eth_signTypedData_v4 payload survives JSON and verifies; withdrawal and ack too', async () => {
    for (const [kind, message] of [
      ['withdrawal', { proposalId: PROPOSAL_ID.toUpperCase().replace('0X', '0x'), createdAt: CREATED_AT }],
      ['ack', { stateDigest: `0x${'cd'.repeat(32)}`, createdAt: String(CREATED_AT) }],
    ] as const) {
      const envelope = JSON.parse(JSON.stringify(await signGovernanceMessage(member, kind, message as never, domain))) as GovernanceEnvelope;
      assert.ok(envelope.typedData.types.EIP712Domain, 'the payload names its domain type');
      const m = auth.authenticate(envelope);
      assert.equal(m.kind, kind);
      assert.equal(m.signer, member.address.toLowerCase());
      assert.equal(m.createdAt, CREATED_AT);
      assert.deepEqual(m.signed, envelope, 'the envelope verbatim');
    }
    const ack = auth.authenticate(await signGovernanceMessage(member, 'ack', { stateDigest: `0x${'cd'.repeat(32)}`, createdAt: CREATED_AT }, domain));
    assert.deepEqual(ack.body, { kind: 'ack', stateDigest: `0x${'cd'.repeat(32)}` });
    const withdrawal = auth.authenticate(await signGovernanceMessage(member, 'withdrawal', { proposalId: `0x${'AB'.repeat(32)}`, createdAt: CREATED_AT }, domain));
    assert.deepEqual(withdrawal.body, { kind: 'withdrawal', proposalId: PROPOSAL_ID }, 'ids lowercase');
  });

  it('a tampered message recovers someone else', async () => {
    const envelope = await signGovernanceMessage(member, 'ballot', ballot, domain);
    const tampered = { ...envelope, typedData: { ...envelope.typedData, message: { ...ballot, approve: false } } };
    const m = auth.authenticate(tampered);
    assert.notEqual(m.signer, member.address.toLowerCase());
    assert.notEqual(m.digest, auth.authenticate(envelope).digest);
  });

  it('a message signed for another chain or another service is refused as wrong-network', async () => {
    const otherChain = await signGovernanceMessage(member, 'ballot', ballot, governanceDomain(1n, serviceCert));
    assert.throws(() => auth.authenticate(otherChain), refusedWith('wrong-network', /chain id 1 instead of 1337/));
    const otherService = await signGovernanceMessage(member, 'ballot', ballot, governanceDomain(1337n, otherServiceCert));
    assert.throws(() => auth.authenticate(otherService), refusedWith('wrong-network', /another service \(salt/));
    const renamed = await signGovernanceMessage(member, 'ballot', ballot, { ...domain, name: 'other' });
    assert.throws(() => auth.authenticate(renamed), refusedWith('wrong-network', /domain name "other"/));
    const reversioned = await signGovernanceMessage(member, 'ballot', ballot, { ...domain, version: '2' });
    assert.throws(() => auth.authenticate(reversioned), refusedWith('wrong-network', /domain version "2"/));
    const hexChain = await signGovernanceMessage(member, 'ballot', ballot, { ...domain, chainId: '0x539' });
    assert.equal(auth.authenticate(hexChain).signer, member.address.toLowerCase(), 'the same chain id in hex');
  });

  it('malformed envelopes are refused, each with what is wrong', async () => {
    const good = await signGovernanceMessage(member, 'proposal', proposal, domain);
    const t = good.typedData;
    const withMessage = (message: unknown) => ({ ...good, typedData: { ...t, message } });
    const cases: [unknown, RegExp][] = [
      [null, /envelope: expected an object, got null/],
      [[good], /envelope: expected an object, got an array/],
      ['text', /envelope: expected an object, got "text"/],
      [{ typedData: t }, /envelope\.signature is missing/],
      [{ ...good, extra: 1 }, /envelope: unexpected field "extra"/],
      [{ ...good, typedData: { ...t, primaryType: 'Mail' } }, /primaryType: expected Proposal, Ballot, Withdrawal or Ack, got "Mail"/],
      [{ ...good, typedData: { ...t, types: governanceTypes('proposal') } }, /typedData\.types\.EIP712Domain is missing/],
      [{ ...good, typedData: { ...t, types: { ...t.types, Action: [{ name: 'name', type: 'string' }, { name: 'args', type: 'bytes' }] } } }, /typedData\.types\.Action differs from the governance types/],
      [{ ...good, typedData: { ...t, types: { ...t.types, Ballot: governanceTypes('ballot').Ballot } } }, /unexpected type "Ballot" in a Proposal/],
      [{ ...good, typedData: { ...t, types: 'x'.repeat(1e6) } }, /typedData\.types: expected an object, got a string of 1000000 characters/],
      [withMessage({ ...proposal, actions: [{ name: 'set_user', args: '{not json' }] }), /actions\[0\]\.args is not JSON text/],
      [withMessage({ ...proposal, actions: [{ name: 'set_user', args: '['.repeat(100) + ']'.repeat(100) }] }), /actions\[0\]\.args: nested deeper than 32/],
      [withMessage({ ...proposal, actions: [{ name: 'set_user', args: 'x'.repeat(2 << 20) }] }), /actions\[0\]\.args: longer than/],
      [withMessage({ ...proposal, actions: [] }), /at least one action/],
      [withMessage({ ...proposal, actions: Array(65).fill(proposal.actions[0]) }), /actions: more than 64 actions/],
      [withMessage({ ...proposal, actions: [{ name: '', args: '{}' }] }), /actions\[0\]\.name is empty/],
      [withMessage({ ...proposal, actions: [{ name: 'n'.repeat(257), args: '{}' }] }), /actions\[0\]\.name: longer than 256 characters/],
      [withMessage({ ...proposal, actions: [{ name: '\ud800', args: '{}' }] }), /typedData does not encode: invalid/],
      [withMessage({ ...proposal, actions: { 0: proposal.actions[0] } }), /actions: expected an array, got an object/],
      [withMessage({ ...proposal, actions: [{ name: 'set_user' }] }), /actions\[0\]\.args is missing/],
      [withMessage({ ...proposal, createdAt: 1.5 }), /createdAt: expected an integer number of seconds, got 1\.5/],
      [withMessage({ ...proposal, createdAt: '12abc' }), /createdAt: expected an integer number of seconds, got "12abc"/],
      [withMessage({ actions: proposal.actions }), /typedData\.message\.createdAt is missing/],
      [{ ...good, typedData: { ...t, domain: { ...domain, salt: '0x1234' } } }, /typedData\.domain\.salt: expected 0x and 32 bytes of hex, got "0x1234"/],
      [{ ...good, typedData: { ...t, domain: { ...domain, chainId: 'one' } } }, /typedData\.domain\.chainId: expected a chain id, got "one"/],
      [{ ...good, typedData: { ...t, domain: { name: domain.name, version: domain.version, chainId: domain.chainId } } }, /typedData\.domain\.salt is missing/],
    ];
    for (const [envelope, message] of cases) assert.throws(() => auth.authenticate(envelope), refusedWith('malformed', message), String(message));
    const ballotEnvelope = await signGovernanceMessage(member, 'ballot', ballot, domain);
    const badBallot = (message: unknown) => ({ ...ballotEnvelope, typedData: { ...ballotEnvelope.typedData, message } });
    assert.throws(() => auth.authenticate(badBallot({ ...ballot, approve: 'true' })), refusedWith('malformed', /approve: expected true or false, got "true"/));
    assert.throws(() => auth.authenticate(badBallot({ ...ballot, proposalId: 'zz' })), refusedWith('malformed', /proposalId: expected 0x and 32 bytes of hex/));
  });

  it('a signature that is not one is refused as bad-signature', async () => {
    const good = await signGovernanceMessage(member, 'ballot', ballot, domain);
    const r = good.signature.slice(2, 66);
    const s = good.signature.slice(66, 130);
    const highS = (0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - BigInt(`0x${s}`)).toString(16).padStart(64, '0');
    const cases: [unknown, RegExp][] = [
      ['0x1234', /expected 0x and 65 bytes of hex/],
      [12, /expected 0x and 65 bytes of hex \(r, s, v\), got 12/],
      [`0x${'zz'.repeat(65)}`, /expected 0x and 65 bytes of hex/],
      [`0x${r}${s}05`, /v is 5/],
      [`0x${r}${highS}${good.signature.slice(130) === '1b' ? '1c' : '1b'}`, /upper half of the curve order/],
      [`0x${'00'.repeat(64)}1b`, /recovers no public key/],
    ];
    for (const [signature, message] of cases) assert.throws(() => auth.authenticate({ ...good, signature }), refusedWith('bad-signature', message), String(message));
  });

  it('the digest is the message’s, not the signature’s: another signature of the same message has the same digest', async () => {
    const envelope = await signGovernanceMessage(member, 'ballot', ballot, domain);
    const first = auth.authenticate(envelope);
    const hash = Buffer.from(TypedDataEncoder.hash(domain, governanceTypes('ballot'), ballot).slice(2), 'hex');
    // A second valid signature by the same key, with other nonce data.
    const { signature, recid } = secp256k1.ecdsaSign(hash, Buffer.from(member.privateKey.slice(2), 'hex'), { data: Buffer.alloc(32, 7) });
    const resigned = `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}`;
    assert.notEqual(resigned, envelope.signature);
    const second = auth.authenticate({ ...envelope, signature: resigned });
    assert.equal(second.signer, first.signer);
    assert.equal(second.digest, first.digest);
  });

  it('two members who sign the same message send two messages: their ids differ', async () => {
    const other = Wallet.createRandom();
    const mine = auth.authenticate(await signGovernanceMessage(member, 'ballot', ballot, domain));
    const theirs = auth.authenticate(await signGovernanceMessage(other, 'ballot', ballot, domain));
    assert.deepEqual(theirs.body, mine.body);
    assert.notEqual(theirs.digest, mine.digest);
  });
});

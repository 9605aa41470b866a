// `ccevm audit` lists the governance history of exported chunks: a node records signed
// messages, proposal states and constitutions; its export, audited offline, shows each
// message with its signature re-verified (a corrupted one INVALID, one signed for another
// service said so), each proposal's state changes and each constitution version.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Wallet } from 'ethers';
import { formatGovernanceHistory, governanceHistory, type GovernanceEvent } from '../../cli/governance-history.js';
import { createServiceCertificate } from '../../core/crypto/certificates.js';
import { generateKeyPair } from '../../core/crypto/keys.js';
import { CONSTITUTION, HISTORY, PROPOSALS, type ProposalRecord } from '../../core/governance/tables.js';
import { rawMap } from '../../core/kv/map-def.js';
import type { Transaction } from '../../core/kv/transaction.js';
import { auditChunks } from '../../core/ledger/audit.js';
import { CHUNK_NAME } from '../../core/ledger/chunks.js';
import { exportDataDir } from '../../core/node/export.js';
import { Node } from '../../core/node/node.js';
import { utf8 } from '../../core/util/bytes.js';
import { Eip712Authenticator, governanceDomain, signGovernanceMessage, type GovernanceEnvelope } from '../../rpc/governance/typed-data.js';
import { runCli } from '../support/cli.js';
import { tempDirs } from '../support/tmpdir.js';

const CREATED_AT = 1_767_225_600;

const ccevm = (...args: string[]) => runCli(args);

describe('governance / the audited governance history', function () {
  this.timeout(90_000);
  const dirs = tempDirs();
  after(() => dirs.cleanup());
  const alice = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  let out: string;
  let serviceCert: string;
  const ids: Record<string, string> = {};

  before(async () => {
    const dataDir = await dirs.make('gov-history');
    const node = await Node.create({
      dataDir,
      governance: { members: [alice, bob].map((w) => ({ id: w.address, encryptionKey: '00'.repeat(32) })), users: [], constitution: 'constitution v1' },
    });
    try {
      serviceCert = node.serviceCertificate;
      const domain = governanceDomain(1337n, serviceCert);
      const auth = new Eip712Authenticator(domain);
      /** Record a message as the governance engine does: under its digest, with its signer. */
      const record = (tx: Transaction, envelope: GovernanceEnvelope, as = auth.authenticate(envelope)) => {
        tx.map(HISTORY).set(as.digest, { kind: as.kind, signer: as.signer, signed: envelope });
        return as.digest;
      };
      const propose = (tx: Transaction, envelope: GovernanceEnvelope, proposal: Omit<ProposalRecord, 'createdAt'>) => {
        const id = record(tx, envelope);
        tx.map(PROPOSALS).set(id, { ...proposal, createdAt: CREATED_AT });
        return id;
      };
      const actions = [{ name: 'set_constitution', args: JSON.stringify({ constitution: 'constitution v2' }) }];
      const first = await signGovernanceMessage(alice, 'proposal', { actions, createdAt: CREATED_AT }, domain);
      const parsed = [{ name: 'set_constitution', args: { constitution: 'constitution v2' } }];
      const proposer = alice.address.toLowerCase();
      ids.first = (await node.transact((tx) => propose(tx, first, { proposer, actions: parsed, state: 'Open', ballots: {} }))).result;
      const bobYes = await signGovernanceMessage(bob, 'ballot', { proposalId: ids.first, approve: true, createdAt: CREATED_AT + 1 }, domain);
      await node.transact((tx) => {
        ids.bobYes = record(tx, bobYes);
        tx.map(PROPOSALS).set(ids.first!, { proposer, actions: parsed, createdAt: CREATED_AT, state: 'Open', ballots: { [bob.address.toLowerCase()]: true } });
      });
      node.emitSignature();
      const aliceYes = await signGovernanceMessage(alice, 'ballot', { proposalId: ids.first, approve: true, createdAt: CREATED_AT + 2 }, domain);
      await node.transact((tx) => {
        record(tx, aliceYes);
        tx.map(PROPOSALS).set(ids.first!, { proposer, actions: parsed, createdAt: CREATED_AT, state: 'Accepted', ballots: { [bob.address.toLowerCase()]: true, [proposer]: true } });
        tx.map(CONSTITUTION).set(0, 'constitution v2');
      });
      // A second proposal that fails, and a ballot on it whose signature was corrupted.
      const second = await signGovernanceMessage(bob, 'proposal', { actions: [{ name: 'open_service', args: '{}' }], createdAt: CREATED_AT + 3 }, domain);
      ids.second = (await node.transact((tx) => propose(tx, second, { proposer: bob.address.toLowerCase(), actions: [{ name: 'open_service', args: {} }], state: 'Open', ballots: {} }))).result;
      const corrupted = await signGovernanceMessage(alice, 'ballot', { proposalId: ids.second, approve: false, createdAt: CREATED_AT + 4 }, domain);
      const asSigned = auth.authenticate(corrupted);
      corrupted.signature = `${corrupted.signature.slice(0, 10)}${corrupted.signature[10] === '0' ? '1' : '0'}${corrupted.signature.slice(11)}`;
      await node.transact((tx) => {
        ids.corrupted = record(tx, corrupted, asSigned);
        tx.map(PROPOSALS).set(ids.second!, { proposer: bob.address.toLowerCase(), actions: [{ name: 'open_service', args: {} }], createdAt: CREATED_AT + 3, state: 'Failed', ballots: {}, reason: 'the service is not ready' });
      });
      // A ballot signed for another service, recorded as if it were this one's.
      const elsewhere = governanceDomain(1337n, await createServiceCertificate(generateKeyPair()));
      const foreign = await signGovernanceMessage(bob, 'ballot', { proposalId: ids.second, approve: true, createdAt: CREATED_AT + 5 }, elsewhere);
      const foreignId = new Eip712Authenticator(elsewhere).authenticate(foreign).digest;
      await node.transact((tx) => tx.map(HISTORY).set(foreignId, { kind: 'ballot', signer: bob.address.toLowerCase(), signed: foreign }));
      ids.foreign = foreignId;
      // Records that misstate a valid message: another signer, another kind, another id; and a deletion.
      const ack = await signGovernanceMessage(bob, 'ack', { stateDigest: `0x${'cd'.repeat(32)}`, createdAt: CREATED_AT + 6 }, domain);
      const withdrawal = await signGovernanceMessage(bob, 'withdrawal', { proposalId: ids.second, createdAt: CREATED_AT + 7 }, domain);
      const ballot = await signGovernanceMessage(bob, 'ballot', { proposalId: ids.second, approve: true, createdAt: CREATED_AT + 8 }, domain);
      ids.misfiled = `0x${'ee'.repeat(32)}`;
      await node.transact((tx) => {
        ids.impersonated = record(tx, ack, { ...auth.authenticate(ack), signer: alice.address.toLowerCase() });
        ids.mislabelled = record(tx, withdrawal, { ...auth.authenticate(withdrawal), kind: 'ballot' });
        record(tx, ballot, { ...auth.authenticate(ballot), digest: ids.misfiled! });
        tx.map(HISTORY).delete(ids.bobYes!);
      });
      // What a hostile node could sign into the tables: values that are not records at all.
      const { txid } = await node.transact((tx) => {
        tx.map(rawMap(HISTORY.name)).set(utf8('junk'), utf8('not json'));
        tx.map(rawMap(HISTORY.name)).set(utf8('junk-null'), utf8('null'));
        tx.map(HISTORY).set('junk-chain', { kind: 'ballot', signer: '0x01', signed: { typedData: { domain: { chainId: 'abc' } } } });
        tx.map(rawMap(PROPOSALS.name)).set(utf8('junk'), utf8('{'));
        tx.map(rawMap(CONSTITUTION.name)).set(CONSTITUTION.key.encode(0), utf8('42'));
      });
      node.emitSignature();
      await node.waitCommitted(txid!);
    } finally {
      await node.stop();
    }
    out = await dirs.make('gov-history-out');
    await exportDataDir({ dataDir, out });
  });

  /** The exported chunk files, as `ccevm audit` reads them. */
  const readdir = (dir: string) =>
    readdirSync(dir)
      .filter((name) => CHUNK_NAME.test(name))
      .map((name) => ({ name: basename(name), bytes: new Uint8Array(readFileSync(join(dir, name))) }));

  it('lists every message with its signature re-verified, proposal state changes and constitution versions, in seqno order', () => {
    const files = readdir(out);
    const audited = auditChunks(files, serviceCert);
    const events = governanceHistory(files, serviceCert);
    assert.deepEqual(
      events.map((e) => e.seqno),
      [...events.map((e) => e.seqno)].sort((a, b) => a - b),
      'seqno order',
    );
    assert.ok(events.every((e) => e.seqno <= audited.lastSeqno));
    const messages = events.filter((e): e is Extract<GovernanceEvent, { type: 'message' }> => e.type === 'message');
    assert.deepEqual(
      messages.map((m) => [m.kind, m.signer, m.signature]),
      [
        ['proposal', alice.address.toLowerCase(), 'OK'],
        ['ballot', bob.address.toLowerCase(), 'OK'],
        ['ballot', alice.address.toLowerCase(), 'OK'],
        ['proposal', bob.address.toLowerCase(), 'OK'],
        ['ballot', alice.address.toLowerCase(), 'INVALID'],
        ['ballot', bob.address.toLowerCase(), 'another network'],
        ...[
          ['ack', alice.address.toLowerCase(), 'INVALID', ids.impersonated],
          ['ballot', bob.address.toLowerCase(), 'INVALID', ids.mislabelled],
          ['ballot', bob.address.toLowerCase(), 'INVALID', ids.misfiled],
        ].sort((a, b) => a[3]!.localeCompare(b[3]!)).map((m) => m.slice(0, 3)),
        ['?', '?', 'INVALID'],
        ['ballot', '0x01', 'INVALID'],
        ['?', '?', 'INVALID'],
      ],
    );
    const problem = (id: string) => messages.find((m) => m.id === id)!.problem;
    assert.equal(problem(ids.impersonated!), `signed by ${bob.address.toLowerCase()}, recorded as ${alice.address.toLowerCase()}`);
    assert.equal(problem(ids.mislabelled!), 'a withdrawal, recorded as a ballot');
    assert.match(problem(ids.misfiled!)!, new RegExp(`^its digest is 0x[0-9a-f]{64}, recorded under ${ids.misfiled}$`));
    assert.deepEqual(events.filter((e) => e.type === 'removed').map((e) => [e.table, e.key]), [[HISTORY.name, ids.bobYes]]);
    assert.equal(problem('junk'), 'the record is not a governance message');
    assert.equal(problem('junk-null'), 'the record is not a governance message');
    assert.match(problem('junk-chain')!, /^malformed governance message: envelope\.signature is missing$/);
    assert.deepEqual(events.slice(-2).map((e) => [e.type, e.type === 'proposal' ? e.state : e.type === 'constitution' ? e.sha256 : '']), [['proposal', 'unreadable'], ['constitution', null]]);
    assert.deepEqual(messages[0]!.actions, [{ name: 'set_constitution', args: { constitution: 'constitution v2' } }]);
    assert.equal(messages[0]!.createdAt, CREATED_AT);
    assert.equal(messages[0]!.id, ids.first);
    assert.deepEqual([messages[1]!.proposalId, messages[1]!.approve], [ids.first, true]);
    assert.match(messages[5]!.problem!, /another service/);
    const states = events.filter((e) => e.type === 'proposal').map((e) => [e.proposalId, e.previous, e.state, e.reason]);
    assert.deepEqual(states, [
      [ids.first, undefined, 'Open', undefined],
      [ids.first, 'Open', 'Accepted', undefined],
      [ids.second, undefined, 'Open', undefined],
      [ids.second, 'Open', 'Failed', 'the service is not ready'],
      ['junk', undefined, 'unreadable', undefined],
    ]);
    const constitutions = events.filter((e) => e.type === 'constitution').map((e) => e.sha256);
    assert.deepEqual(constitutions, [sha('constitution v1'), sha('constitution v2'), null]);
    const accepted = events.findIndex((e) => e.type === 'proposal' && e.state === 'Accepted');
    assert.equal(events[accepted - 1]!.type, 'message', 'the ballot that accepted it comes before the state change');
    assert.equal(events[accepted + 1]!.type, 'constitution', 'and the constitution it set after');
    assert.ok(formatGovernanceHistory(events).some((l) => /^ {2}seqno \d+: proposal 0x[0-9a-f]{64} Open -> Failed \(the service is not ready\)$/.test(l)));
  });

  it('a time no date can hold is printed as the number signed', () => {
    const [, line] = formatGovernanceHistory([{ seqno: 1, type: 'message', id: '0x01', kind: 'ack', signer: '0x02', signature: 'OK', createdAt: Number.MAX_SAFE_INTEGER, stateDigest: '0x03' }]);
    assert.equal(line, `  seqno 1: ack 0x01 by 0x02 at ${Number.MAX_SAFE_INTEGER}: acknowledge state 0x03; signature OK`);
    assert.deepEqual(formatGovernanceHistory([]), ['governance history: none in these entries']);
  });

  it('ccevm audit prints the history after the verification summary, and --json for scripts', async () => {
    const certFile = join(out, 'service_cert.pem');
    writeFileSync(certFile, serviceCert);
    const text = await ccevm('audit', out, '--service-cert', certFile);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ledger verified: \d+ entries, \d+ signatures, last txid \d+\.\d+$/);
    assert.equal(lines[1], 'governance history:');
    const line = (pattern: RegExp) => assert.ok(lines.some((l) => pattern.test(l)), `${pattern} in\n${text.stdout}`);
    const at = (s: number) => new Date(s * 1000).toISOString().replace(/[.]/g, '\\.');
    line(new RegExp(`^  seqno \\d+: proposal ${ids.first} by ${alice.address.toLowerCase()} at ${at(CREATED_AT)}: set_constitution \\{"constitution":"constitution v2"\\}; signature OK$`));
    line(new RegExp(`^  seqno \\d+: ballot ${ids.bobYes} by ${bob.address.toLowerCase()} at ${at(CREATED_AT + 1)}: approve proposal ${ids.first}; signature OK$`));
    line(new RegExp(`^  seqno \\d+: ballot ${ids.corrupted} by ${alice.address.toLowerCase()}: signature INVALID \\(`));
    line(new RegExp(`^  seqno \\d+: ballot ${ids.foreign} by ${bob.address.toLowerCase()}: signed for another network \\(another service \\(salt`));
    line(new RegExp(`^  seqno \\d+: removed from public:ccf\\.gov\\.history: ${ids.bobYes}$`));
    line(new RegExp(`^  seqno \\d+: proposal ${ids.first} Open -> Accepted$`));
    line(new RegExp(`^  seqno \\d+: constitution version sha256 ${sha('constitution v2')} \\(15 characters\\)$`));
    const json = await ccevm('audit', out, '--service-cert', certFile, '--json');
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { ledger: { lastSeqno: number }; governance: GovernanceEvent[] };
    assert.deepEqual(parsed.governance, governanceHistory(readdir(out), serviceCert));
    assert.ok(parsed.ledger.lastSeqno > 0);
  });
});

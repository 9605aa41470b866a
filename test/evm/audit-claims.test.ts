// The audit's Ethereum claims check over a real EVM ledger: exported, audited with the
// ledger secrets, every Ethereum transaction's claims re-derived from its private domain.
// A write set the node recorded differently from what its leaf commits to (a changed
// receipt field, log, salt or signed transaction) is named.
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { auditChunks, type EntryCheck } from '../../core/ledger/audit.js';
import { CHUNK_NAME } from '../../core/ledger/chunks.js';
import type { LedgerSecrets } from '../../core/ledger/secrets.js';
import type { Writes } from '../../core/kv/write-set.js';
import { bytesToKey } from '../../core/util/bytes.js';
import { sessionCaller } from '../../evm-adapter/access/caller.js';
import { EthereumClaimsCheck } from '../../evm-adapter/receipts/audit-claims.js';
import { RECEIPTS, TRANSACTIONS, type ReceiptRecord, type TxRecord } from '../../evm-adapter/tables.js';
import { TEST_AUDITOR } from '../support/auditor-reads.js';
import { contractInterface, deployData, ensureContractsCompiled } from '../support/contracts.js';
import { unsealLedgerSecrets } from '../support/ledger-secrets.js';
import { signed, startEvmNode, type EvmNode } from './helpers.js';

const token = contractInterface('Token');

describe('evm / the audit re-derives every Ethereum transaction\'s claims (ledger secrets given)', function () {
  this.timeout(60_000);
  let n: EvmNode;
  let chunks: { name: string; bytes: Uint8Array }[];
  let secrets: LedgerSecrets;
  let exportDir: string;
  const EVM_TXS = 4;

  before(async () => {
    ensureContractsCompiled();
    n = await startEvmNode();
    const [alice, bob] = n.wallets as [Wallet, Wallet];
    const send = async (w: Wallet, nonce: number, request: object) => n.send((await signed(w, { nonce, gasLimit: 3_000_000n, ...request })).raw);
    const hash = await send(alice, 0, { data: deployData('PrivateToken', ['P', 'P', 10n ** 24n, TEST_AUDITOR]) });
    const tokenAddress = (await n.evm.receipt(hash, sessionCaller(alice.address)))!.entry.receipt.contractAddress!;
    const to = `0x${Buffer.from(tokenAddress).toString('hex')}`;
    await send(alice, 1, { to, data: token.encodeFunctionData('transfer', [bob.address, 5n]) }); // one log
    await send(bob, 0, { to, data: token.encodeFunctionData('transfer', [alice.address, 10n ** 30n]) }); // reverts: no logs, status 0
    await send(bob, 1, { to: alice.address, value: 1n });
    exportDir = await mkdtemp(join(tmpdir(), 'ccevm-audit-claims-'));
    await n.node.exportLedger(exportDir, 1_000);
    chunks = await Promise.all((await readdir(exportDir)).filter((f) => CHUNK_NAME.test(f)).map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(exportDir, name))) })));
    secrets = await unsealLedgerSecrets(n.dataDir);
  });

  after(async () => {
    await n?.stop();
    if (exportDir) await rm(exportDir, { recursive: true, force: true });
  });

  const audit = (checkEntry: EntryCheck) => auditChunks(chunks, n.node.serviceCertificate, secrets, undefined, { checkEntry });

  it('checks every Ethereum transaction of an honest ledger', () => {
    const check = new EthereumClaimsCheck();
    audit(check.check);
    assert.equal(check.transactions, EVM_TXS);
  });

  /** The audit with one Ethereum transaction's write set changed (the first one `change` applies to) before the check sees it. */
  function auditAltered(change: (tx: TxRecord, receipt: ReceiptRecord) => boolean) {
    const check = new EthereumClaimsCheck();
    let altered = false;
    const alteredWrites = (writes: Writes): Writes => {
      const receipts = writes.get(RECEIPTS.name);
      if (altered || !receipts) return writes;
      const [key, value] = [...receipts][0]!;
      const txKey = bytesToKey(TRANSACTIONS.key.encode(Buffer.from(key, 'latin1')));
      const tx = TRANSACTIONS.value.decode(writes.get(TRANSACTIONS.name)!.get(txKey)!);
      const receipt = RECEIPTS.value.decode(value!);
      if (!change(tx, receipt)) return writes;
      altered = true;
      const copy: Writes = new Map([...writes].map(([m, w]) => [m, new Map(w)]));
      copy.get(RECEIPTS.name)!.set(key, RECEIPTS.value.encode(receipt));
      copy.get(TRANSACTIONS.name)!.set(txKey, TRANSACTIONS.value.encode(tx));
      return copy;
    };
    return () => audit((txid, writes, digest) => check.check(txid, alteredWrites(writes), digest));
  }

  const cases: [string, (tx: TxRecord, r: ReceiptRecord) => boolean, RegExp][] = [
    ['status', (_, r) => ((r.status = r.status === 1 ? 0 : 1), true), /claims digest is not that of Ethereum transaction 0x[0-9a-f]{64}/],
    ['gas used', (_, r) => ((r.gasUsed += 1n), true), /claims digest is not that/],
    ['created contract', (_, r) => r.contractAddress !== null && ((r.contractAddress = new Uint8Array(20).fill(7)), true), /claims digest is not that/],
    ['a log\'s data', (_, r) => r.logs.length > 0 && ((r.logs[0]![2] = Uint8Array.of(1)), true), /claims digest is not that/],
    ['a log\'s salt', (_, r) => r.logSalt !== undefined && ((r.logSalt = new Uint8Array(32)), true), /claims digest is not that/],
    ['a log dropped', (_, r) => r.logs.length > 0 && (r.logs.pop(), true), /claims digest is not that/],
    ['sender', (tx) => ((tx.from = new Uint8Array(20).fill(9)), true), /recorded as sent by 0x0909090909090909090909090909090909090909 but signed by 0x[0-9a-f]{40}/],
    ['signed transaction bytes', (tx) => ((tx.raw = new Uint8Array(tx.raw)), (tx.raw[tx.raw.length - 2]! ^= 1), true), /stored under a hash that is not its own/],
  ];
  for (const [what, change, reason] of cases) {
    it(`names the transaction whose recorded ${what} is not what its leaf commits to`, () => {
      assert.throws(auditAltered(change), (e: Error) => reason.test(e.message) && /ledger entry at seqno \d+ in ledger_\d+-\d+\.committed at byte \d+/.test(e.message));
    });
  }

  it('names an entry whose claims digest is not its transaction\'s', () => {
    const check = new EthereumClaimsCheck();
    assert.throws(() => audit((txid, writes, digest) => check.check(txid, writes, writes.has(RECEIPTS.name) ? new Uint8Array(32) : digest)), /claims digest is not that of Ethereum transaction/);
  });
});

// core/kv/write-set.ts: the deterministic public/private serialisation of a transaction's
// writes, and the strict parser that ledger verification relies on.
import fc from 'fast-check';
import { Store, type CommittedTx } from '../../core/kv/store.js';
import { deserialiseDomain, isPublicMap, serialiseWrites, type Writes } from '../../core/kv/write-set.js';
import { DecodeError } from '../../core/util/binary.js';
import { concatBytes, utf8 } from '../../core/util/bytes.js';
import { assert, b, latin1, strMap } from './helpers.js';

type Write = [map: string, key: string, value: Uint8Array | undefined];

function writesOf(list: Write[]): Writes {
  const out: Writes = new Map();
  for (const [map, key, value] of list) {
    let entries = out.get(map);
    if (!entries) out.set(map, (entries = new Map()));
    entries.set(key, value);
  }
  return out;
}

/** Both domains parsed back into one Writes. */
function parse(pub: Uint8Array, priv: Uint8Array): Writes {
  return deserialiseDomain(priv, 'private', deserialiseDomain(pub, 'public'));
}

/** Writes as sorted plain data, for order-insensitive comparison. */
function canonical(w: Writes): [string, [string, number[] | null][]][] {
  return [...w]
    .filter(([, e]) => e.size > 0)
    .map(([name, e]) => [name, [...e].map(([k, v]) => [k, v ? [...v] : null] as [string, number[] | null]).sort()] as [string, [string, number[] | null][]])
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

const mapName = fc.constantFrom('a', 'b', 'zeta', 'public:a', 'public:b', 'public:', 'publicity', 'Public:x', 'é');
const keyStr = fc.uint8Array({ maxLength: 4 }).map((k) => latin1(...k));
const value = fc.option(fc.uint8Array({ maxLength: 6 }), { nil: undefined });
/** Writes with unique (map, key) pairs, as a list so that insertion order can vary. */
const writeList = fc.uniqueArray(fc.tuple(mapName, keyStr, value), {
  maxLength: 20,
  selector: ([m, k]) => `${m}\u0000${k}`,
});

function expectDecodeError(bytes: Uint8Array, domain: 'public' | 'private', message?: RegExp): void {
  assert.throws(() => deserialiseDomain(bytes, domain), (e: unknown) => e instanceof DecodeError && (!message || message.test(e.message)));
}

/** One domain built by hand: [name, [key bytes, op, value?][]][] */
function domain(maps: [string, [Uint8Array, number, Uint8Array?][]][]): Uint8Array {
  const parts: number[] = [maps.length];
  for (const [name, writes] of maps) {
    const n = utf8(name);
    parts.push(n.length, ...n, writes.length);
    for (const [k, op, v] of writes) {
      parts.push(k.length, ...k, op);
      if (v) parts.push(v.length, ...v);
    }
  }
  return new Uint8Array(parts);
}

describe('kv write sets', () => {
  it('puts public: maps in the public domain and everything else in the private one', () => {
    const { publicDomain, privateDomain } = serialiseWrites(
      writesOf([
        ['public:gov', 'k', b(1)],
        ['secret', 'k', b(2)],
        ['publicity', 'k', b(3)], // not "public:"
      ]),
    );
    const pub = deserialiseDomain(publicDomain, 'public');
    const priv = deserialiseDomain(privateDomain, 'private');
    assert.deepStrictEqual([...pub.keys()], ['public:gov']);
    assert.deepStrictEqual([...priv.keys()], ['publicity', 'secret']);
    assert.ok(isPublicMap('public:x') && isPublicMap('public:') && !isPublicMap('Public:x') && !isPublicMap('x'));
  });

  it('serialises an empty domain, and maps without writes, to zero bytes', () => {
    const onlyPrivate = serialiseWrites(writesOf([['m', 'k', b(1)]]));
    assert.equal(onlyPrivate.publicDomain.length, 0);
    assert.ok(onlyPrivate.privateDomain.length > 0);
    const empty = serialiseWrites(new Map([['public:x', new Map()], ['y', new Map()]]));
    assert.equal(empty.publicDomain.length, 0);
    assert.equal(empty.privateDomain.length, 0);
    assert.equal(deserialiseDomain(new Uint8Array(0), 'public').size, 0);
  });

  it('follows the documented layout byte for byte', () => {
    const { publicDomain, privateDomain } = serialiseWrites(
      writesOf([
        ['public:p', latin1(2), undefined],
        ['public:p', latin1(1), b(0xaa, 0xbb)],
        ['m', latin1(), b()],
      ]),
    );
    // varint(1) bytes("public:p") varint(2) [bytes(01) put bytes(aabb)] [bytes(02) remove]
    assert.deepStrictEqual(publicDomain, new Uint8Array(concatBytes(b(1, 8), utf8('public:p'), b(2, 1, 1, 1, 2, 0xaa, 0xbb, 1, 2, 0))));
    // varint(1) bytes("m") varint(1) [bytes() put bytes()]
    assert.deepStrictEqual(privateDomain, b(1, 1, 0x6d, 1, 0, 1, 0));
  });

  it('is deterministic regardless of insertion order (property)', () => {
    fc.assert(
      fc.property(writeList, (list) => {
        const forward = serialiseWrites(writesOf(list));
        const backward = serialiseWrites(writesOf([...list].reverse()));
        assert.deepStrictEqual(forward, backward);
      }),
      { numRuns: 300 },
    );
  });

  it('gives byte-identical write sets for transactions writing the same things in different orders', () => {
    const serialised: ReturnType<typeof serialiseWrites>[] = [];
    const store = new Store();
    store.onCommit((c: CommittedTx) => serialised.push(serialiseWrites(c.writes)));
    const pub = strMap('public:p');
    const priv = strMap('q');
    const t1 = store.begin();
    t1.map(pub).set('x', '1');
    t1.map(priv).set('b', '2');
    t1.map(priv).set('a', '3');
    t1.map(pub).delete('w');
    t1.commit();
    const t2 = store.begin();
    t2.map(pub).delete('w');
    t2.map(priv).set('a', '3');
    t2.map(pub).set('x', 'overwritten below');
    t2.map(pub).set('x', '1');
    t2.map(priv).set('b', '2');
    t2.commit();
    assert.equal(serialised.length, 2);
    assert.deepStrictEqual(serialised[0], serialised[1]);
  });

  it('round-trips through deserialiseDomain (property)', () => {
    fc.assert(
      fc.property(writeList, (list) => {
        const w = writesOf(list);
        const { publicDomain, privateDomain } = serialiseWrites(w);
        assert.deepStrictEqual(canonical(parse(publicDomain, privateDomain)), canonical(w));
        // and re-serialising what was parsed gives the same bytes
        assert.deepStrictEqual(serialiseWrites(parse(publicDomain, privateDomain)), { publicDomain, privateDomain });
      }),
      { numRuns: 300 },
    );
  });

  describe('deserialiseDomain rejects', () => {
    it('unsorted or duplicate keys', () => {
      expectDecodeError(domain([['m', [[b(2), 0], [b(1), 0]]]]), 'private', /keys out of order/);
      expectDecodeError(domain([['m', [[b(1), 0], [b(1), 1, b(5)]]]]), 'private', /keys out of order/);
      expectDecodeError(domain([['m', [[b(1, 0), 0], [b(1), 0]]]]), 'private', /keys out of order/);
      // the well-formed version is accepted
      assert.equal(deserialiseDomain(domain([['m', [[b(1), 0], [b(1, 0), 1, b(7)]]]]), 'private').get('m')!.size, 2);
    });

    it('unsorted or duplicate map names', () => {
      expectDecodeError(domain([['b', [[b(1), 0]]], ['a', [[b(1), 0]]]]), 'private', /out of order/);
      expectDecodeError(domain([['a', [[b(1), 0]]], ['a', [[b(2), 0]]]]), 'private', /out of order/);
      expectDecodeError(domain([['public:b', [[b(1), 0]]], ['public:a', [[b(1), 0]]]]), 'public', /out of order/);
    });

    it('maps that belong to the other domain', () => {
      expectDecodeError(domain([['public:a', [[b(1), 0]]]]), 'private', /other domain/);
      expectDecodeError(domain([['a', [[b(1), 0]]]]), 'public', /other domain/);
      expectDecodeError(domain([['public:a', [[b(1), 0]]], ['z', [[b(1), 0]]]]), 'public', /other domain/);
    });

    it('unknown write ops', () => {
      for (const op of [2, 3, 0x7f, 0xff]) expectDecodeError(domain([['m', [[b(1), op]]]]), 'private', /unknown write op/);
    });

    it('truncated input and trailing bytes', () => {
      fc.assert(
        fc.property(writeList, (list) => {
          const { publicDomain, privateDomain } = serialiseWrites(writesOf(list));
          for (const [bytes, d] of [[publicDomain, 'public'], [privateDomain, 'private']] as const) {
            if (bytes.length === 0) continue;
            for (let n = 1; n < bytes.length; n++) expectDecodeError(bytes.subarray(0, n), d);
            expectDecodeError(concatBytes(bytes, b(0)), d);
          }
        }),
        { numRuns: 200 },
      );
      expectDecodeError(b(5), 'private'); // five maps promised, none present
      expectDecodeError(b(1, 0xff, 0xff, 0xff, 0x7f), 'private'); // absurd name length
    });

    it('random and mutated input with nothing but DecodeError', () => {
      const decodesOrDecodeError = (bytes: Uint8Array, d: 'public' | 'private') => {
        try {
          deserialiseDomain(bytes, d);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      };
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 48 }), fc.constantFrom('public' as const, 'private' as const), decodesOrDecodeError),
        { numRuns: 1000 },
      );
      fc.assert(
        fc.property(writeList, fc.nat(), fc.integer({ min: 1, max: 255 }), (list, at, xor) => {
          const { publicDomain, privateDomain } = serialiseWrites(writesOf(list));
          for (const [bytes, d] of [[publicDomain, 'public'], [privateDomain, 'private']] as const) {
            if (bytes.length === 0) continue;
            const mutated = bytes.slice();
            mutated[at % mutated.length]! ^= xor;
            decodesOrDecodeError(mutated, d);
          }
        }),
        { numRuns: 500 },
      );
    });
  });

  // BUG (core/kv/write-set.ts:57-94, with core/util/binary.ts:119-132): the parser promises to
  // reject "anything a correct serialiser would not produce", yet it accepts
  //   - a non-empty encoding of an empty domain ([0x00]; the serialiser writes zero bytes),
  //   - a map with zero writes (the serialiser drops such maps),
  //   - over-long varints (e.g. 0x81 0x00 for 1), which ByteReader.varint tolerates.
  // So several byte strings decode to one write set (malleable entries). Fix: in
  // deserialiseDomain reject mapCount === 0 and writeCount === 0, and reject a varint whose
  // last byte is 0 after the first (a strict/minimal varint read in ByteReader).
  it('accepts only the canonical encoding of a write set', () => {
    const accepted: string[] = [];
    const candidates: [string, Uint8Array][] = [
      ['empty domain written as [00]', b(0)],
      ['map with zero writes', b(1, 1, 0x6d, 0)],
      ['over-long varint map count', b(0x81, 0x00, 1, 0x6d, 1, 1, 1, 0)],
      ['over-long varint value length', b(1, 1, 0x6d, 1, 1, 1, 1, 0x81, 0x00, 9)],
    ];
    for (const [what, bytes] of candidates) {
      let parsed: Writes;
      try {
        parsed = deserialiseDomain(bytes, 'private');
      } catch (e) {
        assert.ok(e instanceof DecodeError);
        continue;
      }
      const again = serialiseWrites(parsed).privateDomain;
      if (Buffer.compare(again, bytes) !== 0) accepted.push(what);
    }
    assert.deepStrictEqual(accepted, [], 'non-canonical encodings that were accepted');
  });

  // BUG (core/kv/write-set.ts:86): same Buffer#slice aliasing as in the binary codec — values
  // parsed from a Buffer (ledger entries are built with Buffer.concat) are views into it.
  it('returns values that do not alias a Buffer input', () => {
    const { privateDomain } = serialiseWrites(writesOf([['m', 'k', b(1, 2, 3)]]));
    const input = Buffer.from(privateDomain);
    const value = deserialiseDomain(input, 'private').get('m')!.get('k')!;
    input.fill(0);
    assert.deepStrictEqual(value, b(1, 2, 3));
  });
});

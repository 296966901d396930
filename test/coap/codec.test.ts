import test from 'ava';
import { parse, type ParsedPacket } from 'coap-packet';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ACK, CON, MalformedMessage, NON, RST, codeNumber, codeString, decode, emptyMessage, encode, encodeGeneral, type OutgoingMessage } from '../../src/coap/codec.js';
import { decodeBlock, encodeBlock, szxFor } from '../../src/coap/block.js';
import { loadCapture } from '../helpers/captures.js';
import { fixturesDir } from '../helpers/paths.js';

test('every captured datagram decodes, and re-encoding keeps code, MID, token, options and payload', (t) => {
  const files = readdirSync(path.join(fixturesDir, 'captures')).filter((f) => f.endsWith('.jsonl'));
  let n = 0;
  for (const f of files) {
    for (const d of loadCapture(f)) {
      const bytes = Buffer.from(d.hex, 'hex');
      const m = decode(bytes);
      t.is(codeString(m.code), d.coap.code, `${f} code`);
      t.is(m.mid, d.coap.mid);
      t.is(m.token.toString('hex'), d.coap.token);
      t.is(m.payload.toString('hex'), d.coap.payloadHex ?? '');
      const again = decode(encode({ ...m, other: m.other }));
      t.deepEqual(again.path, m.path);
      t.deepEqual(again.query, m.query);
      t.is(again.block1, m.block1);
      t.is(again.block2, m.block2);
      t.is(again.observe, m.observe);
      t.is(again.contentFormat, m.contentFormat);
      n++;
    }
  }
  t.true(n > 1000);
});

/** What decode must give for a datagram, derived from coap-packet's parse (the reference). */
function referenceDecode(bytes: Buffer): { code: number; mid: number; token: string; payload: string; proxy: boolean; options: [number, string][] } {
  const p: ParsedPacket = parse(bytes);
  const named: Record<string, number> = { 'If-Match': 1, 'Uri-Host': 3, ETag: 4, 'If-None-Match': 5, Observe: 6, 'Uri-Port': 7, 'Location-Path': 8, OSCORE: 9, 'Uri-Path': 11, 'Content-Format': 12, 'Max-Age': 14, 'Uri-Query': 15, 'Hop-Limit': 16, Accept: 17, 'Q-Block1': 19, 'Location-Query': 20, Block2: 23, Block1: 27, Size2: 28, 'Q-Block2': 31, 'Proxy-Uri': 35, 'Proxy-Scheme': 39, Size1: 60, 'No-Response': 258, 'OCF-Accept-Content-Format-Version': 2049, 'OCF-Content-Format-Version': 2053 };
  const [cls, detail] = p.code.split('.').map(Number) as [number, number];
  return {
    code: cls * 32 + detail,
    mid: p.messageId,
    token: p.token.toString('hex'),
    payload: p.payload.toString('hex'),
    // Proxy-Uri and Proxy-Scheme only mark the request (the server is no proxy: 5.05).
    proxy: p.options.some((o) => o.name === 'Proxy-Uri' || o.name === 'Proxy-Scheme'),
    options: p.options.filter((o) => o.name !== 'Proxy-Uri' && o.name !== 'Proxy-Scheme').map((o) => [typeof o.name === 'number' ? o.name : (named[o.name] ?? Number(o.name)), o.value.toString('hex')]),
  };
}

/** The same shape from our decode. */
function ours(bytes: Buffer): ReturnType<typeof referenceDecode> {
  const m = decode(bytes);
  const uintHex = (n: number | undefined): string | undefined => (n === undefined ? undefined : n === 0 ? '' : n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'));
  const options: [number, string][] = [];
  for (const [num, v] of [[6, m.observe], [12, m.contentFormat], [17, m.accept], [23, m.block2], [27, m.block1], [28, m.size2], [60, m.size1]] as const) {
    const hex = uintHex(v);
    if (hex !== undefined) options.push([num, hex]);
  }
  for (const s of m.locationPath) options.push([8, Buffer.from(s).toString('hex')]);
  for (const s of m.path) options.push([11, Buffer.from(s).toString('hex')]);
  for (const s of m.query) options.push([15, Buffer.from(s).toString('hex')]);
  for (const o of m.other ?? []) options.push([Number(o.name), o.value.toString('hex')]);
  return { code: m.code, mid: m.mid, token: m.token.toString('hex'), payload: m.payload.toString('hex'), proxy: m.proxy === true, options };
}

/** Options sorted by number, then in their order (the order repeated options keep). */
const byNumber = (r: ReturnType<typeof referenceDecode>): ReturnType<typeof referenceDecode> => ({ ...r, options: r.options.map((o, i) => [o, i] as const).sort((a, b) => a[0][0] - b[0][0] || a[1] - b[1]).map(([o]) => o) });

test('decode reads the same message as coap-packet: captures and 20,000 random well-framed datagrams', (t) => {
  const cases: Buffer[] = [];
  for (const f of readdirSync(path.join(fixturesDir, 'captures')).filter((x) => x.endsWith('.jsonl'))) for (const d of loadCapture(f)) cases.push(Buffer.from(d.hex, 'hex'));
  // Random datagrams built option by option: every delta and length form (4-bit, 8-bit, 16-bit
  // extended), repeated options, unknown ones, integer options without leading zeros (decode
  // reads integers, so 0x0005 and 0x05 are the same value), with and without payload.
  let seed = 7;
  // mulberry32: deterministic, so a failure replays.
  const rnd = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const numbers = [1, 3, 4, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 258, 2049, 2050, 3000];
  const uintOptions = new Set([6, 7, 12, 14, 17, 23, 27, 28, 60]);
  while (cases.length < 20_000 + 1000) {
    const tkl = rnd(9);
    const head = Buffer.from([0x40 | (rnd(4) << 4) | tkl, [1, 2, 3, 4, 5, 65, 68, 69, 132, 160][rnd(10)]!, rnd(256), rnd(256)]);
    const parts: Buffer[] = [head, Buffer.from(Array.from({ length: tkl }, () => rnd(256)))];
    // Integer options at most once (decode keeps one value of each); the others may repeat.
    const drawn = Array.from({ length: rnd(8) }, () => numbers[rnd(numbers.length)]!);
    const chosen = drawn.filter((n, i) => !uintOptions.has(n) || drawn.indexOf(n) === i).sort((a, b) => a - b);
    let last = 0;
    for (const num of chosen) {
      let value: Buffer;
      if (uintOptions.has(num)) {
        const n = [0, 1, 5, 255, 256, 65535, 70000][rnd(7)]!;
        value = n === 0 ? Buffer.alloc(0) : Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex');
        if ((num === 6 || num === 23 || num === 27) && value.length > 3) value = value.subarray(0, 3);
      } else {
        const len = [0, 1, 12, 13, 14, 268, 269, 300][rnd(8)]!;
        value = Buffer.from(Array.from({ length: len }, () => 0x61 + rnd(26)));
      }
      const delta = num - last;
      last = num;
      const ext = (x: number): [number, Buffer] => (x < 13 ? [x, Buffer.alloc(0)] : x < 269 ? [13, Buffer.from([x - 13])] : [14, Buffer.from([(x - 269) >> 8, (x - 269) & 255])]);
      const [dn, dx] = ext(delta);
      const [ln, lx] = ext(value.length);
      parts.push(Buffer.from([(dn << 4) | ln]), dx, lx, value);
    }
    if (rnd(2) === 1) parts.push(Buffer.from([0xff]), Buffer.from(Array.from({ length: 1 + rnd(40) }, () => rnd(256))));
    cases.push(Buffer.concat(parts));
  }
  let compared = 0;
  for (const bytes of cases) {
    t.deepEqual(byNumber(ours(bytes)), byNumber(referenceDecode(bytes)), bytes.toString('hex'));
    compared++;
  }
  t.true(compared > 20_000);
});

test('encode of a Location-Path reply writes each fresh last segment into the cached option bytes', (t) => {
  const locations = [['rd', 'a1b2c3d4e5'], ['rd', 'f6a7b8c9d0'], ['rd', 'x'], ['rd', 'y'], ['rd', 'ü1'], ['rd', 'é2'], ['a', 'b', 'c'], ['a', 'b', 'd'], ['rd', ''], ['only'], ['rd', 'r'.repeat(300)], ['rd', 's'.repeat(300)]];
  let n = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (const locationPath of locations) {
      for (const contentFormat of [undefined, 0]) {
        for (const payload of [undefined, Buffer.from('body')]) {
          const m: OutgoingMessage = { type: ACK, code: 65, mid: 100 + n, token: Buffer.alloc(n % 9, 0xab), locationPath };
          if (contentFormat !== undefined) m.contentFormat = contentFormat;
          if (payload !== undefined) m.payload = payload;
          const bytes = encode(m);
          t.deepEqual(bytes, encodeGeneral(m), `${locationPath.join('/')} pass ${pass}`);
          t.deepEqual(decode(bytes).locationPath, locationPath);
          n++;
        }
      }
    }
  }
  t.is(n, 2 * 12 * 2 * 2);
});

const malformed: [string, string][] = [
  ['truncated header', '4001'],
  ['version 2', '8001abcd'],
  ['token length 9', '4901abcd' + '00'.repeat(9)],
  ['token length 15', '4f01abcd' + '00'.repeat(15)],
  ['token runs past the end', '4401abcd0102'],
  ['option delta nibble 15', '4001abcdf1'],
  ['option length nibble 15', '4001abcd1f'],
  ['option value runs past the end', '4001abcdb5726400'],
  ['extended option length missing', '4001abcdbd'],
  ['payload marker with no payload', '4001abcdff'],
  ['empty message with a payload', '4000abcdff00'],
  ['empty message with a token', '4100abcd01'],
  ['observe longer than 3 bytes', '4001abcd6401020304'],
];
for (const [name, hex] of malformed) {
  test(`a datagram with ${name} is a MalformedMessage`, (t) => {
    const err = t.throws(() => decode(Buffer.from(hex, 'hex')), { instanceOf: MalformedMessage });
    t.truthy(err?.message);
  });
}

test('a malformed CON still exposes its type and MID so it can be rejected with RST', (t) => {
  const err = t.throws(() => decode(Buffer.from('4001abcdff', 'hex')), { instanceOf: MalformedMessage });
  t.is(err?.type, CON);
  t.is(err?.mid, 0xabcd);
});

test('an unknown critical option is flagged; an unknown elective one is kept quietly', (t) => {
  const crit = decode(encode({ type: CON, code: 1, mid: 1, other: [{ name: 2049 + 2, value: Buffer.from('x') }] }));
  t.is(crit.badCritical, 2051);
  const elective = decode(encode({ type: CON, code: 1, mid: 1, other: [{ name: 2050, value: Buffer.from('x') }] }));
  t.is(elective.badCritical, undefined);
  t.is(elective.other?.length, 1);
});

test('codes convert both ways and reject nonsense', (t) => {
  t.is(codeNumber('2.05'), 69);
  t.is(codeString(69), '2.05');
  t.is(codeString(codeNumber('4.13')), '4.13');
  t.throws(() => codeNumber('9.99'), { instanceOf: RangeError });
  t.throws(() => codeNumber('205'), { instanceOf: RangeError });
});

test('block values follow RFC 7959 §2.2', (t) => {
  t.deepEqual(decodeBlock(0x0a), { num: 0, more: true, szx: 2 });
  t.deepEqual(decodeBlock(0x1a), { num: 1, more: true, szx: 2 });
  t.is(encodeBlock(2, false, 2), 0x22);
  t.is(szxFor(1024), 6);
  t.is(szxFor(64), 2);
  t.is(szxFor(100), 2);
  t.is(szxFor(16), 0);
});

test('an ACK encodes with its type bits and empty payload', (t) => {
  const b = encode({ type: ACK, code: 69, mid: 7, token: Buffer.from('01', 'hex'), contentFormat: 0 });
  t.is(b[0] >> 4, 0x6);
  const m = decode(b);
  t.is(m.type, ACK);
  t.is(m.contentFormat, 0);
  t.is(m.payload.length, 0);
});

test('encode with cached option bytes gives the same datagrams as coap-packet for every option set', (t) => {
  const paths = [[], ['rd'], ['3303', '0', '5700'], ['3303', '0', '5701'], ['a/b'], ['a', 'b'], ['x'.repeat(20)]];
  const messages: OutgoingMessage[] = [];
  let mid = 1;
  for (const path of paths) {
    for (const observe of [undefined, 0, 1, 7]) {
      for (const accept of [undefined, 0, 112, 11543]) {
        for (const contentFormat of [undefined, 40]) {
          for (const query of [undefined, ['ep=a'], ['ep=a', 'lt=60']]) {
            const token = Buffer.alloc(mid % 9, mid & 0xff);
            const payload = mid % 3 === 0 ? Buffer.from(`payload ${mid}`) : undefined;
            const m: OutgoingMessage = { type: mid % 2 === 0 ? CON : NON, code: 1 + (mid % 4), mid: mid++ & 0xffff, token, path };
            if (observe !== undefined) m.observe = observe;
            if (accept !== undefined) m.accept = accept;
            if (contentFormat !== undefined) m.contentFormat = contentFormat;
            if (query !== undefined) m.query = query;
            if (payload !== undefined) m.payload = payload;
            messages.push(m);
          }
        }
      }
    }
  }
  // Twice: the first pass fills the cache, the second reads from it.
  for (let pass = 0; pass < 2; pass++) for (const m of messages) t.deepEqual(encode(m), encodeGeneral(m));
  // Segments are not merged: "a/b" is one Uri-Path option, "a", "b" two.
  t.deepEqual(decode(encode({ type: CON, code: 1, mid: 1, path: ['a/b'] })).path, ['a/b']);
  t.deepEqual(decode(encode({ type: CON, code: 1, mid: 1, path: ['a', 'b'] })).path, ['a', 'b']);
  t.is(messages.length, 7 * 4 * 4 * 2 * 3);
  t.deepEqual(emptyMessage(ACK, 0x1234), Buffer.from([0x60, 0x00, 0x12, 0x34]));
  t.deepEqual(emptyMessage(RST, 7), Buffer.from([0x70, 0x00, 0x00, 0x07]));
});

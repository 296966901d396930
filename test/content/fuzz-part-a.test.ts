import test from 'ava';
import { parseDiscover } from '../../src/content/link-attributes.js';
import { decodeLinkFormat, parseLinkFormat } from '../../src/content/link-format.js';
import { decodeOpaque } from '../../src/content/opaque.js';
import { parsePath } from '../../src/content/path.js';
import { parseRegistrationLinks } from '../../src/content/registration-links.js';
import { decodeText } from '../../src/content/text.js';
import { decodeTlv } from '../../src/content/tlv.js';
import { Lwm2mError } from '../../src/errors.js';
import { capturedPayloads } from './_payloads.js';
import { testContext } from './_models.js';
import { bytes, int, pick, seeded } from './_random.js';

const ctx = testContext();
const PATHS = ['/3', '/3/0', '/3/0/0', '/3/0/6', '/3/0/6/1', '/31024', '/31024/10', '/6/0/4', '/1/0/1', '/9999/0/1'].map(parsePath);

/** Runs `fn`; anything thrown must be a typed Lwm2mError. Returns false on a foreign exception. */
function onlyTyped(fn: () => unknown): { ok: boolean; error?: unknown } {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    return e instanceof Lwm2mError ? { ok: true } : { ok: false, error: e };
  }
}

function mutate(rnd: () => number, seed: Uint8Array): Uint8Array {
  const b = Uint8Array.from(seed);
  switch (int(rnd, 0, 4)) {
    case 0: // bit flips
      for (let k = int(rnd, 1, 3); k > 0 && b.length > 0; k--) b[int(rnd, 0, b.length - 1)]! ^= 1 << int(rnd, 0, 7);
      return b;
    case 1: // truncation
      return b.subarray(0, int(rnd, 0, b.length));
    case 2: // a random byte written over a header-ish position
      if (b.length > 0) b[int(rnd, 0, Math.min(b.length - 1, 8))] = int(rnd, 0, 255);
      return b;
    case 3: // insertion
      return Uint8Array.from([...b.subarray(0, int(rnd, 0, b.length)), ...bytes(rnd, int(rnd, 1, 4)), ...b]);
    default: // tail of a second copy glued on
      return Uint8Array.from([...b, ...b.subarray(int(rnd, 0, b.length))]);
  }
}

test('TLV decoder: mutated captured payloads and random bytes give typed errors only', (t) => {
  const seeds = capturedPayloads([11542, 1542]).map((p) => ({ payload: new Uint8Array(p.payload), path: p.path }));
  t.true(seeds.length > 50);
  const rnd = seeded(0xf022);
  let errors = 0;
  for (let i = 0; i < 6000; i++) {
    const s = pick(rnd, seeds);
    const payload = i % 5 === 0 ? bytes(rnd, int(rnd, 0, 48)) : mutate(rnd, s.payload);
    const path = i % 3 === 0 ? pick(rnd, PATHS) : s.path;
    const r = onlyTyped(() => decodeTlv(payload, path, ctx));
    if (!r.ok) t.fail(`${Buffer.from(payload).toString('hex')} at ${JSON.stringify(path)}: ${String(r.error)}`);
    errors += r.ok ? 0 : 1;
  }
  t.is(errors, 0);
});

test('text and opaque decoders: random bytes give typed errors only', (t) => {
  const rnd = seeded(0x7e47);
  for (let i = 0; i < 4000; i++) {
    const payload = i % 2 === 0 ? bytes(rnd, int(rnd, 0, 24)) : Buffer.from(pick(rnd, ['1', '-0', '1e5', '3:0', 'IAAAAP8=', '', 'x', '99999999999999999999999']));
    const path = pick(rnd, PATHS);
    for (const fn of [() => decodeText(payload, path, ctx), () => decodeOpaque(payload, path, ctx)]) {
      const r = onlyTyped(fn);
      if (!r.ok) t.fail(`${Buffer.from(payload).toString('hex')}: ${String(r.error)}`);
    }
  }
  t.pass();
});

test('link-format parsers: mutated captured links and random text give typed errors only', (t) => {
  const seeds = capturedPayloads([40]).map((p) => p.payload.toString('utf8'));
  seeds.push('</>;rt="oma.lwm2m";ct="60 110",</0/1>;ssid=1;uri="coap://h:1/a,b;c"', '</3/0/9>;pmin=5;pmax=60;gt=2.5;edge=1');
  const alphabet = ['<', '>', '/', ';', ',', '=', '"', '\\', ' ', '\n', '3', '0', 'a', 'pmin', 'ct', 'rt', 'oma.lwm2m', '__proto__', '\u00e9'];
  const rnd = seeded(0x11e4);
  for (let i = 0; i < 5000; i++) {
    let text: string;
    if (i % 4 === 0) text = Array.from({ length: int(rnd, 0, 30) }, () => pick(rnd, alphabet)).join('');
    else {
      const s = pick(rnd, seeds);
      const at = int(rnd, 0, s.length);
      text = s.slice(0, at) + pick(rnd, ['', ...alphabet]) + s.slice(at + int(rnd, 0, 2));
    }
    for (const fn of [() => parseLinkFormat(text), () => parseDiscover(text), () => parseRegistrationLinks(text), () => decodeLinkFormat(mutate(rnd, Buffer.from(text)))]) {
      const r = onlyTyped(fn);
      if (!r.ok) t.fail(`${JSON.stringify(text)}: ${String(r.error)}`);
    }
  }
  t.pass();
});

test('claimed TLV sizes never drive allocation', (t) => {
  // 24-bit length claims 16 MB for a 6-byte payload; a decoder that allocated by claim would
  // need 800 MB for these 50 calls.
  const hostile = Uint8Array.of(0xd8, 0x00, 0xff, 0xff, 0xff, 0x00);
  const nested = Uint8Array.of(0x18, 0x00, 0xff, 0xff, 0xf0, 0x98, 0x01, 0xff, 0xff, 0xf0);
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 50; i++) {
    t.throws(() => decodeTlv(hostile, parsePath('/3/0'), ctx), { instanceOf: Lwm2mError, message: /claims 16777215 bytes but 1 remain/ });
    t.throws(() => decodeTlv(nested, parsePath('/3'), ctx), { instanceOf: Lwm2mError, message: /claims/ });
  }
  t.true(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
});

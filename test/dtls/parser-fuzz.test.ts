import test from 'ava';
import { DecodeError, u16, vec8, vec16 } from '../../src/dtls/byte-reader.js';
import { parseCertificateBody } from '../../src/dtls/certificate-messages.js';
import { encodeHandshake, parseHandshakeFragments } from '../../src/dtls/handshake-message.js';
import { parseClientHello } from '../../src/dtls/hello-messages.js';
import { parseClientKeyExchange, parseEcdhClientKeyExchange } from '../../src/dtls/key-exchange.js';
import { parseRecords } from '../../src/dtls/record.js';

/** A deterministic PRNG so a failure can be replayed (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function mutate(buf: Buffer, r: () => number): Buffer {
  const out = Buffer.from(buf);
  const kind = Math.floor(r() * 3);
  if (kind === 0) for (let i = 0; i < 1 + r() * 4; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  if (kind === 1) return out.subarray(0, Math.floor(r() * out.length));
  if (kind === 2) return Buffer.concat([out, Buffer.from([Math.floor(r() * 256), Math.floor(r() * 256)])]);
  return out;
}

const hello = Buffer.concat([
  u16(0xfefd),
  Buffer.alloc(32, 7),
  vec8(Buffer.alloc(0)),
  vec8(Buffer.alloc(16, 1)),
  vec16(Buffer.from([0xc0, 0xa8, 0x00, 0xae])),
  vec8(Buffer.from([0])),
  vec16(Buffer.concat([u16(23), vec16(Buffer.alloc(0)), u16(54), vec16(vec8(Buffer.from('ab', 'hex')))])),
]);

const parsers: Array<[string, Buffer, (b: Buffer) => unknown]> = [
  ['ClientHello', hello, parseClientHello],
  ['handshake fragments', encodeHandshake(1, 0, hello), parseHandshakeFragments],
  ['PSK ClientKeyExchange', vec16(Buffer.from('device-1')), (b) => parseClientKeyExchange('psk', b)],
  ['ECDHE_PSK ClientKeyExchange', Buffer.concat([vec16(Buffer.from('id')), vec8(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 9)]))]), (b) => parseClientKeyExchange('ecdhe_psk', b)],
  ['ECDH ClientKeyExchange', vec8(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 9)])), parseEcdhClientKeyExchange],
  ['X.509 Certificate', Buffer.from('00000800000541424344450000', 'hex').subarray(0, 11), (b) => parseCertificateBody(0, b)],
];

for (const [name, valid, parse] of parsers) {
  test(`${name}: 3000 mutations either parse or fail with a DecodeError, never anything else`, (t) => {
    const r = rng(name.length * 7919);
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const input = mutate(valid, r);
      try {
        parse(input);
      } catch (e) {
        if (!(e instanceof DecodeError)) t.fail(`${(e as Error).name}: ${(e as Error).message} on ${input.toString('hex')}`);
        rejected++;
      }
    }
    t.true(rejected > 0, 'some mutations must be rejected');
  });
}

test('record parsing never throws on random bytes', (t) => {
  const r = rng(42);
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(r() * 80);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
    if (len > 2 && r() < 0.5) b.writeUInt16BE(0xfefd, 1);
    t.notThrows(() => parseRecords(b, r() < 0.5 ? 0 : 6));
  }
});

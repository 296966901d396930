/**
 * ClientHello parsing (RFC 6347 §4.2.1 adds the cookie to RFC 5246 §7.4.1.2), and the
 * server's HelloVerifyRequest, ServerHello and ServerHelloDone bodies.
 */
import { ByteReader, DecodeError, u16, vec8, vec16 } from './byte-reader.js';
import { DTLS_1_0 } from './constants.js';

export interface ClientHello {
  clientVersion: number;
  random: Buffer;
  sessionId: Buffer;
  cookie: Buffer;
  cipherSuites: number[];
  compressionMethods: Buffer;
  extensions: Map<number, Buffer>;
  /** The body with the cookie field emptied: what the cookie MAC covers. */
  withoutCookie: Buffer;
}

export function parseClientHello(body: Buffer): ClientHello {
  const r = new ByteReader(body);
  const clientVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8();
  if (sessionId.length > 32) throw new DecodeError('session_id too long');
  const cookieStart = r.position;
  const cookie = r.vec8();
  const cookieEnd = r.position;
  const suitesRaw = r.vec16();
  if (suitesRaw.length % 2 !== 0 || suitesRaw.length === 0) throw new DecodeError('bad cipher_suites');
  const cipherSuites: number[] = [];
  for (let i = 0; i < suitesRaw.length; i += 2) cipherSuites.push(suitesRaw.readUInt16BE(i));
  const compressionMethods = r.vec8();
  if (compressionMethods.length === 0) throw new DecodeError('no compression methods');
  const extensions = new Map<number, Buffer>();
  if (r.remaining > 0) {
    const er = new ByteReader(r.vec16());
    while (er.remaining > 0) {
      const type = er.u16();
      const data = er.vec16();
      // RFC 5246 §7.4.1.4: no extension type may appear twice.
      if (extensions.has(type)) throw new DecodeError(`duplicate extension ${type}`);
      extensions.set(type, data);
    }
  }
  r.end();
  const withoutCookie = Buffer.concat([body.subarray(0, cookieStart), Buffer.from([0]), body.subarray(cookieEnd)]);
  return { clientVersion, random, sessionId, cookie, cipherSuites, compressionMethods, extensions, withoutCookie };
}

/** RFC 6347 §4.2.1: server_version SHOULD be DTLS 1.0 whatever version will be negotiated. */
export function helloVerifyRequestBody(cookie: Buffer): Buffer {
  return Buffer.concat([u16(DTLS_1_0), vec8(cookie)]);
}

export interface ServerHelloFields {
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuite: number;
  extensions: Array<[number, Buffer]>;
}

export function serverHelloBody(f: ServerHelloFields): Buffer {
  const parts = [u16(f.version), f.random, vec8(f.sessionId), u16(f.cipherSuite), Buffer.from([0])];
  if (f.extensions.length > 0) {
    parts.push(vec16(Buffer.concat(f.extensions.map(([t, d]) => Buffer.concat([u16(t), vec16(d)])))));
  }
  return Buffer.concat(parts);
}

/** Parses a ServerHello (used by the test client). */
export function parseServerHello(body: Buffer): ServerHelloFields {
  const r = new ByteReader(body);
  const version = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8();
  const cipherSuite = r.u16();
  r.u8();
  const extensions: Array<[number, Buffer]> = [];
  if (r.remaining > 0) {
    const er = new ByteReader(r.vec16());
    while (er.remaining > 0) extensions.push([er.u16(), er.vec16()]);
  }
  return { version, random: Buffer.from(random), sessionId: Buffer.from(sessionId), cipherSuite, extensions };
}

/** RFC 6066 §4 max_fragment_length code → bytes. */
export function maxFragmentLengthFromCode(code: number): number | undefined {
  return ({ 1: 512, 2: 1024, 3: 2048, 4: 4096 } as Record<number, number>)[code];
}

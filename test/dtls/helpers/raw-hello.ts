/** Raw ClientHello exchanges for tests of the stateless cookie step and of retransmission. */
import { randomBytes } from 'node:crypto';
import { ContentType, DTLS_1_2, HandshakeType } from '../../../src/dtls/constants.js';
import { encodeHandshake, parseHandshakeFragments } from '../../../src/dtls/handshake-message.js';
import { encodeRecord } from '../../../src/dtls/record.js';
import type { PskTestClient } from './psk-test-client.js';

export function clientHelloRecord(c: PskTestClient, random: Buffer, cookie: Buffer, messageSeq: number, recordSeq: number): Buffer {
  return encodeRecord(ContentType.handshake, DTLS_1_2, 0, recordSeq, encodeHandshake(HandshakeType.clientHello, messageSeq, c.clientHelloBody(cookie, random)));
}

/** Sends a cookieless ClientHello and returns the cookie from the HelloVerifyRequest. */
export async function getCookie(c: PskTestClient, random: Buffer): Promise<Buffer> {
  c.sendRaw(clientHelloRecord(c, random, Buffer.alloc(0), 0, 0));
  const r = await c.next((x) => x.type === ContentType.handshake);
  const f = parseHandshakeFragments(r.content)[0]!;
  if (f.msgType !== HandshakeType.helloVerifyRequest) throw new Error(`expected HelloVerifyRequest, got ${f.msgType}`);
  return f.body.subarray(3, 3 + f.body[2]!);
}

/** Completes the cookie exchange; the server then holds a handshake and sends its flight. */
export async function startHandshake(c: PskTestClient): Promise<{ random: Buffer; cookie: Buffer; firstFlight: number[] }> {
  const random = randomBytes(32);
  const cookie = await getCookie(c, random);
  c.sendRaw(clientHelloRecord(c, random, cookie, 1, 1));
  const firstFlight: number[] = [];
  while (!firstFlight.includes(HandshakeType.serverHelloDone)) {
    const r = await c.next((x) => x.type === ContentType.handshake);
    firstFlight.push(...parseHandshakeFragments(r.content).map((f) => f.msgType));
  }
  return { random, cookie, firstFlight };
}

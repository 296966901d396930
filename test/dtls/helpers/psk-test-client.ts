/**
 * A minimal DTLS 1.2 PSK / ECDHE_PSK client for tests, built on the server's own record and
 * key-schedule modules. It exists to do what real clients cannot be made to do on demand:
 * negotiate RFC 9146 connection IDs, move to a new port mid-session, replay or tamper
 * records. No retransmission: it runs on loopback only.
 */
import { createECDH, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { PeerAddress } from '../../../src/transport/types.js';
import { u16, vec8, vec16 } from '../../../src/dtls/byte-reader.js';
import { ContentType, DTLS_1_2, ExtensionType, HandshakeType, NAMED_CURVE_SECP256R1 } from '../../../src/dtls/constants.js';
import { suiteById, type CipherSuite } from '../../../src/dtls/cipher-suites.js';
import { RecordReader, RecordWriter } from '../../../src/dtls/connection-state.js';
import { encodeHandshake, fragmentHandshake, parseHandshakeFragments, type HandshakeMessage } from '../../../src/dtls/handshake-message.js';
import { parseServerHello } from '../../../src/dtls/hello-messages.js';
import { encodeClientKeyExchange, parseServerKeyExchange } from '../../../src/dtls/key-exchange.js';
import { extendedMasterSecret, finishedVerifyData, masterSecret, pskPremaster, Transcript } from '../../../src/dtls/prf.js';
import { HandshakeReassembler } from '../../../src/dtls/reassembler.js';
import { deriveKeys } from '../../../src/dtls/record-protection.js';
import { parseRecords, type DtlsRecord } from '../../../src/dtls/record.js';

export interface ClientOptions {
  server: PeerAddress;
  identity: string;
  psk: Buffer;
  suites?: number[];
  /** Offer RFC 9146 with this CID for us to receive (empty = we send CIDs but do not want them). */
  cid?: Buffer;
  extendedMasterSecret?: boolean;
  resume?: ResumableSession;
  timeoutMs?: number;
  /** Split outgoing handshake messages into fragments of this many body bytes, one datagram each. */
  fragmentSize?: number;
  /** Send those fragments last-first (reordering on the wire). */
  reverseFragments?: boolean;
}

export interface ResumableSession {
  sessionId: Buffer;
  master: Buffer;
  suite: CipherSuite;
}

export interface Received {
  epoch: number;
  type: number;
  content: Buffer;
}

export class PskTestClient {
  #socket: dgram.Socket;
  readonly #o: ClientOptions;
  readonly #writer = new RecordWriter(0);
  #reader: RecordReader | undefined;
  readonly #inbox: Received[] = [];
  #waiter: (() => void) | undefined;
  readonly #reassembler = new HandshakeReassembler(0);
  #messageSeq = 0;
  /** Every datagram sent, for replay tests. */
  readonly sent: Buffer[] = [];
  session: ResumableSession | undefined;
  resumed = false;
  serverCid: Buffer | undefined;

  private constructor(socket: dgram.Socket, o: ClientOptions) {
    this.#socket = socket;
    this.#o = o;
    this.#listen(socket);
  }

  static async connect(o: ClientOptions): Promise<PskTestClient> {
    const c = new PskTestClient(await openSocket(), o);
    try {
      await c.#handshake();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Opens a client socket and sends nothing: for tests that speak raw records. */
  static async raw(o: ClientOptions): Promise<PskTestClient> {
    return new PskTestClient(await openSocket(), o);
  }

  get localPort(): number {
    return this.#socket.address().port;
  }

  #listen(socket: dgram.Socket): void {
    socket.on('message', (msg) => {
      for (const rec of parseRecords(msg, this.#o.cid?.length ?? 0)) {
        if (rec.epoch === 0) this.#inbox.push({ epoch: 0, type: rec.type, content: Buffer.from(rec.fragment) });
        else if (!this.#reader) this.#early.push({ ...rec, fragment: Buffer.from(rec.fragment) });
        else this.#open(rec);
      }
      this.#waiter?.();
    });
  }

  /** Protected records that arrived before our keys (the server's Finished shares a datagram with its ServerHello). */
  readonly #early: DtlsRecord[] = [];

  #open(rec: DtlsRecord): void {
    const opened = this.#reader?.open(rec);
    if (opened) this.#inbox.push({ epoch: rec.epoch, type: opened.type, content: Buffer.from(opened.content) });
  }

  sendRaw(datagram: Buffer): void {
    this.sent.push(datagram);
    this.#socket.send(datagram, this.#o.server.port, this.#o.server.address);
  }

  send(data: Buffer): void {
    this.sendRaw(this.#writer.record(ContentType.applicationData, 1, data));
  }

  /** An encrypted record without sending it (for tamper tests). */
  seal(type: number, data: Buffer): Buffer {
    return this.#writer.record(type, 1, data);
  }

  sendAlert(level: number, description: number): void {
    this.sendRaw(this.#writer.record(ContentType.alert, this.#reader ? 1 : 0, Buffer.from([level, description])));
  }

  /** Waits for the next record matching `pred` (others are discarded). */
  async next(pred: (r: Received) => boolean = () => true, timeoutMs = this.#o.timeoutMs ?? 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex(pred);
      if (i >= 0) return this.#inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a record');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  async receiveData(timeoutMs?: number): Promise<Buffer> {
    return (await this.next((r) => r.type === ContentType.applicationData, timeoutMs)).content;
  }

  /** Moves to a fresh socket, i.e. a new source port (a NAT rebinding). */
  async rebind(): Promise<void> {
    const old = this.#socket;
    this.#socket = await openSocket();
    this.#listen(this.#socket);
    old.close();
  }

  close(): void {
    // Give the CCM_8 contexts back (process-wide hot set, see record-protection.ts).
    this.#reader?.releaseCrypto();
    this.#writer.releaseCrypto();
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }

  #sendHandshake(msgType: number, body: Buffer, epoch = 0): Buffer {
    const seq = this.#messageSeq++;
    const msg = encodeHandshake(msgType, seq, body);
    const size = this.#o.fragmentSize;
    if (size === undefined || msgType === HandshakeType.clientHello) {
      this.sendRaw(this.#writer.record(ContentType.handshake, epoch, msg));
      return msg;
    }
    const frags = fragmentHandshake(msgType, seq, body, size);
    if (this.#o.reverseFragments) frags.reverse();
    for (const f of frags) this.sendRaw(this.#writer.record(ContentType.handshake, epoch, f));
    return msg;
  }

  async #message(): Promise<HandshakeMessage> {
    for (;;) {
      const ready = this.#reassembler.take();
      if (ready.length > 0) {
        // Put back any extra complete messages by re-adding them as whole fragments.
        for (const m of ready.slice(1).reverse()) this.#pending.unshift(m);
        return ready[0]!;
      }
      const p = this.#pending.shift();
      if (p) return p;
      const r = await this.next((x) => x.type === ContentType.handshake || x.type === ContentType.alert);
      if (r.type === ContentType.alert) throw new Error(`server alert ${r.content[0]}/${r.content[1]}`);
      for (const f of parseHandshakeFragments(r.content)) this.#reassembler.add(f, r.epoch);
    }
  }

  readonly #pending: HandshakeMessage[] = [];

  clientHelloBody(cookie: Buffer, random: Buffer): Buffer {
    const suites = this.#o.suites ?? [0xc0a8];
    const ext: Buffer[] = [];
    const add = (t: number, d: Buffer): number => ext.push(Buffer.concat([u16(t), vec16(d)]));
    if (this.#o.extendedMasterSecret !== false) add(ExtensionType.extendedMasterSecret, Buffer.alloc(0));
    add(ExtensionType.renegotiationInfo, Buffer.from([0]));
    if (this.#o.cid) add(ExtensionType.connectionId, vec8(this.#o.cid));
    if (suites.some((s) => suiteById(s)?.keyExchange === 'ecdhe_psk')) {
      add(ExtensionType.supportedGroups, vec16(u16(NAMED_CURVE_SECP256R1)));
      add(ExtensionType.ecPointFormats, Buffer.from([1, 0]));
    }
    return Buffer.concat([
      u16(DTLS_1_2),
      random,
      vec8(this.#o.resume?.sessionId ?? Buffer.alloc(0)),
      vec8(cookie),
      vec16(Buffer.concat(suites.map(u16))),
      Buffer.from([1, 0]),
      vec16(Buffer.concat(ext)),
    ]);
  }

  async #handshake(): Promise<void> {
    const random = randomBytes(32);
    this.#sendHandshake(HandshakeType.clientHello, this.clientHelloBody(Buffer.alloc(0), random));
    const hvr = await this.#message();
    if (hvr.msgType !== HandshakeType.helloVerifyRequest) throw new Error(`expected HelloVerifyRequest, got ${hvr.msgType}`);
    const cookie = hvr.body.subarray(3, 3 + hvr.body[2]!);
    const transcript = new Transcript();
    transcript.add(this.#sendHandshake(HandshakeType.clientHello, this.clientHelloBody(cookie, random)));

    const shMsg = await this.#message();
    if (shMsg.msgType !== HandshakeType.serverHello) throw new Error(`expected ServerHello, got ${shMsg.msgType}`);
    transcript.add(encodeHandshake(shMsg.msgType, shMsg.messageSeq, shMsg.body));
    const sh = parseServerHello(shMsg.body);
    const suite = suiteById(sh.cipherSuite);
    if (!suite) throw new Error('server chose an unknown suite');
    const ems = sh.extensions.some(([t]) => t === ExtensionType.extendedMasterSecret);
    const cidExt = sh.extensions.find(([t]) => t === ExtensionType.connectionId);
    this.serverCid = cidExt ? cidExt[1].subarray(1) : undefined;

    const install = (master: Buffer): ReturnType<typeof deriveKeys> => {
      const keys = deriveKeys(suite, master, random, sh.random);
      this.#reader = new RecordReader(keys.server, this.#o.cid);
      this.#writer.setKeys(keys.client, this.serverCid);
      for (const rec of this.#early.splice(0)) this.#open(rec);
      return keys;
    };

    if (this.#o.resume && sh.sessionId.equals(this.#o.resume.sessionId)) {
      const master = this.#o.resume.master;
      install(master);
      const fin = await this.#message();
      if (fin.msgType !== HandshakeType.finished || !fin.body.equals(finishedVerifyData(master, false, transcript.digest()))) throw new Error('bad server Finished');
      transcript.add(encodeHandshake(fin.msgType, fin.messageSeq, fin.body));
      this.sendRaw(this.#writer.record(ContentType.changeCipherSpec, 0, Buffer.from([1])));
      this.#sendHandshake(HandshakeType.finished, finishedVerifyData(master, true, transcript.digest()), 1);
      this.session = { sessionId: sh.sessionId, master, suite };
      this.resumed = true;
      return;
    }

    let point: Buffer | undefined;
    for (;;) {
      const m = await this.#message();
      transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
      if (m.msgType === HandshakeType.serverKeyExchange) point = parseServerKeyExchange(suite.keyExchange, m.body).point;
      else if (m.msgType === HandshakeType.serverHelloDone) break;
      else throw new Error(`unexpected message ${m.msgType}`);
    }
    let other: Buffer | undefined;
    let myPoint: Buffer | undefined;
    if (suite.keyExchange === 'ecdhe_psk') {
      const ecdh = createECDH('prime256v1');
      myPoint = ecdh.generateKeys();
      other = ecdh.computeSecret(point!);
    }
    transcript.add(this.#sendHandshake(HandshakeType.clientKeyExchange, encodeClientKeyExchange(Buffer.from(this.#o.identity, 'utf8'), myPoint)));
    const pms = pskPremaster(this.#o.psk, other);
    const master = ems ? extendedMasterSecret(pms, transcript.digest()) : masterSecret(pms, random, sh.random);
    install(master);
    this.sendRaw(this.#writer.record(ContentType.changeCipherSpec, 0, Buffer.from([1])));
    transcript.add(this.#sendHandshake(HandshakeType.finished, finishedVerifyData(master, true, transcript.digest()), 1));
    const fin = await this.#message();
    if (fin.msgType !== HandshakeType.finished || fin.epoch !== 1) throw new Error('expected server Finished');
    if (!fin.body.equals(finishedVerifyData(master, false, transcript.digest()))) throw new Error('bad server Finished');
    this.session = { sessionId: sh.sessionId, master, suite };
  }
}

async function openSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

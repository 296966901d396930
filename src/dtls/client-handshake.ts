/**
 * One client-side DTLS 1.2 handshake for the PSK and ECDHE_PSK suites, without a socket
 * (RFC 6347 §4.2.4 flights, RFC 5246 §7.3 Figure 1):
 *
 *   flight 1  ClientHello                          ->
 *   flight 2                                       <-  HelloVerifyRequest (optional)
 *   flight 3  ClientHello (cookie)                 ->
 *   flight 4                                       <-  ServerHello [ServerKeyExchange] ServerHelloDone
 *   flight 5  ClientKeyExchange CCS Finished       ->
 *   flight 6                                       <-  CCS Finished
 *
 * Each of our flights is kept and re-encoded with fresh record sequence numbers when the
 * retransmission timer expires (1 s doubling to 60 s, §4.2.4.1) or when the server repeats
 * its previous flight. Reassembly is bounded (§4.2.3). No resumption and no renegotiation.
 */
import { createECDH, timingSafeEqual } from 'node:crypto';
import { pooledRandomBytes } from '../random-pool.js';
import type { Clock } from '../clock.js';
import { DecodeError, u16, vec8, vec16 } from './byte-reader.js';
import type { CipherSuite } from './cipher-suites.js';
import { suiteById } from './cipher-suites.js';
import { AlertDescription, AlertLevel, ContentType, DTLS_1_2, ExtensionType, HandshakeType, NAMED_CURVE_SECP256R1 } from './constants.js';
import { RecordReader, RecordWriter } from './connection-state.js';
import { encodeFlight, RetransmitTimer, type FlightItem } from './flight.js';
import { encodeHandshake, parseHandshakeFragments, type HandshakeMessage } from './handshake-message.js';
import { HandshakeAbort } from './handshake-types.js';
import { parseServerHello, type ServerHelloFields } from './hello-messages.js';
import { encodeClientKeyExchange, parseServerKeyExchange } from './key-exchange.js';
import { extendedMasterSecret, finishedVerifyData, masterSecret, pskPremaster, Transcript } from './prf.js';
import { HandshakeReassembler, type ReassemblyLimits } from './reassembler.js';
import { deriveKeys } from './record-protection.js';
import type { DtlsRecord } from './record.js';

export interface ClientHandshakeConfig {
  clock: Clock;
  identity: Buffer;
  psk: Buffer;
  /** In order of preference; PSK / ECDHE_PSK suites only. */
  suites: readonly CipherSuite[];
  /** The RFC 9146 CID we want in the server's records (empty = we only send CIDs); undefined = no CID. */
  ownCid: Buffer | undefined;
  mtu: number;
  reassembly: ReassemblyLimits;
  retransmitInitialMs: number;
  retransmitMaxMs: number;
}

export interface ClientHandshakeResult {
  suite: CipherSuite;
  writer: RecordWriter;
  reader: RecordReader;
  /** The CID the server asked us to put in our records, if any. */
  serverCid: Buffer | undefined;
  extendedMasterSecret: boolean;
}

export interface ClientHandshakeEvents {
  send(datagram: Buffer): void;
  complete(result: ClientHandshakeResult): void;
  /** `alert` is the server's fatal alert, when that is why. */
  fail(reason: string, alert?: number): void;
}

type State = 'await_hello' | 'await_server_hello_done' | 'await_finished' | 'done' | 'failed';

export class ClientHandshake {
  readonly #cfg: ClientHandshakeConfig;
  readonly #ev: ClientHandshakeEvents;
  readonly #random = pooledRandomBytes(32);
  readonly #writer = new RecordWriter(0);
  readonly #reassembler: HandshakeReassembler;
  readonly #timer: RetransmitTimer;
  #transcript = new Transcript();
  #state: State = 'await_hello';
  #messageSeq = 0;
  #flight: FlightItem[] = [];
  #sh: ServerHelloFields | undefined;
  #suite: CipherSuite | undefined;
  #serverPoint: Buffer | undefined;
  #master: Buffer | undefined;
  #reader: RecordReader | undefined;
  #ems = false;
  #serverCid: Buffer | undefined;
  #lastRetransmitAt = -Infinity;
  #retransmissions = 0;

  constructor(cfg: ClientHandshakeConfig, ev: ClientHandshakeEvents) {
    this.#cfg = cfg;
    this.#ev = ev;
    this.#reassembler = new HandshakeReassembler(0, cfg.reassembly);
    this.#timer = new RetransmitTimer(cfg.clock, cfg.retransmitInitialMs, cfg.retransmitMaxMs);
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  /** Flights sent again (timer or the server repeating its flight). */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /** Flight 1: the ClientHello without a cookie. */
  start(): void {
    this.#newFlight([this.#clientHello(Buffer.alloc(0))]);
  }

  cancel(): void {
    this.#timer.stop();
    if (this.#state === 'done') return;
    this.#state = 'failed';
    this.#reader?.releaseCrypto();
    this.#writer.releaseCrypto();
  }

  /** One record from the server. Bad input ends the handshake with a fatal alert. */
  handleRecord(rec: DtlsRecord): void {
    if (this.#state === 'done' || this.#state === 'failed') return;
    try {
      this.#handleRecord(rec);
    } catch (e) {
      const alert = e instanceof HandshakeAbort ? e.alert : e instanceof DecodeError ? AlertDescription.decodeError : AlertDescription.internalError;
      this.#abort((e as Error).message, alert);
    }
  }

  #abort(reason: string, alert: number): void {
    this.#timer.stop();
    try {
      this.#ev.send(this.#writer.record(ContentType.alert, this.#writer.hasKeys ? 1 : 0, Buffer.from([AlertLevel.fatal, alert])));
    } finally {
      this.cancel();
      this.#ev.fail(reason);
    }
  }

  #handleRecord(rec: DtlsRecord): void {
    let type = rec.type;
    let content = rec.fragment;
    if (rec.epoch === 1 || rec.type === ContentType.tls12Cid) {
      // Only the server's Finished may be protected before we are done; anything that does not
      // authenticate is dropped silently (RFC 6347 §4.1.2.7).
      const opened = this.#reader?.open(rec);
      if (!opened) return;
      type = opened.type;
      content = opened.content;
    } else if (rec.epoch !== 0) {
      return;
    }
    if (type === ContentType.alert) return this.#onAlert(content);
    if (type === ContentType.changeCipherSpec) {
      if (content.length !== 1 || content[0] !== 1) throw new HandshakeAbort('bad ChangeCipherSpec', AlertDescription.decodeError);
      return;
    }
    if (type !== ContentType.handshake) return;
    let sawOld = false;
    for (const f of parseHandshakeFragments(content)) {
      const r = this.#reassembler.add(f, rec.epoch);
      if (r === 'old') sawOld = true;
      else if (r === 'rejected') throw new HandshakeAbort('handshake message out of bounds', AlertDescription.internalError);
    }
    // The server repeating flight 4 means our flight 5 was lost (RFC 6347 §4.2.4).
    if (sawOld && this.#state === 'await_finished') this.#retransmitOnce();
    for (const m of this.#reassembler.take()) {
      this.#onMessage(m);
      if (this.#state === 'done' || this.#state === 'failed') return;
    }
  }

  #onAlert(content: Buffer): void {
    if (content.length < 2) return;
    if (content[0] === AlertLevel.fatal || content[1] === AlertDescription.closeNotify) {
      this.cancel();
      this.#ev.fail(`server sent alert ${content[1]}`, content[1]);
    }
  }

  #onMessage(m: HandshakeMessage): void {
    switch (this.#state) {
      case 'await_hello':
        if (m.msgType === HandshakeType.helloVerifyRequest && m.epoch === 0) return this.#onHelloVerifyRequest(m);
        if (m.msgType === HandshakeType.serverHello && m.epoch === 0) {
          this.#state = 'await_server_hello_done';
          return this.#onServerHello(m);
        }
        break;
      case 'await_server_hello_done':
        if (m.epoch !== 0) break;
        if (m.msgType === HandshakeType.serverHello && !this.#sh) return this.#onServerHello(m);
        if (m.msgType === HandshakeType.serverKeyExchange && this.#sh && this.#serverPoint === undefined) return this.#onServerKeyExchange(m);
        if (m.msgType === HandshakeType.serverHelloDone && this.#sh) return this.#onServerHelloDone(m);
        break;
      case 'await_finished':
        if (m.msgType === HandshakeType.finished && m.epoch === 1) return this.#onFinished(m);
        break;
      default:
        return;
    }
    throw new HandshakeAbort(`unexpected handshake message ${m.msgType} in ${this.#state}`, AlertDescription.unexpectedMessage);
  }

  /** Flight 3: the same ClientHello with the cookie; the transcript starts here (§4.2.6). */
  #onHelloVerifyRequest(m: HandshakeMessage): void {
    if (m.body.length < 3 || m.body.length !== 3 + m.body[2]!) throw new DecodeError('bad HelloVerifyRequest');
    const cookie = m.body.subarray(3);
    this.#transcript = new Transcript();
    this.#state = 'await_server_hello_done';
    this.#newFlight([this.#clientHello(cookie)]);
  }

  #onServerHello(m: HandshakeMessage): void {
    this.#timer.stop();
    this.#record(m);
    const sh = parseServerHello(m.body);
    if (sh.version !== DTLS_1_2) throw new HandshakeAbort('server did not choose DTLS 1.2', AlertDescription.protocolVersion);
    const suite = this.#cfg.suites.find((s) => s.id === sh.cipherSuite);
    if (!suite || !suiteById(suite.id)) throw new HandshakeAbort('server chose a suite we did not offer', AlertDescription.illegalParameter);
    const seen = new Set<number>();
    for (const [t, d] of sh.extensions) {
      // RFC 5246 §7.4.1.4: only extensions we offered, each at most once.
      if (seen.has(t) || !this.#offered(t, suite)) throw new HandshakeAbort(`unsolicited extension ${t}`, AlertDescription.unsupportedExtension);
      seen.add(t);
      if (t === ExtensionType.renegotiationInfo && !(d.length === 1 && d[0] === 0)) throw new HandshakeAbort('bad renegotiation_info', AlertDescription.handshakeFailure);
      if (t === ExtensionType.extendedMasterSecret) this.#ems = true;
      if (t === ExtensionType.connectionId) {
        if (d.length < 1 || d.length !== 1 + d[0]!) throw new DecodeError('bad connection_id extension');
        this.#serverCid = d.subarray(1);
      }
    }
    this.#sh = sh;
    this.#suite = suite;
  }

  #offered(type: number, suite: CipherSuite): boolean {
    if (type === ExtensionType.renegotiationInfo || type === ExtensionType.extendedMasterSecret) return true;
    if (type === ExtensionType.connectionId) return this.#cfg.ownCid !== undefined;
    if (type === ExtensionType.ecPointFormats) return suite.keyExchange === 'ecdhe_psk';
    return false;
  }

  #onServerKeyExchange(m: HandshakeMessage): void {
    this.#record(m);
    // With plain PSK the message carries only an identity hint (RFC 4279 §2), which we ignore.
    const ske = parseServerKeyExchange(this.#suite!.keyExchange, m.body);
    this.#serverPoint = ske.point ?? Buffer.alloc(0);
  }

  /** Flight 5: ClientKeyExchange, ChangeCipherSpec, Finished. */
  #onServerHelloDone(m: HandshakeMessage): void {
    if (m.body.length !== 0) throw new DecodeError('ServerHelloDone has a body');
    this.#record(m);
    const suite = this.#suite!;
    let myPoint: Buffer | undefined;
    let shared: Buffer | undefined;
    if (suite.keyExchange === 'ecdhe_psk') {
      if (!this.#serverPoint || this.#serverPoint.length === 0) throw new HandshakeAbort('missing ServerKeyExchange', AlertDescription.unexpectedMessage);
      const ecdh = createECDH('prime256v1');
      myPoint = ecdh.generateKeys();
      try {
        shared = ecdh.computeSecret(this.#serverPoint);
      } catch {
        throw new HandshakeAbort('bad server ECDH point', AlertDescription.illegalParameter);
      }
    }
    const ckeBody = encodeClientKeyExchange(this.#cfg.identity, myPoint);
    const cke = this.#item(HandshakeType.clientKeyExchange, 0, ckeBody);
    const pms = pskPremaster(this.#cfg.psk, shared);
    // RFC 7627 §4: the session hash covers the handshake up to and including ClientKeyExchange.
    this.#master = this.#ems ? extendedMasterSecret(pms, this.#transcript.digest()) : masterSecret(pms, this.#random, this.#sh!.random);
    const keys = deriveKeys(suite, this.#master, this.#random, this.#sh!.random);
    this.#reader = new RecordReader(keys.server, this.#cfg.ownCid);
    this.#writer.setKeys(keys.client, this.#serverCid);
    const fin = this.#item(HandshakeType.finished, 1, finishedVerifyData(this.#master, true, this.#transcript.digest()));
    this.#state = 'await_finished';
    this.#newFlight([cke, { kind: 'ccs' }, fin]);
  }

  #onFinished(m: HandshakeMessage): void {
    const expected = finishedVerifyData(this.#master!, false, this.#transcript.digest());
    if (m.body.length !== expected.length || !timingSafeEqual(m.body, expected)) throw new HandshakeAbort('server Finished verify_data mismatch', AlertDescription.decryptError);
    this.#timer.stop();
    this.#state = 'done';
    this.#ev.complete({ suite: this.#suite!, writer: this.#writer, reader: this.#reader!, serverCid: this.#serverCid, extendedMasterSecret: this.#ems });
  }

  /** A received message enters the transcript as if unfragmented (RFC 6347 §4.2.6). */
  #record(m: HandshakeMessage): void {
    this.#transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
  }

  /** One of our messages: numbered, added to the transcript. */
  #item(msgType: number, epoch: number, body: Buffer): FlightItem {
    const messageSeq = this.#messageSeq++;
    this.#transcript.add(encodeHandshake(msgType, messageSeq, body));
    return { kind: 'handshake', epoch, msgType, messageSeq, body };
  }

  #clientHello(cookie: Buffer): FlightItem {
    return this.#item(HandshakeType.clientHello, 0, this.#clientHelloBody(cookie));
  }

  #clientHelloBody(cookie: Buffer): Buffer {
    const ext: Buffer[] = [];
    const add = (t: number, d: Buffer): void => void ext.push(u16(t), vec16(d));
    add(ExtensionType.extendedMasterSecret, Buffer.alloc(0));
    add(ExtensionType.renegotiationInfo, Buffer.from([0]));
    if (this.#cfg.ownCid) add(ExtensionType.connectionId, vec8(this.#cfg.ownCid));
    if (this.#cfg.suites.some((s) => s.keyExchange === 'ecdhe_psk')) {
      add(ExtensionType.supportedGroups, vec16(u16(NAMED_CURVE_SECP256R1)));
      add(ExtensionType.ecPointFormats, Buffer.from([1, 0]));
    }
    return Buffer.concat([
      u16(DTLS_1_2),
      this.#random,
      Buffer.from([0]), // no session to resume
      vec8(cookie),
      vec16(Buffer.concat(this.#cfg.suites.map((s) => u16(s.id)))),
      Buffer.from([1, 0]), // null compression only
      vec16(Buffer.concat(ext)),
    ]);
  }

  /** Sends a new flight and (re)starts the retransmission timer for it. */
  #newFlight(items: FlightItem[]): void {
    this.#flight = items;
    this.#send();
    this.#timer.start(() => {
      this.#retransmissions++;
      this.#send();
    });
  }

  #retransmitOnce(): void {
    // At most once per half initial interval, so a duplicating network cannot amplify.
    const now = this.#cfg.clock.now();
    if (now - this.#lastRetransmitAt < this.#cfg.retransmitInitialMs / 2) return;
    this.#lastRetransmitAt = now;
    this.#retransmissions++;
    this.#send();
  }

  #send(): void {
    for (const d of encodeFlight(this.#flight, this.#writer, this.#cfg.mtu)) this.#ev.send(d);
  }
}

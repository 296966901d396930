/**
 * One server-side handshake after a ClientHello with a valid cookie (RFC 6347 §4.2.1), for
 * PSK and ECDHE_PSK suites:
 *   full:        ServerHello [ServerKeyExchange] ServerHelloDone  <-  ClientKeyExchange CCS Finished
 *                -> CCS Finished                                   (RFC 5246 §7.3, Figure 1)
 *   ECDHE_ECDSA: ServerHello Certificate ServerKeyExchange CertificateRequest ServerHelloDone
 *                <- Certificate ClientKeyExchange CertificateVerify CCS Finished  -> CCS Finished
 *                (RFC 8422 §2, with X.509 or RFC 7250 raw public keys; client auth is required)
 *   abbreviated: ServerHello CCS Finished  <-  CCS Finished        (RFC 5246 §7.3, Figure 2)
 * The handshake owns its reassembler, transcript and retransmission timer; the transport owns
 * sockets and the session tables.
 */
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { pooledRandomBytes } from '../random-pool.js';
import type { PeerIdentity } from '../transport/types.js';
import { serverCertificateMessages, verifyClientCertificate } from './certificate-exchange.js';
import { checkCertificateVerify } from './certificate-messages.js';
import { DecodeError } from './byte-reader.js';
import { AlertDescription, AlertLevel, ContentType, DTLS_1_2, HandshakeType } from './constants.js';
import { suiteById, type CipherSuite } from './cipher-suites.js';
import { HandshakeAbort, type HandshakeConfig, type HandshakeEvents } from './handshake-types.js';
import { RecordReader, RecordWriter } from './connection-state.js';
import { encodeFlight, RetransmitTimer, type FlightItem } from './flight.js';

export type { HandshakeConfig, HandshakeEvents, HandshakeResult } from './handshake-types.js';
import { encodeHandshake, parseHandshakeFragments, type HandshakeMessage } from './handshake-message.js';
import { maxFragmentLengthFromCode, serverHelloBody, type ClientHello } from './hello-messages.js';
import { parseClientKeyExchange, parseEcdhClientKeyExchange, ServerKeyExchangeState } from './key-exchange.js';
import { negotiate, NegotiationError, serverHelloExtensions, type Negotiated } from './negotiation.js';
import { extendedMasterSecret, finishedVerifyData, masterSecret, Transcript } from './prf.js';
import { HandshakeReassembler } from './reassembler.js';
import { deriveKeys, type DirectionKeys } from './record-protection.js';
import type { DtlsRecord } from './record.js';

type State = 'await_certificate' | 'await_client_key_exchange' | 'await_certificate_verify' | 'await_finished' | 'done' | 'failed';

export class ServerHandshake {
  readonly #cfg: HandshakeConfig;
  readonly #ev: HandshakeEvents;
  readonly #ch: ClientHello;
  readonly #neg: Negotiated;
  readonly #transcript: Transcript;
  readonly #reassembler: HandshakeReassembler;
  readonly #writer: RecordWriter;
  readonly #timer: RetransmitTimer;
  readonly #serverRandom = pooledRandomBytes(32);
  readonly #sessionId: Buffer;
  readonly #ownCid: Buffer | undefined;
  readonly #kx: ServerKeyExchangeState;
  #state: State;
  #nextSendSeq: number;
  #flight: FlightItem[] = [];
  #master: Buffer | undefined;
  #keys: { client: DirectionKeys; server: DirectionKeys } | undefined;
  #reader: RecordReader | undefined;
  #identity: PeerIdentity | undefined;
  #clientKey: KeyObject | undefined;
  #resumed = false;
  #lastRetransmitAt = -Infinity;

  /**
   * @param chMessage the ClientHello exactly as it enters the transcript (RFC 6347 §4.2.6:
   *   the cookie-bearing ClientHello is the first hashed message).
   */
  constructor(cfg: HandshakeConfig, ev: HandshakeEvents, ch: ClientHello, chMessage: Buffer, chMessageSeq: number, chRecordSeq: number) {
    this.#cfg = cfg;
    this.#ev = ev;
    this.#ch = ch;
    this.#neg = negotiate(ch, cfg.policy);
    // CertificateVerify signs the raw messages, so ECDSA handshakes keep them (until done).
    this.#transcript = new Transcript(this.#neg.suite.keyExchange === 'ecdhe_ecdsa');
    this.#transcript.add(chMessage);
    this.#reassembler = new HandshakeReassembler(chMessageSeq + 1, cfg.reassembly);
    // RFC 6347 §4.2.1: a stateless server answers with message_seq and record sequence
    // numbers taken from the ClientHello it answers.
    this.#nextSendSeq = chMessageSeq;
    this.#writer = new RecordWriter(chRecordSeq);
    this.#timer = new RetransmitTimer(cfg.clock, cfg.retransmitInitialMs, cfg.retransmitMaxMs);
    this.#ownCid = this.#neg.peerCid !== undefined && cfg.cidLength > 0 ? pooledRandomBytes(cfg.cidLength) : undefined;
    this.#kx = new ServerKeyExchangeState(this.#neg.suite.keyExchange, cfg.pskIdentityHint);

    const cached = this.#neg.extendedMasterSecret ? cfg.sessionCache.get(ch.sessionId) : undefined;
    // RFC 7627 §5.3: resume only a session that itself used the extended master secret, and
    // only with a suite the client offers again.
    if (cached && cached.extendedMasterSecret && ch.cipherSuites.includes(cached.suiteId) && suiteById(cached.suiteId)) {
      this.#neg.suite = suiteById(cached.suiteId)!;
      this.#sessionId = Buffer.from(ch.sessionId);
      this.#master = cached.masterSecret;
      this.#identity = cached.identity;
      this.#resumed = true;
      this.#state = 'await_finished';
    } else {
      this.#sessionId = pooledRandomBytes(32);
      this.#state = this.#neg.suite.keyExchange === 'ecdhe_ecdsa' ? 'await_certificate' : 'await_client_key_exchange';
    }
  }

  /** The CID this handshake asked the client to use, for routing tls12_cid records. */
  get ownCid(): Buffer | undefined {
    return this.#ownCid;
  }

  get clientRandom(): Buffer {
    return this.#ch.random;
  }

  get suite(): CipherSuite {
    return this.#neg.suite;
  }

  /** Sends the server's first flight. */
  start(): void {
    const sh = serverHelloBody({
      version: DTLS_1_2,
      random: this.#serverRandom,
      sessionId: this.#sessionId,
      cipherSuite: this.#neg.suite.id,
      extensions: serverHelloExtensions(this.#neg, this.#ownCid),
    });
    this.#queue(HandshakeType.serverHello, 0, sh);
    if (this.#resumed) {
      this.#installKeys();
      this.#flight.push({ kind: 'ccs' });
      this.#queueFinished();
    } else if (this.#neg.suite.keyExchange === 'ecdhe_ecdsa') {
      const msgs = serverCertificateMessages(this.#neg.serverCertType, this.#cfg.credentials!, this.#kx.publicPoint, this.#ch.random, this.#serverRandom);
      for (const [type, body] of msgs) this.#queue(type, 0, body);
      this.#queue(HandshakeType.serverHelloDone, 0, Buffer.alloc(0));
    } else {
      if (this.#kx.needsServerKeyExchange) this.#queue(HandshakeType.serverKeyExchange, 0, this.#kx.serverKeyExchangeBody());
      this.#queue(HandshakeType.serverHelloDone, 0, Buffer.alloc(0));
    }
    this.#sendFlight();
    this.#timer.start(() => this.#sendFlight());
  }

  /** The client repeated its ClientHello: our flight was lost (RFC 6347 §4.2.4). */
  retransmit(): void {
    // Resend at most once per initial interval so a duplicating network cannot amplify.
    const now = this.#cfg.clock.now();
    if (now - this.#lastRetransmitAt < this.#cfg.retransmitInitialMs / 2) return;
    this.#lastRetransmitAt = now;
    this.#sendFlight();
  }

  cancel(): void {
    this.#timer.stop();
    if (this.#state === 'done') return;
    this.#state = 'failed';
    // An abandoned handshake gives its cipher contexts back at once.
    this.#reader?.releaseCrypto();
    this.#writer.releaseCrypto();
  }

  /** Handles one record from the peer. Returns true if it was authentic handshake traffic. */
  handleRecord(rec: DtlsRecord): boolean {
    if (this.#state === 'done' || this.#state === 'failed') return false;
    try {
      return this.#handleRecord(rec);
    } catch (e) {
      const alert = e instanceof HandshakeAbort ? e.alert : e instanceof DecodeError ? AlertDescription.decodeError : e instanceof NegotiationError ? e.alert : AlertDescription.internalError;
      this.#abort((e as Error).message, alert);
      return false;
    }
  }

  /** Sends a fatal alert under the current write epoch and gives up. */
  #abort(reason: string, alert: number): void {
    if (this.#state === 'failed') return;
    this.#state = 'failed';
    this.#timer.stop();
    const epoch = this.#writer.hasKeys ? 1 : 0;
    try {
      this.#ev.send(this.#writer.record(ContentType.alert, epoch, Buffer.from([AlertLevel.fatal, alert])));
    } finally {
      this.#ev.fail(reason);
    }
  }

  #handleRecord(rec: DtlsRecord): boolean {
    let type = rec.type;
    let content = rec.fragment;
    if (rec.epoch === 1) {
      if (!this.#reader) return false;
      const opened = this.#reader.open(rec);
      if (!opened) {
        // The client's first protected record is its Finished: if it does not authenticate,
        // the keys differ (wrong PSK). RFC 5246 §7.2.2 names bad_record_mac for this.
        if (this.#state === 'await_finished') throw new HandshakeAbort('client Finished did not authenticate', AlertDescription.badRecordMac);
        return false;
      }
      type = opened.type;
      content = opened.content;
    } else if (rec.epoch !== 0) {
      return false;
    }
    switch (type) {
      case ContentType.handshake:
        this.#onHandshakeRecord(content, rec.epoch);
        return true;
      case ContentType.changeCipherSpec:
        // The epoch switch is implied by epoch-1 records, so a reordered CCS needs no state.
        if (content.length !== 1 || content[0] !== 1) throw new HandshakeAbort('bad ChangeCipherSpec', AlertDescription.decodeError);
        return true;
      case ContentType.alert:
        if (content.length >= 2 && (content[0] === AlertLevel.fatal || content[1] === AlertDescription.closeNotify)) {
          this.#state = 'failed';
          this.#timer.stop();
          this.#ev.fail(`peer sent alert ${content[1]}`);
        }
        return true;
      default:
        return false;
    }
  }

  #onHandshakeRecord(content: Buffer, epoch: number): void {
    let sawOld = false;
    for (const f of parseHandshakeFragments(content)) {
      const r = this.#reassembler.add(f, epoch);
      if (r === 'old') sawOld = true;
      if (r === 'rejected') throw new HandshakeAbort('handshake message out of bounds', AlertDescription.internalError);
    }
    if (sawOld) this.retransmit();
    for (const m of this.#reassembler.take()) {
      this.#onMessage(m);
      if (this.#state === 'done' || this.#state === 'failed') return;
    }
  }

  #onMessage(m: HandshakeMessage): void {
    if (this.#state === 'await_certificate' && m.msgType === HandshakeType.certificate && m.epoch === 0) {
      this.#timer.stop();
      this.#onClientCertificate(m);
      return;
    }
    if (this.#state === 'await_client_key_exchange' && m.msgType === HandshakeType.clientKeyExchange && m.epoch === 0) {
      this.#timer.stop();
      this.#onClientKeyExchange(m);
      return;
    }
    if (this.#state === 'await_certificate_verify' && m.msgType === HandshakeType.certificateVerify && m.epoch === 0) {
      // RFC 5246 §7.4.8: the signature covers all handshake messages before this one.
      if (!checkCertificateVerify(m.body, this.#transcript.raw(), this.#clientKey!)) {
        throw new HandshakeAbort('CertificateVerify signature does not verify', AlertDescription.decryptError);
      }
      this.#transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
      this.#state = 'await_finished';
      return;
    }
    if (this.#state === 'await_finished' && m.msgType === HandshakeType.finished && m.epoch === 1) {
      this.#onFinished(m);
      return;
    }
    throw new HandshakeAbort(`unexpected handshake message ${m.msgType} in ${this.#state}`, AlertDescription.unexpectedMessage);
  }

  #onClientCertificate(m: HandshakeMessage): void {
    const { identity, publicKey } = verifyClientCertificate(this.#neg.clientCertType, m.body, this.#cfg.credentials!, this.#cfg.clock.now());
    this.#identity = identity;
    this.#clientKey = publicKey;
    this.#transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
    this.#state = 'await_client_key_exchange';
  }

  #onClientKeyExchange(m: HandshakeMessage): void {
    if (this.#neg.suite.keyExchange === 'ecdhe_ecdsa') {
      const point = parseEcdhClientKeyExchange(m.body);
      this.#transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
      this.#deriveMaster(this.#kx.ecdhSecret(point));
      this.#state = 'await_certificate_verify';
      return;
    }
    const cke = parseClientKeyExchange(this.#neg.suite.keyExchange, m.body);
    const identity = cke.identity.toString('utf8');
    const psk = this.#cfg.psk(identity);
    // RFC 4279 §2: an identity the server does not know ends the handshake with unknown_psk_identity.
    if (!psk) throw new HandshakeAbort(`unknown PSK identity`, AlertDescription.unknownPskIdentity);
    this.#identity = { kind: 'psk', identity };
    this.#transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
    this.#deriveMaster(this.#kx.premaster(cke, psk));
    this.#state = 'await_finished';
  }

  /** RFC 7627 §4: with EMS the session hash runs up to and including ClientKeyExchange. */
  #deriveMaster(pms: Buffer): void {
    this.#master = this.#neg.extendedMasterSecret
      ? extendedMasterSecret(pms, this.#transcript.digest())
      : masterSecret(pms, this.#ch.random, this.#serverRandom);
    this.#installKeys();
  }

  #installKeys(): void {
    this.#keys = deriveKeys(this.#neg.suite, this.#master!, this.#ch.random, this.#serverRandom);
    this.#reader = new RecordReader(this.#keys.client, this.#ownCid);
  }

  #onFinished(m: HandshakeMessage): void {
    const expected = finishedVerifyData(this.#master!, true, this.#transcript.digest());
    if (m.body.length !== expected.length || !timingSafeEqual(m.body, expected)) {
      throw new HandshakeAbort('client Finished verify_data mismatch', AlertDescription.decryptError);
    }
    this.#transcript.add(encodeHandshake(m.msgType, m.messageSeq, m.body));
    this.#timer.stop();
    let finalFlight: FlightItem[] | undefined;
    if (!this.#resumed) {
      this.#flight = [{ kind: 'ccs' }];
      this.#queueFinished();
      this.#sendFlight();
      finalFlight = this.#flight;
      this.#cfg.sessionCache.put(this.#sessionId, {
        masterSecret: this.#master!,
        suiteId: this.#neg.suite.id,
        identity: this.#identity!,
        extendedMasterSecret: this.#neg.extendedMasterSecret,
      });
    }
    this.#state = 'done';
    const mfl = this.#neg.maxFragmentCode === undefined ? undefined : maxFragmentLengthFromCode(this.#neg.maxFragmentCode);
    this.#ev.complete({
      suite: this.#neg.suite,
      identity: this.#identity!,
      clientRandom: this.#ch.random,
      writer: this.#writer,
      reader: this.#reader!,
      finalFlight,
      maxPlaintext: mfl ?? 16384,
      resumed: this.#resumed,
    });
  }

  #queue(msgType: number, epoch: number, body: Buffer): void {
    const messageSeq = this.#nextSendSeq++;
    this.#flight.push({ kind: 'handshake', epoch, msgType, messageSeq, body });
    this.#transcript.add(encodeHandshake(msgType, messageSeq, body));
  }

  /** Our Finished, after our CCS: the write keys switch to epoch 1 (RFC 5246 §7.1). */
  #queueFinished(): void {
    this.#writer.setKeys(this.#keys!.server, this.#neg.peerCid);
    this.#queue(HandshakeType.finished, 1, finishedVerifyData(this.#master!, false, this.#transcript.digest()));
  }

  #sendFlight(): void {
    const mtu = this.#effectiveMtu();
    for (const d of encodeFlight(this.#flight, this.#writer, mtu)) this.#ev.send(d);
  }

  #effectiveMtu(): number {
    const mfl = this.#neg.maxFragmentCode === undefined ? undefined : maxFragmentLengthFromCode(this.#neg.maxFragmentCode);
    return mfl === undefined ? this.#cfg.mtu : Math.min(this.#cfg.mtu, mfl + 13 + 64);
  }
}

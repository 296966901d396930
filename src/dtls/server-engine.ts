/**
 * The DTLS server without a socket: routes each record of each datagram to the stateless
 * cookie check, a handshake in progress, or an established session, and enforces the limits.
 * The transport feeds it datagrams and gives it a way to send; tests can drive it directly.
 */
import { peerKey, type InboundDatagram, type PeerAddress } from '../transport/types.js';
import { describeIdentity, sameIdentity } from './peer-identity.js';
import type { TimerHandle } from '../clock.js';
import { AlertDescription, AlertLevel, ContentType, DTLS_1_0, HandshakeType } from './constants.js';
import { CookieIssuer } from './cookie.js';
import { encodeHandshake, parseHandshakeFragments, type HandshakeFragment } from './handshake-message.js';
import { helloVerifyRequestBody, parseClientHello, type ClientHello } from './hello-messages.js';
import { NegotiationError } from './negotiation.js';
import type { ResolvedOptions } from './options.js';
import { encodeRecord, parseRecords, type DtlsRecord } from './record.js';
import { ServerHandshake, type HandshakeConfig, type HandshakeResult } from './server-handshake.js';
import { SessionCache } from './session-cache.js';
import { DtlsSession, type DtlsSessionInfo } from './session.js';
import { SessionTable } from './session-table.js';
import { SequenceExhaustedError } from './connection-state.js';
import { HandshakeTable, type PendingHandshake } from './handshake-table.js';

/** 48 bits of the client random: enough to recognise a retransmitted ClientHello, cheap to keep. */
function randomTag(random: Buffer): number {
  return random.readUIntBE(0, 6);
}

export interface DtlsStats {
  handshakesOk: number;
  handshakesFailed: number;
  /** Valid-cookie ClientHellos dropped by a handshake or session limit. */
  handshakesRejected: number;
  handshakesInProgress: number;
  resumptions: number;
  helloVerifyRequests: number;
  sessions: number;
  recordsDropped: number;
  bytesIn: number;
  bytesOut: number;
  applicationBytesIn: number;
  applicationBytesOut: number;
}

export class DtlsServerEngine {
  readonly #o: ResolvedOptions;
  readonly #sendRaw: (d: Buffer, peer: PeerAddress) => void;
  readonly #deliver: (d: InboundDatagram) => void;
  readonly #cookies: CookieIssuer;
  readonly #cache: SessionCache;
  readonly #hsConfig: HandshakeConfig;
  readonly #handshakes = new HandshakeTable();
  readonly #sessions: SessionTable;
  #sweep: TimerHandle | undefined;
  readonly #stats = { handshakesOk: 0, handshakesFailed: 0, handshakesRejected: 0, resumptions: 0, helloVerifyRequests: 0, recordsDropped: 0, bytesIn: 0, bytesOut: 0, applicationBytesIn: 0, applicationBytesOut: 0 };

  constructor(o: ResolvedOptions, sendRaw: (d: Buffer, peer: PeerAddress) => void, deliver: (d: InboundDatagram) => void) {
    this.#o = o;
    this.#sendRaw = sendRaw;
    this.#deliver = deliver;
    this.#cookies = new CookieIssuer(o.clock, o.cookieRotateMs);
    this.#cache = new SessionCache(o.clock, o.limits.resumptionCacheSize, o.limits.resumptionLifetimeMs);
    this.#sessions = new SessionTable();
    this.#hsConfig = {
      clock: o.clock,
      psk: o.psk,
      pskIdentityHint: o.pskIdentityHint,
      sessionCache: this.#cache,
      credentials: o.credentials,
      policy: {
        suites: o.cipherSuites,
        cidEnabled: o.connectionIdLength > 0,
        ...(o.credentials
          ? { certificates: { serverX509: o.credentials.chain.length > 0, clientX509: o.credentials.cas.length > 0, clientRpk: o.credentials.trustRawPublicKey !== undefined } }
          : {}),
      },
      mtu: o.limits.mtu,
      reassembly: o.limits.reassembly,
      cidLength: o.connectionIdLength,
      retransmitInitialMs: o.retransmitInitialMs,
      retransmitMaxMs: o.retransmitMaxMs,
    };
    this.#armSweep();
  }

  #out(d: Buffer, peer: PeerAddress): void {
    this.#stats.bytesOut += d.length;
    this.#sendRaw(d, peer);
  }

  receive(datagram: Buffer, peer: PeerAddress): void {
    this.#stats.bytesIn += datagram.length;
    const key = peerKey(peer);
    const records = parseRecords(datagram, this.#o.connectionIdLength);
    if (records.length === 0) this.#stats.recordsDropped++;
    for (const rec of records) {
      try {
        this.#onRecord(rec, peer, key);
      } catch (e) {
        // A bad record must never take the server down (RFC 6347 §4.1.2.7: drop it).
        this.#stats.recordsDropped++;
        this.#o.logger.debug({ peer: key, err: (e as Error).message }, 'dtls record dropped');
      }
    }
  }

  #onRecord(rec: DtlsRecord, peer: PeerAddress, key: string): void {
    if (rec.type === ContentType.tls12Cid) {
      const cidHex = rec.cid!.toString('hex');
      const pending = this.#handshakes.byCid(cidHex);
      if (pending && peerKey(pending.peer) === key) {
        if (!pending.hs.handleRecord(rec)) this.#stats.recordsDropped++;
        return;
      }
      const s = this.#sessions.byCid(cidHex);
      if (s) this.#onSessionRecord(s, rec, peer, key);
      else this.#stats.recordsDropped++;
      return;
    }
    const pending = this.#handshakes.byPeer(key);
    if (rec.epoch === 0 && rec.type === ContentType.handshake) {
      const frags = parseHandshakeFragments(rec.fragment);
      const first = frags[0];
      if (first && first.msgType === HandshakeType.clientHello) {
        this.#onClientHello(first, rec, peer, key, pending);
        return;
      }
    }
    if (pending && pending.hs.handleRecord(rec)) return;
    const s = this.#sessions.byPeer(key);
    if (s) this.#onSessionRecord(s, rec, peer, key);
    else this.#stats.recordsDropped++;
  }

  #onClientHello(f: HandshakeFragment, rec: DtlsRecord, peer: PeerAddress, key: string, pending: PendingHandshake | undefined): void {
    // A stateless server cannot reassemble: the ClientHello must come whole (as tinydtls,
    // mbedTLS and Scandium also require before the cookie exchange).
    if (f.fragmentOffset !== 0 || f.body.length !== f.length) {
      this.#stats.recordsDropped++;
      return;
    }
    const ch = parseClientHello(f.body);
    if (pending && pending.hs.clientRandom.equals(ch.random)) {
      pending.hs.retransmit();
      return;
    }
    // A late copy of the ClientHello of a handshake that already finished: nothing to do.
    if (this.#sessions.byPeer(key)?.clientRandomTag === randomTag(ch.random)) {
      this.#stats.recordsDropped++;
      return;
    }
    if (ch.cookie.length === 0 || !this.#cookies.verify(key, ch.withoutCookie, ch.cookie)) {
      this.#sendHelloVerifyRequest(ch, f, rec, peer, key);
      return;
    }
    const limits = this.#o.limits;
    if (!pending && (this.#handshakes.size >= limits.maxHandshakes || this.#handshakes.countFor(peer.address) >= limits.maxHandshakesPerAddress)) {
      // Counted, logged at debug only: a flood must not turn into a flood of log lines.
      this.#stats.handshakesRejected++;
      this.#o.logger.debug({ peer: key }, 'dtls handshake limit reached, ClientHello dropped');
      return;
    }
    // Handshakes under way count as sessions (the one this ClientHello replaces excepted).
    const replaced = pending ? 1 : 0;
    const admitted = this.#sessions.admits(peer.address, limits.maxSessionsPerAddress, limits.maxSessions, this.#handshakes.countFor(peer.address) - replaced, this.#handshakes.size - replaced);
    if (!this.#sessions.byPeer(key) && !admitted) {
      this.#stats.handshakesRejected++;
      this.#o.logger.debug({ peer: key }, 'dtls session limit reached, ClientHello dropped');
      return;
    }
    if (pending) this.#dropHandshake(key, 'replaced by a new ClientHello');
    this.#startHandshake(ch, f, rec, peer, key);
  }

  /** RFC 6347 §4.2.1: HelloVerifyRequest echoes the record sequence number and message_seq. */
  #sendHelloVerifyRequest(ch: ClientHello, f: HandshakeFragment, rec: DtlsRecord, peer: PeerAddress, key: string): void {
    const cookie = this.#cookies.issue(key, ch.withoutCookie);
    const msg = encodeHandshake(HandshakeType.helloVerifyRequest, f.messageSeq, helloVerifyRequestBody(cookie));
    this.#stats.helloVerifyRequests++;
    this.#out(encodeRecord(ContentType.handshake, DTLS_1_0, 0, rec.seq, msg), peer);
  }

  #startHandshake(ch: ClientHello, f: HandshakeFragment, rec: DtlsRecord, peer: PeerAddress, key: string): void {
    let entry: PendingHandshake | undefined;
    let hs: ServerHandshake;
    try {
      hs = new ServerHandshake(
        this.#hsConfig,
        {
          send: (d) => this.#out(d, peer),
          complete: (r) => this.#onHandshakeComplete(key, peer, r),
          fail: (reason) => this.#onHandshakeFailed(key, reason),
        },
        ch,
        encodeHandshake(f.msgType, f.messageSeq, f.body),
        f.messageSeq,
        rec.seq,
      );
    } catch (e) {
      const alert = e instanceof NegotiationError ? e.alert : AlertDescription.handshakeFailure;
      this.#stats.handshakesFailed++;
      this.#o.logger.info({ peer: key, reason: (e as Error).message }, 'dtls handshake refused');
      this.#out(encodeRecord(ContentType.alert, DTLS_1_0, 0, rec.seq, Buffer.from([AlertLevel.fatal, alert])), peer);
      return;
    }
    const timeout = this.#o.clock.setTimer(this.#o.limits.handshakeTimeoutMs, () => {
      if (this.#handshakes.byPeer(key) === entry) {
        this.#dropHandshake(key, 'timeout');
        this.#stats.handshakesFailed++;
      }
    });
    entry = { hs, peer, timeout };
    this.#handshakes.add(key, entry);
    hs.start();
  }

  #dropHandshake(key: string, reason: string): void {
    if (!this.#handshakes.remove(key)) return;
    this.#o.logger.debug({ peer: key, reason }, 'dtls handshake dropped');
  }

  #onHandshakeFailed(key: string, reason: string): void {
    this.#dropHandshake(key, reason);
    this.#stats.handshakesFailed++;
    this.#o.logger.info({ peer: key, reason }, 'dtls handshake failed');
  }

  #onHandshakeComplete(key: string, peer: PeerAddress, r: HandshakeResult): void {
    this.#dropHandshake(key, 'complete');
    const session = new DtlsSession({
      peer,
      clientRandomTag: randomTag(r.clientRandom),
      identity: r.identity,
      suite: r.suite,
      writer: r.writer,
      reader: r.reader,
      finalFlight: r.finalFlight,
      maxPlaintext: r.maxPlaintext,
      now: this.#o.clock.now(),
    });
    // RFC 6347 §4.2.8: a completed new handshake from the same address replaces the old session.
    this.#sessions.add(session);
    this.#stats.handshakesOk++;
    if (r.resumed) this.#stats.resumptions++;
    this.#o.logger.info({ peer: key, identity: describeIdentity(r.identity), suite: r.suite.name, resumed: r.resumed, cid: session.ownCidHex !== undefined }, 'dtls session established');
  }

  #onSessionRecord(s: DtlsSession, rec: DtlsRecord, peer: PeerAddress, key: string): void {
    if (rec.epoch === 0) {
      // A retransmitted ClientKeyExchange or CCS; the repeated Finished triggers our resend.
      return;
    }
    const before = s.highestReceivedSeq;
    const opened = s.open(rec);
    if (!opened) {
      this.#stats.recordsDropped++;
      return;
    }
    s.lastSeenAt = this.#o.clock.now();
    // RFC 9146 §6: move the peer address only for an authentic record newer than any before.
    if (key !== s.key && rec.seq > before && s.ownCidHex !== undefined) {
      this.#o.logger.info({ from: s.key, to: key }, 'dtls peer address changed (connection ID)');
      this.#sessions.move(s, peer);
    }
    switch (opened.type) {
      case ContentType.applicationData:
        s.forgetFinalFlight();
        this.#stats.applicationBytesIn += opened.content.length;
        // s.peer is frozen, so the application gets it as is; a reply to it finds s directly.
        this.#deliver({ data: opened.content, peer: s.peer, identity: s.identity, sessionKey: s.sessionKey });
        return;
      case ContentType.alert: {
        const { replies, end } = s.onAlert(opened.content);
        for (const d of replies) this.#out(d, s.peer);
        if (end) this.#sessions.remove(s);
        return;
      }
      case ContentType.handshake:
        for (const d of s.onHandshake(opened.content, this.#o.limits.mtu)) this.#out(d, s.peer);
        return;
      default:
        return;
    }
  }

  send(data: Buffer, peer: PeerAddress): boolean {
    const s = this.#sessions.byAddress(peer);
    if (!s) {
      this.#o.logger.debug({ peer: peerKey(peer) }, 'dtls send without a session: dropped');
      return false;
    }
    // Empty application data carries nothing (and OpenSSL's CCM cannot seal it).
    if (data.length === 0) return false;
    if (data.length > s.maxPlaintext) {
      this.#o.logger.warn({ peer: s.key, size: data.length }, 'dtls payload larger than the record limit: dropped');
      return false;
    }
    let record: Buffer;
    try {
      record = s.seal(ContentType.applicationData, data);
    } catch (e) {
      // RFC 6347 §4.1: sequence numbers must not wrap; such a session can only end.
      if (!(e instanceof SequenceExhaustedError)) throw e;
      this.#sessions.remove(s);
      this.#o.logger.warn({ peer: s.key }, 'dtls session sequence numbers exhausted: session dropped');
      return false;
    }
    this.#stats.applicationBytesOut += data.length;
    this.#out(record, s.peer);
    return true;
  }

  sessions(): DtlsSessionInfo[] {
    return this.#sessions.all().map((s) => s.info());
  }

  /** Sends close_notify to, and forgets, every session the predicate selects; also forgets their resumption entries. */
  closeSessions(predicate: (s: DtlsSessionInfo) => boolean): number {
    let n = 0;
    for (const s of this.#sessions.all()) {
      if (!predicate(s.info())) continue;
      this.#out(s.closeNotify(), s.peer);
      this.#sessions.remove(s);
      this.#cache.dropWhere((id) => sameIdentity(id, s.identity));
      n++;
    }
    return n;
  }

  stats(): DtlsStats {
    return { ...this.#stats, handshakesInProgress: this.#handshakes.size, sessions: this.#sessions.size };
  }

  #armSweep(): void {
    const every = Math.max(1000, Math.min(60_000, Math.floor(this.#o.limits.sessionIdleMs / 4)));
    this.#sweep = this.#o.clock.setTimer(every, () => {
      const cutoff = this.#o.clock.now() - this.#o.limits.sessionIdleMs;
      for (const s of this.#sessions.all()) {
        if (s.lastSeenAt <= cutoff) {
          this.#sessions.remove(s);
          continue;
        }
        if (this.#o.clock.now() - s.establishedAt > 120_000) s.forgetFinalFlight();
        // Quiet for a sweep period: keep the keys, drop the cipher contexts (~1 KB native each).
        if (this.#o.clock.now() - s.lastSeenAt >= every) s.releaseCrypto();
      }
      this.#armSweep();
    });
  }

  /** Stops timers; with `notify`, sends close_notify to every peer first. */
  shutdown(notify: boolean): void {
    this.#sweep?.cancel();
    for (const key of this.#handshakes.keys()) this.#dropHandshake(key, 'shutdown');
    for (const s of this.#sessions.all()) {
      if (notify) this.#out(s.closeNotify(), s.peer);
      this.#sessions.remove(s);
    }
  }
}

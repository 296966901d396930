/**
 * An established DTLS association: epoch-1 keys both ways, the replay window, the peer's
 * identity and, with RFC 9146, the connection IDs. Kept small on purpose (no timers, no
 * handshake state) because a server holds one per device for hours.
 */
import { pooledRandomBytes } from '../random-pool.js';
import { peerKey, type PeerAddress, type PeerIdentity } from '../transport/types.js';
import { AlertDescription, AlertLevel, ContentType, HandshakeType } from './constants.js';
import { parseHandshakeFragments } from './handshake-message.js';
import type { CipherSuite } from './cipher-suites.js';
import type { RecordReader, RecordWriter } from './connection-state.js';
import { encodeFlight, type FlightItem } from './flight.js';
import type { DtlsRecord } from './record.js';

export interface DtlsSessionInfo {
  sessionKey: string;
  peer: PeerAddress;
  identity: PeerIdentity;
  cipherSuite: string;
  connectionId: boolean;
  establishedAt: number;
  lastSeenAt: number;
}

export class DtlsSession {
  readonly sessionKey = `dtls-${pooledRandomBytes(8).toString('hex')}`;
  readonly identity: PeerIdentity;
  readonly suite: CipherSuite;
  readonly establishedAt: number;
  /** Recognises late copies of the ClientHello that created this session. */
  readonly clientRandomTag: number;
  readonly maxPlaintext: number;
  /** Frozen: handed to the application with every datagram, never copied per datagram. */
  peer: Readonly<PeerAddress>;
  key: string;
  lastSeenAt: number;
  readonly #writer: RecordWriter;
  readonly #reader: RecordReader;
  #finalFlight: FlightItem[] | undefined;

  constructor(o: {
    peer: PeerAddress;
    clientRandomTag: number;
    identity: PeerIdentity;
    suite: CipherSuite;
    writer: RecordWriter;
    reader: RecordReader;
    finalFlight: FlightItem[] | undefined;
    maxPlaintext: number;
    now: number;
  }) {
    this.peer = Object.freeze({ address: o.peer.address, port: o.peer.port });
    this.key = peerKey(o.peer);
    this.clientRandomTag = o.clientRandomTag;
    this.identity = o.identity;
    this.suite = o.suite;
    this.#writer = o.writer;
    this.#reader = o.reader;
    this.#finalFlight = o.finalFlight;
    this.maxPlaintext = o.maxPlaintext;
    this.establishedAt = o.now;
    this.lastSeenAt = o.now;
  }

  /** The CID the peer puts in its records to us, hex; undefined without RFC 9146. */
  get ownCidHex(): string | undefined {
    return this.#reader.ownCid?.toString('hex');
  }

  get highestReceivedSeq(): number {
    return this.#reader.highestSeq;
  }

  open(rec: DtlsRecord): { type: number; content: Buffer } | undefined {
    return this.#reader.open(rec);
  }

  seal(type: number, content: Buffer): Buffer {
    return this.#writer.record(type, 1, content);
  }

  alert(level: number, description: number): Buffer {
    return this.seal(ContentType.alert, Buffer.from([level, description]));
  }

  closeNotify(): Buffer {
    return this.alert(AlertLevel.warning, 0);
  }

  /** Our CCS+Finished again, when the client repeats its Finished (RFC 6347 §4.2.4). */
  retransmitFinalFlight(mtu: number): Buffer[] {
    return this.#finalFlight ? encodeFlight(this.#finalFlight, this.#writer, mtu) : [];
  }

  /** For a session gone quiet: its AES contexts are re-made when it speaks again. */
  releaseCrypto(): void {
    this.#reader.releaseCrypto();
    this.#writer.releaseCrypto();
  }

  /** The peer's application data proves it has our Finished: the flight can go. */
  forgetFinalFlight(): void {
    this.#finalFlight = undefined;
  }

  /** RFC 5246 §7.2: what an alert from the peer asks of us. */
  onAlert(content: Buffer): { replies: Buffer[]; end: boolean } {
    if (content.length < 2) return { replies: [], end: false };
    // RFC 5246 §7.2.1: answer close_notify with close_notify, then forget the session.
    if (content[1] === AlertDescription.closeNotify) return { replies: [this.closeNotify()], end: true };
    return { replies: [], end: content[0] === AlertLevel.fatal };
  }

  /** Handshake traffic inside an established session: a renegotiation attempt or a repeated Finished. */
  onHandshake(content: Buffer, mtu: number): Buffer[] {
    const first = parseHandshakeFragments(content)[0];
    // RFC 5746 §4.2 / RFC 5246 §7.2.2: renegotiation is refused with a warning alert.
    if (first?.msgType === HandshakeType.clientHello) return [this.alert(AlertLevel.warning, AlertDescription.noRenegotiation)];
    if (first?.msgType === HandshakeType.finished) return this.retransmitFinalFlight(mtu);
    return [];
  }

  info(): DtlsSessionInfo {
    return {
      sessionKey: this.sessionKey,
      peer: { ...this.peer },
      identity: this.identity,
      cipherSuite: this.suite.name,
      connectionId: this.#reader.ownCid !== undefined,
      establishedAt: this.establishedAt,
      lastSeenAt: this.lastSeenAt,
    };
  }
}

/**
 * A DTLS 1.2 PSK client on one UDP socket connected to its server: the device side of coaps,
 * for the simulator and for tests and benchmarks. It also is a `Transport`, so a CoAP stack
 * runs over it unchanged (every datagram goes to, and comes from, the one server).
 *
 *   const c = await connectDtls({ server: { address: '127.0.0.1', port: 5684 }, identity, psk });
 *   c.onMessage((data) => ...);  c.send(coapBytes);  await c.close();
 *
 * The handshake retransmits its flights (RFC 6347 §4.2.4) and gives up after `timeoutMs`; a
 * fatal alert or close_notify from the server ends the connection (RFC 5246 §7.2).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { TimerHandle } from '../clock.js';
import type { InboundDatagram, PeerAddress, Transport } from '../transport/types.js';
import { AlertDescription, AlertLevel, ContentType, MAX_PLAINTEXT_LENGTH } from './constants.js';
import { ClientHandshake, type ClientHandshakeResult } from './client-handshake.js';
import { resolveClientOptions, type DtlsClientOptions, type ResolvedClientOptions } from './client-options.js';
import { SequenceExhaustedError } from './connection-state.js';
import { DtlsClientError } from './errors.js';
import { parseRecords, type DtlsRecord } from './record.js';

export type { DtlsClientOptions } from './client-options.js';

/** Server alerts that mean "your credentials were not accepted". */
const AUTH_ALERTS: ReadonlySet<number> = new Set([
  AlertDescription.unknownPskIdentity,
  AlertDescription.badRecordMac,
  AlertDescription.decryptError,
  AlertDescription.handshakeFailure,
  AlertDescription.insufficientSecurity,
]);

export interface DtlsClientStats {
  datagramsIn: number;
  datagramsOut: number;
  /** Records that did not parse, authenticate or fit the state (RFC 6347 §4.1.2.7: dropped). */
  recordsDropped: number;
  /** Handshake flights sent again (RFC 6347 §4.2.4). */
  retransmissions: number;
}

export class DtlsClient implements Transport {
  readonly scheme = 'coaps' as const;
  readonly #o: ResolvedClientOptions;
  readonly #socket: dgram.Socket;
  readonly #messageHandlers: Array<(data: Buffer) => void> = [];
  readonly #datagramHandlers: Array<(d: InboundDatagram) => void> = [];
  readonly #closeHandlers: Array<(err: Error | undefined) => void> = [];
  readonly #stats: DtlsClientStats = { datagramsIn: 0, datagramsOut: 0, recordsDropped: 0, retransmissions: 0 };
  #hs: ClientHandshake | undefined;
  #session: ClientHandshakeResult | undefined;
  #closed = false;

  private constructor(socket: dgram.Socket, o: ResolvedClientOptions) {
    this.#socket = socket;
    this.#o = o;
    socket.on('message', (msg) => this.#receive(msg));
    // A connected UDP socket reports ICMP errors (port unreachable) here; during the
    // handshake retransmission and the timeout deal with an absent server.
    socket.on('error', (e) => o.logger.debug({ err: e.message }, 'dtls client socket error'));
  }

  /** Opens a socket, runs the handshake, and resolves once it is complete. */
  static async connect(options: DtlsClientOptions): Promise<DtlsClient> {
    const o = resolveClientOptions(options);
    const socket = dgram.createSocket({ type: o.server.address.includes(':') ? 'udp6' : 'udp4' });
    try {
      socket.bind(o.localPort, o.localAddress);
      await once(socket, 'listening');
      // Connected: the kernel drops datagrams from anyone but the server.
      socket.connect(o.server.port, o.server.address);
      await once(socket, 'connect');
    } catch (e) {
      socket.close();
      throw new DtlsClientError('LWM2M_ERR_SERVICE_UNAVAILABLE', `dtls client: cannot open a socket to the server: ${(e as Error).message}`);
    }
    const c = new DtlsClient(socket, o);
    await c.#handshake();
    return c;
  }

  #handshake(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timeout: TimerHandle | undefined;
      const fail = (err: DtlsClientError): void => {
        timeout?.cancel();
        this.#hs?.cancel();
        this.#hs = undefined;
        this.#shut(err, false);
        reject(err);
      };
      this.#hs = new ClientHandshake(
        this.#o,
        {
          send: (d) => this.#out(d),
          complete: (r) => {
            timeout?.cancel();
            this.#stats.retransmissions = this.#hs?.retransmissions ?? 0;
            this.#hs = undefined;
            this.#session = r;
            this.#o.logger.debug({ suite: r.suite.name, cid: r.serverCid !== undefined }, 'dtls client connected');
            resolve();
          },
          fail: (reason, alert) => {
            const code = alert === undefined ? 'LWM2M_ERR_BAD_PAYLOAD' : AUTH_ALERTS.has(alert) ? 'LWM2M_ERR_UNAUTHORIZED' : 'LWM2M_ERR_SERVICE_UNAVAILABLE';
            fail(new DtlsClientError(code, `dtls handshake failed: ${reason}`, alert));
          },
        },
      );
      timeout = this.#o.clock.setTimer(this.#o.timeoutMs, () => fail(new DtlsClientError('LWM2M_ERR_TIMEOUT', `dtls handshake did not finish in ${this.#o.timeoutMs} ms`)));
      this.#hs.start();
    });
  }

  #out(d: Buffer): void {
    if (this.#closed) return;
    this.#stats.datagramsOut++;
    // No callback: a failed send on a connected socket is emitted as 'error' (handled above).
    this.#socket.send(d);
  }

  #receive(msg: Buffer): void {
    this.#stats.datagramsIn++;
    const records = parseRecords(msg, this.#o.ownCid?.length ?? 0);
    if (records.length === 0) this.#stats.recordsDropped++;
    for (const rec of records) {
      if (this.#closed) return;
      if (this.#hs) this.#hs.handleRecord(rec);
      else if (this.#session) this.#onSessionRecord(this.#session, rec);
    }
  }

  #onSessionRecord(s: ClientHandshakeResult, rec: DtlsRecord): void {
    const opened = rec.epoch === 1 ? s.reader.open(rec) : undefined;
    if (!opened) {
      // Late epoch-0 copies of the handshake, forgeries, replays.
      this.#stats.recordsDropped++;
      return;
    }
    if (opened.type === ContentType.applicationData) {
      this.#deliver(opened.content);
    } else if (opened.type === ContentType.alert && opened.content.length >= 2) {
      const [level, description] = [opened.content[0]!, opened.content[1]!];
      // RFC 5246 §7.2.1: answer close_notify with close_notify; a fatal alert ends the session.
      if (description === AlertDescription.closeNotify) this.#shut(new DtlsClientError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'server closed the DTLS session', description), true);
      else if (level === AlertLevel.fatal) this.#shut(new DtlsClientError('LWM2M_ERR_SERVICE_UNAVAILABLE', `server sent fatal alert ${description}`, description), false);
    }
    // Handshake records here are a repeated server Finished (nothing to do) or a HelloRequest,
    // which RFC 5246 §7.4.1.1 lets a client ignore: we do not renegotiate.
  }

  #deliver(data: Buffer): void {
    for (const h of this.#messageHandlers) this.#call(h, data);
    if (this.#datagramHandlers.length === 0) return;
    const d: InboundDatagram = { data, peer: { ...this.#o.server } };
    for (const h of this.#datagramHandlers) this.#call(h, d);
  }

  #call<T>(h: (v: T) => void, v: T): void {
    try {
      h(v);
    } catch (e) {
      this.#o.logger.error({ err: (e as Error).message }, 'dtls client handler threw');
    }
  }

  /** Sends `data` as one application-data record. `peer` is ignored: there is only the server. */
  send(data: Buffer, _peer?: PeerAddress): void {
    if (this.#closed || !this.#session) throw new DtlsClientError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'dtls client is closed');
    if (data.length > MAX_PLAINTEXT_LENGTH) throw new DtlsClientError('LWM2M_ERR_BAD_PAYLOAD', `dtls record limit is ${MAX_PLAINTEXT_LENGTH} bytes`);
    // Empty application data carries nothing (and OpenSSL's CCM cannot open it).
    if (data.length === 0) return;
    let record: Buffer;
    try {
      record = this.#session.writer.record(ContentType.applicationData, 1, data);
    } catch (e) {
      // RFC 6347 §4.1: sequence numbers never wrap; the session has to end.
      if (!(e instanceof SequenceExhaustedError)) throw e;
      this.#shut(new DtlsClientError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'dtls sequence numbers exhausted'), true);
      throw new DtlsClientError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'dtls client is closed');
    }
    this.#out(record);
  }

  /** Decrypted application data from the server. */
  onMessage(handler: (data: Buffer) => void): void {
    this.#messageHandlers.push(handler);
  }

  /** `Transport`: the same data with the server as peer. */
  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#datagramHandlers.push(handler);
  }

  /** Called once when the connection ends: `err` is undefined for our own close(). */
  onClose(handler: (err: Error | undefined) => void): void {
    this.#closeHandlers.push(handler);
  }

  /** Our local address. */
  address(): PeerAddress {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  get server(): PeerAddress {
    return { ...this.#o.server };
  }

  get cipherSuite(): string | undefined {
    return this.#session?.suite.name;
  }

  /** Whether RFC 9146 connection IDs are in use for our records. */
  get connectionId(): boolean {
    return this.#session?.serverCid !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): DtlsClientStats {
    return { ...this.#stats };
  }

  /** Sends close_notify (unless `notify` is false) and closes the socket. */
  async close(notify = true): Promise<void> {
    if (this.#closed) return;
    await this.#shut(undefined, notify);
  }

  #shut(err: Error | undefined, notify: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve();
    let alert: Buffer | undefined;
    if (notify && this.#session) {
      try {
        alert = this.#session.writer.record(ContentType.alert, 1, Buffer.from([AlertLevel.warning, AlertDescription.closeNotify]));
      } catch {
        // sequence exhausted: close without notifying
      }
    }
    this.#closed = true;
    this.#hs?.cancel();
    this.#hs = undefined;
    this.#session?.reader.releaseCrypto();
    this.#session?.writer.releaseCrypto();
    for (const h of this.#closeHandlers.splice(0)) this.#call(h, err);
    return new Promise<void>((resolve) => {
      const end = (): void => {
        try {
          this.#socket.close(() => resolve());
        } catch {
          resolve();
        }
      };
      if (alert) this.#socket.send(alert, end);
      else end();
    });
  }
}

/** `DtlsClient.connect`: a finished handshake with `options.server`, or a `DtlsClientError`. */
export function connectDtls(options: DtlsClientOptions): Promise<DtlsClient> {
  return DtlsClient.connect(options);
}

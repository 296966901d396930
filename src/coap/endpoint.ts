import { systemClock, systemRandom, type Clock, type RandomSource } from '../clock.js';
import { Lwm2mError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { peerKey, type InboundDatagram, type PeerAddress, type Transport } from '../transport/types.js';
import { ACK, CON, RST, MalformedMessage, decode, emptyMessage, type CoapMessage } from './codec.js';
import { DedupCache, type DedupEntry } from './dedup.js';
import { MessageLayer } from './message-layer.js';
import { sendNotification, type OutgoingNotification } from './notifier.js';
import { Observer, toResponse, type ObservationEntry } from './observer.js';
import { resolveParameters, type CoapParameters } from './parameters.js';
import { Requester, tokenKey } from './requester.js';
import { Responder } from './responder.js';
import { Scheduler } from './scheduler.js';
import { newCounters, type Counters } from './stats.js';
import type {
  CoapStats,
  IncomingResponse,
  NotificationHandler,
  Observation,
  OrphanHandler,
  OutgoingRequest,
  RequestHandler,
} from './types.js';

export interface CoapEndpointOptions {
  transport: Transport;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  params?: Partial<CoapParameters>;
}

/**
 * A CoAP endpoint on one transport: serves requests from peers and sends requests, observations
 * and block-wise transfers to them from the same socket (ARCHITECTURE.md: a device behind NAT
 * only answers the address it registered with).
 */
export class CoapEndpoint {
  readonly params: Readonly<CoapParameters>;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #stats: Counters = newCounters();
  readonly #scheduler: Scheduler;
  readonly #ml: MessageLayer;
  readonly #dedup: DedupCache;
  readonly #requester: Requester;
  readonly #observer: Observer;
  readonly #responder: Responder;
  #orphan: OrphanHandler | undefined;
  #closed = false;

  constructor(opts: CoapEndpointOptions) {
    this.params = resolveParameters(opts.params);
    this.#transport = opts.transport;
    this.#clock = opts.clock ?? systemClock;
    const random = opts.random ?? systemRandom;
    this.#log = opts.logger ?? silentLogger();
    this.#scheduler = new Scheduler(this.#clock);
    this.#ml = new MessageLayer(this.#transport, this.#scheduler, this.#clock, random, this.params, this.#stats, this.#log);
    this.#dedup = new DedupCache(this.params.EXCHANGE_LIFETIME, this.params.NON_LIFETIME, this.params.MAX_DEDUP_ENTRIES);
    const observations = new Map<string, ObservationEntry>();
    this.#requester = new Requester(this.#ml, this.#scheduler, this.#clock, random, this.params, this.#stats, this.#log, observations);
    this.#observer = new Observer(this.#requester, this.#stats, this.#log, observations);
    this.#responder = new Responder(this.#ml, this.#scheduler, this.#clock, this.params, this.#stats, this.#log);
    this.#transport.onDatagram((d) => this.#receive(d));
  }

  onRequest(handler: RequestHandler): void {
    this.#responder.handler = handler;
  }

  onOrphanNotification(handler: OrphanHandler): void {
    this.#orphan = handler;
  }

  request(peer: PeerAddress, req: OutgoingRequest): Promise<IncomingResponse> {
    return this.#requester.request(peer, req);
  }

  observe(peer: PeerAddress, req: OutgoingRequest, onNotification: NotificationHandler): Promise<Observation> {
    return this.#observer.observe(peer, req, onNotification);
  }

  /** Re-attaches an observation known from a store (no request is sent). `req` enables Block2 follow-ups and active cancel. `token` is kept as given (not copied). */
  attachObservation(peer: PeerAddress, token: Buffer, onNotification: NotificationHandler, req?: OutgoingRequest | (() => OutgoingRequest)): void {
    this.#observer.attach(peer, token, onNotification, req);
  }

  detachObservation(peer: PeerAddress, token: Buffer): boolean {
    return this.#observer.detach(peer, token);
  }

  /** Cancels an observation by token (e.g. one re-attached from a store). */
  cancelObservation(peer: PeerAddress, token: Buffer, mode: 'active' | 'passive' = 'active', req?: OutgoingRequest): Promise<void> {
    return this.#observer.cancel(peer, token, mode, req);
  }

  /**
   * Sends a notification for an observation a peer holds on us (RFC 7641 §4.2): see
   * sendNotification. CON: resolves on ACK, rejects on RST (passive cancel) or give-up; NON:
   * resolves when sent.
   */
  notify(peer: PeerAddress, token: Buffer, response: OutgoingNotification, opts: { confirmable?: boolean } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new Lwm2mError('LWM2M_ERR_CANCELLED', 'endpoint closed'));
    return sendNotification(this.#ml, this.params, peer, token, response, opts.confirmable === true);
  }

  address(): PeerAddress {
    return this.#transport.address();
  }

  stats(): CoapStats {
    return {
      ...this.#stats,
      outstandingExchanges: this.#requester.exchanges.size - this.#requester.queued,
      queuedRequests: this.#requester.queued,
      pendingCon: this.#ml.pending.size,
      dedupEntries: this.#dedup.size,
      observations: this.#observer.entries.size,
      blockTransfers: this.#responder.uploads.size + this.#responder.downloads.size,
      peers: this.#ml.peers.size,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#requester.close();
    this.#responder.close();
    this.#scheduler.close();
    this.#ml.close();
    this.#dedup.clear();
    this.#observer.entries.clear();
    await this.#transport.close();
  }

  #receive(d: InboundDatagram): void {
    if (this.#closed) return;
    this.#stats.datagramsIn++;
    let msg: CoapMessage;
    try {
      msg = decode(d.data);
    } catch (e) {
      this.#malformed(d, e);
      return;
    }
    try {
      this.#dispatch(d, msg);
    } catch (e) {
      // Defensive: a bug in a layer must not take the socket down with it.
      this.#stats.internalErrors++;
      this.#log.error({ err: e, peer: d.peer }, 'coap: failed to process a datagram');
    }
  }

  #malformed(d: InboundDatagram, e: unknown): void {
    this.#stats.malformed++;
    const reason = e instanceof Error ? e.message : String(e);
    this.#log.debug({ peer: d.peer, reason, bytes: d.data.length }, 'coap: malformed datagram dropped');
    // RFC 7252 §4.2: a CON with a format error is rejected with RST (when its MID can be read).
    if (e instanceof MalformedMessage && e.type === CON && e.mid !== undefined) this.#ml.sendReset(d.peer, e.mid);
  }

  #dispatch(d: InboundDatagram, msg: CoapMessage): void {
    const pk = peerKey(d.peer);
    const cls = msg.code >> 5;
    if (msg.code === 0) {
      if (msg.type === CON) this.#ml.sendReset(d.peer, msg.mid); // §4.3: CoAP ping
      else if (msg.type === ACK || msg.type === RST) this.#ml.matchReply(pk, msg);
      return; // an Empty NON is meaningless (§4.1): ignored
    }
    if (cls === 1 || cls >= 6 || ((msg.type === ACK || msg.type === RST) && (cls === 0 || msg.type === RST))) {
      // Reserved classes, a request in an ACK, or an RST with content: message format errors (§4.2, §4.3).
      return this.#malformed(d, new MalformedMessage(`code class ${cls} in message type ${msg.type}`, d.data));
    }
    if (msg.type === ACK) {
      if (!this.#ml.matchReply(pk, msg)) this.#log.debug({ peer: d.peer, mid: msg.mid }, 'coap: unmatched ACK');
      return;
    }
    const confirmable = msg.type === CON;
    const now = this.#clock.now();
    const seen = this.#dedup.get(pk, msg.mid, confirmable, now);
    if (seen !== undefined) {
      this.#stats.duplicates++;
      if (confirmable && seen.reply !== undefined) this.#ml.sendRaw(Buffer.from(seen.reply, 'latin1'), d.peer);
      return;
    }
    const entry = this.#dedup.add(pk, msg.mid, confirmable, now);
    if (cls === 0) return this.#responder.handle(d, pk, msg, entry);
    this.#response(d, pk, msg, now, entry);
  }

  /** ACKs a CON response or notification and remembers the ACK for its duplicates (RFC 7252 §4.5). */
  #ack(d: InboundDatagram, msg: CoapMessage, entry: DedupEntry): void {
    if (msg.type !== CON) return;
    const data = emptyMessage(ACK, msg.mid);
    entry.reply = data.toString('latin1');
    this.#ml.sendRaw(data, d.peer);
  }

  /** A separate response or a notification (CON or NON), matched by (peer, token). */
  #response(d: InboundDatagram, pk: string, msg: CoapMessage, now: number, entry: DedupEntry): void {
    const tk = tokenKey(pk, msg.token);
    const ex = this.#requester.exchanges.get(tk);
    if (msg.badCritical !== undefined) {
      // RFC 7252 §5.4.1: rejected (RST); an exchange waiting for it fails.
      ex?.onResponse(msg);
      return this.#reset(d, msg, entry);
    }
    if (ex !== undefined && ex.started) {
      this.#ack(d, msg, entry);
      ex.onResponse(msg);
      return;
    }
    // RFC 7641 §4.1 / §3.4: CON notifications are acknowledged even when stale.
    if (this.#observer.entries.has(tk)) {
      this.#ack(d, msg, entry);
      this.#observer.deliver(tk, msg, d.peer, now);
      return;
    }
    this.#stats.orphanNotifications++;
    let accepted = false;
    if (this.#orphan !== undefined) {
      try {
        accepted = this.#orphan(toResponse(msg, d.peer, msg.payload));
      } catch (err) {
        this.#log.warn({ err }, 'coap: orphan notification handler threw');
      }
    }
    if (accepted) {
      this.#ack(d, msg, entry);
      // The handler may have re-attached the token: deliver to it straight away.
      if (this.#observer.entries.has(tk)) this.#observer.deliver(tk, msg, d.peer, now);
      return;
    }
    // RFC 7641 §3.6 / RFC 7252 §5.3.2: an unexpected response is rejected with RST.
    this.#reset(d, msg, entry);
  }

  #reset(d: InboundDatagram, msg: CoapMessage, entry: DedupEntry): void {
    const rst = emptyMessage(RST, msg.mid);
    if (msg.type === CON) entry.reply = rst.toString('latin1');
    this.#stats.resetsSent++;
    this.#ml.sendRaw(rst, d.peer);
  }
}

import type { Logger } from '../log.js';
import { peerKey, type PeerAddress } from '../transport/types.js';
import { CON, codeString, type CoapMessage } from './codec.js';
import { decodeBlock } from './block.js';
import { tokenKey, type Requester } from './requester.js';
import type { Counters } from './stats.js';
import type { IncomingResponse, NotificationHandler, Observation, OutgoingRequest } from './types.js';

/** One observation we hold on a peer's resource, keyed by (peer, token). */
export interface ObservationEntry {
  peer: PeerAddress;
  token: Buffer;
  onNotification: NotificationHandler;
  /**
   * The registering request, for Block2 follow-ups and active cancel; absent after a bare
   * re-attach. A function when re-attached from the store: built only when needed (most
   * notifications are neither block-wise nor cancelled).
   */
  req: OutgoingRequest | (() => OutgoingRequest) | undefined;
  /** Last accepted Observe sequence number and when it arrived (RFC 7641 §3.4). */
  lastSeq: number;
  lastTime: number;
}

const SEQ_HALF = 1 << 23;
/** RFC 7641 §4.4: sequence numbers older than 128 s no longer count. */
const FRESHNESS_WINDOW = 128_000;

/** RFC 7641 §3.4: is the notification (seq2, t2) newer than the last one (seq1, t1)? */
export function isFresher(seq1: number, t1: number, seq2: number, t2: number): boolean {
  if (seq1 < 0) return true;
  return (seq1 < seq2 && seq2 - seq1 < SEQ_HALF) || (seq1 > seq2 && seq1 - seq2 > SEQ_HALF) || t2 > t1 + FRESHNESS_WINDOW;
}

/**
 * The observe half of the exchange layer (RFC 7641): registrations, notification matching by
 * (peer, token), freshness, cancellation, and Block2 notifications (RFC 7959 §3.4).
 */
export class Observer {
  constructor(
    readonly requester: Requester,
    readonly stats: Counters,
    readonly log: Logger,
    /** Shared with the Requester, which keeps new tokens clear of these. */
    readonly entries: Map<string, ObservationEntry>,
  ) {}

  async observe(peer: PeerAddress, req: OutgoingRequest, onNotification: NotificationHandler): Promise<Observation> {
    const observeReq: OutgoingRequest = Object.assign({}, req, { observe: 0 });
    let entry: ObservationEntry | undefined;
    const forget = (): void => {
      if (entry !== undefined && this.entries.get(tokenKey(peerKey(peer), entry.token)) === entry) {
        this.entries.delete(tokenKey(peerKey(peer), entry.token));
      }
    };
    let response: IncomingResponse;
    try {
      response = await this.requester.request(peer, observeReq, (ex) => {
        ex.freshTokenForBlocks = true;
        ex.onObserveAccepted = (msg) => {
          // Registered at the first response so notifications racing a Block2 follow-up are kept.
          entry = this.#add(peer, msg.token, onNotification, observeReq, msg.observe!, this.requester.clock.now());
        };
      });
    } catch (err) {
      forget(); // e.g. the first block came with Observe but a follow-up block failed
      throw err;
    }
    const token = response.token;
    // A 2.xx without Observe (or an error) means the peer did not register us (RFC 7641 §3.1).
    if (response.observe === undefined || response.code[0] !== '2') forget();
    return {
      response,
      token,
      cancel: (mode = 'active') => this.cancel(peer, token, mode, observeReq),
    };
  }

  /** Takes `token` as it is (callers hand over a buffer of their own). */
  attach(peer: PeerAddress, token: Buffer, onNotification: NotificationHandler, req?: OutgoingRequest | (() => OutgoingRequest)): void {
    this.#add(peer, token, onNotification, req, -1, 0);
  }

  detach(peer: PeerAddress, token: Buffer): boolean {
    return this.entries.delete(tokenKey(peerKey(peer), token));
  }

  /**
   * RFC 7641 §3.6: 'passive' forgets the observation (the next notification is answered with
   * RST because its token is unknown); 'active' also sends a GET with Observe=1, same token and
   * options. It settles at the peer's ACK, empty or not: node-lib answers with an empty ACK and
   * never a response, and waiting for one would hold the peer's NSTART slot. It never rejects:
   * the observation is gone locally either way, and a late notification gets RST.
   */
  async cancel(peer: PeerAddress, token: Buffer, mode: 'active' | 'passive', req?: OutgoingRequest): Promise<void> {
    const key = tokenKey(peerKey(peer), token);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    const original = req ?? (entry ? requestOf(entry) : undefined);
    if (mode === 'passive' || original === undefined) return;
    const { observe: _ignored, ...rest } = original;
    const deregister: OutgoingRequest = Object.assign({}, rest, { method: original.method, observe: 1 as const });
    try {
      await this.requester.request(peer, deregister, (ex) => (ex.doneOnEmptyAck = true), { token });
    } catch (err) {
      this.log.debug({ err, peer }, 'coap: observe cancel request failed; the observation is forgotten anyway');
    }
  }

  /** A CON/NON response whose tokenKey matches an observation. Returns false if none matched. */
  deliver(key: string, msg: CoapMessage, peer: PeerAddress, now: number): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.stats.notifications++;
    const ends = msg.observe === undefined || msg.code >> 5 !== 2;
    if (!ends) {
      if (!isFresher(entry.lastSeq, entry.lastTime, msg.observe!, now)) {
        this.stats.staleNotifications++;
        return true;
      }
      entry.lastSeq = msg.observe!;
      entry.lastTime = now;
    } else {
      // RFC 7641 §3.2: an error, or a response without Observe, ends the observation.
      this.entries.delete(key);
    }
    if (msg.block2 !== undefined && decodeBlock(msg.block2).more && !ends) {
      this.#fetchRest(entry, msg, peer);
      return true;
    }
    this.#emit(entry, toResponse(msg, peer, msg.payload));
    return true;
  }

  #fetchRest(entry: ObservationEntry, first: CoapMessage, peer: PeerAddress): void {
    const req = requestOf(entry);
    if (req === undefined) {
      this.log.warn({ peer }, 'coap: Block2 notification on a re-attached observation without its request; delivering block 0 only');
      this.#emit(entry, toResponse(first, peer, first.payload));
      return;
    }
    const { observe: _ignored, ...get } = req;
    // RFC 7959 §3.4: the rest of a notification is fetched with plain GETs, without Observe.
    this.requester.request(peer, get, undefined, { block2Start: { first } }).then(
      (whole) => {
        // A newer notification arrived while the blocks were fetched: this one is stale now.
        if (entry.lastSeq !== first.observe || !this.entries.has(tokenKey(peerKey(peer), first.token))) {
          this.stats.staleNotifications++;
          return;
        }
        this.#emit(entry, Object.assign({}, whole, { observe: first.observe, token: first.token, confirmable: first.type === CON }));
      },
      (err: unknown) => this.log.debug({ err, peer }, 'coap: fetching the rest of a Block2 notification failed'),
    );
  }

  #emit(entry: ObservationEntry, res: IncomingResponse): void {
    try {
      entry.onNotification(res);
    } catch (err) {
      this.log.warn({ err }, 'coap: notification handler threw');
    }
  }

  #add(peer: PeerAddress, token: Buffer, on: NotificationHandler, req: ObservationEntry['req'], seq: number, t: number): ObservationEntry {
    const entry: ObservationEntry = { peer: { address: peer.address, port: peer.port }, token, onNotification: on, req, lastSeq: seq, lastTime: t };
    this.entries.set(tokenKey(peerKey(peer), token), entry);
    return entry;
  }
}

/** The entry's request, built (once) if it was given as a function. */
function requestOf(entry: ObservationEntry): OutgoingRequest | undefined {
  if (typeof entry.req === 'function') entry.req = entry.req();
  return entry.req;
}

export function toResponse(msg: CoapMessage, peer: PeerAddress, payload: Buffer): IncomingResponse {
  const res: IncomingResponse = {
    code: codeString(msg.code),
    payload,
    locationPath: msg.locationPath,
    peer,
    token: msg.token,
    confirmable: msg.type === CON,
  };
  if (msg.contentFormat !== undefined) res.contentFormat = msg.contentFormat;
  if (msg.observe !== undefined) res.observe = msg.observe;
  return res;
}

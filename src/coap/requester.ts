import type { Clock, RandomSource } from '../clock.js';
import { Lwm2mError } from '../errors.js';
import type { Logger } from '../log.js';
import { peerKey, type PeerAddress } from '../transport/types.js';
import { ClientExchange, type Block2Start } from './client-exchange.js';
import type { MessageLayer, PeerState } from './message-layer.js';
import type { CoapParameters } from './parameters.js';
import type { Scheduler } from './scheduler.js';
import type { Counters } from './stats.js';
import type { IncomingResponse, OutgoingRequest } from './types.js';

export function tokenKey(pk: string, token: Buffer): string {
  return `${pk}|${token.toString('latin1')}`;
}

/**
 * The client half of the exchange layer: tokens (RFC 7252 §5.3.1) unique per peer, matching
 * responses by (peer, token), and NSTART (§4.7): at most NSTART outstanding requests per peer,
 * the rest wait in a FIFO.
 */
export class Requester {
  /** Exchanges waiting for a response, by tokenKey. */
  readonly exchanges = new Map<string, ClientExchange>();
  queued = 0;
  #closed = false;

  constructor(
    readonly ml: MessageLayer,
    readonly scheduler: Scheduler,
    readonly clock: Clock,
    readonly random: RandomSource,
    readonly params: Readonly<CoapParameters>,
    readonly stats: Counters,
    readonly log: Logger,
    /** Tokens held by observations (owned by the Observer), so new tokens never collide. */
    readonly reserved: ReadonlyMap<string, unknown>,
  ) {}

  /** Sends a request; with `token`, reuses that token (active observe cancel, RFC 7641 §3.6). */
  request(
    peer: PeerAddress,
    req: OutgoingRequest,
    setup?: (ex: ClientExchange) => void,
    opts: { token?: Buffer; block2Start?: Block2Start } = {},
  ): Promise<IncomingResponse> {
    if (this.#closed) return Promise.reject(new Lwm2mError('LWM2M_ERR_CANCELLED', 'endpoint closed'));
    const pk = peerKey(peer);
    const ps = this.ml.peerState(peer, pk);
    return new Promise<IncomingResponse>((resolve, reject) => {
      const ex = new ClientExchange(this, ps, req, resolve, reject, opts.block2Start);
      this.#assignToken(ex, opts.token);
      setup?.(ex);
      this.scheduler.schedule(ex, this.clock.now() + (req.timeoutMs ?? this.params.REQUEST_TIMEOUT));
      if (ps.active < this.params.NSTART) {
        ps.active++;
        ex.start();
      } else {
        ps.queue.push(ex);
        this.queued++;
      }
    });
  }

  /** A new token for a follow-up round (the old one may carry notifications). */
  retoken(ex: ClientExchange): void {
    if (this.exchanges.get(ex.tokenKey) === ex) this.exchanges.delete(ex.tokenKey);
    this.#assignToken(ex);
  }

  /** Called once by every exchange when it resolves or rejects. */
  finished(ex: ClientExchange): void {
    this.scheduler.cancel(ex);
    if (this.exchanges.get(ex.tokenKey) === ex) this.exchanges.delete(ex.tokenKey);
    const ps = ex.ps;
    if (!ex.started) {
      this.queued--; // failed while queued: skipped (not counted again) when its turn comes
      return;
    }
    ps.active--;
    this.#startQueued(ps);
  }

  #startQueued(ps: PeerState): void {
    if (this.#closed) return;
    while (ps.active < this.params.NSTART && ps.queueHead < ps.queue.length) {
      const next = ps.queue[ps.queueHead++] as ClientExchange;
      if (next.done) continue;
      this.queued--;
      ps.active++;
      next.start();
    }
    if (ps.queueHead === ps.queue.length) {
      ps.queue.length = 0;
      ps.queueHead = 0;
    } else if (ps.queueHead > 1024 && ps.queueHead * 2 > ps.queue.length) {
      ps.queue = ps.queue.slice(ps.queueHead);
      ps.queueHead = 0;
    }
  }

  #assignToken(ex: ClientExchange, token?: Buffer): void {
    let key: string;
    if (token !== undefined) {
      key = tokenKey(ex.ps.key, token);
      this.exchanges.get(key)?.fail(new Lwm2mError('LWM2M_ERR_CANCELLED', 'token reused'));
    } else {
      token = this.#randomToken();
      key = tokenKey(ex.ps.key, token);
      // On a collision, step the low 32 bits: terminates even with a degenerate RandomSource.
      for (let step = 1; this.exchanges.has(key) || this.reserved.has(key); step++) {
        const at = token.length - 4;
        token.writeUInt32BE((token.readUInt32BE(at) + step) >>> 0, at);
        key = tokenKey(ex.ps.key, token);
      }
    }
    ex.token = token;
    ex.tokenKey = key;
    this.exchanges.set(key, ex);
  }

  #randomToken(): Buffer {
    const n = this.params.TOKEN_LENGTH;
    const t = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = Math.floor(this.random() * 0x1_0000_0000) >>> 0;
      for (let j = 0; j < 4 && i + j < n; j++) t[i + j] = (v >>> (24 - 8 * j)) & 0xff;
    }
    return t;
  }

  close(): void {
    this.#closed = true;
    const err = new Lwm2mError('LWM2M_ERR_CANCELLED', 'endpoint closed');
    for (const ex of [...this.exchanges.values()]) ex.fail(err);
  }
}

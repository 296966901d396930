import type { Clock, TimerHandle } from '../clock.js';
import type { OutgoingResponse } from '../coap/types.js';
import { isPrefixOf } from '../content/path.js';
import type { LwM2mPath } from '../content/types.js';
import type { Logger } from '../log.js';
import { peerKey, type PeerAddress } from '../transport/types.js';
import type { NotificationAttributes } from '../content/link-attributes.js';
import type { AttributeStore } from './attributes.js';

/** Sends one notification outside a request/response pair (CoapEndpoint.notify). */
export type NotifySender = (
  peer: PeerAddress,
  token: Buffer,
  response: OutgoingResponse & { observe: number },
  opts: { confirmable: boolean },
) => Promise<void>;

export interface ObservationSpec {
  peer: PeerAddress;
  token: Buffer;
  paths: LwM2mPath[];
  composite: boolean;
  /** The Content-Format of the first answer; notifications keep it (RFC 7641 §3.2). */
  format: number;
}

/** One observation a server holds on this client. */
export interface SimObservation extends ObservationSpec {
  key: string;
  /** When the last notification (or the first answer) went out, ms. */
  lastSentAt: number;
  /** The numeric value last reported, for gt/lt/st (single numeric resource only). */
  lastNumber: number | undefined;
  pmin: TimerHandle | undefined;
  pmax: TimerHandle | undefined;
  /** A change happened while the radio was off: notify at wake-up. */
  dueAtWake: boolean;
  notificationsSent: number;
  /** The attributes in force, cached until the attribute store changes. */
  attrs: { version: number; value: NotificationAttributes } | undefined;
}

export interface ObservationTableOptions {
  clock: Clock;
  attributes: AttributeStore;
  logger: Logger;
  /** Builds the notification body from the current values (throws when the paths are gone). */
  render(o: SimObservation): { contentFormat: number; payload: Buffer };
  /** The current numeric value at a single-resource observation, for thresholds. */
  numberAt(path: LwM2mPath): number | undefined;
  isAsleep(): boolean;
  /** Default for notifications without the 1.2 `con` attribute. */
  confirmable: boolean;
  /** A notification was sent (NON) or acknowledged (CON): true; rejected or unacknowledged: false. */
  onSettled?: (o: SimObservation, delivered: boolean) => void;
}

const keyOf = (peer: PeerAddress, token: Buffer): string => `${peerKey(peer)}|${token.toString('hex')}`;

/**
 * The client side of Observe (RFC 7641, LwM2M 1.1 Core §6.4): observations by (server, token),
 * notifications on change honouring pmin/pmax/gt/lt/st (§5.1.2), timers on the injected clock,
 * active cancel (Observe=1) and passive cancel (an RST to a confirmable notification, RFC 7641
 * §3.6). Without a sender (no notify on the CoAP endpoint) changes are only counted.
 */
export class ObservationTable {
  readonly #o: ObservationTableOptions;
  readonly #all = new Map<string, SimObservation>();
  #sender: NotifySender | undefined;
  /** RFC 7641 §4.4: one increasing 24-bit sequence for the client keeps every notification fresh. */
  #seq = 1;
  readonly counters = { notificationsSent: 0, notificationsFailed: 0, passiveCancels: 0, activeCancels: 0 };

  constructor(o: ObservationTableOptions) {
    this.#o = o;
  }

  setSender(sender: NotifySender | undefined): void {
    this.#sender = sender;
  }

  list(): SimObservation[] {
    return [...this.#all.values()];
  }

  get size(): number {
    return this.#all.size;
  }

  /** A new observation (a GET/FETCH with Observe=0 that was answered 2.05); returns its Observe value. */
  add(spec: ObservationSpec): number {
    const key = keyOf(spec.peer, spec.token);
    this.#clear(this.#all.get(key));
    const o: SimObservation = {
      ...spec,
      token: Buffer.from(spec.token),
      key,
      lastSentAt: this.#o.clock.now(),
      lastNumber: spec.composite ? undefined : this.#o.numberAt(spec.paths[0]!),
      pmin: undefined,
      pmax: undefined,
      dueAtWake: false,
      notificationsSent: 0,
      attrs: undefined,
    };
    this.#all.set(key, o);
    this.#armPmax(o);
    return this.#nextSeq();
  }

  /** Active cancel (GET/FETCH with Observe=1 and the observation's token). */
  cancelByToken(peer: PeerAddress, token: Buffer): boolean {
    const o = this.#all.get(keyOf(peer, token));
    if (o === undefined) return false;
    this.counters.activeCancels++;
    this.#remove(o);
    return true;
  }

  /** Values changed at these paths: notify every observation that covers one of them. */
  changed(paths: readonly LwM2mPath[]): void {
    for (const o of this.#all.values()) {
      if (!paths.some((p) => o.paths.some((op) => isPrefixOf(op, p) || isPrefixOf(p, op)))) continue;
      if (!this.#thresholdsAllow(o)) continue;
      this.#due(o);
    }
  }

  /** Write-Attributes changed pmin/pmax: re-arm the timers. */
  attributesChanged(): void {
    for (const o of this.#all.values()) this.#armPmax(o);
  }

  /** The radio is back on: notify what changed while it was off. */
  flush(): void {
    for (const o of this.#all.values()) {
      if (!o.dueAtWake) continue;
      o.dueAtWake = false;
      this.#due(o);
    }
  }

  clear(): void {
    for (const o of [...this.#all.values()]) this.#remove(o);
  }

  /** Composite observations have no attributes of their own in 1.1 (§6.4.3). */
  #attrs(o: SimObservation): NotificationAttributes {
    const store = this.#o.attributes;
    if (o.attrs?.version !== store.version) o.attrs = { version: store.version, value: o.composite ? {} : store.effective(o.paths[0]!) };
    return o.attrs.value;
  }

  /** gt/lt: notify when the value crosses a threshold; st: when it moved at least st (§5.1.2). */
  #thresholdsAllow(o: SimObservation): boolean {
    const a = this.#attrs(o);
    if (a.gt === undefined && a.lt === undefined && a.st === undefined) return true;
    const now = o.composite ? undefined : this.#o.numberAt(o.paths[0]!);
    const last = o.lastNumber;
    if (now === undefined || last === undefined) return true;
    const crossed = (t: number | undefined) => t !== undefined && (last - t) * (now - t) <= 0 && last !== now;
    if (crossed(a.gt) || crossed(a.lt)) return true;
    if (a.st !== undefined && Math.abs(now - last) >= a.st) return true;
    return false;
  }

  /** Notify now, or at lastSentAt + pmin if that is later (a pending pmin timer already covers it). */
  #due(o: SimObservation): void {
    if (o.pmin !== undefined) return;
    const pminMs = (this.#attrs(o).pmin ?? 0) * 1000;
    const wait = o.lastSentAt + pminMs - this.#o.clock.now();
    if (wait <= 0) return this.#send(o);
    o.pmin = this.#o.clock.setTimer(wait, () => {
      o.pmin = undefined;
      if (this.#all.get(o.key) === o) this.#send(o);
    });
  }

  #armPmax(o: SimObservation): void {
    o.pmax?.cancel();
    o.pmax = undefined;
    const pmax = this.#attrs(o).pmax;
    if (pmax === undefined || pmax <= 0) return;
    const wait = Math.max(0, o.lastSentAt + pmax * 1000 - this.#o.clock.now());
    o.pmax = this.#o.clock.setTimer(wait, () => {
      o.pmax = undefined;
      if (this.#all.get(o.key) !== o) return;
      this.#send(o);
    });
  }

  #send(o: SimObservation): void {
    if (this.#o.isAsleep()) {
      o.dueAtWake = true;
      return;
    }
    let body: { contentFormat: number; payload: Buffer };
    try {
      body = this.#o.render(o);
    } catch (err) {
      // The observed node is gone (instance deleted): the observation ends.
      this.#o.logger.debug({ err }, 'sim: observed path no longer readable; observation dropped');
      this.#remove(o);
      return;
    }
    o.lastSentAt = this.#o.clock.now();
    o.lastNumber = o.composite ? undefined : this.#o.numberAt(o.paths[0]!);
    this.#armPmax(o);
    const sender = this.#sender;
    if (sender === undefined) return;
    const attrs = this.#attrs(o);
    const confirmable = attrs.con !== undefined ? attrs.con === 1 : this.#o.confirmable;
    o.notificationsSent++;
    this.counters.notificationsSent++;
    sender(o.peer, o.token, { code: '2.05', ...body, observe: this.#nextSeq() }, { confirmable }).then(() => this.#o.onSettled?.(o, true), (err: unknown) => {
      // RFC 7641 §3.6 / §4.5: an RST (or no ACK at all) to a confirmable notification means the
      // server is no longer interested: the observation is removed (passive cancel).
      this.counters.notificationsFailed++;
      if (this.#all.get(o.key) === o) {
        this.counters.passiveCancels++;
        this.#remove(o);
      }
      this.#o.logger.debug({ err }, 'sim: notification rejected; observation removed');
      this.#o.onSettled?.(o, false);
    });
  }

  #nextSeq(): number {
    const s = this.#seq;
    this.#seq = (this.#seq + 1) & 0xffffff;
    return s;
  }

  #clear(o: SimObservation | undefined): void {
    o?.pmin?.cancel();
    o?.pmax?.cancel();
  }

  #remove(o: SimObservation): void {
    this.#clear(o);
    this.#all.delete(o.key);
  }
}

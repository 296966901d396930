/**
 * Flights (RFC 6347 §4.2.4): the server's messages are kept as a flight so the whole flight can
 * be sent again, re-encoded with fresh record sequence numbers, when the peer's next flight
 * does not come (timer) or when the peer repeats its previous flight. Records are packed into
 * datagrams no larger than the MTU, fragmenting handshake messages when needed (§4.2.3).
 */
import type { Clock, TimerHandle } from '../clock.js';
import { ContentType, HANDSHAKE_HEADER_LENGTH } from './constants.js';
import type { RecordWriter } from './connection-state.js';
import { fragmentHandshake } from './handshake-message.js';

export type FlightItem =
  | { kind: 'handshake'; epoch: number; msgType: number; messageSeq: number; body: Buffer }
  | { kind: 'ccs' };

export function encodeFlight(items: readonly FlightItem[], writer: RecordWriter, mtu: number): Buffer[] {
  const datagrams: Buffer[] = [];
  let cur: Buffer[] = [];
  let curLen = 0;
  const push = (rec: Buffer): void => {
    if (cur.length > 0 && curLen + rec.length > mtu) {
      datagrams.push(Buffer.concat(cur));
      cur = [];
      curLen = 0;
    }
    cur.push(rec);
    curLen += rec.length;
  };
  for (const item of items) {
    if (item.kind === 'ccs') {
      // RFC 5246 §7.1: ChangeCipherSpec is a single byte 1, sent under the current (old) epoch.
      push(writer.record(ContentType.changeCipherSpec, 0, Buffer.from([1])));
      continue;
    }
    const maxBody = Math.max(16, writer.maxContent(item.epoch, mtu) - HANDSHAKE_HEADER_LENGTH);
    for (const frag of fragmentHandshake(item.msgType, item.messageSeq, item.body, maxBody)) {
      push(writer.record(ContentType.handshake, item.epoch, frag));
    }
  }
  if (cur.length > 0) datagrams.push(Buffer.concat(cur));
  return datagrams;
}

/** RFC 6347 §4.2.4.1: start at 1 s, double on each expiry, cap at 60 s. */
export class RetransmitTimer {
  readonly #clock: Clock;
  readonly #initialMs: number;
  readonly #maxMs: number;
  #current: number;
  #handle: TimerHandle | undefined;

  constructor(clock: Clock, initialMs = 1000, maxMs = 60_000) {
    this.#clock = clock;
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#current = initialMs;
  }

  /** Arms the timer for a newly sent flight (the interval restarts at its initial value). */
  start(onExpire: () => void): void {
    this.stop();
    this.#current = this.#initialMs;
    this.#arm(onExpire);
  }

  #arm(onExpire: () => void): void {
    this.#handle = this.#clock.setTimer(this.#current, () => {
      this.#current = Math.min(this.#current * 2, this.#maxMs);
      this.#arm(onExpire);
      onExpire();
    });
  }

  stop(): void {
    this.#handle?.cancel();
    this.#handle = undefined;
  }
}

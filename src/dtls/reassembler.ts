/**
 * Handshake reassembly (RFC 6347 §4.2.3): fragments may arrive out of order, overlap, repeat,
 * or be split across datagrams. Messages are released strictly in message_seq order
 * (§4.2.2). Memory is bounded: a message may not exceed `maxMessageLength`, at most
 * `maxAhead` future messages are buffered, and buffered bytes are capped overall.
 */
import type { HandshakeFragment, HandshakeMessage } from './handshake-message.js';

export interface ReassemblyLimits {
  maxMessageLength: number;
  maxAhead: number;
  maxBufferedBytes: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxMessageLength: 16384,
  maxAhead: 4,
  maxBufferedBytes: 32768,
};

interface Partial {
  msgType: number;
  body: Buffer;
  /** Sorted, non-overlapping [start, end) ranges received so far. */
  ranges: Array<[number, number]>;
  epoch: number;
}

export type AddResult = 'old' | 'buffered' | 'rejected';

export class HandshakeReassembler {
  readonly #limits: ReassemblyLimits;
  #next: number;
  #pending = new Map<number, Partial>();
  #buffered = 0;

  constructor(nextSeq: number, limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {
    this.#next = nextSeq;
    this.#limits = limits;
  }

  get nextSeq(): number {
    return this.#next;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** 'old' = a message already delivered (the peer is retransmitting: RFC 6347 §4.2.4). */
  add(f: HandshakeFragment, epoch: number): AddResult {
    if (f.messageSeq < this.#next) return 'old';
    if (f.messageSeq > this.#next + this.#limits.maxAhead) return 'rejected';
    if (f.length > this.#limits.maxMessageLength) return 'rejected';
    let p = this.#pending.get(f.messageSeq);
    if (!p) {
      if (this.#buffered + f.length > this.#limits.maxBufferedBytes) return 'rejected';
      p = { msgType: f.msgType, body: Buffer.alloc(f.length), ranges: [], epoch };
      this.#pending.set(f.messageSeq, p);
      this.#buffered += f.length;
    } else if (p.msgType !== f.msgType || p.body.length !== f.length) {
      return 'rejected';
    }
    f.body.copy(p.body, f.fragmentOffset);
    p.ranges = mergeRange(p.ranges, f.fragmentOffset, f.fragmentOffset + f.body.length);
    p.epoch = Math.max(p.epoch, epoch);
    return 'buffered';
  }

  /** Removes and returns the complete messages that are next in sequence. */
  take(): HandshakeMessage[] {
    const out: HandshakeMessage[] = [];
    for (;;) {
      const p = this.#pending.get(this.#next);
      if (!p || !isComplete(p)) break;
      this.#pending.delete(this.#next);
      this.#buffered -= p.body.length;
      out.push({ msgType: p.msgType, messageSeq: this.#next, body: p.body, epoch: p.epoch });
      this.#next++;
    }
    return out;
  }
}

function isComplete(p: Partial): boolean {
  if (p.body.length === 0) return true;
  const r = p.ranges[0];
  return p.ranges.length === 1 && r !== undefined && r[0] === 0 && r[1] === p.body.length;
}

function mergeRange(ranges: Array<[number, number]>, start: number, end: number): Array<[number, number]> {
  if (end <= start) return ranges;
  const all = [...ranges, [start, end] as [number, number]].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

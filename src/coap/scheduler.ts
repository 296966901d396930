import type { Clock, TimerHandle } from '../clock.js';

/** Something with a deadline. `heapIndex` is owned by the scheduler (-1 = not scheduled). */
export interface Scheduled {
  deadline: number;
  heapIndex: number;
  fire(now: number): void;
}

/**
 * All CoAP deadlines (retransmissions, request timeouts, separate-response delays) in one binary
 * min-heap, driven by a single Clock timer armed for the earliest one. This keeps one timer for
 * the whole endpoint instead of one per message, and removal is O(log n) because every entry
 * knows its heap index.
 */
export class Scheduler {
  #heap: Scheduled[] = [];
  #clock: Clock;
  #timer: TimerHandle | undefined;
  #armedAt = Infinity;
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** (Re)schedules `s` at `deadline`. */
  schedule(s: Scheduled, deadline: number): void {
    if (s.heapIndex >= 0) this.cancel(s);
    s.deadline = deadline;
    s.heapIndex = this.#heap.length;
    this.#heap.push(s);
    this.#up(s.heapIndex);
    this.#arm();
  }

  cancel(s: Scheduled): void {
    const i = s.heapIndex;
    if (i < 0) return;
    const last = this.#heap.pop()!;
    s.heapIndex = -1;
    if (last !== s) {
      this.#heap[i] = last;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
    // The armed timer is left alone: if it fires early it just re-arms (cheaper than re-creating it).
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    for (const s of this.#heap) s.heapIndex = -1;
    this.#heap = [];
  }

  #arm(): void {
    if (this.#closed || this.#heap.length === 0) return;
    const at = this.#heap[0].deadline;
    if (at >= this.#armedAt) return;
    this.#timer?.cancel();
    this.#armedAt = at;
    this.#timer = this.#clock.setTimer(at - this.#clock.now(), () => this.#run());
  }

  #run(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.#clock.now();
    while (this.#heap.length > 0 && this.#heap[0].deadline <= now) {
      const s = this.#heap[0];
      this.cancel(s);
      s.fire(now);
    }
    this.#arm();
  }

  #up(i: number): void {
    const h = this.#heap;
    const s = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].deadline <= s.deadline) break;
      h[i] = h[p];
      h[i].heapIndex = i;
      i = p;
    }
    h[i] = s;
    s.heapIndex = i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const s = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].deadline < h[l].deadline ? r : l;
      if (h[c].deadline >= s.deadline) break;
      h[i] = h[c];
      h[i].heapIndex = i;
      i = c;
    }
    h[i] = s;
    s.heapIndex = i;
  }
}

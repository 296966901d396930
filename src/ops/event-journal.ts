import type { EventBus, ServerEventName } from '../events.js';

/** One event as the stream carries it. `endpoint` is lifted out for filtering. */
export interface JournalEvent {
  /** Increasing from 1 within one server run. */
  id: number;
  type: string;
  endpoint?: string;
  /** Epoch ms. */
  at: number;
  data: Record<string, unknown>;
}

export type JournalListener = (e: JournalEvent) => void;

export interface EventJournalOptions {
  /** Ids the buffer spans (default 10,000): events older than the last `capacity` ids are dropped. */
  capacity?: number;
  /**
   * Event types kept only while a client could resume: one is connected, or the last one left
   * less than `resumeWindowMs` ago. For the high-rate value events, which the object store keeps
   * anyway. Other types are always kept.
   */
  resumeOnly?: readonly string[];
  /** Default 10 minutes: long enough for a client that lost its connection to come back. */
  resumeWindowMs?: number;
  now?: () => number;
}

/**
 * The live event feed behind `GET /api/v1/events`: every event gets the next id and is kept in a
 * bounded ring buffer (by id), so a client that lost its connection resumes with
 * `Last-Event-ID` (the SSE standard) and gets what it missed, in order, as long as it is still
 * buffered.
 *
 * The `resumeOnly` types (the server's value events: notification, read, send) are kept only
 * while a client could resume: keeping costs the garbage collector, as each kept event outlives
 * the young generation at any sustained rate and V8 copies it into the old generation and marks
 * it there (11-20% of the server's CPU per read and about 6% per notification in the
 * device-management benchmark, builds side by side, 10,000 kept and nobody listening). One that was not kept still takes its id, and a
 * replay that would have held it starts with a gap.
 */
export class EventJournal {
  readonly #capacity: number;
  /** Event `id` at slot `id % capacity`; a slot holding another id is an event not kept (or dropped). */
  readonly #ring: (JournalEvent | undefined)[];
  readonly #listeners = new Set<JournalListener>();
  readonly #now: () => number;
  readonly #resumeOnly: ReadonlySet<string>;
  readonly #resumeWindowMs: number;
  #next = 1;
  /** Infinity while a client is connected; after the last one left, when the resume window ends; 0 before the first. */
  #keepUntil = 0;
  /** The latest id of a `resumeOnly` event that was not kept (0: none). */
  #lastNotKept = 0;

  constructor(o: EventJournalOptions = {}) {
    this.#capacity = Math.max(1, o.capacity ?? 10_000);
    this.#ring = new Array<JournalEvent | undefined>(this.#capacity);
    this.#now = o.now ?? Date.now;
    this.#resumeOnly = new Set(o.resumeOnly ?? []);
    this.#resumeWindowMs = Math.max(0, o.resumeWindowMs ?? 600_000);
  }

  /** Adds an event; listeners are called synchronously, in id order. */
  publish(type: string, data: Record<string, unknown>): JournalEvent {
    const e = this.#event(type, data);
    if (this.#resumeOnly.has(type) && this.#unseen()) {
      this.#lastNotKept = e.id;
      return e;
    }
    return this.#add(e);
  }

  #event(type: string, data: Record<string, unknown>): JournalEvent {
    const e: JournalEvent = { id: this.#next++, type, at: this.#now(), data };
    if (typeof data.endpoint === 'string') e.endpoint = data.endpoint;
    return e;
  }

  #add(e: JournalEvent): JournalEvent {
    this.#ring[e.id % this.#capacity] = e;
    for (const l of this.#listeners) l(e);
    return e;
  }

  /** No client is connected, and none could come back to resume. */
  #unseen(): boolean {
    if (this.#keepUntil === Infinity) return false;
    if (this.#keepUntil === 0) return true;
    if (this.#now() < this.#keepUntil) return false;
    this.#keepUntil = 0; // the window has passed: no clock reading per event from now on
    return true;
  }

  /**
   * Feeds the named bus events into the journal, shaped by `shape`. With `endpointOf`, shaping
   * waits until the event is first read (a stream client, a replay): with nobody listening, a
   * busy server only files references (shaping every registration into its API form was ~5% of
   * the CPU under a Register load). Bus events are never changed after they are emitted, so a
   * late shape is the same as an early one. A `resumeOnly` event nobody could see only takes its
   * id. Returns an unsubscribe.
   */
  follow(bus: EventBus, names: readonly ServerEventName[], shape: (name: ServerEventName, e: unknown) => Record<string, unknown>, endpointOf?: (name: ServerEventName, e: unknown) => string | undefined): () => void {
    const offs = names.map((name) => {
      const resumeOnly = this.#resumeOnly.has(name);
      return bus.on(name, (e) => {
        if (resumeOnly && this.#unseen()) this.#lastNotKept = this.#next++;
        else if (endpointOf === undefined) this.#add(this.#event(name, shape(name, e)));
        else this.#add(new LazyEvent(this.#next++, name, this.#now(), endpointOf(name, e), shape, e));
      });
    });
    return () => offs.forEach((off) => off());
  }

  /** A stream client: every event is kept until it and any others have left and the resume window has passed. */
  subscribe(l: JournalListener): () => void {
    this.#keepUntil = Infinity;
    this.#listeners.add(l);
    return () => {
      if (this.#listeners.delete(l) && this.#listeners.size === 0) this.#keepUntil = this.#now() + this.#resumeWindowMs;
    };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** The id of the latest event, 0 before the first. */
  get lastId(): number {
    return this.#next - 1;
  }

  /** The oldest id still buffered. */
  get oldestId(): number {
    return Math.max(1, this.#next - this.#capacity);
  }

  /**
   * Buffered events after `lastId`. `complete` is false when some were already dropped from the
   * buffer, or `lastId` is from another server run (above the latest id), or a `resumeOnly` event
   * after `lastId` was not kept (`notKept`), unless the reader `wants` none of those types.
   */
  since(lastId: number, wants: (type: string) => boolean = () => true): { events: JournalEvent[]; complete: boolean; notKept: boolean } {
    const notKept = this.#lastNotKept > lastId && [...this.#resumeOnly].some(wants);
    const complete = lastId >= this.oldestId - 1 && lastId <= this.lastId && !notKept;
    // An id from another run: everything still buffered of this one.
    const from = lastId > this.lastId ? this.oldestId : Math.max(this.oldestId, lastId + 1);
    return { events: this.#range(from), complete, notKept };
  }

  /** The event types kept only while a client could resume. */
  get resumeOnly(): readonly string[] {
    return [...this.#resumeOnly];
  }

  #range(from: number): JournalEvent[] {
    const out: JournalEvent[] = [];
    for (let id = from; id <= this.lastId; id++) {
      const e = this.#ring[id % this.#capacity];
      if (e !== undefined && e.id === id) out.push(e);
    }
    return out;
  }
}

/**
 * A journal event whose data is shaped when first read, then kept. It holds the bus event and
 * the follower's shared shape function, not a closure of its own: thousands of these stay
 * buffered, and each closure was one more object the garbage collector moved out of the young
 * generation.
 */
class LazyEvent implements JournalEvent {
  readonly endpoint?: string;
  #data: Record<string, unknown> | undefined;
  #shape: ((name: ServerEventName, e: unknown) => Record<string, unknown>) | undefined;
  #event: unknown;

  constructor(
    readonly id: number,
    readonly type: ServerEventName,
    readonly at: number,
    endpoint: string | undefined,
    shape: (name: ServerEventName, e: unknown) => Record<string, unknown>,
    event: unknown,
  ) {
    if (endpoint !== undefined) this.endpoint = endpoint;
    this.#shape = shape;
    this.#event = event;
  }

  get data(): Record<string, unknown> {
    if (this.#data === undefined) {
      this.#data = this.#shape!(this.type, this.#event);
      this.#shape = undefined;
      this.#event = undefined;
    }
    return this.#data;
  }

  toJSON(): JournalEvent {
    return { id: this.id, type: this.type, ...(this.endpoint !== undefined ? { endpoint: this.endpoint } : {}), at: this.at, data: this.data };
  }
}

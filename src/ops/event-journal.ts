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

/**
 * The live event feed behind `GET /api/v1/events`: every event gets the next id and is kept in
 * a bounded ring buffer, so a client that lost its connection resumes with `Last-Event-ID`
 * (the SSE standard) and gets what it missed, in order, as long as it is still buffered.
 */
export class EventJournal {
  readonly #capacity: number;
  readonly #ring: (JournalEvent | undefined)[];
  readonly #listeners = new Set<JournalListener>();
  readonly #now: () => number;
  #next = 1;

  constructor(o: { capacity?: number; now?: () => number } = {}) {
    this.#capacity = Math.max(1, o.capacity ?? 10_000);
    this.#ring = new Array<JournalEvent | undefined>(this.#capacity);
    this.#now = o.now ?? Date.now;
  }

  /** Adds an event; listeners are called synchronously, in id order. */
  publish(type: string, data: Record<string, unknown>): JournalEvent {
    const e: JournalEvent = { id: this.#next++, type, at: this.#now(), data };
    if (typeof data.endpoint === 'string') e.endpoint = data.endpoint;
    return this.#add(e);
  }

  #add(e: JournalEvent): JournalEvent {
    this.#ring[e.id % this.#capacity] = e;
    for (const l of this.#listeners) l(e);
    return e;
  }

  /**
   * Feeds the named bus events into the journal, shaped by `shape`. With `endpointOf`, shaping
   * waits until the event is first read (a stream client, a replay): with nobody listening, a
   * busy server only files references (shaping every registration into its API form was ~5% of
   * the CPU under a Register load). Bus events are never changed after they are emitted, so a
   * late shape is the same as an early one. Returns an unsubscribe.
   */
  follow(bus: EventBus, names: readonly ServerEventName[], shape: (name: ServerEventName, e: unknown) => Record<string, unknown>, endpointOf?: (name: ServerEventName, e: unknown) => string | undefined): () => void {
    const offs = names.map((name) =>
      bus.on(name, (e) => {
        if (endpointOf === undefined) this.publish(name, shape(name, e));
        else this.#add(new LazyEvent(this.#next++, name, this.#now(), endpointOf(name, e), shape, e));
      }),
    );
    return () => offs.forEach((off) => off());
  }

  subscribe(l: JournalListener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
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
   * buffer (or `lastId` is from another server run: above the latest id).
   */
  since(lastId: number): { events: JournalEvent[]; complete: boolean } {
    const complete = lastId >= this.oldestId - 1 && lastId <= this.lastId;
    // An id from another run: everything still buffered of this one.
    const from = lastId > this.lastId ? this.oldestId : Math.max(this.oldestId, lastId + 1);
    return { events: this.#range(from), complete };
  }

  #range(from: number): JournalEvent[] {
    const out: JournalEvent[] = [];
    for (let id = from; id <= this.lastId; id++) out.push(this.#ring[id % this.#capacity]!);
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

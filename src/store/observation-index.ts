import { isRecord } from './level-json.js';
import type { ObservationRecord } from './types.js';

/**
 * Observations by token and by endpoint. The memory store is just this index; the LevelDB
 * store keeps it as its read cache (observations are few per device), so matching a
 * notification's token never touches the disk.
 */
export class ObservationIndex {
  #byToken = new Map<string, ObservationRecord>();
  #tokensByEndpoint = new Map<string, Set<string>>();

  get size(): number {
    return this.#byToken.size;
  }

  get(token: string): ObservationRecord | undefined {
    return this.#byToken.get(token);
  }

  /** Adds or replaces by token; returns the replaced record. */
  put(o: ObservationRecord): ObservationRecord | undefined {
    const previous = this.delete(o.token);
    this.#byToken.set(o.token, o);
    let tokens = this.#tokensByEndpoint.get(o.endpoint);
    if (!tokens) this.#tokensByEndpoint.set(o.endpoint, (tokens = new Set()));
    tokens.add(o.token);
    return previous;
  }

  delete(token: string): ObservationRecord | undefined {
    const o = this.#byToken.get(token);
    if (!o) return undefined;
    this.#byToken.delete(token);
    const tokens = this.#tokensByEndpoint.get(o.endpoint);
    tokens?.delete(token);
    if (tokens?.size === 0) this.#tokensByEndpoint.delete(o.endpoint);
    return o;
  }

  /** A device's observations, oldest first (then by token, for a stable order). */
  byEndpoint(endpoint: string): ObservationRecord[] {
    const tokens = this.#tokensByEndpoint.get(endpoint);
    if (!tokens) return [];
    return sortObservations([...tokens].map((t) => this.#byToken.get(t) as ObservationRecord));
  }

  values(): IterableIterator<ObservationRecord> {
    return this.#byToken.values();
  }

  all(): ObservationRecord[] {
    return sortObservations([...this.#byToken.values()]);
  }
}

function sortObservations(list: ObservationRecord[]): ObservationRecord[] {
  return list.sort((a, b) => a.createdAt - b.createdAt || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
}

/** Shape check for records read back from disk. */
export function isObservationRecord(v: unknown): v is ObservationRecord {
  if (!isRecord(v)) return false;
  const peer = v.peer;
  return (
    typeof v.token === 'string' &&
    typeof v.endpoint === 'string' &&
    typeof v.registrationId === 'string' &&
    Array.isArray(v.paths) &&
    v.paths.every((p) => typeof p === 'string') &&
    typeof v.composite === 'boolean' &&
    (v.accept === undefined || typeof v.accept === 'number') &&
    isRecord(peer) &&
    typeof peer.address === 'string' &&
    typeof peer.port === 'number' &&
    typeof v.createdAt === 'number' &&
    (v.lastSequence === undefined || typeof v.lastSequence === 'number')
  );
}

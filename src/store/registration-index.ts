import { peerKey, samePeer, type PeerAddress } from '../transport/types.js';
import type { Registration, RegistrationStore } from './types.js';

/**
 * The in-memory indexes every registration store keeps: by id, by endpoint and by address.
 * Both the memory store and the LevelDB store (as its read cache) use it, so lookups never
 * touch the disk.
 */
export class RegistrationIndex {
  #byId = new Map<string, Registration>();
  #idByEndpoint = new Map<string, string>();
  #idByAddress = new Map<string, string>();
  /** Registrations by endpoint, kept until the next change: paging a large fleet sorts once. */
  #sorted: Registration[] | undefined;

  get size(): number {
    return this.#byId.size;
  }

  getById(id: string): Registration | undefined {
    return this.#byId.get(id);
  }

  getByEndpoint(endpoint: string): Registration | undefined {
    const id = this.#idByEndpoint.get(endpoint);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  getByAddress(address: PeerAddress): Registration | undefined {
    const id = this.#idByAddress.get(peerKey(address));
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Puts `reg`, replacing any registration with the same id or endpoint. Returns the replaced one. */
  put(reg: Registration): Registration | undefined {
    const previous = this.getByEndpoint(reg.endpoint) ?? this.#byId.get(reg.id);
    // An Update: same id and endpoint, only the record changes, and the address index when the
    // device moved (a NAT rebinding; Transport §6.4.2).
    if (previous && previous.id === reg.id && previous.endpoint === reg.endpoint) {
      this.#sorted = undefined;
      this.#byId.set(reg.id, reg);
      if (!samePeer(previous.address, reg.address)) {
        this.#unindexAddress(previous);
        this.#idByAddress.set(peerKey(reg.address), reg.id);
      }
      return previous;
    }
    if (previous) this.delete(previous.id);
    this.#sorted = undefined;
    this.#byId.set(reg.id, reg);
    this.#idByEndpoint.set(reg.endpoint, reg.id);
    this.#idByAddress.set(peerKey(reg.address), reg.id);
    return previous;
  }

  delete(id: string): Registration | undefined {
    const reg = this.#byId.get(id);
    if (!reg) return undefined;
    this.#sorted = undefined;
    this.#byId.delete(id);
    if (this.#idByEndpoint.get(reg.endpoint) === id) this.#idByEndpoint.delete(reg.endpoint);
    this.#unindexAddress(reg);
    return reg;
  }

  /** Drops `reg`'s address from the address index, unless another registration took it since. */
  #unindexAddress(reg: Registration): void {
    const ak = peerKey(reg.address);
    if (this.#idByAddress.get(ak) === reg.id) this.#idByAddress.delete(ak);
  }

  values(): IterableIterator<Registration> {
    return this.#byId.values();
  }

  /** All registrations ordered by endpoint (a fresh array; the registrations are shared). */
  sorted(): Registration[] {
    this.#sorted ??= [...this.#byId.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
    return [...this.#sorted];
  }

  expired(nowMs: number): Registration[] {
    const out: Registration[] = [];
    for (const r of this.#byId.values()) if (r.expiresAt <= nowMs) out.push(r);
    return out;
  }
}

/**
 * What every registration store answers from its in-memory index (lookups never touch the
 * disk); the stores add how they write.
 */
export abstract class IndexedRegistrationStore implements RegistrationStore {
  protected readonly index = new RegistrationIndex();

  get size(): number {
    return this.index.size;
  }

  abstract add(reg: Registration): Promise<Registration | undefined>;
  abstract update(reg: Registration): Promise<Registration | undefined>;
  abstract remove(id: string): Promise<Registration | undefined>;
  abstract removeExpired(nowMs: number): Promise<Registration[]>;
  abstract close(): Promise<void>;

  getById(id: string): Registration | undefined {
    return this.index.getById(id);
  }

  getByEndpoint(endpoint: string): Registration | undefined {
    return this.index.getByEndpoint(endpoint);
  }

  values(): Iterable<Registration> {
    return this.index.values();
  }

  getByAddress(address: PeerAddress): Registration | undefined {
    return this.index.getByAddress(address);
  }

  async list(): Promise<Registration[]> {
    return this.index.sorted();
  }
}

import { bySeq, cancelled, checkNew, copyRequest, duplicateRequest, isFinished, transition } from './queue-rules.js';
import type { QueuedRequest, QueuedRequestStatus, RequestQueueStore } from './types.js';

/** The request queue in memory: for tests and servers without persistence. */
export class MemoryRequestQueueStore implements RequestQueueStore {
  readonly #byId = new Map<string, QueuedRequest>();
  readonly #pendingByEndpoint = new Map<string, Set<string>>();
  #seq = 0;

  /** The next delivery-order number: above every seq this store has seen. */
  nextSeq(): number {
    return ++this.#seq;
  }

  async enqueue(r: QueuedRequest): Promise<void> {
    checkNew(r);
    this.#seq = Math.max(this.#seq, r.seq);
    if (this.#byId.has(r.id)) throw duplicateRequest(r.id);
    this.#byId.set(r.id, copyRequest(r));
    this.#index(r);
  }

  async get(id: string): Promise<QueuedRequest | undefined> {
    const r = this.#byId.get(id);
    return r && copyRequest(r);
  }

  hasPending(endpoint: string): boolean {
    return this.#pendingByEndpoint.has(endpoint);
  }

  async pending(endpoint: string): Promise<QueuedRequest[]> {
    return this.#pendingOf(endpoint).map(copyRequest);
  }

  async setStatus(id: string, status: QueuedRequestStatus, at: number, result?: Record<string, unknown>): Promise<QueuedRequest | undefined> {
    const r = this.#byId.get(id);
    if (!r) return undefined;
    this.#replace(r, transition(r, status, at, result));
    return copyRequest(r);
  }

  async expire(nowMs: number): Promise<QueuedRequest[]> {
    const out: QueuedRequest[] = [];
    for (const ids of this.#pendingByEndpoint.values()) {
      for (const id of ids) {
        const r = this.#byId.get(id) as QueuedRequest;
        if (r.expiresAt <= nowMs) out.push(r);
      }
    }
    return out.sort(bySeq).map((r) => copyRequest(this.#replace(r, transition(r, 'expired', nowMs))));
  }

  async cancel(id: string, at: number): Promise<QueuedRequest | undefined> {
    const r = this.#byId.get(id);
    return r && copyRequest(this.#replace(r, cancelled(r, at)));
  }

  async cancelEndpoint(endpoint: string, at: number): Promise<QueuedRequest[]> {
    return this.#pendingOf(endpoint).map((r) => copyRequest(this.#replace(r, transition(r, 'cancelled', at))));
  }

  async depth(endpoint?: string): Promise<number> {
    if (endpoint !== undefined) return this.#pendingByEndpoint.get(endpoint)?.size ?? 0;
    let n = 0;
    for (const ids of this.#pendingByEndpoint.values()) n += ids.size;
    return n;
  }

  async prune(beforeMs: number): Promise<number> {
    let n = 0;
    for (const [id, r] of this.#byId) {
      if (isFinished(r.status) && r.updatedAt < beforeMs) {
        this.#byId.delete(id);
        n++;
      }
    }
    return n;
  }

  async close(): Promise<void> {}

  #pendingOf(endpoint: string): QueuedRequest[] {
    const ids = this.#pendingByEndpoint.get(endpoint);
    if (!ids) return [];
    return [...ids].map((id) => this.#byId.get(id) as QueuedRequest).sort(bySeq);
  }

  #replace(old: QueuedRequest, next: QueuedRequest): QueuedRequest {
    this.#unindex(old);
    this.#byId.set(next.id, next);
    this.#index(next);
    return next;
  }

  #index(r: QueuedRequest): void {
    if (r.status !== 'pending') return;
    let ids = this.#pendingByEndpoint.get(r.endpoint);
    if (!ids) this.#pendingByEndpoint.set(r.endpoint, (ids = new Set()));
    ids.add(r.id);
  }

  #unindex(r: QueuedRequest): void {
    const ids = this.#pendingByEndpoint.get(r.endpoint);
    ids?.delete(r.id);
    if (ids?.size === 0) this.#pendingByEndpoint.delete(r.endpoint);
  }
}

import { Lwm2mError } from '../errors.js';
import { isRecord } from './level-json.js';
import type { QueuedRequest, QueuedRequestStatus } from './types.js';

/**
 * Status changes a queued request may make. pending -> sent -> succeeded | failed is the normal
 * path; an undelivered request expires or is cancelled; a sent request whose device fell asleep
 * before answering may go back to pending (keeping its seq, so it keeps its place). Finished
 * requests never change again: their outcome is what GET /requests/{id} reports.
 */
const NEXT: Record<QueuedRequestStatus, readonly QueuedRequestStatus[]> = {
  pending: ['sent', 'succeeded', 'failed', 'expired', 'cancelled'],
  sent: ['pending', 'succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  expired: [],
  cancelled: [],
};

export function isFinished(status: QueuedRequestStatus): boolean {
  return NEXT[status].length === 0;
}

/** The request after a status change, or a typed error for a change the rules forbid. */
export function transition(r: QueuedRequest, status: QueuedRequestStatus, at: number, result?: Record<string, unknown>): QueuedRequest {
  if (!NEXT[r.status].includes(status)) {
    throw new Lwm2mError('LWM2M_ERR_PRECONDITION_FAILED', `request ${r.id} is ${r.status}; it cannot become ${status}`);
  }
  const next: QueuedRequest = { ...r, status, updatedAt: at };
  if (result !== undefined) next.result = result;
  return next;
}

/** The change an operator's cancel makes: only a request still waiting may be withdrawn. */
export function cancelled(r: QueuedRequest, at: number): QueuedRequest {
  if (r.status !== 'pending') throw new Lwm2mError('LWM2M_ERR_PRECONDITION_FAILED', `request ${r.id} is ${r.status}; only a pending request can be cancelled`);
  return transition(r, 'cancelled', at);
}

/** A new request must be pending: the queue only takes work still to do. */
export function checkNew(r: QueuedRequest): void {
  if (r.status !== 'pending') throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `a new queued request must be pending, not ${r.status}`);
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `invalid seq ${r.seq}`);
}

export function duplicateRequest(id: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `a queued request with id ${id} already exists`);
}

/** A copy the caller may change without changing the store. */
export function copyRequest(r: QueuedRequest): QueuedRequest {
  const c: QueuedRequest = { ...r, args: { ...r.args } };
  if (r.result !== undefined) c.result = { ...r.result };
  return c;
}

const STATUSES = new Set<unknown>(Object.keys(NEXT));

export function isQueuedRequest(v: unknown): v is QueuedRequest {
  return (
    isRecord(v) &&
    typeof v.id === 'string' &&
    typeof v.endpoint === 'string' &&
    typeof v.seq === 'number' &&
    typeof v.operation === 'string' &&
    isRecord(v.args) &&
    STATUSES.has(v.status) &&
    typeof v.createdAt === 'number' &&
    typeof v.expiresAt === 'number' &&
    typeof v.updatedAt === 'number' &&
    (v.result === undefined || isRecord(v.result))
  );
}

export function bySeq(a: QueuedRequest, b: QueuedRequest): number {
  return a.seq - b.seq;
}

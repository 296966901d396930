import type { Clock } from '../clock.js';

export interface WebhookRequest {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: unknown;
  /** Further attempts after the first. */
  retries: number;
  timeoutMs: number;
}

export interface WebhookResult {
  ok: boolean;
  status?: number;
  attempts: number;
  error?: string;
}

export interface WebhookOptions {
  clock: Clock;
  /** First retry delay; doubles each time (with up to 20 % jitter), capped at 30 s. */
  backoffMs?: number;
  random?: () => number;
  fetch?: typeof fetch;
}

/** Worth another try: no answer, a server error, or "too many requests". */
function retryable(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}

/** Calls an integrator's URL with a JSON body; retries with exponential backoff. Never throws. */
export async function callWebhook(req: WebhookRequest, o: WebhookOptions): Promise<WebhookResult> {
  const doFetch = o.fetch ?? fetch;
  const base = o.backoffMs ?? 500;
  const random = o.random ?? Math.random;
  let last: WebhookResult = { ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= req.retries + 1; attempt++) {
    try {
      const res = await doFetch(req.url, {
        method: req.method,
        headers: { 'content-type': 'application/json', 'user-agent': 'lwm2m-server-rules', ...req.headers },
        body: JSON.stringify(req.body),
        signal: AbortSignal.timeout(req.timeoutMs),
        redirect: 'manual',
      });
      // Drain the body so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      last = res.ok ? { ok: true, status: res.status, attempts: attempt } : { ok: false, status: res.status, attempts: attempt, error: `HTTP ${res.status}` };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      last = { ok: false, attempts: attempt, error: err.name === 'TimeoutError' ? `no answer in ${req.timeoutMs} ms` : (err.cause?.code ?? err.message) };
    }
    if (last.ok || !retryable(last.status) || attempt > req.retries) return last;
    const delay = Math.min(30_000, base * 2 ** (attempt - 1)) * (1 + 0.2 * random());
    await sleep(o.clock, delay);
  }
  return last;
}

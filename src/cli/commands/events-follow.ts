import { CliError, type ApiTarget } from '../api-client.js';
import { parseSseBlock, sseEvents, type StreamEvent } from '../event-client.js';

export type SseEvent = StreamEvent;
export { parseSseBlock };

/**
 * Tails `GET /api/v1/events`, reconnecting after a dropped connection with `Last-Event-ID`, so
 * nothing is missed while the server still buffers it. Stops on `signal`.
 */
export async function* followWithResume(target: ApiTarget, query: URLSearchParams, signal: AbortSignal, o: { lastEventId?: string; retryMs?: number; maxRetries?: number } = {}): AsyncGenerator<SseEvent> {
  let lastId = o.lastEventId;
  let failures = 0;
  while (!signal.aborted) {
    const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, accept: 'text/event-stream' };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    let res: Response;
    try {
      res = await fetch(`${target.url}/api/v1/events${query.size ? `?${query}` : ''}`, { headers, signal });
    } catch (e) {
      if (signal.aborted) return;
      if (++failures > (o.maxRetries ?? 30)) throw new CliError(`cannot follow events at ${target.url}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
      continue;
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw new CliError(`the event stream answered HTTP ${res.status}${text ? `: ${text}` : ''}`);
    }
    failures = 0;
    try {
      for await (const ev of sseEvents(res.body)) {
        if (ev.id !== undefined) lastId = ev.id;
        yield ev;
      }
    } catch {
      // The connection dropped: reconnect below and resume after the last id seen.
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
  }
}

import type { ApiTarget } from './api-client.js';
import { CliError } from './api-client.js';

export interface StreamEvent {
  id?: string;
  type: string;
  data: unknown;
}

/**
 * Follows `GET /api/v1/events` (server-sent events). The connection opens at once, so events
 * that happen right after (e.g. the first notification of an observation) are not missed.
 */
export function followEvents(target: ApiTarget, filter: { ep?: string; type?: string } = {}): { events(): AsyncGenerator<StreamEvent>; close(): void } {
  const abort = new AbortController();
  const q = new URLSearchParams();
  if (filter.ep) q.set('ep', filter.ep);
  if (filter.type) q.set('type', filter.type);
  const response = fetch(`${target.url}/api/v1/events${q.size ? `?${q}` : ''}`, { headers: { authorization: `Bearer ${target.token}`, accept: 'text/event-stream' }, signal: abort.signal });
  response.catch(() => undefined);
  async function* events(): AsyncGenerator<StreamEvent> {
    let res: Response;
    try {
      res = await response;
    } catch (e) {
      if (abort.signal.aborted) return;
      throw new CliError(`cannot follow events at ${target.url}: ${(e as Error).message}`);
    }
    if (!res.ok || !res.body) throw new CliError(`the event stream answered HTTP ${res.status}`);
    try {
      yield* sseEvents(res.body);
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
  }
  return { events, close: () => abort.abort() };
}

/** The events of a server-sent-events body, as they arrive (blocks end with a blank line). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const ev = parseSseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (ev) yield ev;
    }
  }
}

/** One SSE block ("id:", "event:", "data:" lines) to an event; comments and empty blocks give undefined. */
export function parseSseBlock(block: string): StreamEvent | undefined {
  let type = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.join('\n'));
  } catch {
    parsed = data.join('\n');
  }
  return id === undefined ? { type, data: parsed } : { id, type, data: parsed };
}

import { CliError, type ApiTarget } from '../api-client.js';

export interface SseEvent {
  id?: string;
  type: string;
  data: unknown;
}

/** One SSE block ("id:", "event:", "data:" lines) to an event; comments and empty blocks give undefined. */
export function parseSseBlock(block: string): SseEvent | undefined {
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
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const ev = parseSseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (!ev) continue;
          if (ev.id !== undefined) lastId = ev.id;
          yield ev;
        }
      }
    } catch {
      // The connection dropped: reconnect below and resume after the last id seen.
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
  }
}

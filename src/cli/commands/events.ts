import type { Command } from 'commander';
import { resolveTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { followWithResume, type SseEvent } from './events-follow.js';

/** One line per event for people: time, type, endpoint and the gist. */
export function eventLine(e: SseEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const at = typeof d.at === 'string' ? d.at : new Date().toISOString();
  const ep = typeof d.endpoint === 'string' ? d.endpoint : '-';
  let gist = '';
  if (Array.isArray(d.values)) gist = (d.values as { path: string; value?: { value?: unknown } }[]).map((v) => `${v.path}=${JSON.stringify(v.value?.value)}`).join(' ');
  else if (e.type === 'quarantine') gist = `${String(d.action)}${d.reason ? ` (${String(d.reason)})` : ''}`;
  else if (e.type === 'request-result') gist = requestResultGist(d);
  else if (e.type === 'gap' && Array.isArray(d.notKept)) gist = `${d.notKept.join(', ')} events after ${String(d.lastEventId)} were not kept (no event-stream client then)`;
  else if (e.type === 'gap') gist = `events ${String(d.lastEventId)}..${String(d.oldestId)} are no longer buffered`;
  else if (typeof d.stage === 'string') gist = d.stage;
  return `${at}  ${e.type.padEnd(18)} ${ep}${gist ? `  ${gist}` : ''}`;
}

export function registerEventsCommand(program: Command): void {
  withApiOptions(program.command('events').description('tail the live event stream (reconnects and resumes by Last-Event-ID)'))
    .option('--ep <names>', 'endpoint names or prefix*, comma-separated')
    .option('--type <types>', 'event types, comma-separated (registered, updated, deregistered, expired, notification, observation-ended, send, request-queued, request-result, quarantine, throttle, bootstrap)')
    .option('--last-event-id <id>', 'start after this event (replays what is still buffered)')
    .option('--count <n>', 'stop after n events')
    .option('--json', 'one JSON object per line')
    .action(async (opts: ApiCommandOptions & { ep?: string; type?: string; lastEventId?: string; count?: string }) => {
      const target = await resolveTarget(opts);
      const q = new URLSearchParams();
      if (opts.ep) q.set('ep', opts.ep);
      if (opts.type) q.set('type', opts.type);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      let left = opts.count === undefined ? Infinity : Number(opts.count);
      try {
        for await (const e of followWithResume(target, q, abort.signal, opts.lastEventId ? { lastEventId: opts.lastEventId } : {})) {
          process.stdout.write(opts.json ? `${JSON.stringify({ id: e.id, type: e.type, data: e.data })}\n` : `${eventLine(e)}\n`);
          if (--left <= 0) break;
        }
      } finally {
        process.off('SIGINT', stop);
        abort.abort();
      }
    });
}

/** "read -> 2.05", or the error code when the device never answered (expired, cancelled). */
function requestResultGist(d: Record<string, unknown>): string {
  const op = String((d.request as { operation?: unknown } | undefined)?.operation);
  const r = (d.result ?? {}) as { code?: unknown; ok?: unknown; error?: { code?: unknown } };
  const outcome = typeof r.code === 'string' ? r.code : typeof r.error?.code === 'string' ? r.error.code : r.ok === true ? 'ok' : 'failed';
  return `${op} -> ${outcome}`;
}

import type { JsonValue } from '../content/value-json.js';
import type { OperationResult, PathValue } from '../lwm2m/management/operation.js';
import { CliError } from './api-client.js';
import { printJson, printTable } from './output.js';

/** What the API answers for an operation: a result, or a queued request. */
export type OperationReply = OperationResult | { queued: true; requestId: string; request: { expiresAt: number } };

export function valueText(v: JsonValue): string {
  if (v.type === 'time') return v.iso;
  return v.value === null ? '' : String(v.value);
}

export function printValues(values: PathValue[]): void {
  printTable(
    values.map((v) => ({ path: v.path, value: valueText(v.value), type: v.value.type, ...(v.time !== undefined ? { time: new Date(v.time).toISOString() } : {}) })),
    values.some((v) => v.time !== undefined) ? ['path', 'value', 'type', 'time'] : ['path', 'value', 'type'],
  );
}

/** Prints an operation's outcome; a failed one becomes a CliError (one line, exit 1). */
export function printReply(reply: OperationReply, json: boolean | undefined, done: string): void {
  if (json) {
    printJson(reply);
    return;
  }
  if ('queued' in reply) {
    process.stdout.write(`queued as request ${reply.requestId}: the device is asleep (expires ${new Date(reply.request.expiresAt).toISOString()}); see "lwm2m request ${reply.requestId}"\n`);
    return;
  }
  if (!reply.ok) throw new CliError(failureText(reply));
  if (reply.values) printValues(reply.values);
  else if (reply.links) printTable(reply.links.map((l) => ({ path: l.path, attributes: Object.entries(l.attributes).map(([k, v]) => `${k}=${v}`).join(';'), dim: l.dim, ver: l.ver })), ['path', 'attributes', 'dim', 'ver']);
  else process.stdout.write(`${done}${reply.location ? ` ${reply.location}` : ''}${reply.code ? ` (${reply.code})` : ''}\n`);
}

export function failureText(r: OperationResult): string {
  const msg = r.error?.message ?? `device answered ${r.code ?? 'nothing'}`;
  return r.error ? `${msg} (${r.error.code})` : msg;
}

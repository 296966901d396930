import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parsePath } from '../../src/content/path.js';
import type { LwM2mPath } from '../../src/content/types.js';
import { loadCapture, payloadOf, type CapturedDatagram } from '../helpers/captures.js';
import { fixturesDir } from '../helpers/paths.js';

/** One payload from the captures, with the path of the request it answers or targets. */
export interface CapturedPayload {
  file: string;
  note: string;
  /** "response" for a client's 2.05, "request" for a server's Write / Create / Bootstrap-Write. */
  role: 'response' | 'request';
  format: number;
  path: LwM2mPath;
  payload: Buffer;
}

function uriPath(d: CapturedDatagram): LwM2mPath {
  return parsePath(d.coap.options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value)).join('/'));
}

function contentFormat(d: CapturedDatagram): number | undefined {
  const cf = d.coap.options.find((o) => o.name === 'Content-Format');
  return cf === undefined ? undefined : Number(cf.value);
}

function block2(d: CapturedDatagram): { num: number; more: boolean } | undefined {
  const o = d.coap.options.find((x) => x.name === 'Block2');
  return o === undefined ? undefined : (o.value as { num: number; more: boolean });
}

/**
 * Every payload in fixtures/captures with one of `formats`: client 2.05 responses (Block2
 * fragments joined back together) with the path from the server request carrying the same
 * token, and server requests (PUT/POST) with their own Uri-Path.
 */
export function capturedPayloads(formats: readonly number[]): CapturedPayload[] {
  const out: CapturedPayload[] = [];
  const files = readdirSync(path.join(fixturesDir, 'captures')).filter((f) => f.endsWith('.jsonl')).sort();
  for (const file of files) {
    const lines = loadCapture(file);
    const pending = new Map<string, Buffer[]>();
    for (const d of lines) {
      const format = contentFormat(d);
      if (format === undefined || !formats.includes(format)) continue;
      const isRequest = d.dir === 'server->client' && (d.coap.code === '0.02' || d.coap.code === '0.03');
      const isResponse = d.dir === 'client->server' && d.coap.code === '2.05';
      if (!isRequest && !isResponse) continue;
      if (isRequest) {
        const p = uriPath(d);
        // Uri-Path "bs" etc. are not LwM2M paths; Write / Create always target an object.
        if (p.objectId !== undefined && d.coap.payloadHex) out.push({ file, note: d.note, role: 'request', format, path: p, payload: payloadOf(d) });
        continue;
      }
      const request = lines.find((r) => r.dir === 'server->client' && r.coap.token === d.coap.token && r.coap.code === '0.01');
      if (request === undefined) continue;
      const b = block2(d);
      let payload = payloadOf(d);
      if (b !== undefined) {
        const parts = pending.get(d.coap.token) ?? [];
        if (b.num === 0) parts.length = 0;
        parts.push(payload);
        pending.set(d.coap.token, parts);
        if (b.more) continue;
        payload = Buffer.concat(parts);
        pending.delete(d.coap.token);
      }
      if (payload.length === 0) continue;
      out.push({ file, note: d.note, role: 'response', format, path: uriPath(request), payload });
    }
  }
  return out;
}

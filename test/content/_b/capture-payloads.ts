import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fromSegments } from '../../../src/content/path.js';
import type { LwM2mPath } from '../../../src/content/types.js';
import { loadCapture, optionValue, payloadOf, type CapturedDatagram } from '../../helpers/captures.js';
import { fixturesDir } from '../../helpers/paths.js';

/**
 * Every payload of a given set of Content-Formats in fixtures/captures, with the LwM2M path
 * it is about: a response or notification takes the Uri-Path of the request with the same
 * token (Block2 pieces are joined in order first); a request (Write, Send, FETCH, iPATCH)
 * carries its own Uri-Path.
 */
export type PayloadKind = 'response' | 'send' | 'write' | 'read-composite' | 'write-composite';

export interface CapturedPayload {
  file: string;
  mid: number;
  token: string;
  format: number;
  kind: PayloadKind;
  path: LwM2mPath;
  payload: Buffer;
  note: string;
}

function uriPath(d: CapturedDatagram): string[] {
  return d.coap.options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value));
}

export function captureFiles(): string[] {
  return readdirSync(path.join(fixturesDir, 'captures')).filter((f) => f.endsWith('.jsonl')).sort();
}

export function capturedPayloads(formats: readonly number[]): CapturedPayload[] {
  const out: CapturedPayload[] = [];
  for (const file of captureFiles()) {
    const requestPath = new Map<string, LwM2mPath>();
    const blocks = new Map<string, Buffer[]>();
    for (const d of loadCapture(file)) {
      const segs = uriPath(d);
      const isRequest = d.coap.code.startsWith('0.') && d.coap.code !== '0.00';
      if (isRequest && d.dir === 'server->client' && segs.every((s) => /^\d+$/.test(s))) {
        requestPath.set(d.coap.token, fromSegments(segs));
      }
      const format = optionValue(d, 'Content-Format');
      const payload = payloadOf(d);
      if (typeof format !== 'number' || !formats.includes(format) || payload.length === 0) continue;
      const base = { file, mid: d.coap.mid, token: d.coap.token, format, note: d.note };
      if (isRequest) {
        if (segs[0] === 'dp') out.push({ ...base, kind: 'send', path: {}, payload });
        else if (segs.every((s) => /^\d+$/.test(s))) {
          const kind: PayloadKind = d.coap.code === '0.05' ? 'read-composite' : d.coap.code === '0.07' ? 'write-composite' : 'write';
          out.push({ ...base, kind, path: fromSegments(segs), payload });
        }
        continue;
      }
      const target = requestPath.get(d.coap.token);
      if (!target) continue;
      const block2 = optionValue(d, 'Block2') as { num: number; more: number } | undefined;
      if (block2) {
        const parts = blocks.get(d.coap.token) ?? [];
        parts[block2.num] = payload;
        blocks.set(d.coap.token, parts);
        if (block2.more) continue;
        blocks.delete(d.coap.token);
        out.push({ ...base, kind: 'response', path: target, payload: Buffer.concat(parts) });
      } else out.push({ ...base, kind: 'response', path: target, payload });
    }
  }
  return out;
}

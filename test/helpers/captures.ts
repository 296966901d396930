import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir } from './paths.js';

/** One recorded datagram (see fixtures/captures/README.md). `hex` is the source of truth. */
export interface CapturedDatagram {
  t: number;
  dir: 'client->server' | 'server->client';
  peer: string;
  hex: string;
  coap: {
    type: 'CON' | 'NON' | 'ACK' | 'RST';
    code: string;
    codeName?: string;
    mid: number;
    token: string;
    options: { name: string; number: number; value: unknown; hex: string }[];
    payloadHex?: string;
    payloadText?: string;
  };
  note: string;
}

export function loadCapture(name: string): CapturedDatagram[] {
  const file = path.join(fixturesDir, 'captures', name.endsWith('.jsonl') ? name : `${name}.jsonl`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CapturedDatagram);
}

export function payloadOf(d: CapturedDatagram): Buffer {
  return Buffer.from(d.coap.payloadHex ?? '', 'hex');
}

export function optionValue(d: CapturedDatagram, name: string): unknown {
  return d.coap.options.find((o) => o.name === name)?.value;
}

import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode as decodeCbor } from 'cbor-x';
import { generate, parse, type NamedOption, type ParsedPacket } from 'coap-packet';
import { Level } from 'level';
import type { FloorBound, ServerCommand, ServerReply } from './management-server.js';

/**
 * The stack floor: the least a durable LwM2M server can do per request on the libraries this
 * project is built on (coap-packet, cbor-x, LevelDB through `level`), with none of the server's
 * own code. The registration and management benchmarks run it under the same load as the real
 * server and print it as a reference row: how much of the distance to the UDP ceiling is the
 * stack itself and how much is ours.
 *
 * Per request it does only the essential work, the way the real server does it:
 *  - Register: parse, read `ep` from the query, keep a record in a Map, put it (JSON) in
 *    LevelDB, answer 2.01 with a Location-Path once the write is committed (group commit: the
 *    writes arriving while a batch is committed go out together in the next one);
 *  - Update: parse, find the record, refresh its times and address, put them (a small renewal
 *    record, as the real server does for an Update that only renews), 2.04 after commit;
 *    De-register: delete, 2.02 after commit;
 *  - Reads (server-initiated, in-process driver like bench/management-server.ts): generate a
 *    CON GET with a fresh token, match the piggybacked 2.05 by token, parse the text value, put
 *    it twice (latest value and a 100-slot history ring, as the object store does);
 *  - Notifications: parse, match the token, ACK at once, decode SenML CBOR, put each value
 *    twice, count it when committed.
 * No de-duplication, no validation, no events, no metrics, no security: not a server anyone
 * should run, only a floor to measure against.
 *
 * Below the floor, two bounds for notifications (`count-start` with `bound`): a CON 2.05 with a
 * known token is answered from its raw bytes, with no CoAP parse, no de-duplication and no
 * payload decoding. `ack`: the ACK and nothing else (what the transport costs); `put`: the ACK,
 * and the datagram's bytes after the token (options and payload) kept with one LevelDB put per
 * notification (one ring slot per device that is also its latest value: the fewest writes that
 * keep a latest value and a history), group committed through classic-level's native batch,
 * counted when committed. What any server on Node's dgram and LevelDB pays per notification at
 * the least, whatever its code.
 *
 * It speaks the IPC protocol of bench/management-server.ts (reads, observe, count) and answers
 * the registration load.
 */

const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-floor-'));
const db = new Level<string, unknown>(dataDir, { valueEncoding: 'json' });
await db.open();
const regs = db.sublevel<string, unknown>('reg', { valueEncoding: 'json' });
const renewed = db.sublevel<string, unknown>('reg-renewed', { valueEncoding: 'json' });
const latest = db.sublevel<string, unknown>('obj-latest', { valueEncoding: 'json' });
const ring = db.sublevel<string, unknown>('obj-ring', { valueEncoding: 'json' });
type Op = { type: 'put'; sublevel: typeof regs; key: string; value: unknown } | { type: 'del'; sublevel: typeof regs; key: string };

let pending: Op[] = [];
let waiters: (() => void)[] = [];
let committing = false;
let batches = 0;
let batchOps = 0;
function commit(): void {
  if (pending.length === 0) {
    committing = false;
    return;
  }
  const ops = pending;
  const done = waiters;
  pending = [];
  waiters = [];
  batches++;
  batchOps += ops.length;
  void db.batch(ops).then(() => {
    for (const w of done) w();
    commit();
  });
}
function write(ops: Op[], done: () => void): void {
  pending.push(...ops);
  waiters.push(done);
  if (!committing) {
    committing = true;
    setImmediate(commit);
  }
}

interface Device {
  id: string;
  endpoint: string;
  lifetime: number;
  links: string;
  address: string;
  port: number;
  registeredAt: number;
  lastUpdate: number;
  expiresAt: number;
}
const byId = new Map<string, Device>();
const byEndpoint = new Map<string, Device>();
/** Per device: next MID of ours and the history ring position per path. */
const mids = new Map<string, number>();
const ringSeq = new Map<string, number>();
let nextId = 0;

const socket = dgram.createSocket('udp4');
const send = (p: Parameters<typeof generate>[0], port: number, address: string): void => void socket.send(generate(p), port, address);

function storeValue(endpoint: string, p: string, value: unknown, source: string, done: () => void): void {
  const now = Date.now();
  const key = `${endpoint}\u0000${p}`;
  const seq = ringSeq.get(key) ?? 0;
  ringSeq.set(key, seq + 1);
  const v = { endpoint, path: p, value, time: now, receivedAt: now, source };
  write(
    [
      { type: 'put', sublevel: latest, key, value: v },
      { type: 'put', sublevel: ring, key: `${key}\u0000${seq % 100}`, value: { s: seq, t: now, v } },
    ],
    done,
  );
}

function register(p: ParsedPacket, address: string, port: number): void {
  let endpoint = '';
  for (const o of p.options) if (o.name === 'Uri-Query' && o.value.toString().startsWith('ep=')) endpoint = o.value.toString().slice(3);
  const now = Date.now();
  const d: Device = { id: (nextId++).toString(36), endpoint, lifetime: 86_400, links: p.payload.toString(), address, port, registeredAt: now, lastUpdate: now, expiresAt: now + 86_400_000 };
  const old = byEndpoint.get(endpoint);
  if (old) byId.delete(old.id);
  byId.set(d.id, d);
  byEndpoint.set(endpoint, d);
  const ops: Op[] = [{ type: 'put', sublevel: regs, key: d.id, value: d }];
  if (old) ops.unshift({ type: 'del', sublevel: regs, key: old.id });
  write(ops, () => send({ code: '2.01', ack: true, messageId: p.messageId, token: p.token, options: [{ name: 'Location-Path', value: Buffer.from('rd') }, { name: 'Location-Path', value: Buffer.from(d.id) }] }, port, address));
}

function updateOrDelete(p: ParsedPacket, address: string, port: number): void {
  const id = p.options.filter((o) => o.name === 'Uri-Path')[1]?.value.toString() ?? '';
  const d = byId.get(id);
  if (!d) return send({ code: '4.04', ack: true, messageId: p.messageId, token: p.token }, port, address);
  if (p.code === '0.04') {
    byId.delete(id);
    byEndpoint.delete(d.endpoint);
    return write([{ type: 'del', sublevel: regs, key: id }, { type: 'del', sublevel: renewed, key: id }], () => send({ code: '2.02', ack: true, messageId: p.messageId, token: p.token }, port, address));
  }
  const now = Date.now();
  d.lastUpdate = now;
  d.expiresAt = now + d.lifetime * 1000;
  d.address = address;
  d.port = port;
  write([{ type: 'put', sublevel: renewed, key: id, value: { u: now, x: d.expiresAt, a: address, p: port } }], () => send({ code: '2.04', ack: true, messageId: p.messageId, token: p.token }, port, address));
}

/** Our requests in flight and the observations, by token (hex). */
const exchanges = new Map<string, (p: ParsedPacket) => void>();
const observations = new Map<string, string>();
let counting = false;
let count = 0;
let firstAt = 0;
let lastAt = 0;

function notification(p: ParsedPacket, address: string, port: number): void {
  const endpoint = observations.get(p.token.toString('hex'));
  if (endpoint === undefined) return;
  send({ code: '0.00', ack: true, messageId: p.messageId }, port, address);
  const records = decodeCbor(p.payload) as Record<number, unknown>[];
  let left = records.length;
  const stored = (): void => {
    if (--left > 0 || !counting) return;
    lastAt = Date.now();
    if (count++ === 0) firstAt = lastAt;
  };
  for (const r of records) storeValue(endpoint, String(r[0]), r[2], 'notify', stored);
}

/** The bound in force for notifications (undefined: the floor itself). */
let bound: FloorBound | undefined;

/** classic-level's native batch (abstract-level's implementation hooks): strings in, no encoding. */
interface RawBatch {
  _put(key: string, value: string): void;
  _clear(): void;
  _write(options: object): Promise<void>;
}
const rawPending: string[] = [];
/** What to do once each pending put is committed (one entry per put). */
let rawDone: (() => void)[] = [];
let rawBatch: RawBatch | undefined;
let rawBusy = false;
function rawPut(key: string, value: string, done: () => void): void {
  rawPending.push(key, value);
  rawDone.push(done);
  if (!rawBusy) {
    rawBusy = true;
    setImmediate(rawCommit);
  }
}
function rawCommit(): void {
  if (rawPending.length === 0) {
    rawBusy = false;
    return;
  }
  rawBatch ??= (db as unknown as { _chainedBatch(): RawBatch })._chainedBatch();
  for (let i = 0; i < rawPending.length; i += 2) rawBatch._put(rawPending[i]!, rawPending[i + 1]!);
  const done = rawDone;
  batches++;
  batchOps += rawPending.length / 2;
  rawPending.length = 0;
  rawDone = [];
  void rawBatch._write({}).then(() => {
    rawBatch!._clear();
    for (const d of done) d();
    rawCommit();
  });
}
function countNotification(): void {
  if (!counting) return;
  lastAt = Date.now();
  if (count++ === 0) firstAt = lastAt;
}
const ringSlot = new Map<string, number>();
/** A bound's one write: `bytes` (with the time in front) into the device's next ring slot. */
function rawRingPut(endpoint: string, bytes: string, done: () => void): void {
  const slot = ((ringSlot.get(endpoint) ?? -1) + 1) % 100;
  ringSlot.set(endpoint, slot);
  rawPut(`!obj-raw!${endpoint}\u0000${slot}`, Date.now() + bytes, done);
}

/** A CON 2.05 (RFC 7252 §3: version 1, type 0, code 0x45) under a bound: see the top of the file. */
function boundNotification(data: Buffer, address: string, port: number): void {
  const tkl = data[0]! & 0x0f;
  const endpoint = observations.get(data.toString('hex', 4, 4 + tkl));
  if (endpoint === undefined) return;
  socket.send(Buffer.from([0x60, 0x00, data[2]!, data[3]!]), port, address); // the empty ACK, same MID
  if (bound === 'ack') return countNotification();
  rawRingPut(endpoint, data.toString('latin1', 4 + tkl), countNotification);
}

/** Read bounds in flight: the answer's raw 8-byte token (latin1) to what to do with the ACK. */
const boundExchanges = new Map<string, (data: Buffer) => void>();

/**
 * Reads under a bound (see the top of the file): per device a CON GET built once, sent with a
 * fresh MID and token (a counter) each time; the piggybacked ACK 2.05 matched by its raw token
 * bytes; `put`: what follows the token kept with one raw LevelDB put (the device's next ring
 * slot), the read counted when committed; `ack`: counted on arrival, nothing stored.
 */
function boundReads(endpoints: string[], p: string, durationMs: number, readBound: FloorBound): void {
  const start = Date.now();
  const cpu = mark();
  let ok = 0;
  let live = endpoints.length;
  let tokens = 0;
  let replied = false;
  const done = (): void => {
    if (replied) return;
    replied = true;
    clearTimeout(deadline);
    boundExchanges.clear();
    reply({ type: 'reads-done', ok, failed: 0, ms: Date.now() - start, cpu: since(cpu) });
  };
  // A lost datagram stalls its device's loop (no retransmission here): end a second late at most.
  const deadline = setTimeout(done, durationMs + 1000);
  for (const endpoint of endpoints) {
    const d = byEndpoint.get(endpoint)!;
    const template = generate({ code: 'GET', confirmable: true, messageId: 0, token: Buffer.alloc(8), options: uriPath(p) });
    const next = (): void => {
      ok++;
      loop();
    };
    const answered = (data: Buffer): void => {
      if (readBound === 'ack') return next();
      rawRingPut(endpoint, data.toString('latin1', 12), next);
    };
    const loop = (): void => {
      if (Date.now() >= start + durationMs) {
        if (--live === 0) done();
        return;
      }
      const req = Buffer.from(template);
      // The device de-duplicates by MID: continue the floor's sequence for it.
      req.writeUInt16BE(nextMid(endpoint), 2);
      req.writeUInt32BE(++tokens >>> 0, 8);
      boundExchanges.set(req.toString('latin1', 4, 12), answered);
      socket.send(req, d.port, d.address);
    };
    loop();
  }
}

socket.on('message', (data, rinfo) => {
  // An ACK (RFC 7252 §3: version 1, type 2, TKL 8) 2.05 to a read under a bound.
  if (boundExchanges.size > 0 && data.length >= 12 && data[0] === 0x68 && data[1] === 0x45) {
    const key = data.toString('latin1', 4, 12);
    const answered = boundExchanges.get(key);
    if (answered !== undefined) {
      boundExchanges.delete(key);
      return answered(data);
    }
  }
  if (bound !== undefined && data.length >= 4 && data[0]! >> 4 === 4 && data[1] === 0x45) return boundNotification(data, rinfo.address, rinfo.port);
  let p: ParsedPacket;
  try {
    p = parse(data);
  } catch {
    return;
  }
  if (p.ack || p.reset) {
    const key = p.token.toString('hex');
    const cb = exchanges.get(key);
    if (cb) {
      exchanges.delete(key);
      cb(p);
    }
  } else if (p.code === '0.02' && p.options.some((o) => o.name === 'Uri-Path' && o.value.toString() === 'rd') && p.options.filter((o) => o.name === 'Uri-Path').length === 1) register(p, rinfo.address, rinfo.port);
  else if (p.code === '0.02' || p.code === '0.04') updateOrDelete(p, rinfo.address, rinfo.port);
  else if (p.code === '2.05') notification(p, rinfo.address, rinfo.port);
});

/** A path's Uri-Path options, one per segment. */
function uriPath(p: string): NamedOption[] {
  return p.split('/').filter((s) => s !== '').map((s) => ({ name: 'Uri-Path', value: Buffer.from(s) }));
}

function nextMid(endpoint: string): number {
  const mid = ((mids.get(endpoint) ?? 0) + 1) & 0xffff;
  mids.set(endpoint, mid);
  return mid;
}

function request(endpoint: string, p: string, extra: { observe?: boolean; accept?: number }, done: (res: ParsedPacket) => void): Buffer {
  const d = byEndpoint.get(endpoint)!;
  const mid = nextMid(endpoint);
  const token = randomBytes(8);
  const options = uriPath(p);
  if (extra.observe) options.unshift({ name: 'Observe', value: Buffer.alloc(0) });
  if (extra.accept !== undefined) options.push({ name: 'Accept', value: Buffer.from([extra.accept >> 8, extra.accept & 0xff]) });
  exchanges.set(token.toString('hex'), done);
  send({ code: 'GET', confirmable: true, messageId: mid, token, options }, d.port, d.address);
  return token;
}

interface CpuMark {
  usage: NodeJS.CpuUsage;
  batches: number;
  ops: number;
}
const mark = (): CpuMark => ({ usage: process.cpuUsage(), batches, ops: batchOps });
const since = (m: CpuMark): Extract<ServerReply, { type: 'count' }>['cpu'] => {
  const d = process.cpuUsage(m.usage);
  return { processMs: (d.user + d.system) / 1000, mainThreadMs: -1, batches: batches - m.batches, batchOps: batchOps - m.ops };
};
const reply = (m: ServerReply): void => void process.send?.(m);
let countMark = mark();

function reads(endpoints: string[], p: string, durationMs: number): void {
  const start = Date.now();
  const cpu = mark();
  let ok = 0;
  let live = endpoints.length;
  const loop = (endpoint: string): void => {
    if (Date.now() >= start + durationMs) {
      if (--live === 0) reply({ type: 'reads-done', ok, failed: 0, ms: Date.now() - start, cpu: since(cpu) });
      return;
    }
    request(endpoint, p, {}, (res) => storeValue(endpoint, p, Number(res.payload.toString()), 'read', () => {
      ok++;
      loop(endpoint);
    }));
  };
  for (const ep of endpoints) loop(ep);
}

function observe(endpoints: string[], p: string, format: number): void {
  let left = endpoints.length;
  for (const ep of endpoints) {
    const token = request(ep, p, { observe: true, accept: format }, () => {
      observations.set(token.toString('hex'), ep);
      if (--left === 0) reply({ type: 'observed', ok: endpoints.length, failed: 0 });
    });
  }
}

process.on('message', (m: ServerCommand | { type: 'cpu' }) => {
  if (m.type === 'reads') {
    if (m.bound === undefined) reads(m.endpoints, m.path, m.durationMs);
    else boundReads(m.endpoints, m.path, m.durationMs, m.bound);
  }
  else if (m.type === 'observe') observe(m.endpoints, m.path, m.format);
  else if (m.type === 'count-start' || m.type === 'count-get') {
    if (m.type === 'count-start') {
      bound = m.bound;
      counting = true;
      count = 0;
      countMark = mark();
    }
    reply({ type: 'count', count, firstAt, lastAt, stored: count, cpu: since(countMark) });
  } else if (m.type === 'profile-start' || m.type === 'profile-stop') reply({ type: 'profiled' });
});

// Both a disconnect and a SIGTERM may come (the bench sends one, its end the other): stop once.
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  socket.close();
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());

socket.bind(0, '127.0.0.1', () => {
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024); // as the server's UDP transport and the echo do
  } catch {
    /* the kernel may cap it: the default buffer still works */
  }
  reply({ type: 'ready', coapPort: socket.address().port, httpUrl: '', token: '' });
});

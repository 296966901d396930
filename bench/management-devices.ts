import dgram from 'node:dgram';

/**
 * Lightweight LwM2M devices for bench/management.ts: one raw dgram socket each, and per datagram
 * little JavaScript beyond the echo loops the ceiling is measured with (no allocation but the
 * answer to a read: ACKs are read off the header, the Uri-Path is compared as bytes, CON
 * notifications reuse one buffer). In a profile of the load process the devices' own code is
 * about 3% of its time and the send system call about 21%; the benchmark prints the load's CPU
 * per operation next to the echo loops' (20-22 µs against 14-15 µs measured). Each device
 *  - registers with a real Register (CON POST /rd, link format) and waits for its 2.01;
 *  - answers every GET of /3303/0/5700 with a piggybacked 2.05 built from pre-encoded payloads
 *    (text, SenML CBOR or TLV, whichever the Accept option asks for; 4.04 for any other path);
 *  - answers a GET with Observe=0 with 2.05 + Observe and remembers the server's token;
 *  - when told to, sends notifications for that token (CON: the next one when the previous is
 *    ACKed, like the closed loops of the ceiling; NON: a bounded window), from pre-generated
 *    datagrams whose MID and Observe bytes are patched in place.
 * The full SimulatedDevice (src/sim) stays out of the hot loop: what is measured is the server.
 */
export const RESOURCE = '/3303/0/5700';
const VARIANTS = 32;
const VALUES = Array.from({ length: VARIANTS }, (_, i) => 20 + i * 0.25);

const CF = { TEXT: 0, SENML_CBOR: 112, TLV: 11542 } as const;

function tlvFloat(rid: number, v: number): Buffer {
  // LwM2M 1.1 Core §7.4.3: resource with value, 16-bit id, 8-bit length, 8-byte float.
  const b = Buffer.alloc(4 + 8);
  b[0] = 0xc0 | 0x20 | 0x08;
  b.writeUInt16BE(rid, 1);
  b[3] = 8;
  b.writeDoubleBE(v, 4);
  return b;
}

function payloadFor(cf: number, v: number): Buffer {
  if (cf === CF.SENML_CBOR) {
    // RFC 8428 §6: [{0 (n): "/3303/0/5700", 2 (v): float64}] — array(1), map(2), text(12).
    const name = Buffer.from(RESOURCE);
    const b = Buffer.alloc(3 + 1 + name.length + 1 + 9);
    b.set([0x81, 0xa2, 0x00, 0x60 | name.length]);
    name.copy(b, 4);
    b[4 + name.length] = 0x02;
    b[5 + name.length] = 0xfb;
    b.writeDoubleBE(v, 6 + name.length);
    return b;
  }
  if (cf === CF.TLV) return tlvFloat(5700, v);
  return Buffer.from(String(v), 'utf8');
}

const PAYLOADS = new Map<number, Buffer[]>(Object.values(CF).map((cf) => [cf, VALUES.map((v) => payloadFor(cf, v))]));

/** One CoAP option, RFC 7252 §3.1 (delta and length < 269). */
function option(delta: number, value: Buffer): Buffer {
  const ext: number[] = [];
  const nib = (n: number): number => (n < 13 ? n : (ext.push(n - 13), 13));
  const d = nib(delta);
  const l = nib(value.length);
  return Buffer.concat([Buffer.from([(d << 4) | l, ...ext]), value]);
}

function uintBytes(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  if (n < 0x100) return Buffer.from([n]);
  return Buffer.from([n >> 8, n & 0xff]);
}

/**
 * A 2.05 with (optionally) a 3-byte Observe (so it can be patched), Content-Format and a payload.
 * Returns the datagram and the offset of the Observe value (-1 without Observe).
 */
function response205(type: number, mid: number, token: Buffer, cf: number, payload: Buffer, observe?: number): { data: Buffer; observeAt: number } {
  const head = Buffer.from([0x40 | (type << 4) | token.length, 0x45, mid >> 8, mid & 0xff]);
  const parts: Buffer[] = [head, token];
  let last = 0;
  let observeAt = -1;
  if (observe !== undefined) {
    const v = Buffer.from([(observe >> 16) & 0xff, (observe >> 8) & 0xff, observe & 0xff]);
    observeAt = head.length + token.length + 1;
    parts.push(option(6, v));
    last = 6;
  }
  parts.push(option(12 - last, uintBytes(cf)), Buffer.from([0xff]), payload);
  return { data: Buffer.concat(parts), observeAt };
}

/** Everything of a 2.05 read response after the token, per format and value variant. */
const READ_TAILS = new Map<number, Buffer[]>(
  [...PAYLOADS].map(([cf, ps]) => [cf, ps.map((p) => response205(2, 0, Buffer.alloc(0), cf, p).data.subarray(4))]),
);

interface Parsed {
  type: number;
  code: number;
  mid: number;
  tokenStart: number;
  tokenEnd: number;
  /** Whether the Uri-Path is RESOURCE (compared byte by byte: no string is built). */
  isResource: boolean;
  observe: number | undefined;
  accept: number | undefined;
}

/** RESOURCE's Uri-Path segments as bytes. */
const RESOURCE_SEGMENTS = RESOURCE.split('/').slice(1).map((seg) => Buffer.from(seg));

/** Just enough of RFC 7252 §3 to answer the server: header, token, Uri-Path, Observe, Accept. */
function parse(b: Buffer): Parsed | undefined {
  if (b.length < 4 || b[0] >> 6 !== 1) return undefined;
  const tkl = b[0] & 15;
  const out: Parsed = { type: (b[0] >> 4) & 3, code: b[1], mid: (b[2] << 8) | b[3], tokenStart: 4, tokenEnd: 4 + tkl, isResource: true, observe: undefined, accept: undefined };
  let segments = 0;
  let i = 4 + tkl;
  let num = 0;
  while (i < b.length && b[i] !== 0xff) {
    let d = b[i] >> 4;
    let l = b[i] & 15;
    i++;
    if (d === 13) d = b[i++] + 13;
    else if (d === 14) (d = ((b[i] << 8) | b[i + 1]) + 269), (i += 2);
    if (l === 13) l = b[i++] + 13;
    else if (l === 14) (l = ((b[i] << 8) | b[i + 1]) + 269), (i += 2);
    num += d;
    let v = 0;
    if (num === 6 || num === 17) for (let k = 0; k < l; k++) v = v * 256 + b[i + k];
    if (num === 11) {
      const want = RESOURCE_SEGMENTS[segments++];
      if (want === undefined || want.length !== l || want.compare(b, i, i + l) !== 0) out.isResource = false;
    } else if (num === 6) out.observe = v;
    else if (num === 17) out.accept = v;
    i += l;
  }
  if (segments !== RESOURCE_SEGMENTS.length) out.isResource = false;
  return out;
}

export interface LightDeviceOptions {
  server: { address: string; port: number };
  endpoint: string;
}

export class LightDevice {
  readonly endpoint: string;
  readonly socket: dgram.Socket;
  readonly #server: { address: string; port: number };
  #mid = Math.floor(Math.random() * 0x10000);
  #registered: (() => void) | undefined;
  #registerMid = -1;
  /** The observation the server really established (token, format), once it did. */
  #obs: { token: Buffer; cf: number; templates: { data: Buffer; observeAt: number }[]; scratch: Buffer } | undefined;
  #seq = 1;
  #notifying = false;
  #confirmable = true;
  #inFlight = new Set<number>();
  #lastSent = 0;
  sent = 0;
  acked = 0;
  resent = 0;
  reads = 0;
  resets = 0;

  private constructor(socket: dgram.Socket, o: LightDeviceOptions) {
    this.socket = socket;
    this.endpoint = o.endpoint;
    this.#server = o.server;
    socket.on('message', (msg) => this.#receive(msg));
  }

  static async open(o: LightDeviceOptions): Promise<LightDevice> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new LightDevice(s, o);
  }

  get observed(): boolean {
    return this.#obs !== undefined;
  }

  /** LwM2M 1.1 Transport §6.4.1: CON POST /rd?ep=..&lt=..&lwm2m=1.1&b=U with link format. */
  register(timeoutMs = 10_000): Promise<void> {
    const mid = this.#nextMid();
    this.#registerMid = mid;
    const token = Buffer.from([0x52, 0x45, mid >> 8, mid & 0xff]);
    const q = [`ep=${this.endpoint}`, 'lt=600', 'lwm2m=1.1', 'b=U'];
    const parts = [
      Buffer.from([0x40 | token.length, 0x02, mid >> 8, mid & 0xff]),
      token,
      option(11, Buffer.from('rd')),
      option(1, Buffer.from([40])),
      option(3, Buffer.from(q[0]!)),
      ...q.slice(1).map((s) => option(0, Buffer.from(s))),
      Buffer.from([0xff]),
      Buffer.from(`</>;rt="oma.lwm2m";ct=112,</1/0>,</3/0>,${'</3303/0>'}`),
    ];
    const data = Buffer.concat(parts);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.endpoint}: no answer to Register`)), timeoutMs);
      const retry = setInterval(() => this.socket.send(data, this.#server.port, this.#server.address), 2000);
      this.#registered = () => {
        clearTimeout(timer);
        clearInterval(retry);
        resolve();
      };
      this.socket.send(data, this.#server.port, this.#server.address);
    });
  }

  /** Starts notifying: CON closed loop (window 1, as RFC 7252 NSTART), or NON with a window. */
  startNotifying(confirmable: boolean, window = 1): void {
    if (!this.#obs) return;
    this.#notifying = true;
    this.#confirmable = confirmable;
    for (let i = 0; i < window; i++) this.#notify();
  }

  stopNotifying(): void {
    this.#notifying = false;
  }

  /** A CON notification not ACKed for `ms` (lost datagram): sent again with a new MID. */
  resendStale(now: number, ms: number): void {
    if (!this.#notifying || !this.#confirmable || this.#inFlight.size === 0 || now - this.#lastSent < ms) return;
    this.#inFlight.clear();
    this.resent++;
    this.#notify();
  }

  close(): Promise<void> {
    this.#notifying = false;
    return new Promise((r) => this.socket.close(() => r()));
  }

  #nextMid(): number {
    const m = this.#mid;
    this.#mid = (m + 1) & 0xffff;
    return m;
  }

  #notify(): void {
    const obs = this.#obs!;
    const seq = this.#seq++ & 0xffffff;
    const t = obs.templates[seq % VARIANTS]!;
    // A CON goes out only once the previous one is ACKed, so its buffer has left and one scratch
    // buffer serves them all; a NON gets its own (the previous may still be queued in libuv).
    const data = this.#confirmable && t.data.length === obs.scratch.length ? obs.scratch : Buffer.allocUnsafe(t.data.length);
    t.data.copy(data);
    const mid = this.#nextMid();
    data[0] = (data[0]! & 0xcf) | ((this.#confirmable ? 0 : 1) << 4);
    data[2] = mid >> 8;
    data[3] = mid & 0xff;
    data[t.observeAt] = (seq >> 16) & 0xff;
    data[t.observeAt + 1] = (seq >> 8) & 0xff;
    data[t.observeAt + 2] = seq & 0xff;
    if (this.#confirmable) this.#inFlight.add(mid);
    this.sent++;
    this.#lastSent = Date.now();
    this.socket.send(data, this.#server.port, this.#server.address, this.#confirmable ? undefined : () => {
      if (this.#notifying) this.#notify();
    });
  }

  #receive(b: Buffer): void {
    // An empty ACK or RST (4 bytes, code 0): the answer to a notification, read off the header.
    if (b.length === 4 && b[1] === 0 && b[0]! >> 6 === 1) return this.#acked((b[0]! >> 4) & 3, (b[2]! << 8) | b[3]!);
    const m = parse(b);
    if (!m) return;
    if (m.code === 0) return this.#acked(m.type, m.mid);
    if (m.type === 2 && m.mid === this.#registerMid) {
      this.#registerMid = -1;
      this.#registered?.();
      this.#registered = undefined;
      return;
    }
    if (m.code !== 0x01 || m.type > 1) return; // only GETs are expected from the server
    const respType = m.type === 0 ? 2 : 1; // piggybacked ACK for a CON, NON for a NON
    const respMid = m.type === 0 ? m.mid : this.#nextMid();
    const tkl = m.tokenEnd - m.tokenStart;
    if (!m.isResource) {
      const nf = Buffer.allocUnsafe(4 + tkl);
      nf.set([0x40 | (respType << 4) | tkl, 0x84, respMid >> 8, respMid & 0xff]);
      b.copy(nf, 4, m.tokenStart, m.tokenEnd);
      this.socket.send(nf, this.#server.port, this.#server.address);
      return;
    }
    const cf = m.accept ?? CF.TEXT;
    const payloads = PAYLOADS.get(cf) ?? PAYLOADS.get(CF.TEXT)!;
    const answerCf = PAYLOADS.has(cf) ? cf : CF.TEXT;
    if (m.observe === 0) {
      // RFC 7641 §3.1: register; notifications reuse the token of this GET.
      const token = Buffer.from(b.subarray(m.tokenStart, m.tokenEnd));
      const templates = payloads.map((p) => response205(0, 0, token, answerCf, p, 0));
      this.#obs = { token, cf: answerCf, templates, scratch: Buffer.alloc(templates[0]!.data.length) };
      this.socket.send(response205(respType, respMid, token, answerCf, payloads[0]!, this.#seq++).data, this.#server.port, this.#server.address);
      return;
    }
    if (m.observe === 1) this.#obs = undefined; // RFC 7641 §3.6: deregistration
    this.reads++;
    // The canned part after the token (Content-Format, marker, payload) is pre-encoded.
    const tail = READ_TAILS.get(answerCf)![this.reads % VARIANTS]!;
    const out = Buffer.allocUnsafe(4 + tkl + tail.length);
    out[0] = 0x40 | (respType << 4) | tkl;
    out[1] = 0x45;
    out[2] = respMid >> 8;
    out[3] = respMid & 0xff;
    b.copy(out, 4, m.tokenStart, m.tokenEnd);
    tail.copy(out, 4 + tkl);
    this.socket.send(out, this.#server.port, this.#server.address);
  }

  /** An empty ACK of a CON notification, or an RST (the server dropped the observation). */
  #acked(type: number, mid: number): void {
    if (type === 3) this.resets++;
    if (this.#inFlight.delete(mid)) {
      this.acked++;
      if (this.#notifying && type === 2) this.#notify();
    }
  }
}


import { generate, type Option } from 'coap-packet';
import { InternTable } from '../intern-table.js';

/** Message types, RFC 7252 §3. */
export const CON = 0;
export const NON = 1;
export const ACK = 2;
export const RST = 3;
export type MessageType = typeof CON | typeof NON | typeof ACK | typeof RST;

/** Option numbers we interpret (RFC 7252 §5.10, RFC 7641 §2, RFC 7959 §2.1, §4). */
export const OPT = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
} as const;

const KNOWN = new Set<number>(Object.values(OPT));
// coap-packet names the options it knows (and takes other options by number): its names, for encoding.
const NUMBER_BY_NAME: Record<string, number> = {
  'If-Match': 1, 'Uri-Host': 3, ETag: 4, 'If-None-Match': 5, Observe: 6, 'Uri-Port': 7,
  'Location-Path': 8, OSCORE: 9, 'Uri-Path': 11, 'Content-Format': 12, 'Max-Age': 14,
  'Uri-Query': 15, 'Hop-Limit': 16, Accept: 17, 'Q-Block1': 19, 'Location-Query': 20,
  Block2: 23, Block1: 27, Size2: 28, 'Q-Block2': 31, 'Proxy-Uri': 35, 'Proxy-Scheme': 39,
  Size1: 60, 'No-Response': 258, 'OCF-Accept-Content-Format-Version': 2049,
  'OCF-Content-Format-Version': 2053,
};
const NAME_BY_NUMBER = new Map<number, string>(Object.entries(NUMBER_BY_NAME).map(([k, v]) => [v, k]));

/** A decoded, validated CoAP message with the options we use already interpreted. */
/** The options we read and write as unsigned integers (RFC 7252 §5.10, RFC 7641, RFC 7959). */
export interface NumericOptions {
  contentFormat?: number;
  accept?: number;
  observe?: number;
  block1?: number;
  block2?: number;
  size1?: number;
  size2?: number;
}

export interface CoapMessage extends NumericOptions {
  type: MessageType;
  /** class * 32 + detail, e.g. 69 for 2.05. */
  code: number;
  mid: number;
  token: Buffer;
  payload: Buffer;
  path: string[];
  query: string[];
  locationPath: string[];
  /** First unrecognized critical option (odd number, RFC 7252 §5.4.1), if any. */
  badCritical?: number;
  /** Proxy-Uri or Proxy-Scheme present: we are no proxy (RFC 7252 §5.7.2 → 5.05). */
  proxy?: boolean;
  /** Options we do not interpret, kept for follow-up requests. */
  other?: Option[];
}

export class MalformedMessage extends Error {
  /** The header could be read: type and MID are meaningful (for an RST, RFC 7252 §4.2). */
  readonly type: MessageType | undefined;
  readonly mid: number | undefined;
  constructor(reason: string, data: Buffer) {
    super(reason);
    if (data.length >= 4 && data[0] >> 6 === 1) {
      this.type = ((data[0] >> 4) & 3) as MessageType;
      this.mid = data.readUInt16BE(2);
    }
  }
}

export function codeString(code: number): string {
  const d = code & 31;
  return `${code >> 5}.${d < 10 ? '0' : ''}${d}`;
}

export function codeNumber(code: string): number {
  const dot = code.indexOf('.');
  const c = Number(code.slice(0, dot));
  const d = Number(code.slice(dot + 1));
  if (dot < 1 || !Number.isInteger(c) || !Number.isInteger(d) || c < 0 || c > 7 || d < 0 || d > 31) {
    throw new RangeError(`bad CoAP code ${code}`);
  }
  return (c << 5) | d;
}

/**
 * Checks the framing coap-packet does not (RFC 7252 §3, §3.1): token length 9..15, options
 * running past the end, the reserved 15 nibbles, a payload marker with no payload, and a
 * non-empty Empty message (§4.1). coap-packet silently truncates or accepts these.
 */
function checkFraming(b: Buffer): string | undefined {
  if (b.length < 4) return 'shorter than the 4-byte header';
  if (b[0] >> 6 !== 1) return 'unknown version';
  const tkl = b[0] & 15;
  if (tkl > 8) return 'token length 9..15 is reserved';
  if (b[1] === 0) return b.length === 4 && tkl === 0 ? undefined : 'Empty message with a token or content';
  let i = 4 + tkl;
  if (i > b.length) return 'token runs past the end';
  while (i < b.length) {
    const byte = b[i++];
    if (byte === 0xff) return i === b.length ? 'payload marker with no payload' : undefined;
    const deltaNibble = byte >> 4;
    const lenNibble = byte & 15;
    if (deltaNibble === 15 || lenNibble === 15) return 'reserved option nibble 15';
    i += deltaNibble === 13 ? 1 : deltaNibble === 14 ? 2 : 0;
    let len = lenNibble;
    if (lenNibble === 13) len = i < b.length ? b[i] + 13 : -1;
    else if (lenNibble === 14) len = i + 1 < b.length ? b.readUInt16BE(i) + 269 : -1;
    i += lenNibble === 13 ? 1 : lenNibble === 14 ? 2 : 0;
    if (len < 0 || i + len > b.length) return 'option runs past the end';
    i += len;
  }
  return undefined;
}

export function encodeUint(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n % 256);
    n = Math.floor(n / 256);
  }
  return Buffer.from(bytes);
}

/** The value of an unsigned-integer option (RFC 7252 §3.2): big-endian, leading zeros allowed. */
function uintAt(b: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 256 + b[i]!;
  return n;
}

const NO_PAYLOAD = Buffer.alloc(0);

/**
 * Throws MalformedMessage; never anything else. checkFraming has walked the whole datagram
 * first, so every option header and value read below lies inside it. The options are read
 * straight from the datagram (string options decoded in place, no Buffer per option); the
 * result equals what coap-packet's parse gives (test/coap/codec.test.ts compares the two).
 */
export function decode(data: Buffer): CoapMessage {
  const reason = checkFraming(data);
  if (reason !== undefined) throw new MalformedMessage(reason, data);
  const tkl = data[0]! & 15;
  const msg: CoapMessage = {
    type: ((data[0]! >> 4) & 3) as MessageType,
    code: data[1]!,
    mid: (data[2]! << 8) | data[3]!,
    token: data.subarray(4, 4 + tkl),
    payload: NO_PAYLOAD,
    path: [],
    query: [],
    locationPath: [],
  };
  let i = 4 + tkl;
  let num = 0;
  while (i < data.length) {
    const byte = data[i++]!;
    if (byte === 0xff) {
      msg.payload = data.subarray(i);
      break;
    }
    let delta = byte >> 4;
    let len = byte & 15;
    if (delta === 13) delta = data[i++]! + 13;
    else if (delta === 14) {
      delta = ((data[i]! << 8) | data[i + 1]!) + 269;
      i += 2;
    }
    if (len === 13) len = data[i++]! + 13;
    else if (len === 14) {
      len = ((data[i]! << 8) | data[i + 1]!) + 269;
      i += 2;
    }
    num += delta;
    const start = i;
    i += len;
    if ((num === OPT.OBSERVE || num === OPT.BLOCK1 || num === OPT.BLOCK2) && len > 3) {
      throw new MalformedMessage(`option ${num} longer than 3 bytes`, data);
    }
    switch (num) {
      case OPT.URI_PATH: msg.path.push(data.toString('utf8', start, i)); break;
      case OPT.URI_QUERY: msg.query.push(data.toString('utf8', start, i)); break;
      case OPT.LOCATION_PATH: msg.locationPath.push(data.toString('utf8', start, i)); break;
      case OPT.CONTENT_FORMAT: msg.contentFormat = uintAt(data, start, i); break;
      case OPT.ACCEPT: msg.accept = uintAt(data, start, i); break;
      case OPT.OBSERVE: msg.observe = uintAt(data, start, i); break;
      case OPT.BLOCK1: msg.block1 = uintAt(data, start, i); break;
      case OPT.BLOCK2: msg.block2 = uintAt(data, start, i); break;
      case OPT.SIZE1: msg.size1 = uintAt(data, start, i); break;
      case OPT.SIZE2: msg.size2 = uintAt(data, start, i); break;
      case OPT.PROXY_URI:
      case OPT.PROXY_SCHEME: msg.proxy = true; break;
      default:
        if (num & 1 && !KNOWN.has(num) && msg.badCritical === undefined) msg.badCritical = num;
        (msg.other ??= []).push({ name: num, value: data.subarray(start, i) });
    }
  }
  return msg;
}

/** What the encoder needs; option fields mirror CoapMessage. */
export interface OutgoingMessage extends NumericOptions {
  type: MessageType;
  code: number;
  mid: number;
  token?: Buffer;
  payload?: Buffer;
  path?: string[];
  query?: string[];
  locationPath?: string[];
  other?: Option[];
}

const EMPTY = Buffer.alloc(0);
/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65_507;

/**
 * Encoded options by what they hold: a server sends the same few option sets over and over (a
 * Read of /3303/0/5700 asking for SenML CBOR, an Observe of it, the empty set of a 2.04 or an
 * error reply, the Location-Path rd/<id> of a 2.01), so each set is encoded once by coap-packet
 * and its bytes are reused behind a fresh header and token. Bounded (InternTable).
 *
 * The last Location-Path segment differs in every 2.01 (a fresh registration id), so it is not
 * part of the key: the set is encoded with a placeholder of the same byte length, and the
 * segment's bytes are written over the placeholder (option values are carried verbatim, RFC
 * 7252 §3.1, so only the value bytes differ between two such sets).
 */
interface EncodedOptions {
  bytes: Buffer;
  /** Offset of the last Location-Path value in `bytes`; -1 when there is none. */
  slot: number;
}
const optionBytes = new InternTable<EncodedOptions>(4096);

/** optionsKey of a 2.01 with Location-Path rd/<id>, by the id's byte length. */
const rdKeys: string[] = [];

/** The cache key of a message's options, or undefined when they are not worth caching (blocks, sizes, other options, running Observe numbers). */
function optionsKey(m: OutgoingMessage): string | undefined {
  if (m.block1 !== undefined || m.block2 !== undefined || m.size1 !== undefined || m.size2 !== undefined || m.other !== undefined) return undefined;
  if (m.observe !== undefined && m.observe > 1) return undefined;
  const lp = m.locationPath;
  if (m.observe === undefined && m.contentFormat === undefined && m.accept === undefined && m.path === undefined && m.query === undefined) {
    // The replies of a registration interface: no option (2.04, 2.02, errors), or rd/<id> (2.01).
    // Constant keys, the same as the general case below builds.
    if (lp === undefined || lp.length === 0) return '||||';
    if (lp.length === 2 && lp[0] === 'rd') {
      const n = Buffer.byteLength(lp[1]!);
      return (rdKeys[n] ??= `|||||2:rd*${n}`);
    }
  }
  let key = `${m.observe ?? ''}|${m.contentFormat ?? ''}|${m.accept ?? ''}|`;
  // Each segment length-prefixed: ["a/b"] and ["a", "b"] must not share a key.
  if (m.path) for (const s of m.path) key += `${s.length}:${s}`;
  key += '|';
  if (m.query) for (const s of m.query) key += `${s.length}:${s}`;
  if (lp !== undefined && lp.length > 0) {
    key += '|';
    for (let i = 0; i < lp.length - 1; i++) key += `${lp[i]!.length}:${lp[i]}`;
    key += `*${Buffer.byteLength(lp[lp.length - 1]!)}`;
  }
  return key;
}

/** The options of `m` as coap-packet encodes them, with the last Location-Path value's offset found by encoding two placeholders. */
function encodeOptions(m: OutgoingMessage): EncodedOptions {
  const set = (locationPath: string[] | undefined): Buffer =>
    // A GET without token or payload: everything after its 4-byte header is the options.
    encodeGeneral({ type: CON, code: 1, mid: 0, path: m.path, query: m.query, contentFormat: m.contentFormat, accept: m.accept, observe: m.observe, locationPath }).subarray(4);
  const lp = m.locationPath;
  if (lp === undefined || lp.length === 0) return { bytes: set(undefined), slot: -1 };
  const n = Buffer.byteLength(lp[lp.length - 1]!);
  if (n === 0) return { bytes: set(lp), slot: -1 };
  const a = set([...lp.slice(0, -1), 'a'.repeat(n)]);
  const b = set([...lp.slice(0, -1), 'b'.repeat(n)]);
  let slot = 0;
  while (slot < a.length && a[slot] === b[slot]) slot++;
  return { bytes: a, slot };
}

export function encode(m: OutgoingMessage): Buffer {
  const key = optionsKey(m);
  if (key === undefined || (m.token !== undefined && m.token.length > 8)) return encodeGeneral(m);
  const token = m.token ?? EMPTY;
  const options = optionBytes.get(key, () => encodeOptions(m));
  const b = frame(m.type, m.code, m.mid, token, options.bytes, m.payload);
  if (options.slot >= 0) b.write(m.locationPath![m.locationPath!.length - 1]!, 4 + token.length + options.slot, 'utf8');
  return b;
}

/** Any message, through coap-packet's generate. */
export function encodeGeneral(m: OutgoingMessage): Buffer {
  const options: Option[] = [];
  const add = (num: number, value: Buffer): void => void options.push({ name: NAME_BY_NUMBER.get(num) ?? String(num), value });
  if (m.observe !== undefined) add(OPT.OBSERVE, encodeUint(m.observe));
  if (m.locationPath) for (const s of m.locationPath) add(OPT.LOCATION_PATH, Buffer.from(s, 'utf8'));
  if (m.path) for (const s of m.path) add(OPT.URI_PATH, Buffer.from(s, 'utf8'));
  if (m.contentFormat !== undefined) add(OPT.CONTENT_FORMAT, encodeUint(m.contentFormat));
  if (m.query) for (const s of m.query) add(OPT.URI_QUERY, Buffer.from(s, 'utf8'));
  if (m.accept !== undefined) add(OPT.ACCEPT, encodeUint(m.accept));
  if (m.block2 !== undefined) add(OPT.BLOCK2, encodeUint(m.block2));
  if (m.block1 !== undefined) add(OPT.BLOCK1, encodeUint(m.block1));
  if (m.size2 !== undefined) add(OPT.SIZE2, encodeUint(m.size2));
  if (m.size1 !== undefined) add(OPT.SIZE1, encodeUint(m.size1));
  if (m.other) for (const o of m.other) add(Number(o.name), o.value);
  // coap-packet sorts options by number (stable), so repeated options keep their order.
  return generate(
    {
      code: codeString(m.code),
      messageId: m.mid,
      token: m.token ?? EMPTY,
      payload: m.payload ?? EMPTY,
      options,
      confirmable: m.type === CON,
      ack: m.type === ACK,
      reset: m.type === RST,
    },
    MAX_DATAGRAM,
  );
}

/** Header, token (at most 8 bytes, §3: callers send longer ones through encodeGeneral), already encoded options, and the payload behind 0xFF. */
function frame(type: MessageType, code: number, mid: number, token: Buffer, options: Buffer, payload: Buffer | undefined): Buffer {
  const tkl = token.length;
  // An Empty message (code 0.00) never carries a payload (RFC 7252 §4.1), as coap-packet writes it.
  const body = code !== 0 && payload !== undefined && payload.length > 0 ? payload : undefined;
  const length = 4 + tkl + options.length + (body === undefined ? 0 : 1 + body.length);
  if (length > MAX_DATAGRAM) throw new RangeError(`Max packet size is ${MAX_DATAGRAM}: current is ${length}`);
  const b = Buffer.allocUnsafe(length);
  b[0] = 0x40 | (type << 4) | tkl;
  b[1] = code;
  b[2] = mid >> 8;
  b[3] = mid & 0xff;
  token.copy(b, 4);
  options.copy(b, 4 + tkl);
  if (body !== undefined) {
    b[4 + tkl + options.length] = 0xff;
    body.copy(b, 5 + tkl + options.length);
  }
  return b;
}

/** An Empty ACK or RST (RFC 7252 §4.1, §4.2): 4 bytes, no token. */
export function emptyMessage(type: typeof ACK | typeof RST | typeof CON, mid: number): Buffer {
  return frame(type, 0, mid, EMPTY, EMPTY, undefined);
}

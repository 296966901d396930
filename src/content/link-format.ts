import { badPayload, Lwm2mError } from '../errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { DecodeLimits } from './types.js';

/**
 * CoRE Link Format (RFC 6690, application/link-format, Content-Format 40): the payload of
 * Register / Update (LwM2M 1.1 §6.2.1), Discover (§6.4.1 / §5.2.7.3 for bootstrap).
 *
 *   Link       = link-value-list
 *   link-value = "<" URI-Reference ">" *( ";" link-param )
 *   link-param = parmname [ "=" ( ptoken / quoted-string ) ]
 *
 * The parser is a single left-to-right scan: commas and semicolons inside a quoted string are
 * part of the value, backslash escapes (RFC 7230 quoted-pair) are resolved, and whitespace around
 * separators is tolerated (RFC 6690 allows none, but devices add line breaks).
 */
export interface Link {
  /** The URI-Reference between "<" and ">", e.g. "/3/0". */
  target: string;
  /**
   * Parameters in order of appearance; a parameter without value is `true`. For a repeated name
   * the first occurrence wins, except ct, rt and if, whose values are joined with a space.
   */
  params: Record<string, string | true>;
}

/** At most this many parameters on one link: a real link has a handful. */
export const MAX_PARAMS_PER_LINK = 64;

/** RFC 5987 attr-char plus "*" (for RFC 8187 ext-values like title*). */
const PARMNAME_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~*]/;
/** Characters that end an unquoted value. */
const PTOKEN_END = new Set([',', ';', '"', '<', '>', ' ', '\t', '\r', '\n']);
/**
 * RFC 6690 ptokenchar minus "<" and ">" (which the lenient parser treats as ends), used to decide
 * whether a value must be quoted when writing.
 */
const PTOKEN = /^[A-Za-z0-9!#$%&'()*+\-.:/=?@[\]^_`{|}~]+$/;
/** Parameters whose value is a space-separated list: repeats are joined, not dropped. */
const LIST_PARAMS = new Set(['ct', 'rt', 'if']);
/** Parameters RFC 6690 §2 / LwM2M always write as quoted-string. */
const ALWAYS_QUOTED = new Set(['rt', 'if', 'anchor', 'title', 'uri', 'rel', 'rev']);

function fail(msg: string, at: number): never {
  throw badPayload(`link-format: ${msg} at offset ${at}`, '4.00');
}

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/** Parses a link-format text. An empty or all-whitespace text is an empty list. */
export function parseLinkFormat(text: string, limits?: Partial<DecodeLimits>): Link[] {
  const lim = limits ? { ...DEFAULT_LIMITS, ...limits } : DEFAULT_LIMITS;
  if (text.length > lim.maxPayloadBytes) {
    throw badPayload(`link-format: payload of ${text.length} characters exceeds ${lim.maxPayloadBytes}`, '4.00');
  }
  const links: Link[] = [];
  let i = skipWs(text, 0);
  if (i === text.length) return links;
  for (;;) {
    if (links.length >= lim.maxEntries) fail(`more than ${lim.maxEntries} links`, i);
    const [link, next] = parseLinkValue(text, i);
    links.push(link);
    i = skipWs(text, next);
    if (i === text.length) return links;
    if (text[i] !== ',') fail(`expected "," or ";" but found ${JSON.stringify(text[i])}`, i);
    i = skipWs(text, i + 1);
    if (i === text.length) fail('trailing ","', i);
  }
}

/** Decodes a UTF-8 link-format payload (invalid UTF-8 is a 4.00). */
export function decodeLinkFormat(payload: Uint8Array, limits?: Partial<DecodeLimits>): Link[] {
  const max = limits?.maxPayloadBytes ?? DEFAULT_LIMITS.maxPayloadBytes;
  if (payload.length > max) throw badPayload(`link-format: payload of ${payload.length} bytes exceeds ${max}`, '4.00');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch (e) {
    throw badPayload('link-format: payload is not valid UTF-8', '4.00', e);
  }
  return parseLinkFormat(text, limits);
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text[i])) i++;
  return i;
}

function parseLinkValue(text: string, start: number): [Link, number] {
  if (text[start] !== '<') fail(`expected "<" but found ${JSON.stringify(text[start])}`, start);
  const close = text.indexOf('>', start + 1);
  if (close === -1) fail('unterminated "<"', start);
  const target = text.slice(start + 1, close);
  for (let k = 0; k < target.length; k++) {
    const code = target.charCodeAt(k);
    if (code <= 0x20 || code === 0x7f || target[k] === '<' || target[k] === '"') {
      fail(`invalid character ${JSON.stringify(target[k])} in link target`, start + 1 + k);
    }
  }
  const params: Record<string, string | true> = {};
  let count = 0;
  let i = skipWs(text, close + 1);
  while (text[i] === ';') {
    i = skipWs(text, i + 1);
    const nameStart = i;
    while (i < text.length && PARMNAME_CHAR.test(text[i]!)) i++;
    if (i === nameStart) fail(`expected a parameter name but found ${JSON.stringify(text[i] ?? 'end of text')}`, i);
    const name = text.slice(nameStart, i);
    i = skipWs(text, i);
    let value: string | true = true;
    if (text[i] === '=') {
      i = skipWs(text, i + 1);
      [value, i] = text[i] === '"' ? parseQuoted(text, i) : parsePtoken(text, i);
    }
    if (++count > MAX_PARAMS_PER_LINK) fail(`more than ${MAX_PARAMS_PER_LINK} parameters on one link`, nameStart);
    const previous = Object.hasOwn(params, name) ? params[name] : undefined;
    if (previous === undefined) {
      // defineProperty, not assignment: a hostile "__proto__" name must stay an ordinary key.
      Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
    } else if (LIST_PARAMS.has(name) && typeof previous === 'string' && typeof value === 'string') {
      // `ct=110;ct=112` (seen from real clients) means the same as `ct="110 112"` (RFC 6690 §3).
      params[name] = `${previous} ${value}`;
    }
    i = skipWs(text, i);
  }
  return [{ target, params }, i];
}

function parseQuoted(text: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return [out, i + 1];
    if (c === '\\') {
      if (i + 1 >= text.length) break;
      out += text[i + 1];
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return fail('unterminated quoted string', start);
}

function parsePtoken(text: string, start: number): [string, number] {
  let i = start;
  while (i < text.length && !PTOKEN_END.has(text[i]!)) i++;
  if (i === start) fail('missing parameter value after "="', start);
  return [text.slice(start, i), i];
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Writes links as link-format. Values are quoted where RFC 6690 requires or the text needs it. */
export function formatLinkFormat(links: readonly Link[]): string {
  return links.map(formatLink).join(',');
}

export function formatLink(link: Link): string {
  if (/[<>"\s]/.test(link.target)) {
    throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `link target ${JSON.stringify(link.target)} cannot be written in link-format`);
  }
  let out = `<${link.target}>`;
  for (const [name, value] of Object.entries(link.params)) {
    if (name === '' || ![...name].every((c) => PARMNAME_CHAR.test(c))) {
      throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `invalid link parameter name ${JSON.stringify(name)}`);
    }
    if (value === true) out += `;${name}`;
    else out += `;${name}=${ALWAYS_QUOTED.has(name) || !PTOKEN.test(value) ? quote(value) : value}`;
  }
  return out;
}

import { badPayload } from '../errors.js';

/**
 * Decimal text for numbers, shared by text/plain (LwM2M 1.1 §7.4.1) and attribute values in
 * Uri-Query / link-format (§5.1.2). Output is the shortest decimal that reads back to the same
 * double, written without an exponent: constrained clients parse plain decimals with strtod-like
 * code, but not all of them accept "1e+21".
 */
export function formatDecimal(n: number): string {
  if (!Number.isFinite(n)) throw badPayload(`cannot write ${n} as a decimal`, '4.00');
  if (Object.is(n, -0)) return '-0'; // String(-0) is "0"; keep the sign so the value round-trips
  const s = String(n);
  const e = s.indexOf('e');
  if (e === -1) return s;
  const mantissa = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  const neg = mantissa.startsWith('-');
  const m = neg ? mantissa.slice(1) : mantissa;
  const dot = m.indexOf('.');
  const digits = m.replace('.', '');
  const point = (dot === -1 ? m.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

/** A decimal number, optionally signed, with optional fraction and exponent. No hex, no "Infinity". */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a finite decimal; `undefined` when the text is not one. */
export function parseDecimal(text: string): number | undefined {
  if (text.length > 400 || !DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

const INTEGER = /^[+-]?\d+$/;

/**
 * Parses a decimal integer. Returns a number when it is a safe integer, a bigint when it is
 * larger (LwM2M integers are 64-bit), `undefined` when the text is not an integer.
 */
export function parseInteger(text: string): number | bigint | undefined {
  if (text.length > 40 || !INTEGER.test(text)) return undefined;
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  return BigInt(text);
}

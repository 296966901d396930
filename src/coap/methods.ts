import type { CoapMethod } from './types.js';

/** Method codes 0.01..0.07 (RFC 7252 §12.1.1, RFC 8132 for FETCH/PATCH/iPATCH). */
export const METHOD_CODE: Readonly<Record<CoapMethod, number>> = {
  GET: 1,
  POST: 2,
  PUT: 3,
  DELETE: 4,
  FETCH: 5,
  PATCH: 6,
  iPATCH: 7,
};

const BY_CODE: readonly (CoapMethod | undefined)[] = [undefined, 'GET', 'POST', 'PUT', 'DELETE', 'FETCH', 'PATCH', 'iPATCH'];

export function methodOf(code: number): CoapMethod | undefined {
  return BY_CODE[code];
}

/** Well-known response codes as numbers (class << 5 | detail). */
export const CODE = {
  CONTINUE: (2 << 5) | 31, // 2.31, RFC 7959 §2.9.1
  BAD_REQUEST: (4 << 5) | 0,
  BAD_OPTION: (4 << 5) | 2,
  NOT_FOUND: (4 << 5) | 4,
  METHOD_NOT_ALLOWED: (4 << 5) | 5,
  REQUEST_ENTITY_INCOMPLETE: (4 << 5) | 8, // RFC 7959 §2.9.2
  REQUEST_ENTITY_TOO_LARGE: (4 << 5) | 13, // RFC 7959 §2.9.3
  INTERNAL_SERVER_ERROR: (5 << 5) | 0,
  PROXYING_NOT_SUPPORTED: (5 << 5) | 5,
} as const;

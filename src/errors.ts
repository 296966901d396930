/**
 * One registry of coded errors. Every error the server raises on purpose carries a stable
 * code (`LWM2M_ERR_*`), the CoAP response code to answer a device with, and the HTTP status
 * to answer an API client with. Tests check this table against the README.
 */
export const ERROR_CODES = {
  LWM2M_ERR_BAD_REQUEST: { coap: '4.00', http: 400, message: 'bad request' },
  LWM2M_ERR_UNAUTHORIZED: { coap: '4.01', http: 401, message: 'unauthorized' },
  LWM2M_ERR_FORBIDDEN: { coap: '4.03', http: 403, message: 'forbidden' },
  LWM2M_ERR_NOT_FOUND: { coap: '4.04', http: 404, message: 'not found' },
  LWM2M_ERR_METHOD_NOT_ALLOWED: { coap: '4.05', http: 405, message: 'method not allowed' },
  LWM2M_ERR_NOT_ACCEPTABLE: { coap: '4.06', http: 406, message: 'not acceptable' },
  LWM2M_ERR_REQUEST_ENTITY_INCOMPLETE: { coap: '4.08', http: 400, message: 'request entity incomplete' },
  LWM2M_ERR_PRECONDITION_FAILED: { coap: '4.12', http: 412, message: 'precondition failed' },
  LWM2M_ERR_ENTITY_TOO_LARGE: { coap: '4.13', http: 413, message: 'request entity too large' },
  LWM2M_ERR_UNSUPPORTED_FORMAT: { coap: '4.15', http: 415, message: 'unsupported content format' },
  LWM2M_ERR_INTERNAL: { coap: '5.00', http: 500, message: 'internal error' },
  LWM2M_ERR_NOT_IMPLEMENTED: { coap: '5.01', http: 501, message: 'not implemented' },
  LWM2M_ERR_SERVICE_UNAVAILABLE: { coap: '5.03', http: 503, message: 'service unavailable' },
  LWM2M_ERR_TIMEOUT: { coap: '5.04', http: 504, message: 'device did not answer in time' },
  LWM2M_ERR_MALFORMED_MESSAGE: { coap: '4.00', http: 400, message: 'malformed CoAP message' },
  LWM2M_ERR_BAD_PAYLOAD: { coap: '4.00', http: 400, message: 'malformed payload' },
  LWM2M_ERR_UNKNOWN_DEVICE: { coap: '4.04', http: 404, message: 'unknown device' },
  LWM2M_ERR_DEVICE_ERROR: { coap: '5.00', http: 502, message: 'device answered with an error' },
  LWM2M_ERR_CANCELLED: { coap: '5.03', http: 503, message: 'request cancelled' },
  LWM2M_ERR_BAD_CONFIG: { coap: '5.00', http: 500, message: 'invalid configuration' },
  LWM2M_ERR_STORE: { coap: '5.00', http: 500, message: 'store failure' },
  LWM2M_ERR_UNAUTHENTICATED_API: { coap: '4.01', http: 401, message: 'missing or invalid API token' },
  LWM2M_ERR_BAD_API_REQUEST: { coap: '4.00', http: 400, message: 'invalid API request' },
  LWM2M_ERR_MODEL: { coap: '5.00', http: 422, message: 'invalid object model' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class Lwm2mError extends Error {
  readonly code: ErrorCode;
  /** CoAP response code as "c.dd", e.g. "4.04". */
  readonly coapCode: string;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; coapCode?: string }) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Lwm2mError';
    this.code = code;
    this.coapCode = options?.coapCode ?? ERROR_CODES[code].coap;
    this.httpStatus = ERROR_CODES[code].http;
  }

  toJSON(): { code: ErrorCode; message: string; coapCode: string } {
    return { code: this.code, message: this.message, coapCode: this.coapCode };
  }
}

export function isLwm2mError(e: unknown): e is Lwm2mError {
  return e instanceof Lwm2mError;
}

/** "an integer", "a float": a word of an error message with its indefinite article. */
export function withArticle(word: string): string {
  return (/^[aeiou]/i.test(word) ? 'an ' : 'a ') + word;
}

/** Shorthand for a payload/format error with a specific CoAP code (4.00, 4.06, 4.15). */
export function badPayload(message: string, coapCode: '4.00' | '4.06' | '4.15' = '4.00', cause?: unknown): Lwm2mError {
  const code: ErrorCode =
    coapCode === '4.15' ? 'LWM2M_ERR_UNSUPPORTED_FORMAT' : coapCode === '4.06' ? 'LWM2M_ERR_NOT_ACCEPTABLE' : 'LWM2M_ERR_BAD_PAYLOAD';
  return new Lwm2mError(code, message, { cause, coapCode });
}

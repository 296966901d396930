import { isLwm2mError, Lwm2mError, type ErrorCode } from '../../errors.js';
import type { OperationResult } from './operation.js';

/** A failed result from an error: typed errors keep their code; anything else is internal. */
export function failure(e: unknown, code?: string): OperationResult {
  const err = isLwm2mError(e) ? e : new Lwm2mError('LWM2M_ERR_INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
  const out: OperationResult = { ok: false, error: { code: err.code, message: err.message } };
  if (code !== undefined) out.code = code;
  return out;
}

export function failWith(code: ErrorCode, message: string): OperationResult {
  return { ok: false, error: { code, message } };
}

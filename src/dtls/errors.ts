/** DTLS configuration errors map to the shared coded error registry (src/errors.ts). */
import { Lwm2mError } from '../errors.js';

export function badConfig(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', message);
}

/** Why a client connection failed or ended: a server alert, a timeout, or a protocol error. */
export class DtlsClientError extends Lwm2mError {
  constructor(
    code: 'LWM2M_ERR_TIMEOUT' | 'LWM2M_ERR_UNAUTHORIZED' | 'LWM2M_ERR_BAD_PAYLOAD' | 'LWM2M_ERR_SERVICE_UNAVAILABLE',
    message: string,
    /** The fatal alert the server sent (RFC 5246 §7.2), when that is the cause. */
    readonly alert?: number,
  ) {
    super(code, message);
    this.name = 'DtlsClientError';
  }
}

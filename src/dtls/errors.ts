/** DTLS configuration errors map to the shared coded error registry (src/errors.ts). */
import { Lwm2mError } from '../errors.js';

export function badConfig(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', message);
}

import { Lwm2mError } from '../errors.js';

/** A rule that does not validate: one message naming the field, e.g. `then[0].write: ...`. */
export function ruleError(field: string, message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `${field}: ${message}`);
}

export function unknownRule(name: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no rule "${name}"`);
}

import type { IncomingRequest, OutgoingResponse } from '../../coap/types.js';
import { systemClock, type Clock } from '../../clock.js';
import { decodeValues } from '../../content/index.js';
import { ContentFormat } from '../../content/types.js';
import { Lwm2mError } from '../../errors.js';
import type { EventBus } from '../../events.js';
import type { ModelLookup } from '../../model/types.js';
import type { ObjectStore, RegistrationStore } from '../../store/types.js';
import { codecContext } from '../management/codec-context.js';
import { storeValues } from '../management/device-manager.js';
import { toPathValue } from '../management/request-builder.js';

/** Formats a Send may use (LwM2M 1.1 Core §6.4, Send: SenML JSON/CBOR; 1.2 adds LwM2M CBOR). */
const SEND_FORMATS: readonly number[] = [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_CBOR];

export interface SendRouteOptions {
  registrations: RegistrationStore;
  models: ModelLookup;
  events: EventBus;
  objectStore?: ObjectStore;
  clock?: Clock;
  onDeviceSeen?: (endpoint: string) => void;
}

/**
 * `POST /dp` (LwM2M 1.1 Information Reporting, Send): a registered device reports values on its
 * own. They are decoded with the device's models, stored, emitted as a `send` event, and the
 * device gets 2.04 Changed.
 */
export function sendRoute(o: SendRouteOptions) {
  const clock = o.clock ?? systemClock;
  return async (req: IncomingRequest): Promise<OutgoingResponse | undefined> => {
    if (req.path.length !== 1 || req.path[0] !== 'dp') return undefined;
    if (req.method !== 'POST') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed on /dp`);
    const reg = o.registrations.getByAddress(req.peer);
    if (!reg) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', 'Send from a client that is not registered');
    if (reg.identity && (!req.identity || JSON.stringify(req.identity) !== JSON.stringify(reg.identity))) {
      throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', 'Send from a different security identity than the registration');
    }
    if (req.contentFormat === undefined) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'Send needs a Content-Format');
    if (!SEND_FORMATS.includes(req.contentFormat)) throw new Lwm2mError('LWM2M_ERR_UNSUPPORTED_FORMAT', `Send in Content-Format ${req.contentFormat} is not supported`);
    o.onDeviceSeen?.(reg.endpoint);
    const now = clock.now();
    const values = decodeValues(req.contentFormat, req.payload, {}, codecContext(reg, o.models, now)).map(toPathValue);
    if (o.objectStore) await storeValues(o.objectStore, reg.endpoint, values, 'send', now);
    o.events.emit('send', { endpoint: reg.endpoint, values });
    return { code: '2.04' };
  };
}

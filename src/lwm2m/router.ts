import type { IncomingRequest, OutgoingResponse } from '../coap/types.js';
import { Lwm2mError } from '../errors.js';

/** A route answers the requests it owns and returns undefined for the rest. */
export type Route = (req: IncomingRequest) => Promise<OutgoingResponse | undefined>;

/** Device-initiated requests (registration, later Send and bootstrap) go through these routes in order. */
export function routeRequests(routes: readonly Route[]) {
  return async (req: IncomingRequest): Promise<OutgoingResponse> => {
    for (const route of routes) {
      const res = await route(req);
      if (res) return res;
    }
    throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no resource /${req.path.join('/')}`);
  };
}

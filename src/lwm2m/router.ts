import type { IncomingRequest, OutgoingResponse } from '../coap/types.js';
import { Lwm2mError } from '../errors.js';
import { isThenable } from '../thenable.js';

export type RouteResult = OutgoingResponse | undefined;

/**
 * A route answers the requests it owns and returns undefined for the rest. It may answer at
 * once (a gate that lets a request through, a refusal) or with a promise (one that waits for
 * the store); only a promise costs a turn of the event loop.
 */
export type Route = (req: IncomingRequest) => RouteResult | Promise<RouteResult>;

/** Device-initiated requests (registration, Send, bootstrap) go through these routes in order. */
export function routeRequests(routes: readonly Route[]) {
  const from = (req: IncomingRequest, first: number): OutgoingResponse | Promise<OutgoingResponse> => {
    for (let i = first; i < routes.length; i++) {
      const res = routes[i]!(req);
      if (isThenable<RouteResult>(res)) return Promise.resolve(res).then((r) => r ?? from(req, i + 1));
      if (res) return res;
    }
    throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no resource /${req.path.join('/')}`);
  };
  return (req: IncomingRequest): OutgoingResponse | Promise<OutgoingResponse> => from(req, 0);
}

import type { IncomingRequest, OutgoingResponse } from '../../coap/types.js';
import { ContentFormat } from '../../content/types.js';
import { Lwm2mError } from '../../errors.js';
import { parseRegistrationLinks } from './object-links.js';
import { parseRegisterParams, parseUpdateParams } from './params.js';
import type { RegistrationService } from './registration-service.js';

/**
 * The CoAP side of the registration interface (LwM2M 1.1 Transport §6.4):
 *   POST /rd?ep=..      Register    -> 2.01 Created, Location-Path: rd/<id>
 *   POST /rd/<id>?..    Update      -> 2.04 Changed
 *   DELETE /rd/<id>     De-register -> 2.02 Deleted
 */
export function registrationRoutes(service: RegistrationService) {
  return async (req: IncomingRequest): Promise<OutgoingResponse | undefined> => {
    if (req.path[0] !== 'rd') return undefined;
    const transport = req.identity ? 'coaps' : 'coap';
    if (req.path.length === 1) {
      if (req.method !== 'POST') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed on /rd`);
      checkFormat(req);
      const params = parseRegisterParams(req.query);
      const links = parseRegistrationLinks(req.payload);
      const reg = await service.register(withIdentity({ params, links, address: req.peer, transport }, req));
      return { code: '2.01', locationPath: ['rd', reg.id] };
    }
    if (req.path.length !== 2) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no resource /${req.path.join('/')}`);
    const id = req.path[1]!;
    if (req.method === 'POST') {
      checkFormat(req);
      const params = parseUpdateParams(req.query);
      const update = withIdentity({ params, address: req.peer }, req);
      await service.update(id, req.payload.length > 0 ? Object.assign({}, update, { links: parseRegistrationLinks(req.payload) }) : update);
      return { code: '2.04' };
    }
    if (req.method === 'DELETE') {
      await service.deregister(id, 'device', req.identity);
      return { code: '2.02' };
    }
    throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed on /rd/${id}`);
  };
}

/** Link format or no Content-Format at all (lwm2m-node-lib and Wakaama Updates send none). */
function checkFormat(req: IncomingRequest): void {
  if (req.contentFormat !== undefined && req.contentFormat !== ContentFormat.LINK) {
    throw new Lwm2mError('LWM2M_ERR_UNSUPPORTED_FORMAT', `registration payload must be application/link-format (40), got ${req.contentFormat}`);
  }
}

function withIdentity<T extends object>(o: T, req: IncomingRequest): T {
  return req.identity ? Object.assign({}, o, { identity: req.identity }) : o;
}

/**
 * Server-initiated bootstrap (LwM2M 1.1 Core §5.2.3, §E.2): Execute on the Server object's
 * Bootstrap-Request Trigger (/1/x/9) of a registered device makes it start a Client Initiated
 * Bootstrap with its bootstrap server.
 */
import { Lwm2mError } from '../../errors.js';
import type { RegistrationStore } from '../../store/types.js';
import type { Operation } from '../management/operation.js';

/** Which /1/x to execute: the one asked for, else the lowest Server instance the device registered. */
export async function bootstrapTriggerOperation(registrations: Pick<RegistrationStore, 'getByEndpoint'>, endpoint: string, instanceId?: number): Promise<Extract<Operation, { op: 'execute' }>> {
  const reg = registrations.getByEndpoint(endpoint);
  if (!reg) throw new Lwm2mError('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${endpoint}" is registered`);
  const serverObjectVersion = reg.objectLinks.find((l) => l.objectId === 1 && l.instanceId === undefined && l.version !== undefined)?.version;
  if (reg.lwm2mVersion === '1.0' && (serverObjectVersion === undefined || serverObjectVersion === '1.0')) {
    throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `"${endpoint}" registered with LwM2M 1.0, whose Server object has no Bootstrap-Request Trigger (/1/x/9)`);
  }
  let id = instanceId;
  if (id === undefined) {
    const ids = reg.objectLinks.filter((l) => l.objectId === 1 && l.instanceId !== undefined).map((l) => l.instanceId!);
    if (ids.length === 0) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `"${endpoint}" registered no Server object instance; give the instance id`);
    id = Math.min(...ids);
  }
  return { op: 'execute', path: `/1/${id}/9` };
}

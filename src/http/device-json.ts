import { peerKey } from '../transport/types.js';
import type { Registration } from '../store/types.js';

/** The stable JSON shape of a registered device in the management API. */
export interface DeviceJson {
  endpoint: string;
  registrationId: string;
  lwm2mVersion: string;
  lifetime: number;
  binding: string;
  queueMode: boolean;
  sms?: string;
  address: string;
  transport: 'coap' | 'coaps';
  rootPath: string;
  supportedFormats: number[];
  objects: { path: string; version?: string }[];
  registeredAt: string;
  lastUpdate: string;
  expiresAt: string;
}

export function deviceJson(r: Registration): DeviceJson {
  const out: DeviceJson = {
    endpoint: r.endpoint,
    registrationId: r.id,
    lwm2mVersion: r.lwm2mVersion,
    lifetime: r.lifetime,
    binding: r.binding,
    queueMode: r.queueMode,
    address: peerKey(r.address),
    transport: r.transport,
    rootPath: r.rootPath,
    supportedFormats: r.supportedFormats,
    objects: r.objectLinks.map((l) => (l.version ? { path: l.path, version: l.version } : { path: l.path })),
    registeredAt: new Date(r.registeredAt).toISOString(),
    lastUpdate: new Date(r.lastUpdate).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
  };
  if (r.sms !== undefined) out.sms = r.sms;
  return out;
}

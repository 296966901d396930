import { isIP } from 'node:net';
import { Lwm2mError } from '../errors.js';
import type { PeerAddress } from '../transport/types.js';

export interface ServerUri {
  scheme: 'coap' | 'coaps';
  address: PeerAddress;
}

const DEFAULT_PORTS = { coap: 5683, coaps: 5684 } as const;

/**
 * `coap://127.0.0.1:5683`, `coaps://[::1]:5684`: a literal address (no DNS: the simulator
 * must never wander off to a name that resolves elsewhere) and an optional port.
 */
export function parseServerUri(uri: string): ServerUri {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `not a URI: ${uri}`);
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'coap' && scheme !== 'coaps') throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${uri}: the scheme must be coap or coaps`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (isIP(host) === 0) throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${uri}: give the server as an IP address`);
  const port = u.port === '' ? DEFAULT_PORTS[scheme] : Number(u.port);
  return { scheme, address: { address: host, port } };
}

/** 127.0.0.0/8 and ::1 (and ::ffff:127.x). */
export function isLoopback(address: string): boolean {
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

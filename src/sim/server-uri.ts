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

/** The host part of a URI for a literal address: IPv6 in brackets (RFC 3986 §3.2.2). */
export function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * The local address a device binds to reach `address`: loopback of the same family for a
 * loopback server; else the wildcard, since a socket bound to 127.0.0.1 cannot send off the
 * machine (Linux answers EINVAL), which --allow-remote needs.
 */
export function localAddressFor(address: string): string {
  if (address === '::1') return '::1';
  // An IPv4-mapped loopback (::ffff:127.x) is reached from an IPv6 socket, not from ::1.
  if (address.includes(':')) return '::';
  return isLoopback(address) ? '127.0.0.1' : '0.0.0.0';
}

/** Refuses a peer off this machine unless allowed: a simulated fleet is a load generator. */
export function checkTarget(address: string, allowRemote: boolean, what: string): void {
  if (!allowRemote && !isLoopback(address)) throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${what} ${address} is not a loopback address (pass --allow-remote to simulate against another machine)`);
}

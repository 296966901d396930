import { AlertDescription } from '../dtls/constants.js';
import { connectDtls, type DtlsClient } from '../dtls/dtls-client.js';
import { DtlsClientError } from '../dtls/errors.js';
import { Lwm2mError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ModelLookup } from '../model/types.js';
import type { PeerAddress } from '../transport/types.js';
import type { DevicePreparer, PreparedDevice } from './fleet.js';
import { bootstrapDevice } from './fleet-bootstrap.js';
import type { SimPskCredential } from './psk-credentials.js';
import { checkTarget, formatHost, localAddressFor, type ServerUri } from './server-uri.js';

export interface PreparationOptions {
  server: ServerUri;
  /** By endpoint: PSKs for a coaps:// server. */
  psk?: ReadonlyMap<string, SimPskCredential>;
  /** Bootstrap first (coap://); the delivered account then says where and how to register. */
  bootstrap?: PeerAddress;
  models: ModelLookup;
  allowRemote: boolean;
  /** Local address to bind; default one that reaches the peer (`localAddressFor`). */
  host?: string;
  logger: Logger;
  /** DTLS handshake deadline, ms (default the client's 15 s). */
  handshakeTimeoutMs?: number;
}

/**
 * DTLS devices per source address. The server admits at most 256 DTLS sessions from one address
 * (src/dtls/options.ts, maxSessionsPerAddress); a real fleet comes from many addresses.
 */
export const DTLS_DEVICES_PER_ADDRESS = 200;

/**
 * The source address of device `index` of a DTLS fleet: for an IPv4 loopback server, spread over
 * 127.0.0.1, 127.0.0.2, ... (Linux answers on all of 127.0.0.0/8), DTLS_DEVICES_PER_ADDRESS each;
 * otherwise the one address that reaches the server.
 */
export function dtlsSourceAddress(index: number, server: string): string {
  const local = localAddressFor(server);
  if (local !== '127.0.0.1') return local;
  const n = Math.floor(index / DTLS_DEVICES_PER_ADDRESS);
  return `127.0.${Math.floor(n / 254)}.${(n % 254) + 1}`;
}

/** Alerts that mean the server refused the key (RFC 4279 §2: a wrong PSK shows as a MAC failure). */
const WRONG_KEY: ReadonlySet<number> = new Set([AlertDescription.badRecordMac, AlertDescription.decryptError]);

/**
 * What a failed DTLS handshake means for a fleet operator, without the key: an unknown identity,
 * a wrong key, or no answer (nothing on that port, or the server's per-address DTLS limits).
 */
function explain(e: unknown, identity: string, server: PeerAddress): unknown {
  if (!(e instanceof DtlsClientError)) return e;
  const where = `${formatHost(server.address)}:${server.port}`;
  if (e.alert === AlertDescription.unknownPskIdentity) return new Lwm2mError('LWM2M_ERR_UNAUTHORIZED', `the server at ${where} does not know PSK identity "${identity}" (DTLS alert unknown_psk_identity)`, { cause: e });
  if (e.alert !== undefined && WRONG_KEY.has(e.alert)) return new Lwm2mError('LWM2M_ERR_UNAUTHORIZED', `the server at ${where} refused the PSK of identity "${identity}": wrong key (DTLS alert ${e.alert})`, { cause: e });
  if (e.code === 'LWM2M_ERR_TIMEOUT') return new Lwm2mError('LWM2M_ERR_TIMEOUT', `${e.message} with ${where}: nothing answers there, or the server is at its DTLS handshake or session limit for this address`, { cause: e });
  return e;
}

async function connectPsk(o: PreparationOptions, index: number, server: PeerAddress, cred: { identity: string; key: Buffer }): Promise<DtlsClient> {
  try {
    return await connectDtls({
      server,
      identity: cred.identity,
      psk: cred.key,
      localAddress: o.host ?? dtlsSourceAddress(index, server.address),
      logger: o.logger,
      ...(o.handshakeTimeoutMs !== undefined ? { timeoutMs: o.handshakeTimeoutMs } : {}),
    });
  } catch (e) {
    throw explain(e, cred.identity, server);
  }
}

/**
 * The per-device step before Register, or undefined when there is none (plain coap://): a
 * Bootstrap (and then a DTLS handshake if the delivered account is coaps with PSK), or a DTLS
 * handshake with the PSK of the credentials file.
 */
export function devicePreparer(o: PreparationOptions): DevicePreparer | undefined {
  if (o.bootstrap !== undefined) {
    const bootstrapServer = o.bootstrap;
    return async (i, endpoint) => {
      const acc = await bootstrapDevice({ endpoint, bootstrapServer, models: o.models, host: o.host ?? localAddressFor(bootstrapServer.address) });
      const server = acc.server.address;
      checkTarget(server.address, o.allowRemote, 'bootstrapped server');
      const base: PreparedDevice = { server, host: o.host ?? localAddressFor(server.address) };
      if (acc.lifetime !== undefined) base.lifetime = acc.lifetime;
      if (acc.server.scheme === 'coap') return base;
      return { ...base, transport: await connectPsk(o, i, server, acc.psk!) };
    };
  }
  if (o.server.scheme === 'coap') return undefined;
  return async (i, endpoint) => {
    const cred = o.psk?.get(endpoint);
    if (!cred) throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `no PSK for ${endpoint} in the credentials file`);
    return { server: o.server.address, transport: await connectPsk(o, i, o.server.address, cred) };
  };
}

import type dgram from 'node:dgram';
import { once } from 'node:events';
import { Lwm2mError } from '../errors.js';

/**
 * What an operator should read when the server cannot take an address: the listener, the
 * address and why (in use, privileged, not this machine's), instead of a bare EADDRINUSE. Other
 * errors pass through unchanged.
 */
export function listenError(e: unknown, listener: string, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EADDRINUSE' ? 'is in use (another server running?)' : code === 'EACCES' ? 'needs privileges (a port below 1024)' : code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : undefined;
  if (why === undefined) return e;
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${listener}: ${where} ${why}`, { cause: e });
}

/**
 * Binds a UDP socket and waits until it listens; when the address cannot be taken the socket is
 * closed and the error names `listener` (listenError). For the plain and the DTLS transports.
 */
export async function bindUdp(socket: dgram.Socket, listener: string, host: string, port: number): Promise<void> {
  socket.bind(port, host);
  try {
    await once(socket, 'listening');
  } catch (e) {
    socket.close();
    throw listenError(e, listener, host, port);
  }
}

/**
 * A client-side `Transport` over node-dtls-client (an independent DTLS 1.2 implementation), so
 * the bootstrap test client can talk CoAPs to the bootstrap server and then to the LwM2M server.
 * One transport is one DTLS connection to one server.
 */
import { dtls } from 'node-dtls-client';
import type { InboundDatagram, PeerAddress, Transport } from '../../../src/transport/types.js';

export class DtlsClientTransport implements Transport {
  readonly scheme = 'coaps' as const;
  readonly #socket: dtls.Socket;
  readonly #server: PeerAddress;
  #handler: ((d: InboundDatagram) => void) | undefined;
  #closed = false;

  private constructor(socket: dtls.Socket, server: PeerAddress) {
    this.#socket = socket;
    this.#server = server;
    socket.on('message', (data: Buffer) => this.#handler?.({ data, peer: this.#server }));
  }

  /** Connects with a PSK (the key's bytes travel as latin1 text: node-dtls-client reads it with Buffer.from(.., "ascii")). */
  static connect(server: PeerAddress, identity: string, key: Buffer, timeoutMs = 5000): Promise<DtlsClientTransport> {
    return new Promise((resolve, reject) => {
      const socket = dtls.createSocket({
        type: 'udp4',
        address: server.address,
        port: server.port,
        psk: { [identity]: key.toString('latin1') },
        timeout: timeoutMs,
        ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'],
      });
      const fail = (e: Error) => reject(e);
      socket.once('error', fail);
      socket.once('close', () => reject(new Error('DTLS connection closed during the handshake')));
      socket.once('connected', () => {
        socket.off('error', fail);
        socket.on('error', () => undefined);
        resolve(new DtlsClientTransport(socket, server));
      });
    });
  }

  send(data: Buffer, _peer: PeerAddress): void {
    if (!this.#closed) this.#socket.send(data);
  }

  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#handler = handler;
  }

  address(): PeerAddress {
    return { address: '127.0.0.1', port: 0 };
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#socket.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

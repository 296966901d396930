/** A CoAP device over DTLS (PSK) using node-dtls-client: an independent DTLS implementation. */
import { randomBytes } from 'node:crypto';
import { dtls } from 'node-dtls-client';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { decodeResponse, encodeRequest, type DeviceRequest, type DeviceResponse } from './udp-device.js';

export class DtlsDevice {
  readonly #socket: dtls.Socket;
  #mid = Math.floor(Math.random() * 60000);
  #closed = false;

  private constructor(socket: dtls.Socket) {
    this.#socket = socket;
    socket.on('close', () => (this.#closed = true));
  }

  static connect(port: number, identity: string, key: string): Promise<DtlsDevice> {
    return new Promise((resolve, reject) => {
      const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [identity]: key }, timeout: 3000, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] });
      const timer = setTimeout(() => reject(new Error('DTLS handshake timed out')), 5000);
      socket.once('connected', () => {
        clearTimeout(timer);
        resolve(new DtlsDevice(socket));
      });
      socket.once('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  request(r: DeviceRequest, timeoutMs = 5000): Promise<DeviceResponse> {
    const token = randomBytes(4);
    const mid = (this.#mid = (this.#mid + 1) & 0xffff);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#socket.off('message', onMessage);
        reject(new Error(`no response to ${r.method} /${r.path.join('/')} over DTLS`));
      }, timeoutMs);
      const onMessage = (msg: Buffer) => {
        let p: ParsedPacket;
        try {
          p = parse(msg);
        } catch {
          return;
        }
        if (p.code === '0.00' || !p.token.equals(token)) return;
        if (p.confirmable) this.#socket.send(generate({ code: '0.00', ack: true, messageId: p.messageId }));
        clearTimeout(timer);
        this.#socket.off('message', onMessage);
        resolve(decodeResponse(p));
      };
      this.#socket.on('message', onMessage);
      this.#socket.send(encodeRequest(r, mid, token));
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.#socket.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/**
 * A bare CoAP device on one UDP socket (coap-packet), so a test controls its source address:
 * the same socket for "the address it registered from", a new one for "another address".
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { generate, parse, type NamedOption, type ParsedPacket } from 'coap-packet';

export interface DeviceRequest {
  method: 'POST' | 'PUT' | 'DELETE' | 'GET';
  path: string[];
  query?: string[];
  payload?: Buffer | string;
  contentFormat?: number;
}

const METHOD_CODES = { GET: '0.01', POST: '0.02', PUT: '0.03', DELETE: '0.04' } as const;

export function encodeRequest(r: DeviceRequest, messageId: number, token: Buffer): Buffer {
  const options: NamedOption[] = r.path.map((p) => ({ name: 'Uri-Path', value: Buffer.from(p) }));
  if (r.contentFormat !== undefined) options.push({ name: 'Content-Format', value: r.contentFormat < 256 ? Buffer.from([r.contentFormat]) : Buffer.from([r.contentFormat >> 8, r.contentFormat & 0xff]) });
  for (const q of r.query ?? []) options.push({ name: 'Uri-Query', value: Buffer.from(q) });
  return generate({ code: METHOD_CODES[r.method], confirmable: true, messageId, token, options, payload: r.payload === undefined ? Buffer.alloc(0) : Buffer.from(r.payload) });
}

export interface DeviceResponse {
  code: string;
  locationPath: string[];
}

export function decodeResponse(p: ParsedPacket): DeviceResponse {
  return { code: p.code, locationPath: p.options.filter((o) => o.name === 'Location-Path').map((o) => o.value.toString()) };
}

export class UdpDevice {
  readonly #socket: dgram.Socket;
  readonly #server: { address: string; port: number };
  #mid = Math.floor(Math.random() * 60000);

  private constructor(socket: dgram.Socket, server: { address: string; port: number }) {
    this.#socket = socket;
    this.#server = server;
  }

  static async open(server: { address: string; port: number }): Promise<UdpDevice> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new UdpDevice(socket, server);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Sends a CON request; resolves with the (piggybacked or separate) response. */
  request(r: DeviceRequest, timeoutMs = 5000): Promise<DeviceResponse> {
    const token = randomBytes(4);
    const mid = (this.#mid = (this.#mid + 1) & 0xffff);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#socket.off('message', onMessage);
        reject(new Error(`no response to ${r.method} /${r.path.join('/')} in ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (msg: Buffer) => {
        let p: ParsedPacket;
        try {
          p = parse(msg);
        } catch {
          return;
        }
        if (p.code === '0.00' || !p.token.equals(token)) return;
        if (p.confirmable) this.#socket.send(generate({ code: '0.00', ack: true, messageId: p.messageId, token: Buffer.alloc(0) }), this.#server.port, this.#server.address);
        clearTimeout(timer);
        this.#socket.off('message', onMessage);
        resolve(decodeResponse(p));
      };
      this.#socket.on('message', onMessage);
      this.#socket.send(encodeRequest(r, mid, token), this.#server.port, this.#server.address);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

export function register(ep: string, extra: string[] = []): DeviceRequest {
  return { method: 'POST', path: ['rd'], query: [`ep=${ep}`, 'lt=300', 'lwm2m=1.1', 'b=U', ...extra], payload: '</1/0>,</3/0>,</3303/0>', contentFormat: 40 };
}

export function sendTemperature(celsius: number): DeviceRequest {
  return { method: 'POST', path: ['dp'], payload: JSON.stringify([{ n: '/3303/0/5700', v: celsius }]), contentFormat: 110 };
}

import * as coap from 'coap';
import type { IncomingMessage } from 'coap';

/** A response as seen by the independent `coap` (node-coap) client. */
export interface PeerResponse {
  code: string;
  options: { name: string; value: Buffer }[];
  payload: Buffer;
}

/**
 * Sends one request with the `coap` package: an independent CoAP implementation, so tests of
 * our server do not only talk to our own code.
 */
export function coapRequest(params: {
  port: number;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pathname: string;
  query?: string;
  payload?: string | Buffer;
  contentFormat?: number;
}): Promise<PeerResponse> {
  return new Promise((resolve, reject) => {
    const agent = new coap.Agent({ type: 'udp4' });
    const req = coap.request({ hostname: '127.0.0.1', port: params.port, method: params.method, pathname: params.pathname, query: params.query ?? '', agent, retrySend: 2 });
    if (params.contentFormat !== undefined) req.setOption('Content-Format', params.contentFormat);
    // The agent closes its socket by itself once nothing is pending.
    const timer = setTimeout(() => {
      reject(new Error('no response in 10 s'));
    }, 10_000);
    req.on('response', (res: IncomingMessage) => {
      clearTimeout(timer);
      const out: PeerResponse = {
        code: String(res.code),
        options: (res._packet.options ?? []).map((o) => ({ name: String(o.name), value: Buffer.from(o.value) })),
        payload: Buffer.from(res.payload),
      };
      resolve(out);
    });
    req.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    if (params.payload !== undefined) req.write(params.payload);
    req.end();
  });
}

export function locationPath(res: PeerResponse): string[] {
  return res.options.filter((o) => o.name === 'Location-Path').map((o) => o.value.toString('utf8'));
}

/**
 * A tiny CoAP responder on top of the DTLS transport, enough to answer libcoap's coap-client
 * (the real CoAP layer lives elsewhere): GET /hello -> 2.05 "hello <who>", POST /echo -> 2.04
 * with the request payload, anything else -> 4.04.
 */
import { generate, parse } from 'coap-packet';
import type { PeerIdentity } from '../../../src/transport/types.js';
import type { DtlsServerOptions } from '../../../src/dtls/options.js';
import { startServer, type TestServer } from './echo-server.js';

export function who(i: PeerIdentity | undefined): string {
  if (!i) return '?';
  if (i.kind === 'psk') return i.identity;
  if (i.kind === 'x509') return `cn=${i.commonName}`;
  return `rpk(${i.publicKey.length} bytes)`;
}

export async function startCoapResponder(opts: Partial<DtlsServerOptions> = {}): Promise<TestServer> {
  const s = await startServer(opts, false);
  s.server.onDatagram((d) => {
    let req;
    try {
      req = parse(d.data);
    } catch {
      return;
    }
    if (!req.confirmable) return;
    const path = req.options
      .filter((o) => o.name === 'Uri-Path')
      .map((o) => o.value.toString())
      .join('/');
    let code = '4.04';
    let payload: Buffer = Buffer.alloc(0);
    if (req.code === '0.01' && path === 'hello') {
      code = '2.05';
      payload = Buffer.from(`hello ${who(d.identity)}`);
    } else if (req.code === '0.02' && path === 'echo') {
      code = '2.04';
      payload = req.payload;
    }
    s.server.send(generate({ messageId: req.messageId, token: req.token, ack: true, code, payload }), d.peer);
  });
  return s;
}

import test from 'ava';
import { hasBinary, runPeer } from './helpers/run-process.js';
import { startCoapResponder } from './helpers/coap-responder.js';

// Real peers: libcoap's coap-client built on OpenSSL and on GnuTLS, with PSK.
const coapServer = () => startCoapResponder();

for (const client of ['coap-client-openssl', 'coap-client-gnutls']) {
  const maybe = hasBinary(client) ? test : test.skip;

  maybe(`${client}: GET over coaps with PSK (key as text)`, async (t) => {
    const s = await coapServer();
    t.teardown(() => s.server.close());
    const r = await runPeer(client, ['-m', 'get', '-u', 'device-2', '-k', 'secret-2', '-B', '5', `coaps://127.0.0.1:${s.port}/hello`], { timeoutMs: 8000 });
    t.regex(r.output, /hello device-2/);
    t.is(s.server.stats().handshakesOk, 1);
  });

  maybe(`${client}: POST with a payload is echoed`, async (t) => {
    const s = await coapServer();
    t.teardown(() => s.server.close());
    const r = await runPeer(client, ['-m', 'post', '-u', 'device-2', '-k', 'secret-2', '-e', 'payload-123', '-B', '5', `coaps://127.0.0.1:${s.port}/echo`], { timeoutMs: 8000 });
    t.regex(r.output, /payload-123/);
  });

  maybe(`${client}: a wrong key gets no answer and no session`, async (t) => {
    const s = await coapServer();
    t.teardown(() => s.server.close());
    const r = await runPeer(client, ['-m', 'get', '-u', 'device-2', '-k', 'wrong', '-B', '3', `coaps://127.0.0.1:${s.port}/hello`], { timeoutMs: 8000 });
    t.notRegex(r.output, /hello device-2/);
    t.is(s.server.stats().sessions, 0);
    t.true(s.server.stats().handshakesFailed >= 1);
  });
}

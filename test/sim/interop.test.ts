import test from 'ava';
import * as coap from 'coap';
import type { IncomingMessage, ObserveReadStream } from 'coap';
import { run } from '../helpers/server-process.js';
import { deviceWithServer, waitFor } from './helpers.js';
import { systemClock } from '../../src/clock.js';

/** The simulator against independent CoAP implementations: libcoap's coap-client and node-coap. */
test('libcoap coap-client reads a resource and a whole instance in 16-byte blocks from the simulator', async (t) => {
  const h = await deviceWithServer({ clock: systemClock });
  t.teardown(() => h.close());
  const base = `coap://127.0.0.1:${h.peer.port}`;
  let r = await run('coap-client-notls', ['-m', 'get', '-B', '5', `${base}/3/0/2`]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), 'SN-sim-unit');
  r = await run('coap-client-notls', ['-m', 'get', '-B', '5', '-b', '16', '-A', '110', `${base}/3/0`]);
  t.is(r.code, 0, r.stderr);
  const records = JSON.parse(r.stdout) as { n?: string; vs?: string }[];
  t.true(records.some((x) => x.vs === 'SN-sim-unit'), r.stdout);
  const gets = h.device.requests.filter((x) => x.path === '/3/0');
  t.is(gets.length, 1, 'later blocks come from the responder cache, not the handler');
  t.true(h.device.coapStats().datagramsOut > 10, 'answered in 16-byte blocks');
});

test('node-coap observes the simulator and gets its notifications', async (t) => {
  const h = await deviceWithServer({ clock: systemClock });
  t.teardown(() => h.close());
  const agent = new coap.Agent({ type: 'udp4' });
  const values: string[] = [];
  const req = coap.request({ hostname: '127.0.0.1', port: h.peer.port, pathname: '/3303/0/5700', observe: true, agent });
  const stream = await new Promise<ObserveReadStream>((resolve, reject) => {
    req.on('response', (res: IncomingMessage | ObserveReadStream) => resolve(res as ObserveReadStream));
    req.on('error', reject);
    req.end();
  });
  stream.on('data', (chunk: Buffer) => values.push(chunk.toString()));
  await waitFor(() => values.length === 1);
  await waitFor(() => h.device.observations.size === 1);
  h.device.setValue('/3303/0/5700', { type: 'float', value: 25.5 });
  await waitFor(() => values.length === 2);
  t.deepEqual(values, ['21.5', '25.5']);
  stream.close();
});

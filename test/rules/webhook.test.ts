import test from 'ava';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/clock.js';
import { callWebhook } from '../../src/rules/webhook.js';
import { engineHarness } from './engine-harness.js';

interface Hook {
  url: string;
  bodies: unknown[];
  server: Server;
}

/** An integrator's endpoint on 127.0.0.1:0 answering with the statuses given, in turn (then 200). */
async function hook(statuses: (number | 'hang')[]): Promise<Hook> {
  const bodies: unknown[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as unknown);
      const s = statuses.shift() ?? 200;
      if (s === 'hang') return; // never answers
      res.writeHead(s, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
}

const close = (h: Hook) => new Promise<void>((r) => { h.server.closeAllConnections(); h.server.close(() => r()); });

test('a webhook is retried with backoff after server errors, until it succeeds', async (t) => {
  const h = await hook([503, 500]);
  t.teardown(() => close(h));
  const r = await callWebhook({ url: h.url, method: 'POST', headers: {}, body: { a: 1 }, retries: 3, timeoutMs: 2000 }, { clock: systemClock, backoffMs: 5 });
  t.deepEqual(r, { ok: true, status: 200, attempts: 3 });
  t.deepEqual(h.bodies, [{ a: 1 }, { a: 1 }, { a: 1 }]);
});

test('a client error is not retried; retries are bounded', async (t) => {
  const bad = await hook([400]);
  t.teardown(() => close(bad));
  t.like(await callWebhook({ url: bad.url, method: 'POST', headers: {}, body: {}, retries: 3, timeoutMs: 2000 }, { clock: systemClock, backoffMs: 5 }), { ok: false, status: 400, attempts: 1 });
  const down = await hook([500, 500, 500, 500]);
  t.teardown(() => close(down));
  t.like(await callWebhook({ url: down.url, method: 'POST', headers: {}, body: {}, retries: 2, timeoutMs: 2000 }, { clock: systemClock, backoffMs: 5 }), { ok: false, status: 500, attempts: 3, error: 'HTTP 500' });
});

test('a webhook that does not answer times out, and a refused connection is a failure', async (t) => {
  const h = await hook(['hang', 'hang']);
  t.teardown(() => close(h));
  t.like(await callWebhook({ url: h.url, method: 'POST', headers: {}, body: {}, retries: 1, timeoutMs: 150 }, { clock: systemClock, backoffMs: 5 }), { ok: false, attempts: 2, error: 'no answer in 150 ms' });
  const gone = await hook([]);
  await close(gone);
  const r = await callWebhook({ url: gone.url, method: 'POST', headers: {}, body: {}, retries: 0, timeoutMs: 1000 }, { clock: systemClock });
  t.like(r, { ok: false, attempts: 1 });
});

test('a rule\'s webhook gets the templated body; failures are recorded', async (t) => {
  const h = await hook([]);
  t.teardown(() => close(h));
  const e = await engineHarness();
  e.register('presence-1');
  await e.service.put('notify', { when: 'presence-1:/3302/0/5500', if: 'value == true', then: [{ webhook: h.url, body: { sensor: '{{endpoint}}', present: '{{value}}', at: '{{time}}' } }, { webhook: h.url }] });
  await e.report('presence-1', '/3302/0/5500', { type: 'boolean', value: true });
  t.deepEqual(h.bodies[0], { sensor: 'presence-1', present: true, at: e.clock.now() });
  t.deepEqual(h.bodies[1], { rule: 'notify', trigger: { endpoint: 'presence-1', value: true, timestamp: new Date(e.clock.now()).toISOString(), path: '/3302/0/5500' }, chain: ['notify'] });
  t.deepEqual(e.events.of('rule-fired')[0]!.actions.map((a) => [a.status, a.code, a.attempts]), [['done', '200', 1], ['done', '200', 1]]);
});

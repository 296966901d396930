import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import type { IncomingRequest } from '../../src/coap/types.js';
import { isLwm2mError } from '../../src/errors.js';
import { AuditLog } from '../../src/ops/audit-log.js';
import { MemoryAuditStore } from '../../src/ops/audit-store.js';
import { deviceGate } from '../../src/ops/device-gate.js';
import { resolveProtection } from '../../src/ops/protection.js';
import { memoryQuarantineStore } from '../../src/ops/quarantine-store.js';
import { QuarantineService } from '../../src/ops/quarantine-service.js';
import { RateLimiter } from '../../src/ops/rate-limiter.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';

function req(ep: string, port = 5000, address = '10.0.0.1'): IncomingRequest {
  return { method: 'POST', path: ['rd'], query: [`ep=${ep}`], payload: Buffer.alloc(0), peer: { address, port }, confirmable: true, token: Buffer.from([1]) };
}

/** What the gate answers: "pass" (undefined: the next route handles it) or the CoAP error code. */
/** What the gate answers: it may refuse at once (a throw) or after a store write (a rejection). */
async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'pass';
  } catch (e) {
    if (isLwm2mError(e)) return e.coapCode;
    throw e;
  }
}

function setup(protection: Parameters<typeof resolveProtection>[0]) {
  const clock = new ManualClock();
  const audit = new AuditLog({ store: new MemoryAuditStore(), clock });
  const registrations = new MemoryRegistrationStore();
  const quarantine = new QuarantineService({ store: memoryQuarantineStore(), registrations, audit, clock });
  const throttles: string[] = [];
  const gate = deviceGate({ quarantine, registrations, protection: resolveProtection(protection), audit, clock, onThrottle: (e) => throttles.push(`${e.scope}:${e.key}`) });
  return { clock, audit, quarantine, gate, throttles };
}

test('the token bucket allows a burst, then the sustained rate', (t) => {
  const clock = new ManualClock();
  const rl = new RateLimiter({ ratePerSec: 2, burst: 3 }, clock);
  t.deepEqual([1, 2, 3, 4].map(() => rl.take('a')), [true, true, true, false]);
  clock.advance(500);
  t.deepEqual([rl.take('a'), rl.take('a')], [true, false]);
  t.true(rl.take('b'), 'keys are independent');
});

test('the rate limiter keeps at most maxKeys buckets, dropping the least recently used', (t) => {
  const rl = new RateLimiter({ ratePerSec: 1, burst: 1 }, new ManualClock(), 100);
  for (let i = 0; i < 1000; i++) rl.take(`k${i}`);
  t.is(rl.size, 100);
});

test('a device over its limit gets 4.29; the throttle is audited once per window and others are unaffected', async (t) => {
  const { gate, audit, throttles, clock } = setup({ perDevice: { ratePerSec: 1, burst: 3 }, perAddress: { ratePerSec: 1000, burst: 1000 } });
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await outcome(() => gate(req('noisy'))));
  t.deepEqual(answers, ['pass', 'pass', 'pass', '4.29', '4.29', '4.29']);
  t.is(await outcome(() => gate(req('quiet', 6000))), 'pass');
  t.deepEqual(throttles, ['device:noisy']);
  t.deepEqual((await audit.list()).map((e) => [e.actor, e.action, e.target]), [[{ kind: 'system', component: 'protection' }, 'throttle', 'noisy']]);
  clock.advance(2000);
  t.is(await outcome(() => gate(req('noisy'))), 'pass', 'the bucket refills');
});

test('the per-address limit covers every device behind one address', async (t) => {
  const { gate } = setup({ perDevice: { ratePerSec: 100, burst: 100 }, perAddress: { ratePerSec: 1, burst: 2 } });
  t.deepEqual([await outcome(() => gate(req('a', 1))), await outcome(() => gate(req('b', 2))), await outcome(() => gate(req('c', 3)))], ['pass', 'pass', '4.29']);
  t.is(await outcome(() => gate(req('d', 4, '10.0.0.2'))), 'pass');
});

test('with auto-quarantine on, a device that keeps exceeding its limit is quarantined with the reason recorded', async (t) => {
  const { gate, quarantine, audit } = setup({ perDevice: { ratePerSec: 1, burst: 1 }, autoQuarantine: { enabled: true, violations: 5, windowMs: 60_000 } });
  const answers = [];
  for (let i = 0; i < 8; i++) answers.push(await outcome(() => gate(req('flood'))));
  t.deepEqual(answers, ['pass', '4.29', '4.29', '4.29', '4.29', '4.29', '4.03', '4.03']);
  const rec = await quarantine.get('flood');
  t.deepEqual(rec?.by, { kind: 'system', component: 'protection' });
  t.regex(rec!.reason, /^automatic: 5 requests over the device rate limit within 60 s$/);
  t.deepEqual((await audit.list()).map((e) => e.action), ['throttle', 'quarantine']);
});

test('protection can be switched off, and bad settings are refused at start-up', async (t) => {
  const { gate } = setup({ enabled: false, perDevice: { ratePerSec: 1, burst: 1 } });
  for (let i = 0; i < 20; i++) t.is(await outcome(() => gate(req('any'))), 'pass');
  t.throws(() => resolveProtection({ perDevice: { ratePerSec: 0 } }), { code: 'LWM2M_ERR_BAD_CONFIG' });
});

test('the gate leaves requests other than registration, Send and bootstrap to the other routes', async (t) => {
  const { gate, quarantine } = setup({});
  await quarantine.quarantine('q', { by: { kind: 'token', name: 'admin' } });
  t.is(await outcome(() => gate({ ...req('q'), path: ['3', '0'] })), 'pass');
  t.is(await outcome(() => gate(req('q'))), '4.03');
});

import test from 'ava';
import { bool, engineHarness, float } from './engine-harness.js';

const PRESENCE = '/3302/0/5500';
const streetRule = { when: 'presence-*:/3302/*/5500', if: 'value == true', then: [{ write: 'tag:lamp-street={{tags.street}}:/3311/0/5850', value: true }] };

async function street() {
  const h = await engineHarness();
  h.register('presence-1', 'lamp-1', 'lamp-2', 'lamp-3');
  h.tags.set('presence-1', { street: '5' });
  for (const l of ['lamp-1', 'lamp-2']) h.tags.set(l, { 'lamp-street': '5' });
  h.tags.set('lamp-3', { 'lamp-street': '6' });
  await h.service.put('street', streetRule);
  return h;
}

test('a matching report writes every target with a typed value; others are left alone', async (t) => {
  const h = await street();
  await h.report('presence-1', PRESENCE, bool(true));
  t.deepEqual(h.sent, ['lamp-1', 'lamp-2'].map((endpoint) => ({ endpoint, op: { op: 'write', path: '/3311/0/5850', mode: 'replace', values: [{ path: '/3311/0/5850', value: bool(true) }] } })));
  await h.report('presence-1', PRESENCE, bool(false));
  await h.report('presence-1', '/3302/0/5501', { type: 'integer', value: 3 });
  await h.report('other-1', PRESENCE, bool(true));
  t.is(h.sent.length, 2);
  const [fired] = h.events.of('rule-fired');
  t.deepEqual(fired!.actions.map((a) => [a.target, a.status]), [['lamp-1', 'done'], ['lamp-2', 'done']]);
  t.is(h.audit.entries.filter((e) => e.action === 'rule.fired').length, 1);
  t.is(h.engine.stats('street')?.firings, 1);
  t.is(h.engine.stats('street')?.evaluations, 2, 'only reports of the rule\'s path from matching devices are evaluated');
});

test('values are templated: the trigger value keeps its type, strings interpolate', async (t) => {
  const h = await engineHarness();
  h.register('t-1', 'display-1');
  await h.service.put('copy', { when: 't-1:/3303/0/5700', then: [{ write: 'display-1:/3303/0/5750', value: '{{endpoint}} reads {{value}} at {{timestamp}}' }, { write: 'display-1:/3303/0/5601', value: '{{value}}' }] });
  await h.report('t-1', '/3303/0/5700', float(21.5));
  t.deepEqual(h.sent.map((s) => (s.op as { values: unknown[] }).values[0]), [
    { path: '/3303/0/5750', value: { type: 'string', value: 't-1 reads 21.5 at 2026-01-01T12:00:00.000Z' } },
    { path: '/3303/0/5601', value: float(21.5) },
  ]);
});

test('a quarantined device neither triggers nor receives actions', async (t) => {
  const h = await street();
  h.quarantine.endpoints.add('presence-1');
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 0);
  t.is(h.events.of('rule-fired').length, 0);
  h.quarantine.endpoints.delete('presence-1');
  h.quarantine.endpoints.add('lamp-2');
  await h.report('presence-1', PRESENCE, bool(true));
  t.deepEqual(h.sent.map((s) => s.endpoint), ['lamp-1']);
  t.like(h.events.of('rule-fired')[0]!.actions[1], { target: 'lamp-2', status: 'skipped', reason: 'quarantined' });
});

test('a trigger device without the tag the target needs: the action is skipped with the reason', async (t) => {
  const h = await street();
  h.register('presence-2');
  await h.report('presence-2', PRESENCE, bool(true));
  t.is(h.sent.length, 0);
  t.like(h.events.of('rule-fired')[0]!.actions[0], { status: 'skipped', reason: 'the device "presence-2" has no tag "street"' });
});

test('an action for a sleeping device is queued and its result reported when it comes', async (t) => {
  const h = await street();
  h.sleeping.add('lamp-2');
  await h.report('presence-1', PRESENCE, bool(true));
  const fired = h.events.of('rule-fired')[0]!;
  t.like(fired.actions[1], { target: 'lamp-2', status: 'queued', requestId: 'q1' });
  h.engine.requestResult('q1', true, '2.04');
  t.deepEqual(h.events.of('rule-action-result'), [{ rule: 'street', endpoint: 'lamp-2', requestId: 'q1', ok: true, code: '2.04' }]);
  h.engine.requestResult('q1', true, '2.04');
  t.is(h.events.of('rule-action-result').length, 1, 'each result is reported once');
});

test('debounce: the rule fires once the condition has held for the whole period', async (t) => {
  const h = await engineHarness();
  h.register('door-1', 'siren-1');
  await h.service.put('door', { when: 'door-1:/3302/0/5500', if: 'value == true for 30s', then: [{ execute: 'siren-1:/3/0/4' }] });
  await h.report('door-1', PRESENCE, bool(true));
  h.clock.advance(29_000);
  await h.report('door-1', PRESENCE, bool(true));
  await h.settle();
  t.is(h.sent.length, 0, 'not yet');
  h.clock.advance(1000);
  await h.settle();
  t.deepEqual(h.sent, [{ endpoint: 'siren-1', op: { op: 'execute', path: '/3/0/4' } }]);
  await h.report('door-1', PRESENCE, bool(true));
  h.clock.advance(60_000);
  await h.settle();
  t.is(h.sent.length, 1, 'once per period in which it held');
  await h.report('door-1', PRESENCE, bool(false));
  await h.report('door-1', PRESENCE, bool(true));
  h.clock.advance(10_000);
  await h.report('door-1', PRESENCE, bool(false));
  h.clock.advance(30_000);
  await h.settle();
  t.is(h.sent.length, 1, 'a condition that stops holding cancels the timer');
});

test('a rule\'s rate limit holds it back and is audited once per episode', async (t) => {
  const h = await street();
  await h.service.put('street', { ...streetRule, rate: '2/min' });
  for (let i = 0; i < 4; i++) await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.events.of('rule-fired').length, 2);
  t.is(h.engine.stats('street')?.rateLimited, 2);
  t.is(h.audit.entries.filter((e) => e.action === 'rule.rate-limited').length, 1);
  h.clock.advance(30_000);
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.events.of('rule-fired').length, 3, 'tokens come back over the period');
});

test('the per-target rate limit protects a device from all rules together', async (t) => {
  const h = await engineHarness({ targetRate: '1/min' });
  h.register('s-1', 'lamp-1');
  await h.service.put('a', { when: 's-1:/3302/0/5500', then: [{ write: 'lamp-1:/3311/0/5850', value: true }] });
  await h.service.put('b', { when: 's-1:/3302/0/5500', then: [{ write: 'lamp-1:/3311/0/5851', value: 50 }] });
  await h.report('s-1', PRESENCE, bool(true));
  t.is(h.sent.length, 1);
  const outcomes = h.events.of('rule-fired').flatMap((f) => f.actions.map((a) => a.status + (a.reason ? `: ${a.reason}` : '')));
  t.deepEqual(outcomes.sort(), ['done', 'skipped: rate-limited (target device)']);
});

test('a time window gates firing (here 22:00-06:00 UTC)', async (t) => {
  const h = await street();
  await h.service.put('street', { ...streetRule, during: '22:00-06:00' });
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 0, 'noon is outside');
  h.clock.advance(11 * 3600_000);
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 2, '23:00 is inside');
});

test('a condition can read the latest stored value of another device', async (t) => {
  const h = await street();
  await h.service.put('street', { ...streetRule, if: 'value == true and latest("lux-1:/3301/0/5700") < 50' });
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 0, 'nothing stored: null is not < 50');
  h.stored.set('lux-1:/3301/0/5700', float(80));
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 0, 'bright enough');
  h.stored.set('lux-1:/3301/0/5700', float(12));
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 2);
});

test('registration events trigger rules with the device as template', async (t) => {
  const h = await engineHarness();
  h.register('lamp-7');
  await h.service.put('greet', { when: 'registered:lamp-*', then: [{ write: '{{endpoint}}:/3311/0/5850', value: false }] });
  await h.engine.registration('registered', h.reg('lamp-7'));
  await h.engine.registration('deregistered', h.reg('lamp-7'));
  t.deepEqual(h.sent.map((s) => s.endpoint), ['lamp-7']);
  t.like(h.events.of('rule-fired')[0]!.trigger, { kind: 'registered', endpoint: 'lamp-7' });
});

test('a dry-run rule logs what it would do and sends nothing', async (t) => {
  const h = await street();
  await h.service.setDryRun('street', true);
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 0);
  const [fired] = h.events.of('rule-fired');
  t.true(fired!.dryRun);
  t.deepEqual(fired!.actions.map((a) => a.status), ['dry-run', 'dry-run']);
  t.like(fired!.actions[0]!.operation, { op: 'write', path: '/3311/0/5850' });
  t.true(h.audit.entries.some((e) => e.action === 'rule.dry-run'));
});

test('test: a dry run with a given value, changing no state and sending nothing', async (t) => {
  const h = await street();
  await h.service.put('hot', { when: 't-1:/3303/0/5700', if: 'crosses_up(30, 1)', then: [{ write: 'lamp-1:/3311/0/5850', value: true }] });
  h.register('t-1');
  await h.report('t-1', '/3303/0/5700', float(20));
  const r = await h.service.test('hot', { value: 35 });
  t.like(r, { matched: true, condition: true, inWindow: true, trigger: { endpoint: 't-1', path: '/3303/0/5700', value: float(35) } });
  t.like(r.actions[0], { target: 'lamp-1', status: 'dry-run', operation: { op: 'write' } });
  t.is(h.sent.length, 0);
  await h.report('t-1', '/3303/0/5700', float(35));
  t.is(h.sent.length, 1, 'the real crossing still fires: the test did not move the band');
  const cold = await h.service.test('street', { value: false });
  t.like(cold, { matched: true, condition: false, actions: [] });
  await t.throwsAsync(h.service.test('nope', { value: 1 }), { code: 'LWM2M_ERR_NOT_FOUND' });
  await t.throwsAsync(h.service.test('hot', {}), { message: /^value: / });
});

test('disable and enable: a disabled rule is not evaluated', async (t) => {
  const h = await street();
  await h.service.setEnabled('street', false);
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 0);
  t.is(h.engine.stats('street')?.evaluations, 0);
  await h.service.setEnabled('street', true);
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 2);
  await h.service.remove('street');
  await h.report('presence-1', PRESENCE, bool(true));
  t.is(h.sent.length, 2);
  t.deepEqual(h.audit.entries.map((e) => e.action).filter((a) => a.startsWith('rule.') && a !== 'rule.fired'), ['rule.add', 'rule.disable', 'rule.enable', 'rule.remove']);
});

test('a report caused by a rule\'s action carries its chain; the chain is cut at the maximum depth', async (t) => {
  const h = await engineHarness({ maxDepth: 2, causationWindowMs: 1000 });
  h.register('a', 'b', 'c');
  await h.service.put('a-b', { when: 'a:/3311/0/5850', then: [{ write: 'b:/3311/0/5850', value: '{{value}}' }] });
  await h.service.put('b-c', { when: 'b:/3311/0/5850', then: [{ write: 'c:/3311/0/5850', value: '{{value}}' }] });
  await h.service.put('c-a', { when: 'c:/3311/0/5850', then: [{ write: 'a:/3311/0/5850', value: '{{value}}' }] });
  await h.report('a', '/3311/0/5850', bool(true));
  await h.report('b', '/3311/0/5850', bool(true)); // b reports the write of a-b
  t.deepEqual(h.events.of('rule-fired').map((f) => f.chain), [['a-b'], ['a-b', 'b-c']]);
  await h.report('c', '/3311/0/5850', bool(true)); // depth 2 reached: c-a is cut
  t.deepEqual(h.events.of('rule-loop'), [{ rule: 'c-a', endpoint: 'c', trigger: h.events.of('rule-loop')[0]!.trigger, chain: ['a-b', 'b-c', 'c-a'], maxDepth: 2 }]);
  t.is(h.sent.length, 2);
  t.is(h.engine.stats('c-a')?.loopsCut, 1);
  h.clock.advance(1001);
  await h.report('c', '/3311/0/5850', bool(false)); // later: the device's own change
  t.deepEqual(h.events.of('rule-fired').at(-1)!.chain, ['c-a']);
});

test('the previous value is per device and path, and forgotten when the device leaves', async (t) => {
  const h = await engineHarness();
  h.register('t-1', 't-2', 'lamp-1');
  await h.service.put('delta', { when: 't-*:/3303/0/5700', if: 'changed(1)', then: [{ write: 'lamp-1:/3311/0/5850', value: true }] });
  await h.report('t-1', '/3303/0/5700', float(20));
  await h.report('t-2', '/3303/0/5700', float(20.5));
  await h.report('t-1', '/3303/0/5700', float(20.5));
  await h.report('t-1', '/3303/0/5700', float(22));
  t.deepEqual(h.events.of('rule-fired').map((f) => [f.trigger.endpoint, f.trigger.value]), [['t-1', float(20)], ['t-2', float(20.5)], ['t-1', float(22)]]);
  await h.engine.registration('expired', h.reg('t-1'));
  await h.report('t-1', '/3303/0/5700', float(22));
  t.is(h.events.of('rule-fired').length, 4, 'after leaving, the next value is a first value again');
});

test('create and execute actions become typed operations; a device\'s refusal is recorded as a failure', async (t) => {
  const h = await engineHarness();
  h.register('t-1', 'logger-1', 'siren-1');
  h.failing.add('siren-1');
  await h.service.put('log', {
    when: 't-1:/3303/0/5700',
    if: 'value > 30',
    then: [
      { create: 'logger-1:/3303', id: 9, resources: { '5700': '{{value}}', '5750': 'from {{endpoint}}' } },
      { create: 'logger-1:/3303', resources: { '5700': '{{value}}' } },
      { execute: 'siren-1:/3/0/4', args: "0='{{endpoint}}'" },
    ],
  });
  await h.report('t-1', '/3303/0/5700', float(31.5));
  t.deepEqual(h.sent.map((s) => s.op), [
    { op: 'create', path: '/3303', instanceId: 9, values: [{ path: '/3303/9/5700', value: float(31.5) }, { path: '/3303/9/5750', value: { type: 'string', value: 'from t-1' } }] },
    { op: 'create', path: '/3303', values: [{ path: '/3303/5700', value: float(31.5) }] },
    { op: 'execute', path: '/3/0/4', args: "0='t-1'" },
  ]);
  const fired = h.events.of('rule-fired')[0]!;
  t.deepEqual(fired.actions.map((a) => [a.kind, a.status, a.code]), [['create', 'done', '2.01'], ['create', 'done', '2.01'], ['execute', 'failed', '4.05']]);
  t.is(fired.actions[2]!.reason, 'LWM2M_ERR_DEVICE_ERROR: device answered 4.05');
  const audited = h.audit.entries.find((e) => e.action === 'rule.fired')!;
  t.like((audited.details as { actions: unknown[] }).actions[2], { status: 'failed', reason: 'LWM2M_ERR_DEVICE_ERROR: device answered 4.05' });
});

test('a value the target resource cannot take fails that action only', async (t) => {
  const h = await engineHarness();
  h.register('t-1', 'lamp-1');
  await h.service.put('bad', { when: 't-1:/3303/0/5750', then: [{ write: 'lamp-1:/3311/0/5850', value: '{{value}}' }, { write: 'lamp-1:/3311/0/5750', value: '{{value}}' }] });
  await h.report('t-1', '/3303/0/5750', { type: 'string', value: 'kitchen' });
  const [fired] = h.events.of('rule-fired');
  t.like(fired!.actions[0], { status: 'failed', reason: '/3311/0/5850 is a boolean resource; "kitchen" is not a valid boolean' });
  t.like(fired!.actions[1], { status: 'done' });
  t.deepEqual(h.sent.map((s) => s.op.op === 'write' && s.op.path), ['/3311/0/5750']);
});

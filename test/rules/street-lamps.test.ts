import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/level-db.js';
import { LevelRuleStore } from '../../src/store/rule-store-level.js';
import { eventually, sleep } from '../helpers/management.js';
import { rulesHarness } from './helpers.js';

const PRESENCE = '/3302/0/5500';
const LAMP = '/3311/0/5850';
const on = { type: 'boolean' as const, value: true };

const streetLights = {
  when: 'presence-*:/3302/*/5500',
  if: 'value == true',
  // Lamps carry "lamp-street", the sensor "street": the sensor itself is no lamp.
  then: [{ write: 'tag:lamp-street={{tags.street}}:/3311/0/5850', value: true }],
};

/** Waits until a counter stops moving for 300 ms (bounded by 5 s). */
async function settled(count: () => number): Promise<void> {
  const until = Date.now() + 5000;
  let last = -1;
  while (Date.now() < until) {
    const now = count();
    if (now === last) return;
    last = now;
    await sleep(300);
  }
}

const observing = (d: { requests: { method: string; path: string; observe?: number }[] }, p: string) => d.requests.some((r) => r.method === 'GET' && r.path === p && r.observe === 0);
const lampWrites = (d: { requests: { method: string; path: string }[] }) => d.requests.filter((r) => r.method === 'PUT' && r.path === LAMP).length;

test('a presence notification turns on the lamps of its street; a sleeping lamp gets it on waking; a quarantined lamp gets nothing', async (t) => {
  const h = await rulesHarness({ config: { queue: { awakeWindowMs: 300 } } });
  t.teardown(() => h.stop());
  await h.rules.service.put('street-lights', streetLights);
  h.tags.set('presence-1', { street: '5' });
  for (const ep of ['lamp-1', 'lamp-2', 'lamp-3', 'lamp-q']) h.tags.set(ep, { 'lamp-street': '5' });
  h.tags.set('lamp-other', { 'lamp-street': '7' });
  h.quarantine.endpoints.add('lamp-q');

  const sensor = await h.t.device({ endpoint: 'presence-1' });
  const lamps = await Promise.all(['lamp-1', 'lamp-2', 'lamp-q', 'lamp-other'].map((endpoint) => h.t.device({ endpoint })));
  const sleeper = await h.t.device({ endpoint: 'lamp-3', queueMode: true });
  sleeper.sleep();
  // The server observed the trigger path by itself when the sensor registered.
  await eventually(() => observing(sensor, PRESENCE), 15_000, 'auto-observe of the presence resource');
  t.false(observing(lamps[0]!, PRESENCE), 'a lamp is not a presence sensor of the rule');
  await sleep(400); // the sleeper's awake window (300 ms) has passed

  sensor.setValue(PRESENCE, on);
  const fired = await eventually(() => h.events.of('rule-fired')[0], 15_000, 'rule-fired');
  t.deepEqual(fired.chain, ['street-lights']);
  t.is(fired.trigger.endpoint, 'presence-1');
  const byTarget = Object.fromEntries(fired.actions.map((a) => [a.target, a.status]));
  t.deepEqual(byTarget, { 'lamp-1': 'done', 'lamp-2': 'done', 'lamp-3': 'queued', 'lamp-q': 'skipped' });
  t.is(fired.actions.find((a) => a.target === 'lamp-q')?.reason, 'quarantined');
  t.deepEqual(lamps[0]!.value(LAMP), on);
  t.deepEqual(lamps[1]!.value(LAMP), on);
  t.is(lampWrites(lamps[2]!), 0, 'the quarantined lamp received nothing');
  t.is(lampWrites(lamps[3]!), 0, 'a lamp of another street received nothing');
  t.is(lampWrites(sleeper), 0, 'the sleeping lamp got nothing yet');

  await sleeper.wake();
  await eventually(() => sleeper.value(LAMP)?.value === true, 15_000, 'the sleeping lamp switched on after waking');
  const result = await eventually(() => h.events.of('rule-action-result')[0], 15_000, 'rule-action-result');
  t.like(result, { rule: 'street-lights', endpoint: 'lamp-3', ok: true });
  t.true(h.audit.entries.some((e) => e.action === 'rule.fired' && e.target === 'street-lights'));
  t.true(h.audit.entries.some((e) => e.action === 'rule.action-result' && e.target === 'street-lights'));
  t.is(lampWrites(lamps[2]!), 0);
});

test('two rules writing each other\'s lamp are cut at the maximum depth and the loop is reported', async (t) => {
  const h = await rulesHarness({ limits: { maxDepth: 4, causationWindowMs: 1500 } });
  t.teardown(() => h.stop());
  const dim = '/3311/0/5851';
  await h.rules.service.put('a-to-b', { when: `lamp-a:${dim}`, then: [{ write: `lamp-b:${dim}`, value: '{{value}}' }] });
  await h.rules.service.put('b-to-a', { when: `lamp-b:${dim}`, then: [{ write: `lamp-a:${dim}`, value: '{{value}}' }] });
  const a = await h.t.device({ endpoint: 'lamp-a' });
  const b = await h.t.device({ endpoint: 'lamp-b' });
  await eventually(() => observing(a, dim) && observing(b, dim), 15_000, 'both observed');
  // The first answers of the observations are reports too: let the chains they start run out.
  await settled(() => h.events.emitted.length);
  await sleep(1600); // past the causation window: the next change is the device's own
  const before = h.events.of('rule-fired').length;
  const loopsBefore = h.events.of('rule-loop').length;
  a.setValue(dim, { type: 'integer', value: 42 });
  const loop = await eventually(() => h.events.of('rule-loop')[loopsBefore], 15_000, 'rule-loop');
  t.is(loop.chain.length, 5);
  t.deepEqual(loop.chain.slice(0, 4), ['a-to-b', 'b-to-a', 'a-to-b', 'b-to-a']);
  t.is(loop.maxDepth, 4);
  await settled(() => h.events.emitted.length);
  t.is(h.events.of('rule-fired').length - before, 4, 'four firings, then the chain stops');
  t.is(h.events.of('rule-loop').length - loopsBefore, 1);
  t.true(h.audit.entries.some((e) => e.action === 'rule.loop'));
  t.deepEqual(b.value(dim), { type: 'integer', value: 42 });
});

test('rules survive a restart (LevelDB) and still fire', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-rules-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let db = await openDatabase(dir);
  let store = await LevelRuleStore.open(db);
  let h = await rulesHarness({ store });
  await h.rules.service.put('street-lights', streetLights);
  await h.rules.service.put('parked', { ...streetLights, if: 'value == false' }, { enabled: false });
  await h.stop();
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelRuleStore.open(db);
  h = await rulesHarness({ store });
  t.teardown(async () => {
    await h.stop();
    await store.close();
    await db.close();
  });
  const listed = await h.rules.service.list();
  t.deepEqual(listed.map((r) => [r.name, r.enabled]), [['parked', false], ['street-lights', true]]);
  h.tags.set('presence-9', { street: '5' });
  h.tags.set('lamp-9', { 'lamp-street': '5' });
  const sensor = await h.t.device({ endpoint: 'presence-9' });
  const lamp = await h.t.device({ endpoint: 'lamp-9' });
  await eventually(() => observing(sensor, PRESENCE), 15_000, 'auto-observe after restart');
  sensor.setValue(PRESENCE, on);
  await eventually(() => lamp.value(LAMP)?.value === true, 15_000, 'lamp on after restart');
  await eventually(() => h.events.of('rule-fired').length >= 1, 15_000, 'rule-fired');
  await sleep(200);
  t.deepEqual(new Set(h.events.of('rule-fired').map((e) => e.rule)), new Set(['street-lights']), 'the disabled rule never fired (the first observe answer is false)');
});

test('a rule added later observes registered devices (attributes first), and a Send triggers it too', async (t) => {
  const h = await rulesHarness();
  t.teardown(() => h.stop());
  const sensor = await h.t.device({ endpoint: 'presence-5' });
  const lamp = await h.t.device({ endpoint: 'lamp-5' });
  await h.rules.service.put('porch', { when: 'presence-5:/3302/*/5500', if: 'value == true', observe: { pmin: 1 }, then: [{ write: 'lamp-5:/3311/0/5850', value: true }] });
  await eventually(() => observing(sensor, PRESENCE), 15_000, 'observe after the rule was added');
  const attrs = sensor.requests.findIndex((r) => r.method === 'PUT' && r.path === PRESENCE && r.query.includes('pmin=1'));
  const obs = sensor.requests.findIndex((r) => r.method === 'GET' && r.path === PRESENCE && r.observe === 0);
  t.true(attrs >= 0 && attrs < obs, 'write-attributes before observe');
  t.false(observing(lamp, PRESENCE), 'only the rule\'s devices are observed');
  sensor.setValue(PRESENCE, on);
  await eventually(() => lamp.value(LAMP)?.value === true, 15_000, 'lamp on');
  lamp.setValue(LAMP, { type: 'boolean', value: false });
  await sleep(100);
  const fired = h.events.of('rule-fired').length;
  // Send (LwM2M 1.1 §6.4.6): the value did not change, so no notification goes out, only the Send.
  const answer = await sensor.send([PRESENCE]);
  t.is(answer.code, '2.04');
  await eventually(() => h.events.of('rule-fired').length > fired, 15_000, 'a Send fires the rule');
  await eventually(() => lamp.value(LAMP)?.value === true, 15_000, 'lamp on again');
  t.is(h.events.of('rule-fired').length, fired + 1);
});

test('a value read from a device triggers rules like a notification does', async (t) => {
  const h = await rulesHarness();
  t.teardown(() => h.stop());
  const sensor = await h.t.device({ endpoint: 'presence-9' });
  const lamp = await h.t.device({ endpoint: 'lamp-9' });
  await h.rules.service.put('porch-9', { when: 'presence-9:/3302/*/5500', if: 'value == true', then: [{ write: 'lamp-9:/3311/0/5850', value: true }] });
  await eventually(() => observing(sensor, PRESENCE), 15_000, 'observed after the rule was added');
  sensor.setValue(PRESENCE, on);
  await eventually(() => lamp.value(LAMP)?.value === true, 15_000, 'lamp on after the notification');
  lamp.setValue(LAMP, { type: 'boolean', value: false });
  await settled(() => h.events.of('rule-fired').length);
  const fired = h.events.of('rule-fired').length;
  // The value did not change, so the device sends no notification: only the Read reports it.
  const read = await h.t.server.dispatcher.submit('presence-9', { op: 'read', path: PRESENCE });
  t.true(!read.queued && read.result.ok);
  await eventually(() => lamp.value(LAMP)?.value === true, 15_000, 'lamp on again after the read');
  t.is(h.events.of('rule-fired').length, fired + 1);
  t.is(sensor.requests.filter((r) => r.method === 'GET' && r.path === PRESENCE && r.observe === undefined).length, 1, 'one plain Read');
});

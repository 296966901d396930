import test from 'ava';
import { compileRule } from '../../src/rules/rule-compile.js';
import type { StoredRule } from '../../src/rules/types.js';
import { sharedModels } from '../helpers/management.js';

const stored = (spec: unknown, name = 'r1'): StoredRule => ({ name, spec: spec as StoredRule['spec'], enabled: true, dryRun: false, createdAt: 0, updatedAt: 0 });
const lampOn = [{ write: 'tag:street=5:/3311/0/5850', value: true }];

test('the street-lamp rule compiles into an indexed trigger and a templated write', async (t) => {
  const r = compileRule(stored({ when: 'presence-*:/3302/*/5500', if: 'value == true', then: [{ write: 'tag:street={{tags.street}}:/3311/0/5850', value: true }] }), await sharedModels());
  t.like(r.trigger, { kind: 'value', devices: { kind: 'pattern', pattern: 'presence-*' }, path: { objectId: 3302, resourceId: 5500 } });
  t.is((r.trigger as { path: { instanceId?: number } }).path.instanceId, undefined);
  t.deepEqual(r.actions, [{ kind: 'write', devices: 'tag:street={{tags.street}}', path: '/3311/0/5850', value: true }]);
});

test('registration-event triggers, debounce, time window, rate and observe attributes', (t) => {
  const r = compileRule(stored({ when: 'registered:tag:street=5', then: [{ execute: 'lamp-1:/3311/0/5850' }] }));
  t.like(r.trigger, { kind: 'registered', devices: { kind: 'tag', key: 'street', value: '5' } });
  const d = compileRule(stored({ when: 'door-1:/3200/0/5500', if: 'value == true', for: '30s', during: '22:00-06:00', timezone: 'Europe/Paris', rate: '5/min', observe: { pmin: 1, pmax: 60 }, then: lampOn }));
  t.is(d.forMs, 30_000);
  t.deepEqual(d.window, { from: 22 * 60, to: 6 * 60, timezone: 'Europe/Paris' });
  t.deepEqual(d.rate, { count: 5, perMs: 60_000 });
  t.deepEqual(d.observe, { pmin: 1, pmax: 60 });
});

test('webhook, create and execute actions', (t) => {
  const r = compileRule(stored({ when: 'a:/3303/0/5700', then: [{ webhook: 'http://127.0.0.1:9/hook', body: { ep: '{{endpoint}}', v: '{{value}}' }, retries: 2 }, { create: 'b:/3303', id: 4, resources: { '5700': '{{value}}' } }, { execute: 'c:/3/0/4', args: "0='{{endpoint}}'" }] }));
  t.deepEqual(r.actions.map((a) => a.kind), ['webhook', 'create', 'execute']);
  t.like(r.actions[0], { method: 'POST', retries: 2, timeoutMs: 5000 });
});

test('device names in rules are endpoint names: spaces and accents name a device; control characters do not', (t) => {
  const r = compileRule(stored({ when: 'capteur é 1:/3303/0/5700', then: [{ write: 'lampe salle 2:/3311/0/5850', value: true }] }));
  t.like(r.trigger, { kind: 'value', devices: { kind: 'name', name: 'capteur é 1' } });
  t.like(r.actions[0], { kind: 'write', devices: 'lampe salle 2' });
  t.throws(() => compileRule(stored({ when: 'bad\u0007name:/3303/0/5700', then: lampOn })), { message: /^when: device name "bad\\u0007name" must not contain control characters/ });
});

test('validation errors name the field', async (t) => {
  const models = await sharedModels();
  const cases: [unknown, RegExp][] = [
    [null, /^rule: must be a JSON object/],
    [{ then: lampOn }, /^when: must be a non-empty string/],
    [{ when: 'a:/3303/0/5700' }, /^then: must be a non-empty list/],
    [{ when: 'a:/3303/0/5700', then: lampOn, iff: 'x' }, /^iff: unknown key/],
    [{ when: 'a/3303/0/5700', then: lampOn }, /^when: "a\/3303\/0\/5700" is not "<devices>:<path>"/],
    [{ when: 'a:/*/0/5700', then: lampOn }, /^when: .*the object id cannot be \*/],
    [{ when: 'a:/3303/x/5700', then: lampOn }, /^when: .*segment "x"/],
    [{ when: 'tag:street:/3303/0/5700', then: lampOn }, /^when: "tag:street" is not "tag:key=value"/],
    [{ when: 'a:/3303/0/5700', if: 'value = 3', then: lampOn }, /^if: use "=="/],
    [{ when: 'a:/3303/0/5700', for: '30 parsecs', then: lampOn }, /^for: "30 parsecs" is not a duration/],
    [{ when: 'a:/3303/0/5700', if: 'value > 1 for 5s', for: '5s', then: lampOn }, /^for: given twice/],
    [{ when: 'a:/3303/0/5700', during: '25:00-06:00', then: lampOn }, /^during: .*invalid time/],
    [{ when: 'a:/3303/0/5700', during: '20:00-06:00', timezone: 'Mars/Olympus', then: lampOn }, /^timezone: unknown time zone/],
    [{ when: 'a:/3303/0/5700', rate: 'often', then: lampOn }, /^rate: "often" is not a rate/],
    [{ when: 'a:/3303/0/5700', observe: { pmin: 'x' }, then: lampOn }, /^observe: must be an object of attributes/],
    [{ when: 'a:/3303/0/5700', observe: { speed: 3 }, then: lampOn }, /^observe: .*unknown attribute/],
    [{ when: 'registered:a', if: 'value > 3', then: lampOn }, /^if: a "registered" trigger has no value/],
    [{ when: 'a:/3303/0/5700', then: [{ write: 'b:/3311/0/5850' }] }, /^then\[0\]\.value: a write needs a value/],
    [{ when: 'a:/3303/0/5700', then: [{ write: 'b:/3311/0/5850', value: 'bright' }] }, /^then\[0\]\.value: .*boolean/],
    [{ when: 'a:/3303/0/5700', then: [{ execute: 'b:/3311' }] }, /^then\[0\]\.execute: .*give an instance, resource/],
    [{ when: 'a:/3303/0/5700', then: [{ write: 'b:/3311/0', value: true }] }, /^then\[0\]\.write: .*a write takes a resource/],
    [{ when: 'a:/3303/0/5700', then: [{ write: 'b:/3311/0/5850', value: '{{colour}}' }] }, /^then\[0\]\.value: unknown placeholder \{\{colour\}\}/],
    [{ when: 'a:/3303/0/5700', then: [{ write: 'b:/3311/0/5850', value: true, mode: 'x' }] }, /^then\[0\]: unknown key "mode"/],
    [{ when: 'a:/3303/0/5700', then: [{ toggle: 'b:/3311/0/5850' }] }, /^then\[0\]: unknown action \(keys: toggle\)/],
    [{ when: 'a:/3303/0/5700', then: [{ create: 'b:/3303/0' }] }, /^then\[0\]\.create: .*object path/],
    [{ when: 'a:/3303/0/5700', then: [{ webhook: 'ftp://x/y' }] }, /^then\[0\]\.webhook: only http and https/],
    [{ when: 'a:/3303/0/5700', then: [{ webhook: 'http://x/y', retries: 99 }] }, /^then\[0\]\.retries: must be 0\.\.10/],
  ];
  for (const [spec, re] of cases) t.throws(() => compileRule(stored(spec), models), { message: re, code: 'LWM2M_ERR_BAD_API_REQUEST' }, JSON.stringify(spec));
});

test('rule names are checked', (t) => {
  t.throws(() => compileRule(stored({ when: 'a:/3303/0/5700', then: lampOn }, 'has space')), { message: /^name: / });
  t.throws(() => compileRule(stored({ when: 'a:/3303/0/5700', then: lampOn }, '')), { message: /^name: / });
});

import test from 'ava';
import { valueFromJson, valueToJson } from '../../src/content/value-json.js';
import type { LwM2mValue } from '../../src/content/types.js';
import { Lwm2mError } from '../../src/errors.js';

test('every value type round-trips through the JSON shape', (t) => {
  const values: LwM2mValue[] = [
    { type: 'string', value: 'Open Mobile Alliance' },
    { type: 'integer', value: -42 },
    { type: 'integer', value: -(2n ** 62n) },
    { type: 'unsigned', value: 2n ** 64n - 1n },
    { type: 'float', value: 21.5 },
    { type: 'boolean', value: true },
    { type: 'opaque', value: Buffer.from([1, 2, 3, 255]) },
    { type: 'time', value: 1_700_000_000 },
    { type: 'objlnk', value: { objectId: 3, instanceId: 0 } },
    { type: 'corelnk', value: '</3/0>' },
    { type: 'none', value: null },
  ];
  for (const v of values) {
    const back = valueFromJson(JSON.parse(JSON.stringify(valueToJson(v))));
    if (v.type === 'opaque') t.deepEqual(Buffer.from(back.value as Uint8Array), Buffer.from(v.value));
    else t.deepEqual(back, v);
  }
});

test('the JSON shape uses real JSON types', (t) => {
  t.deepEqual(valueToJson({ type: 'time', value: 1_700_000_000 }), { type: 'time', value: 1_700_000_000, iso: '2023-11-14T22:13:20.000Z' });
  t.deepEqual(valueToJson({ type: 'opaque', value: Buffer.from('hi') }), { type: 'opaque', value: 'aGk=' });
  t.deepEqual(valueToJson({ type: 'integer', value: 7n }), { type: 'integer', value: 7 });
  t.deepEqual(valueToJson({ type: 'unsigned', value: 2n ** 64n - 1n }), { type: 'unsigned', value: '18446744073709551615' });
  t.deepEqual(valueFromJson({ type: 'time', value: '2023-11-14T22:13:20Z' }), { type: 'time', value: 1_700_000_000 });
});

test('bad JSON values are 4.00 errors', (t) => {
  for (const bad of [null, 5, { type: 'float', value: 'x' }, { type: 'integer', value: 1.5 }, { type: 'unsigned', value: -1 }, { type: 'integer', value: '9223372036854775808' }, { type: 'objlnk', value: '3' }, { type: 'what', value: 1 }, { type: 'opaque', value: '%%' }]) {
    const e = t.throws(() => valueFromJson(bad));
    t.true(e instanceof Lwm2mError && e.coapCode === '4.00', JSON.stringify(bad));
  }
});

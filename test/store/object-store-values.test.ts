import test from 'ava';
import { storedValueJson } from '../../src/store/object-store-values.js';
import type { StoredValue } from '../../src/store/types.js';
import type { JsonValue } from '../../src/content/value-json.js';

const stored = (endpoint: string, path: string, value: JsonValue, time = 1_765_143_000_123, receivedAt = time): StoredValue => ({ endpoint, path, value, time, receivedAt, source: 'notify' });

test('storedValueJson writes what JSON.stringify writes, for every value type and awkward strings and numbers', (t) => {
  const values: JsonValue[] = [
    { type: 'float', value: 21.5 },
    { type: 'float', value: 20 + 1 / 7 },
    { type: 'float', value: -0 },
    { type: 'float', value: 1e-7 },
    { type: 'float', value: 1.7976931348623157e308 },
    { type: 'float', value: Number.NaN },
    { type: 'float', value: Number.POSITIVE_INFINITY },
    { type: 'integer', value: -42 },
    { type: 'integer', value: '-9223372036854775808' },
    { type: 'unsigned', value: 2 ** 53 - 1 },
    { type: 'unsigned', value: '18446744073709551615' },
    { type: 'string', value: 'quote " backslash \\ newline \n tab \t nul \u0000 lone \ud800 emoji 🌡' },
    { type: 'corelnk', value: '</3/0>;ver=1.1' },
    { type: 'boolean', value: true },
    { type: 'opaque', value: 'AAEC' },
    { type: 'time', value: 1_700_000_000, iso: '2023-11-14T22:13:20.000Z' },
    { type: 'objlnk', value: '3:0' },
    { type: 'none', value: null },
  ];
  const endpoints = ['dev-1', 'ünïcode-ep', 'with "quotes"', 'ctl\u0001\u001f', 'lone \udc00 surrogate'];
  for (const endpoint of endpoints) {
    for (const v of values) {
      for (const time of [0, 1_765_143_000_123, 1_765_143_000_123.5]) {
        const s = stored(endpoint, '/3303/0/5700', v, time, time + 7);
        t.is(storedValueJson(s), JSON.stringify(s));
        // Twice: the second time from the remembered strings.
        t.is(storedValueJson(s), JSON.stringify(s));
      }
    }
  }
  t.is(storedValueJson({ ...stored('d', '/3/0/0', { type: 'float', value: 1 }), receivedAt: Number.NaN }), JSON.stringify({ ...stored('d', '/3/0/0', { type: 'float', value: 1 }), receivedAt: Number.NaN }));
});

test('storedValueJson keeps only the StoredValue fields, in their declared order', (t) => {
  const extra = Object.assign({ note: 'not stored' }, stored('dev', '/3303/0/5700', { type: 'float', value: 1.5 }));
  t.deepEqual(Object.keys(JSON.parse(storedValueJson(extra)) as object), ['endpoint', 'path', 'value', 'time', 'receivedAt', 'source']);
});

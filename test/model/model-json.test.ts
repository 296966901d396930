import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { modelFileName, parseModelJson, serializeModel, validateModel } from '../../src/model/model-json.js';
import type { ObjectModel } from '../../src/model/types.js';

const model: ObjectModel = {
  id: 33000,
  name: 'Valve',
  version: '1.1',
  lwm2mVersion: '1.1',
  urn: 'urn:oma:lwm2m:x:33000:1.1',
  multiple: true,
  mandatory: false,
  resources: [
    { id: 2, name: 'Open', operations: 'E', multiple: false, mandatory: false, type: 'none' },
    { id: 1, name: 'Position', operations: 'RW', multiple: false, mandatory: true, type: 'float', range: '0..100', units: '%' },
  ],
};

test('a model is written with fixed key order, sorted resources, 2-space indent and a trailing newline', (t) => {
  const reversedKeys = Object.fromEntries(Object.entries(model).reverse()) as unknown as ObjectModel;
  t.is(Object.keys(reversedKeys)[0], 'resources');
  const shuffled = { ...reversedKeys, resources: model.resources.map((r) => Object.fromEntries(Object.entries(r).reverse()) as unknown as typeof r) };
  const text = serializeModel(shuffled);
  t.true(text.endsWith('}\n'));
  t.true(text.startsWith('{\n  "id": 33000,\n  "name": "Valve",\n  "version": "1.1",\n  "lwm2mVersion": "1.1",\n  "urn"'));
  const back = JSON.parse(text) as ObjectModel;
  t.deepEqual(back.resources.map((r) => r.id), [1, 2]);
  t.deepEqual(Object.keys(back.resources[0]!), ['id', 'name', 'operations', 'multiple', 'mandatory', 'type', 'range', 'units']);
  t.is(serializeModel(back), text);
  t.is(modelFileName(model), '33000-1.1.json');
});

test('a written model reads back equal', (t) => {
  const back = parseModelJson(serializeModel(model), 'valve.json');
  t.deepEqual(back, { ...model, resources: [model.resources[1], model.resources[0]] });
});

test('empty optional strings are dropped rather than kept as ""', (t) => {
  const m = validateModel({ ...model, urn: '', resources: [{ ...model.resources[1]!, range: '', units: '' }] }, 'm.json');
  t.false('urn' in m);
  t.deepEqual(Object.keys(m.resources[0]!), ['id', 'name', 'operations', 'multiple', 'mandatory', 'type']);
});

const broken: [string, unknown, RegExp][] = [
  ['an array', [], /m\.json: top level must be an object/],
  ['a missing name', { ...model, name: undefined }, /m\.json: name must be a string/],
  ['a string id', { ...model, id: '3' }, /m\.json: id must be an integer 0..65535/],
  ['an id above 65535', { ...model, id: 65536 }, /m\.json: id must be an integer/],
  ['a bad version', { ...model, version: '1' }, /m\.json: version must look like "1.0"/],
  ['an unknown field', { ...model, description: 'x' }, /m\.json: description is not a known field/],
  ['resources not an array', { ...model, resources: {} }, /m\.json: resources must be an array/],
  ['an unknown type', { ...model, resources: [{ ...model.resources[0]!, type: 'double' }] }, /m\.json: resources\[0\]\.type must be one of/],
  ['bad operations', { ...model, resources: [{ ...model.resources[0]!, operations: 'RWE' }] }, /resources\[0\]\.operations must be one of/],
  ['a string boolean', { ...model, resources: [{ ...model.resources[0]!, multiple: 'false' }] }, /resources\[0\]\.multiple must be true or false/],
  ['a duplicate resource', { ...model, resources: [model.resources[0], model.resources[0]] }, /resources\[1\]\.id duplicate resource ID 2/],
  ['an extra resource field', { ...model, resources: [{ ...model.resources[0]!, description: 'x' }] }, /resources\[0\]\.description is not a known field/],
];

for (const [what, value, message] of broken) {
  test(`JSON with ${what} is rejected naming the file and field`, (t) => {
    const e = t.throws(() => parseModelJson(JSON.stringify(value), 'm.json'), { instanceOf: Lwm2mError });
    t.is(e?.code, 'LWM2M_ERR_MODEL');
    t.regex(e?.message ?? '', message);
  });
}

test('text that is not JSON is rejected naming the file', (t) => {
  const e = t.throws(() => parseModelJson('{"id": 3,', 'objects/3-1.0.json'), { instanceOf: Lwm2mError });
  t.regex(e?.message ?? '', /^objects\/3-1\.0\.json: not valid JSON/);
});

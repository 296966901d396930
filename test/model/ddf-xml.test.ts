import test from 'ava';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Lwm2mError } from '../../src/errors.js';
import { MAX_DDF_CHARS, parseDdfXml } from '../../src/model/ddf-xml.js';
import { collectModels, listFiles, readModelFile } from '../../src/model/model-files.js';
import type { ObjectModel, ResourceModel } from '../../src/model/types.js';
import { sharedDir } from '../helpers/paths.js';

const omaDir = path.join(sharedDir, 'oma-objects');

async function parseFile(relative: string): Promise<ObjectModel[]> {
  const file = path.join(omaDir, relative);
  const content = parseDdfXml(await readFile(file, 'utf8'), file);
  if (content.kind !== 'objects') throw new Error(`${relative} holds no objects`);
  return content.models;
}

async function one(relative: string): Promise<ObjectModel> {
  const models = await parseFile(relative);
  if (models.length !== 1) throw new Error(`${relative}: ${models.length} objects`);
  return models[0]!;
}

function res(model: ObjectModel, id: number): ResourceModel {
  const r = model.resources.find((x) => x.id === id);
  if (r === undefined) throw new Error(`object ${model.id} has no resource ${id}`);
  return r;
}

test('every one of the 756 registry files is read without error, and non-object files are recognised', async (t) => {
  const files = (await listFiles(omaDir)).filter((f) => /\.(xml|xsd)$/.test(f));
  t.is(files.length, 756);
  const contents = await Promise.all(files.map(readModelFile));
  const skipped = contents.filter((c) => c.kind === 'skipped').map((c) => path.relative(omaDir, c.file)).sort();
  t.deepEqual(skipped, ['Common.xml', 'DDF.xml', 'LWM2M-v1_1.xsd', 'LWM2M.xsd', 'LWM2M_senml_units.xml']);
  const modelFiles = contents.filter((c) => c.kind === 'models');
  t.is(modelFiles.length, 751);

  const { models } = await collectModels(files);
  const ids = new Set(models.map((m) => m.id));
  t.is(ids.size, 327);
  t.is(models.length, 424);
  const versionsPerId = new Map<number, number>();
  for (const m of models) versionsPerId.set(m.id, (versionsPerId.get(m.id) ?? 0) + 1);
  t.is([...versionsPerId.values()].filter((n) => n > 1).length, 88);
});

test('the file under version_history names the version of an old file that has no version element', async (t) => {
  for (const id of [0, 1, 3, 12, 15]) {
    const m = await one(`version_history/${id}-1_0.xml`);
    t.is(m.id, id);
    t.is(m.version, '1.0', `object ${id}`);
    t.is(m.lwm2mVersion, '1.0', `object ${id}`);
  }
  const security = await one('version_history/0-1_0.xml');
  t.is(security.name, 'LWM2M Security');
  t.true(security.multiple);
  t.true(security.mandatory);
});

test('an old file read under another name still defaults to version 1.0', (t) => {
  const xml = `<LWM2M><Object ObjectType="MODefinition"><Name>Old</Name><ObjectID>3</ObjectID>
    <MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Resources/></Object></LWM2M>`;
  t.is((parseDdfXml(xml, 'custom/device.xml') as { models: ObjectModel[] }).models[0]!.version, '1.0');
  // The name only counts when its object ID matches the content.
  t.is((parseDdfXml(xml, 'version_history/4-1_1.xml') as { models: ObjectModel[] }).models[0]!.version, '1.0');
  t.is((parseDdfXml(xml, 'version_history/3-1_1.xml') as { models: ObjectModel[] }).models[0]!.version, '1.1');
});

test('an empty LWM2MVersion (4-1_1.xml) means LwM2M 1.0', async (t) => {
  const m = await one('version_history/4-1_1.xml');
  t.is(m.id, 4);
  t.is(m.name, 'Connectivity Monitoring');
  t.is(m.version, '1.1');
  t.is(m.lwm2mVersion, '1.0');
});

test('Device 1.0, 1.1 and 1.2 carry their versions and resources', async (t) => {
  const v10 = await one('version_history/3-1_0.xml');
  const v11 = await one('version_history/3-1_1.xml');
  const v12 = await one('3.xml');
  t.deepEqual([v10.version, v11.version, v12.version], ['1.0', '1.1', '1.2']);
  t.deepEqual([v10.lwm2mVersion, v11.lwm2mVersion, v12.lwm2mVersion], ['1.0', '1.1', '1.1']);
  t.is(v10.urn, 'urn:oma:lwm2m:oma:3');
  t.is(v12.urn, 'urn:oma:lwm2m:oma:3:1.2');
  // 1.0 wrote the range of resource 6 as "0-7", later versions as "0..7": kept as written.
  t.deepEqual([v10, v11, v12].map((m) => res(m, 6).range), ['0-7', '0..7', '0..7']);
  for (const m of [v10, v11, v12]) {
    t.is(m.name, 'Device');
    t.false(m.multiple);
    t.true(m.mandatory);
    t.deepEqual(res(m, 0), { id: 0, name: 'Manufacturer', operations: 'R', multiple: false, mandatory: false, type: 'string' });
    t.deepEqual(res(m, 4), { id: 4, name: 'Reboot', operations: 'E', multiple: false, mandatory: true, type: 'none' });
    const power = res(m, 6);
    t.is(power.name, 'Available Power Sources');
    t.is(power.type, 'integer');
    t.true(power.multiple);
  }
  t.deepEqual(res(v12, 13), { id: 13, name: 'Current Time', operations: 'RW', multiple: false, mandatory: false, type: 'time' });
  t.deepEqual(res(v12, 22), { id: 22, name: 'ExtDevInfo', operations: 'R', multiple: true, mandatory: false, type: 'objlnk' });
  // Resources come out sorted by ID and descriptions are gone.
  t.deepEqual(v12.resources.map((r) => r.id), [...v12.resources.map((r) => r.id)].sort((a, b) => a - b));
  t.false(JSON.stringify(v12).includes('Human readable'));
});

test('units, ranges, unsigned integers and core links are kept as written', async (t) => {
  const temperature = await one('3303.xml');
  t.like(res(temperature, 5700), { name: 'Sensor Value', type: 'float', operations: 'R', mandatory: true });
  // The registry leaves 5700's units empty (the unit is reported in 5701), so none is invented.
  t.is(res(temperature, 5700).units, undefined);
  t.like(res(temperature, 6050), { type: 'float', units: 's', range: '0..1' });
  const lamp = await one('version_history/3416-2_0.xml');
  t.like(res(lamp, 21), { name: 'Control gear temperature', type: 'float', units: 'Cel' });
  const server = await one('version_history/1-1_1.xml');
  t.like(res(server, 11), { name: 'TLS-DTLS Alert Code', type: 'unsigned', range: '0..255' });
  t.like(res(server, 10), { name: 'APN Link', type: 'objlnk' });
  const virtualObserve = await one('version_history/22-1_1.xml');
  t.like(res(virtualObserve, 0), { name: 'ObserveLinks', type: 'corelnk', multiple: true, operations: 'RW' });
  // Numeric character references are decoded (10308 writes "&#60;7 to &#62;12.5").
  const att = await one('10308.xml');
  t.is(att.name, 'AT&T Connectivity Extension');
  t.true(att.resources.some((r) => r.range === '<7 to >12.5'));
});

test('a file holding several objects yields all of them', (t) => {
  const item = (id: number, type: string) => `<Item ID="${id}"><Name> R${id} </Name><Operations>RW</Operations>
    <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Type>${type}</Type>
    <RangeEnumeration>  </RangeEnumeration><Units>
    </Units><Description>x</Description></Item>`;
  const object = (id: number) => `<Object ObjectType="MODefinition"><Name>Obj ${id}</Name><ObjectID>${id}</ObjectID>
    <ObjectVersion>2.1</ObjectVersion><LWM2MVersion>1.1</LWM2MVersion><MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory><Resources>${item(1, ' unsigned  INTEGER ')}${item(0, 'Corelnk')}</Resources></Object>`;
  const content = parseDdfXml(`<?xml version="1.0"?><LWM2M>${object(40000)}${object(40001)}</LWM2M>`, 'two.xml');
  if (content.kind !== 'objects') return t.fail();
  t.deepEqual(content.models.map((m) => [m.id, m.version]), [[40000, '2.1'], [40001, '2.1']]);
  t.deepEqual(content.models[0]!.resources, [
    { id: 0, name: 'R0', operations: 'RW', multiple: false, mandatory: false, type: 'corelnk' },
    { id: 1, name: 'R1', operations: 'RW', multiple: false, mandatory: false, type: 'unsigned' },
  ]);
  t.is(content.models[0]!.urn, undefined);
});

const badXml: [string, string, RegExp][] = [
  ['not XML', 'hello', /bad\.xml: .*(not well-formed|root element)/],
  ['unclosed tag', '<LWM2M><Object></LWM2M>', /bad\.xml: not well-formed XML/],
  ['a DOCTYPE with entities', '<!DOCTYPE a [<!ENTITY x "xx">]><LWM2M>&x;</LWM2M>', /DOCTYPE is not allowed/],
  ['a foreign root', '<html><body/></html>', /root element must be <LWM2M>, found html/],
  ['no object', '<LWM2M></LWM2M>', /holds no <Object>/],
  ['no ObjectID', '<LWM2M><Object><Name>x</Name></Object></LWM2M>', /<ObjectID> is missing/],
  ['an ObjectID out of range', '<LWM2M><Object><ObjectID>70000</ObjectID></Object></LWM2M>', /ObjectID> must be an integer 0..65535/],
  ['an unknown type', objectWith('<Type>Double</Type>'), /object 9 resource 1: <Type> "Double" is not a LwM2M data type/],
  ['bad operations', objectWith('<Type>String</Type>', 'RX'), /<Operations> must be R, W, RW or E, got "RX"/],
  ['nested markup in a name', '<LWM2M><Object><ObjectID>9</ObjectID><Name><b>x</b></Name></Object></LWM2M>', /<Name> must hold text only/],
  ['a malformed version', '<LWM2M><Object><Name>x</Name><ObjectID>9</ObjectID><ObjectVersion>v2</ObjectVersion></Object></LWM2M>', /<ObjectVersion> must look like "1.0"/],
  ['a duplicate resource ID', objectWith('<Type>String</Type>', 'R', 2), /duplicate resource ID 1/],
  ['more than 8 Mi characters', `<LWM2M>${' '.repeat(MAX_DDF_CHARS)}</LWM2M>`, /bad\.xml: too large/],
  ['deep nesting', `<LWM2M>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</LWM2M>`, /bad\.xml: /],
];

function objectWith(typeXml: string, ops = 'R', copies = 1): string {
  const item = `<Item ID="1"><Name>r</Name><Operations>${ops}</Operations><MultipleInstances>Single</MultipleInstances>
    <Mandatory>Optional</Mandatory>${typeXml}</Item>`;
  return `<LWM2M><Object><Name>x</Name><ObjectID>9</ObjectID><MultipleInstances>Single</MultipleInstances>
    <Mandatory>Optional</Mandatory><Resources>${item.repeat(copies)}</Resources></Object></LWM2M>`;
}

for (const [what, xml, message] of badXml) {
  test(`XML with ${what} is an LWM2M_ERR_MODEL naming the file`, (t) => {
    const e = t.throws(() => parseDdfXml(xml, 'bad.xml'), { instanceOf: Lwm2mError });
    t.is(e?.code, 'LWM2M_ERR_MODEL');
    t.regex(e?.message ?? '', message);
    t.regex(e?.message ?? '', /^bad\.xml/);
  });
}

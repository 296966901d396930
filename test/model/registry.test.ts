import test from 'ava';
import { mkdtemp, mkdir, rm, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Lwm2mError } from '../../src/errors.js';
import { serializeModel } from '../../src/model/model-json.js';
import { ModelRegistry } from '../../src/model/registry.js';
import type { ObjectModel } from '../../src/model/types.js';
import { parseVersion, pickVersion } from '../../src/model/version.js';
import { sharedDir } from '../helpers/paths.js';

function model(id: number, version: string, extra: Partial<ObjectModel> = {}): ObjectModel {
  return {
    id,
    name: `Object ${id} v${version}`,
    version,
    lwm2mVersion: '1.1',
    multiple: true,
    mandatory: false,
    resources: [{ id: 0, name: `R0 of ${version}`, operations: 'R', multiple: false, mandatory: true, type: 'integer' }],
    ...extra,
  };
}

function registryWith(id: number, versions: string[]): ModelRegistry {
  const r = new ModelRegistry();
  for (const v of versions) r.add(model(id, v));
  return r;
}

async function tempDir(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lwm2m-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('an exact version is returned when held', (t) => {
  const r = registryWith(50000, ['1.0', '1.1', '1.2', '2.0']);
  for (const v of ['1.0', '1.1', '1.2', '2.0']) t.is(r.object(50000, v)?.version, v);
});

test('without a version the newest is returned, ordered numerically (1.10 after 1.9)', (t) => {
  const r = registryWith(50000, ['1.10', '1.0', '1.9']);
  t.is(r.object(50000)?.version, '1.10');
  t.deepEqual(r.versions(50000), ['1.0', '1.9', '1.10']);
});

test('a missing minor falls back to the highest lower minor of the same major', (t) => {
  const r = registryWith(50000, ['1.0', '1.1', '2.0']);
  t.is(r.object(50000, '1.5')?.version, '1.1');
  t.false(r.has(50000, '1.5'));
});

test('with no lower minor, the lowest higher minor of the same major is used', (t) => {
  const r = registryWith(50000, ['1.2', '1.3', '2.0']);
  t.is(r.object(50000, '1.0')?.version, '1.2');
});

test('an unknown major falls back to the closest older version, else the closest newer one', (t) => {
  const r = registryWith(50000, ['1.0', '1.1', '2.0', '4.1']);
  t.is(r.object(50000, '3.0')?.version, '2.0');
  t.is(r.object(50000, '9.9')?.version, '4.1');
  t.is(registryWith(50000, ['2.0', '2.1']).object(50000, '1.0')?.version, '2.0');
});

test('a malformed requested version means the newest', (t) => {
  const r = registryWith(50000, ['1.0', '1.1']);
  t.is(r.object(50000, 'banana')?.version, '1.1');
  t.is(r.object(50000, '')?.version, '1.1');
});

test('pickVersion answers -1 for nothing held', (t) => {
  t.is(pickVersion([], parseVersion('1.0')), -1);
});

test('resource lookups follow the same version rule', (t) => {
  const r = registryWith(50000, ['1.0', '1.1']);
  t.is(r.resource(50000, 0, '1.0')?.name, 'R0 of 1.0');
  t.is(r.resource(50000, 0, '1.7')?.name, 'R0 of 1.1');
  t.is(r.resource(50000, 1, '1.1'), undefined);
  t.is(r.resource(50001, 0), undefined);
  t.is(r.object(50001), undefined);
});

test('a custom model added at run time is served and replaces the same version', (t) => {
  const r = new ModelRegistry();
  t.is(r.add(model(33001, '1.0')), undefined);
  const replaced = r.add(model(33001, '1.0', { name: 'Renamed' }));
  t.is(replaced?.name, 'Object 33001 v1.0');
  t.is(r.object(33001)?.name, 'Renamed');
  t.is(r.size, 1);
  t.deepEqual(r.list(), [{ id: 33001, name: 'Renamed', versions: ['1.0'] }]);
  t.is(r.remove(33001, '1.0')?.name, 'Renamed');
  t.is(r.object(33001), undefined);
});

test('a bad custom model is refused with LWM2M_ERR_MODEL and changes nothing', (t) => {
  const r = new ModelRegistry();
  const bad = { ...model(33002, '1.0'), resources: [{ id: 0, name: 'x', operations: 'R', multiple: false, mandatory: true, type: 'double' }] };
  const e = t.throws(() => r.add(bad as unknown as ObjectModel), { instanceOf: Lwm2mError });
  t.is(e?.code, 'LWM2M_ERR_MODEL');
  t.regex(e?.message ?? '', /object 33002: resources\[0\]\.type/);
  t.is(r.size, 0);
});

test('models handed out are frozen, so one caller cannot change another one\'s model', (t) => {
  const r = new ModelRegistry();
  const original = model(33003, '1.0');
  r.add(original);
  original.name = 'changed by the caller afterwards';
  const served = r.object(33003)!;
  t.is(served.name, 'Object 33003 v1.0');
  t.true(Object.isFrozen(served) && Object.isFrozen(served.resources) && Object.isFrozen(served.resources[0]));
});

test('the built-in registry holds every OMA object and version', async (t) => {
  const r = await ModelRegistry.builtin();
  t.is(r.size, 424);
  t.is(r.ids().length, 327);
  t.deepEqual(r.versions(3), ['1.0', '1.1', '1.2']);
  t.is(r.object(3)?.version, '1.2');
  t.is(r.object(3, '1.1')?.urn, 'urn:oma:lwm2m:oma:3:1.1');
  t.is(r.resource(3, 0, '1.0')?.name, 'Manufacturer');
  t.is(r.resource(0, 2)?.name, 'Security Mode');
  // A device reporting Device 1.3 (newer than the registry) gets 1.2.
  t.is(r.object(3, '1.3')?.version, '1.2');
  t.deepEqual(r.versions(21), ['1.0', '1.1', '2.0']);
});

test('a folder mixing DDF XML and JSON, in sub-folders, is loaded recursively', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'xml', 'deeper'), { recursive: true });
  await copyFile(path.join(sharedDir, 'oma-objects', '3303.xml'), path.join(dir, 'xml', 'deeper', '3303.xml'));
  await writeFile(path.join(dir, 'valve.json'), serializeModel(model(33004, '1.0')));
  await writeFile(path.join(dir, 'notes.txt'), 'ignored: not a model file');
  const r = await ModelRegistry.fromDirectory(dir);
  t.deepEqual(r.ids(), [3303, 33004]);
  t.is(r.resource(3303, 5700)?.type, 'float');
  const extra = await ModelRegistry.fromDirectory(dir);
  const added = await extra.loadDirectory(path.join(sharedDir, 'oma-objects', 'version_history', '3-1_0.xml'));
  t.deepEqual(added.map((m) => [m.id, m.version]), [[3, '1.0']]);
  t.is(extra.size, 3);
});

test('a folder with one bad file is refused naming that file, and the registry is unchanged', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'good.json'), serializeModel(model(33005, '1.0')));
  await writeFile(path.join(dir, 'broken.json'), '{"id": 33006, "name": "x"}');
  const r = new ModelRegistry();
  const e = await t.throwsAsync(r.loadDirectory(dir), { instanceOf: Lwm2mError });
  t.is(e?.code, 'LWM2M_ERR_MODEL');
  t.true(e?.message.startsWith(path.join(dir, 'broken.json')));
  t.is(r.size, 0);
});

test('two different definitions of the same object version in one folder are refused', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'a.json'), serializeModel(model(33007, '1.0')));
  await writeFile(path.join(dir, 'b.json'), serializeModel(model(33007, '1.0', { name: 'Other' })));
  const e = await t.throwsAsync(ModelRegistry.fromDirectory(dir), { instanceOf: Lwm2mError });
  t.regex(e?.message ?? '', /b\.json: object 33007 version 1\.0 differs from the definition in .*a\.json/);
});

test('a folder that does not exist is an LWM2M_ERR_MODEL', async (t) => {
  const e = await t.throwsAsync(ModelRegistry.fromDirectory('/nonexistent/models'), { instanceOf: Lwm2mError });
  t.is(e?.code, 'LWM2M_ERR_MODEL');
  t.regex(e?.message ?? '', /\/nonexistent\/models: no such file or folder/);
});

test('a remembered fallback is recomputed after a closer version is added', (t) => {
  const r = registryWith(50000, ['1.0', '2.0']);
  t.is(r.object(50000, '1.5')?.version, '1.0');
  r.add(model(50000, '1.4'));
  t.is(r.object(50000, '1.5')?.version, '1.4');
  r.remove(50000, '1.4');
  t.is(r.object(50000, '1.5')?.version, '1.0');
});

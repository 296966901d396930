import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelLookup, ObjectModel } from '../../src/model/types.js';
import type { CodecContext } from '../../src/content/types.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * A small ModelLookup for codec tests: the OMA definitions committed in objects/ for the objects
 * the captures use, plus Wakaama's test object 31024 written by hand (it is not in the registry).
 */
const WAKAAMA_TEST_OBJECT: ObjectModel = {
  id: 31024,
  name: 'Wakaama test object',
  version: '1.0',
  lwm2mVersion: '1.0',
  multiple: true,
  mandatory: false,
  resources: [
    { id: 1, name: 'test', operations: 'RW', multiple: false, mandatory: true, type: 'integer' },
    { id: 2, name: 'exec', operations: 'E', multiple: false, mandatory: true, type: 'none' },
    { id: 3, name: 'dec', operations: 'RW', multiple: false, mandatory: true, type: 'float' },
    { id: 5, name: 'sig', operations: 'RW', multiple: false, mandatory: false, type: 'string' },
  ],
};

function load(file: string): ObjectModel {
  return JSON.parse(readFileSync(path.join(repoRoot, 'objects', `${file}.json`), 'utf8')) as ObjectModel;
}

export function testModels(extra: readonly ObjectModel[] = []): ModelLookup {
  const byId = new Map<number, ObjectModel>();
  for (const m of [...['0-1.1', '1-1.1', '2-1.0', '3-1.1', '6-1.0', '3303-1.0'].map(load), WAKAAMA_TEST_OBJECT, ...extra]) byId.set(m.id, m);
  return {
    object: (id) => byId.get(id),
    resource: (objectId, resourceId) => byId.get(objectId)?.resources.find((r) => r.id === resourceId),
  };
}

export function testContext(over: Partial<CodecContext> = {}): CodecContext {
  return { models: testModels(), ...over };
}

import type { ModelLookup, ObjectModel, ResourceModel, ResourceType } from '../../../src/model/types.js';
import type { CodecContext } from '../../../src/content/types.js';

/**
 * A small hand-written model registry for the codec tests: the objects the captures use
 * (0, 1, 3, 6, 3303 from the OMA registry; 31024 is Wakaama's test object) and object 9000,
 * a test object with one single and one multiple resource of every type.
 */
const r = (id: number, type: ResourceType, multiple = false, operations: ResourceModel['operations'] = 'RW'): ResourceModel => ({
  id,
  name: `r${id}`,
  operations,
  multiple,
  mandatory: false,
  type,
});

const obj = (id: number, resources: ResourceModel[], multiple = true): ObjectModel => ({
  id,
  name: `o${id}`,
  version: '1.0',
  lwm2mVersion: '1.1',
  multiple,
  mandatory: false,
  resources,
});

export const TYPES: ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'];

const objects: ObjectModel[] = [
  obj(0, [r(0, 'string'), r(1, 'boolean'), r(2, 'integer'), r(3, 'opaque'), r(4, 'opaque'), r(5, 'opaque'), r(10, 'integer'), r(11, 'integer'), r(12, 'integer')]),
  obj(1, [r(0, 'integer'), r(1, 'integer'), r(2, 'integer'), r(3, 'integer'), r(4, 'none', false, 'E'), r(5, 'integer'), r(6, 'boolean'), r(7, 'string'), r(8, 'none', false, 'E'), r(23, 'boolean')]),
  obj(
    3,
    [
      r(0, 'string', false, 'R'),
      r(1, 'string', false, 'R'),
      r(2, 'string', false, 'R'),
      r(3, 'string', false, 'R'),
      r(4, 'none', false, 'E'),
      r(5, 'none', false, 'E'),
      r(6, 'integer', true, 'R'),
      r(7, 'integer', true, 'R'),
      r(8, 'integer', true, 'R'),
      r(9, 'integer', false, 'R'),
      r(10, 'integer', false, 'R'),
      r(11, 'integer', true, 'R'),
      r(12, 'none', false, 'E'),
      r(13, 'time'),
      r(14, 'string'),
      r(15, 'string'),
      r(16, 'string', false, 'R'),
      r(17, 'string', false, 'R'),
      r(18, 'string', false, 'R'),
      r(19, 'string', false, 'R'),
      r(20, 'integer', false, 'R'),
      r(21, 'integer', false, 'R'),
      r(22, 'string', true, 'R'),
    ],
    false,
  ),
  obj(6, [r(0, 'float', false, 'R'), r(1, 'float', false, 'R'), r(2, 'float', false, 'R'), r(3, 'float', false, 'R'), r(4, 'opaque', false, 'R'), r(5, 'time', false, 'R'), r(6, 'float', false, 'R')], false),
  obj(3303, [r(5601, 'float', false, 'R'), r(5602, 'float', false, 'R'), r(5603, 'float', false, 'R'), r(5604, 'float', false, 'R'), r(5605, 'none', false, 'E'), r(5700, 'float', false, 'R'), r(5701, 'string', false, 'R')]),
  obj(31024, [r(1, 'integer'), r(2, 'none', false, 'E'), r(3, 'float'), r(5, 'string')]),
  obj(
    9000,
    TYPES.flatMap((t, i) => [r(i, t), r(100 + i, t, true)]),
  ),
];

export const testModels: ModelLookup = {
  object: (id) => objects.find((o) => o.id === id),
  resource: (oid, rid) => objects.find((o) => o.id === oid)?.resources.find((x) => x.id === rid),
};

export const emptyModels: ModelLookup = { object: () => undefined, resource: () => undefined };

export const NOW = 1_795_564_000;

export function ctxOf(extra: Partial<CodecContext> = {}): CodecContext {
  return { models: testModels, nowSeconds: NOW, ...extra };
}

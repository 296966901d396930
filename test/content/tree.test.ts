import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { nodeToValues, valuesToNode } from '../../src/content/tree.js';
import type { LwM2mNode, TimestampedValue } from '../../src/content/types.js';
import { ctxOf, emptyModels } from './_b/models.js';
import { canonical, prng, randomNode } from './_b/random.js';

const ctx = ctxOf();
const int = (value: number) => ({ type: 'integer' as const, value });
const tv = (ids: number[], value: number, time?: number): TimestampedValue => {
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
  const v: TimestampedValue = { path: { objectId, instanceId, resourceId }, value: int(value) };
  if (resourceInstanceId !== undefined) v.path.resourceInstanceId = resourceInstanceId;
  if (time !== undefined) v.time = time;
  return v;
};

test('values build an object with sorted instances and resources', (t) => {
  const node = valuesToNode([tv([3, 1, 9], 5), tv([3, 0, 10], 1), tv([3, 0, 9], 2), tv([3, 0, 6, 1], 7), tv([3, 0, 6, 0], 6)], { objectId: 3 }, ctx);
  t.deepEqual(node, {
    kind: 'object',
    id: 3,
    instances: [
      { kind: 'instance', id: 0, resources: [
        { kind: 'multipleResource', id: 6, type: 'integer', instances: [{ kind: 'resourceInstance', id: 0, value: int(6) }, { kind: 'resourceInstance', id: 1, value: int(7) }] },
        { kind: 'resource', id: 9, value: int(2) },
        { kind: 'resource', id: 10, value: int(1) },
      ] },
      { kind: 'instance', id: 1, resources: [{ kind: 'resource', id: 9, value: int(5) }] },
    ],
  });
});

test('the model decides an empty resource: multiple → empty multiple resource, single → 4.00', (t) => {
  t.deepEqual(valuesToNode([], { objectId: 3, instanceId: 0, resourceId: 6 }, ctx), { kind: 'multipleResource', id: 6, type: 'integer', instances: [] });
  const e = t.throws(() => valuesToNode([], { objectId: 3, instanceId: 0, resourceId: 9 }, ctx), { instanceOf: Lwm2mError });
  t.is(e?.coapCode, '4.00');
  // Unknown to the model: a multiple resource of type none.
  t.deepEqual(valuesToNode([], { objectId: 4242, instanceId: 0, resourceId: 1 }, { models: emptyModels }), { kind: 'multipleResource', id: 1, type: 'none', instances: [] });
});

test('a resource instance path gives a resource instance node', (t) => {
  t.deepEqual(valuesToNode([tv([3, 0, 6, 1], 5)], { objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: 1 }, ctx), { kind: 'resourceInstance', id: 1, value: int(5) });
});

test('the newest of several timestamped values wins', (t) => {
  t.deepEqual(valuesToNode([tv([3, 0, 9], 1, 100), tv([3, 0, 9], 3, 300), tv([3, 0, 9], 2, 200)], { objectId: 3, instanceId: 0, resourceId: 9 }, ctx), { kind: 'resource', id: 9, value: int(3) });
});

test('bad value sets are 4.00: outside the path, above resource level, single and instances mixed, root path', (t) => {
  const cases: [TimestampedValue[], Parameters<typeof valuesToNode>[1]][] = [
    [[tv([1, 0, 1], 1)], { objectId: 3 }],
    [[{ path: { objectId: 3, instanceId: 0 }, value: int(1) }], { objectId: 3 }],
    [[tv([3, 0, 6], 1), tv([3, 0, 6, 0], 1)], { objectId: 3, instanceId: 0 }],
    [[tv([3, 0, 6, 0], 1), tv([3, 0, 6, 1], 1)], { objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: 0 }],
    [[tv([3, 0, 9], 1)], {}],
  ];
  for (const [values, path] of cases) {
    const e = t.throws(() => valuesToNode(values, path, ctx), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  }
});

test('nodeToValues flattens in tree order with full paths, from the node path or its parent', (t) => {
  const node: LwM2mNode = { kind: 'multipleResource', id: 6, type: 'integer', instances: [{ kind: 'resourceInstance', id: 0, value: int(1) }, { kind: 'resourceInstance', id: 4, value: int(2) }] };
  const expected = [tv([3, 0, 6, 0], 1), tv([3, 0, 6, 4], 2)];
  t.deepEqual(nodeToValues(node, { objectId: 3, instanceId: 0, resourceId: 6 }), expected);
  t.deepEqual(nodeToValues(node, { objectId: 3, instanceId: 0 }), expected);
  t.throws(() => nodeToValues(node, { objectId: 3 }), { instanceOf: Lwm2mError });
});

test('valuesToNode inverts nodeToValues for random nodes (300 seeded cases)', (t) => {
  const rnd = prng(5);
  for (let i = 0; i < 300; i++) {
    const { node, path } = randomNode(rnd);
    t.is(canonical(valuesToNode(nodeToValues(node, path), path, ctx)), canonical(node), `case ${i}`);
  }
});

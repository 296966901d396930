import test from 'ava';
import { decodeOpaque, encodeOpaque } from '../../src/content/opaque.js';
import { parsePath } from '../../src/content/path.js';
import { decodeText, encodeText } from '../../src/content/text.js';
import { decodeTlv, encodeTlv } from '../../src/content/tlv.js';
import type { LwM2mNode } from '../../src/content/types.js';
import { PROPERTY_OBJECT, randomInstance, randomObject, randomResources, randomValue, TYPES } from './_nodes.js';
import { testModels } from './_models.js';
import { int, seeded } from './_random.js';

const ctx = { models: testModels([PROPERTY_OBJECT]) };
const RUNS = 250;

test('TLV: random objects survive encode → decode', (t) => {
  const rnd = seeded(0x7115);
  for (let i = 0; i < RUNS; i++) {
    const node = randomObject(rnd);
    const path = parsePath('/40000');
    const back = decodeTlv(encodeTlv(node, path), path, ctx);
    t.deepEqual(back.warnings, []);
    t.deepEqual(back.node, node, `run ${i}`);
  }
});

test('TLV: random instances, resources and resource instances survive encode → decode', (t) => {
  const rnd = seeded(0xbeef);
  for (let i = 0; i < RUNS; i++) {
    const iid = int(rnd, 0, 65534);
    const inst = randomInstance(rnd, iid);
    const ipath = parsePath(`/40000/${iid}`);
    t.deepEqual(decodeTlv(encodeTlv(inst, ipath), ipath, ctx).node, inst);
    for (const r of randomResources(rnd)) {
      const rpath = parsePath(`/40000/${iid}/${r.id}`);
      t.deepEqual(decodeTlv(encodeTlv(r, rpath), rpath, ctx).node, r);
      if (r.kind === 'multipleResource') {
        for (const ri of r.instances) {
          const ripath = parsePath(`/40000/${iid}/${r.id}/${ri.id}`);
          t.deepEqual(decodeTlv(encodeTlv(ri, ripath), ripath, ctx).node, ri);
        }
      }
    }
  }
});

test('text: random values of every type survive encode → decode', (t) => {
  const rnd = seeded(0x5eed);
  for (const r of PROPERTY_OBJECT.resources.filter((x) => !x.multiple)) {
    for (let i = 0; i < RUNS; i++) {
      const node: LwM2mNode = { kind: 'resource', id: r.id, value: randomValue(rnd, r.type, { finiteOnly: true }) };
      const path = parsePath(`/40000/1/${r.id}`);
      t.deepEqual(decodeText(encodeText(node, path), path, ctx).node, node, `${r.type} run ${i}`);
    }
  }
  t.is(PROPERTY_OBJECT.resources.filter((x) => !x.multiple).length, TYPES.length + 1);
});

test('opaque: random bytes survive encode → decode', (t) => {
  const rnd = seeded(42);
  const path = parsePath(`/40000/0/${TYPES.indexOf('opaque')}`);
  for (let i = 0; i < RUNS; i++) {
    const node: LwM2mNode = { kind: 'resource', id: path.resourceId!, value: randomValue(rnd, 'opaque') };
    t.deepEqual(decodeOpaque(encodeOpaque(node, path), path, ctx), node);
  }
});

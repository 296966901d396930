import type { TestFn } from 'ava';
import { isLwm2mError } from '../../../src/errors.js';
import type { ContentCodec, MultiPathCodec, TimestampedValue } from '../../../src/content/types.js';
import { ctxOf } from './models.js';
import { canonical, prng, randomNode, randomValue, TEST_OBJECT, type GenOptions } from './random.js';
import { TYPES } from './models.js';

/** encode → decode gives the same node, for seeded random nodes of every kind and type. */
export function roundTripSuite(test: TestFn, name: string, codec: ContentCodec, opts: GenOptions, count = 300): void {
  test(`${name}: encode then decode gives back random nodes of every kind and type (${count} seeded cases)`, (t) => {
    const rnd = prng(0xc0dec + count);
    const ctx = ctxOf();
    const kinds = new Set<string>();
    for (let i = 0; i < count; i++) {
      const { node, path } = randomNode(rnd, opts);
      kinds.add(node.kind);
      const bytes = codec.encode(node, path, ctx);
      const back = codec.decode(bytes, path, ctx);
      if (canonical(back) !== canonical(node)) {
        t.fail(`case ${i}: ${canonical(node)}\n -> ${Buffer.from(bytes).toString('hex')}\n -> ${canonical(back)}`);
        return;
      }
    }
    t.deepEqual([...kinds].sort(), ['instance', 'multipleResource', 'object', 'resource', 'resourceInstance']);
  });
}

/** encodeValues → decodeValues keeps paths, values and absolute timestamps. */
export function timestampSuite(test: TestFn, name: string, codec: MultiPathCodec, opts: GenOptions): void {
  test(`${name}: timestamped values survive encodeValues/decodeValues`, (t) => {
    const rnd = prng(77);
    const ctx = ctxOf();
    for (let i = 0; i < 100; i++) {
      const n = 1 + Math.floor(rnd() * 5);
      const allTimed = rnd() < 0.5;
      const values: TimestampedValue[] = [];
      for (let k = 0; k < n; k++) {
        const ti = Math.floor(rnd() * TYPES.length);
        if ((opts.skipTypes ?? []).includes(TYPES[ti]!)) continue;
        const v: TimestampedValue = { path: { objectId: TEST_OBJECT, instanceId: k, resourceId: ti }, value: randomValue(TYPES[ti]!, rnd, opts) };
        // Absolute times must be >= 2^28 (RFC 8428 §4.5.3); history: same path, several times.
        if (allTimed || rnd() < 0.5) v.time = 1_700_000_000 + Math.floor(rnd() * 1e6);
        values.push(v);
      }
      const back = codec.decodeValues(codec.encodeValues(values, ctx), ctx);
      t.is(canonical(back), canonical(values), `case ${i}`);
    }
  });
}

/** Random bytes and mutations of real payloads: the decoder returns or throws Lwm2mError, nothing else. */
export function fuzzSuite(test: TestFn, name: string, codec: ContentCodec, seeds: readonly Uint8Array[], count = 3000): void {
  test(`${name}: random and mutated payloads only ever raise Lwm2mError (${count} cases)`, (t) => {
    const rnd = prng(0xf22 + seeds.length);
    const ctx = ctxOf({ limits: { maxPayloadBytes: 4096, maxEntries: 200, maxDepth: 8, maxValueBytes: 1024 } });
    const paths = [{ objectId: 3 }, { objectId: 3, instanceId: 0 }, { objectId: 3, instanceId: 0, resourceId: 0 }, { objectId: 9000, instanceId: 0, resourceId: 101, resourceInstanceId: 2 }];
    let rejected = 0;
    for (let i = 0; i < count; i++) {
      let bytes: Uint8Array;
      if (i % 4 === 0 || seeds.length === 0) bytes = Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      else {
        const seed = seeds[Math.floor(rnd() * seeds.length)]!;
        const m = Uint8Array.from(seed);
        const edits = 1 + Math.floor(rnd() * 4);
        for (let e = 0; e < edits && m.length > 0; e++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        bytes = rnd() < 0.3 ? m.subarray(0, Math.floor(rnd() * m.length)) : m;
      }
      const path = paths[i % paths.length]!;
      try {
        codec.decode(bytes, path, ctx);
        if ('decodeValues' in codec) (codec as MultiPathCodec).decodeValues(bytes, ctx);
      } catch (e) {
        if (!isLwm2mError(e)) {
          t.fail(`case ${i} (${Buffer.from(bytes).toString('hex')}) threw ${String(e)}`);
          return;
        }
        rejected++;
      }
    }
    t.true(rejected > count / 2, `rejected ${rejected} of ${count}`);
  });
}

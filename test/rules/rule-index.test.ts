import test from 'ava';
import { compileRule } from '../../src/rules/rule-compile.js';
import { RuleIndex } from '../../src/rules/rule-index.js';
import type { RuleSpec } from '../../src/rules/types.js';

const rule = (name: string, when: string) =>
  compileRule({ name, spec: { when, then: [{ write: 'x:/3311/0/5850', value: true }] } as RuleSpec, enabled: true, dryRun: false, createdAt: 0, updatedAt: 0 });

test('a value is offered only the rules for its resource and device (names) plus patterns and tags', (t) => {
  const idx = new RuleIndex();
  idx.add(rule('by-name', 'sensor-1:/3303/0/5700'));
  idx.add(rule('other-name', 'sensor-2:/3303/0/5700'));
  idx.add(rule('pattern', 'sensor-*:/3303/*/5700'));
  idx.add(rule('tag', 'tag:room=1:/3303/0/5700'));
  idx.add(rule('any-resource', 'sensor-1:/3303/0'));
  idx.add(rule('other-resource', 'sensor-1:/3303/0/5601'));
  idx.add(rule('event', 'registered:sensor-1'));
  const names = (ids: number[], ep: string) => idx.forPath(ids, ep).map((r) => r.name).sort();
  t.deepEqual(names([3303, 0, 5700], 'sensor-1'), ['any-resource', 'by-name', 'pattern', 'tag']);
  t.deepEqual(names([3303, 1, 5700], 'sensor-1'), ['pattern'], 'instance 1 matches only the * instance');
  t.deepEqual(names([3303, 0, 5700], 'sensor-2'), ['other-name', 'pattern', 'tag']);
  t.deepEqual(names([3304, 0, 5700], 'sensor-1'), []);
  t.deepEqual(idx.forEvent('registered').map((r) => r.name), ['event']);
  t.is(idx.size, 7);
  idx.remove('by-name');
  idx.remove('pattern');
  idx.remove('event');
  idx.remove('never-added');
  t.deepEqual(names([3303, 0, 5700], 'sensor-1'), ['any-resource', 'tag']);
  t.deepEqual(idx.forEvent('registered'), []);
  t.is(idx.size, 4);
  t.deepEqual(idx.valueRules().map((r) => r.name).sort(), ['any-resource', 'other-name', 'other-resource', 'tag']);
});

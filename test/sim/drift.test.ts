import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { ObjectTree } from '../../src/sim/object-tree.js';
import { buildInstance } from '../../src/sim/default-objects.js';
import { startDrift } from '../../src/sim/sensor-drift.js';
import { sharedModels } from '../helpers/management.js';

test('the temperature drifts on the injected clock and Min/Max Measured Value follow', async (t) => {
  const models = await sharedModels();
  const tree = new ObjectTree(models);
  tree.addObject(3303);
  tree.createInstance(3303, 0, buildInstance({ objectId: 3303 }, models, undefined, { endpoint: 'd', nowSeconds: 0, binding: 'U', lifetime: 60 }));
  const clock = new ManualClock(0);
  let r = 0;
  const steps = [1, 1, 0, 0, 0]; // random() = 1 → +step, 0 → -step
  const changes: string[] = [];
  tree.onChange((paths) => changes.push(...paths.map((p) => `${p.resourceId}`)));
  const drift = startDrift(tree, clock, () => steps[r++ % steps.length]!, 1000, 0.5);
  const value = (rid: number) => (tree.slot({ objectId: 3303, instanceId: 0, resourceId: rid }) as { value: { value: number } }).value.value;
  clock.advance(999);
  t.is(value(5700), 21.5, 'nothing before the interval');
  clock.advance(1);
  t.is(value(5700), 22);
  clock.advance(1000);
  t.is(value(5700), 22.5);
  t.is(value(5602), 22.5, 'max follows');
  clock.advance(3000);
  t.is(value(5700), 21);
  t.is(value(5601), 21, 'min follows');
  drift.cancel();
  clock.advance(5000);
  t.is(value(5700), 21, 'stopped');
  t.true(changes.filter((c) => c === '5700').length === 5);
});

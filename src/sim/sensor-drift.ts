import type { Clock, RandomSource, TimerHandle } from '../clock.js';
import type { LwM2mPath, TimestampedValue } from '../content/types.js';
import type { ObjectTree } from './object-tree.js';

/**
 * A plausible temperature sensor (IPSO 3303): every `intervalMs` of the injected clock, each
 * instance's Sensor Value (5700) takes a random step of up to ±`step`, and Min/Max Measured
 * Value (5601/5602) follow. Observers are notified through the tree's change listeners.
 */
export function startDrift(tree: ObjectTree, clock: Clock, random: RandomSource, intervalMs: number, step: number): TimerHandle {
  let timer: TimerHandle;
  const tick = (): void => {
    for (const iid of tree.instanceIds(3303)) {
      const cur = tree.slot({ objectId: 3303, instanceId: iid, resourceId: 5700 });
      if (cur?.kind !== 'single' || cur.value.type !== 'float') continue;
      setTemperature(tree, iid, Math.round((cur.value.value + (random() * 2 - 1) * step) * 100) / 100);
    }
    timer = clock.setTimer(intervalMs, tick);
  };
  timer = clock.setTimer(intervalMs, tick);
  return { cancel: () => timer.cancel() };
}

export function setTemperature(tree: ObjectTree, iid: number, value: number): void {
  const p = (rid: number): LwM2mPath => ({ objectId: 3303, instanceId: iid, resourceId: rid });
  const writes: TimestampedValue[] = [{ path: p(5700), value: { type: 'float', value } }];
  const min = tree.slot(p(5601));
  const max = tree.slot(p(5602));
  if (min?.kind === 'single' && min.value.type === 'float' && value < min.value.value) writes.push({ path: p(5601), value: { type: 'float', value } });
  if (max?.kind === 'single' && max.value.type === 'float' && value > max.value.value) writes.push({ path: p(5602), value: { type: 'float', value } });
  tree.write(writes, { by: 'device' });
}

import type { LwM2mValue } from '../content/types.js';
import type { ModelLookup, ResourceModel, ResourceType } from '../model/types.js';
import type { InstanceSlots, ResourceSlot } from './object-tree.js';

/** One object a simulated device holds: which instances, and values that replace the defaults. */
export interface SimObjectSpec {
  objectId: number;
  /** Instance ids; default [0]. An empty list announces the object with no instance. */
  instances?: number[];
  /** By resource id: a value, or a list (resource instances 0, 1, ...) for a multiple resource. */
  values?: Record<number, LwM2mValue | LwM2mValue[]>;
}

/** What every simulated device has unless told otherwise: Server, Device, and three IPSO sensors. */
export const DEFAULT_OBJECTS: readonly SimObjectSpec[] = [
  { objectId: 1 },
  { objectId: 3 },
  { objectId: 3303 },
  { objectId: 3311 },
  { objectId: 3302 },
];

const s = (value: string): LwM2mValue => ({ type: 'string', value });
const i = (value: number): LwM2mValue => ({ type: 'integer', value });
const f = (value: number): LwM2mValue => ({ type: 'float', value });
const b = (value: boolean): LwM2mValue => ({ type: 'boolean', value });

/**
 * Plausible values for the objects a test or a demo looks at first. Resources absent here get
 * a neutral value of their type (only for objects not listed: a listed object keeps just these,
 * like a real client that implements a subset of the optional resources).
 */
function curated(objectId: number, ctx: { endpoint: string; nowSeconds: number; binding: string; lifetime: number }): Record<number, LwM2mValue | LwM2mValue[]> | undefined {
  switch (objectId) {
    case 1:
      return { 0: i(1), 1: i(ctx.lifetime), 2: i(1), 3: i(60), 6: b(false), 7: s(ctx.binding) };
    case 3:
      return {
        0: s('lwm2m-server simulator'), 1: s('SIM-1'), 2: s(`SN-${ctx.endpoint}`), 3: s('1.0.0'),
        6: [i(1), i(5)], 7: [i(3800), i(5000)], 8: [i(125), i(900)], 9: i(87), 10: i(512), 11: [i(0)],
        13: { type: 'time', value: ctx.nowSeconds }, 14: s('+00:00'), 15: s('Etc/UTC'), 16: s(ctx.binding),
        17: s('simulator'), 18: s('1.0'), 19: s('1.0.0'), 20: i(0), 21: i(1024),
      };
    case 3303:
      return { 5518: { type: 'time', value: ctx.nowSeconds }, 5601: f(21.5), 5602: f(21.5), 5603: f(-40), 5604: f(85), 5700: f(21.5), 5701: s('Cel'), 5750: s('room') };
    case 3311:
      return { 5701: s('W'), 5706: s('white'), 5750: s('lamp'), 5805: f(0), 5820: f(1), 5850: b(false), 5851: i(100), 5852: i(0) };
    case 3302:
      return { 5500: b(false), 5501: i(0), 5751: s('PIR'), 5903: i(0), 5904: i(0) };
    default:
      return undefined;
  }
}

/** A neutral value of a type (for objects from the registry we know nothing else about). */
export function neutralValue(type: ResourceType, nowSeconds: number): LwM2mValue | undefined {
  switch (type) {
    case 'string':
      return s('');
    case 'integer':
    case 'unsigned':
      return { type, value: 0 };
    case 'float':
      return f(0);
    case 'boolean':
      return b(false);
    case 'opaque':
      return { type: 'opaque', value: new Uint8Array(0) };
    case 'time':
      return { type: 'time', value: nowSeconds };
    case 'objlnk':
      // LwM2M 1.1 §7.3.2: 65535:65535 is the null object link.
      return { type: 'objlnk', value: { objectId: 65535, instanceId: 65535 } };
    case 'corelnk':
      return { type: 'corelnk', value: '' };
    case 'none':
      return undefined;
  }
}

function slotOf(value: LwM2mValue | LwM2mValue[], model: ResourceModel | undefined): ResourceSlot {
  if (Array.isArray(value)) {
    return { kind: 'multiple', type: model?.type ?? value[0]?.type ?? 'string', instances: new Map(value.map((v, k) => [k, v])) };
  }
  return { kind: 'single', value };
}

/** Builds the resources of one instance: executables from the model, curated or neutral values, then the spec's values. */
export function buildInstance(
  spec: SimObjectSpec,
  models: ModelLookup,
  version: string | undefined,
  ctx: { endpoint: string; nowSeconds: number; binding: string; lifetime: number },
): InstanceSlots {
  const model = models.object(spec.objectId, version);
  const slots: InstanceSlots = new Map();
  const chosen = curated(spec.objectId, ctx);
  for (const r of model?.resources ?? []) {
    if (r.type === 'none') {
      slots.set(r.id, { kind: 'executable' });
      continue;
    }
    const v = chosen !== undefined ? chosen[r.id] : neutralValue(r.type, ctx.nowSeconds);
    if (v === undefined) continue;
    slots.set(r.id, slotOf(r.multiple && !Array.isArray(v) ? [v] : v, r));
  }
  for (const [rid, v] of Object.entries(spec.values ?? {})) {
    const id = Number(rid);
    slots.set(id, slotOf(v, model?.resources.find((r) => r.id === id)));
  }
  return slots;
}

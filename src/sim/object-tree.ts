import { formatPath, pathLevel } from '../content/path.js';
import type {
  LwM2mNode,
  LwM2mPath,
  LwM2mValue,
  ObjectInstanceNode,
  ResourceNode,
  TimestampedValue,
  ValueType,
} from '../content/types.js';
import { Lwm2mError } from '../errors.js';
import type { ModelLookup, ResourceModel } from '../model/types.js';

/** What a simulated device holds for one resource. Executable resources hold no value. */
export type ResourceSlot =
  | { kind: 'single'; value: LwM2mValue }
  | { kind: 'multiple'; type: ValueType; instances: Map<number, LwM2mValue> }
  | { kind: 'executable' };

export type InstanceSlots = Map<number, ResourceSlot>;

/** Who may change a value: the server (Write checks the model's W) or the device itself. */
export type Writer = 'server' | 'device';

const notFound = (p: LwM2mPath): Lwm2mError => new Lwm2mError('LWM2M_ERR_NOT_FOUND', `${formatPath(p)} not found`);
const notAllowed = (msg: string): Lwm2mError => new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', msg);

/**
 * The object tree of one simulated LwM2M client (LwM2M 1.1 Core §7.1: objects → instances →
 * resources → resource instances), with the operations of the Device Management interface
 * (§6.3) on it. Every change is reported to listeners with the paths that changed, which is
 * what drives notifications.
 */
export class ObjectTree {
  readonly #objects = new Map<number, Map<number, InstanceSlots>>();
  readonly #models: ModelLookup;
  readonly #versions: ReadonlyMap<number, string>;
  readonly #listeners: ((paths: LwM2mPath[]) => void)[] = [];

  constructor(models: ModelLookup, versions: ReadonlyMap<number, string> = new Map()) {
    this.#models = models;
    this.#versions = versions;
  }

  get models(): ModelLookup {
    return this.#models;
  }

  get objectVersions(): ReadonlyMap<number, string> {
    return this.#versions;
  }

  onChange(listener: (paths: LwM2mPath[]) => void): void {
    this.#listeners.push(listener);
  }

  resourceModel(objectId: number, resourceId: number): ResourceModel | undefined {
    return this.#models.resource(objectId, resourceId, this.#versions.get(objectId));
  }

  /** An object the device supports may have no instances yet (it is still announced). */
  addObject(objectId: number): void {
    if (!this.#objects.has(objectId)) this.#objects.set(objectId, new Map());
  }

  objectIds(): number[] {
    return [...this.#objects.keys()].sort((a, b) => a - b);
  }

  instanceIds(objectId: number): number[] {
    return [...(this.#objects.get(objectId)?.keys() ?? [])].sort((a, b) => a - b);
  }

  hasObject(objectId: number): boolean {
    return this.#objects.has(objectId);
  }

  instance(objectId: number, instanceId: number): InstanceSlots | undefined {
    return this.#objects.get(objectId)?.get(instanceId);
  }

  /** The slot at a resource path, or undefined. */
  slot(path: LwM2mPath): ResourceSlot | undefined {
    if (path.resourceId === undefined) return undefined;
    return this.instance(path.objectId!, path.instanceId!)?.get(path.resourceId);
  }

  exists(path: LwM2mPath): boolean {
    switch (pathLevel(path)) {
      case 'root':
        return true;
      case 'object':
        return this.#objects.has(path.objectId!);
      case 'instance':
        return this.instance(path.objectId!, path.instanceId!) !== undefined;
      case 'resource':
        return this.slot(path) !== undefined;
      case 'resourceInstance': {
        const s = this.slot(path);
        return s?.kind === 'multiple' && s.instances.has(path.resourceInstanceId!);
      }
    }
  }

  /** A new instance (Create, or the device's own set-up). 4.00 if it exists already. */
  createInstance(objectId: number, instanceId: number, slots: InstanceSlots): void {
    const obj = this.#objects.get(objectId);
    if (obj === undefined) throw notFound({ objectId });
    if (obj.has(instanceId)) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `${formatPath({ objectId, instanceId })} already exists`);
    obj.set(instanceId, slots);
    this.#changed([{ objectId, instanceId }]);
  }

  /** The lowest free instance id (what a client picks when Create names none). */
  freeInstanceId(objectId: number): number {
    const used = new Set(this.instanceIds(objectId));
    let id = 0;
    while (used.has(id)) id++;
    return id;
  }

  deleteInstance(objectId: number, instanceId: number): void {
    const obj = this.#objects.get(objectId);
    if (obj?.delete(instanceId) !== true) throw notFound({ objectId, instanceId });
    this.#changed([{ objectId, instanceId }]);
  }

  /** The node at `path` for a Read (executable resources are left out; reading one is 4.05). */
  read(path: LwM2mPath): LwM2mNode {
    switch (pathLevel(path)) {
      case 'root':
        throw notAllowed('Read of the root path is only a composite operation');
      case 'object': {
        const obj = this.#objects.get(path.objectId!);
        if (obj === undefined) throw notFound(path);
        const instances = this.instanceIds(path.objectId!).map((iid) => this.#instanceNode(iid, obj.get(iid)!));
        return { kind: 'object', id: path.objectId!, instances };
      }
      case 'instance': {
        const inst = this.instance(path.objectId!, path.instanceId!);
        if (inst === undefined) throw notFound(path);
        return this.#instanceNode(path.instanceId!, inst);
      }
      case 'resource': {
        const s = this.slot(path);
        if (s === undefined) throw notFound(path);
        if (s.kind === 'executable') throw notAllowed(`${formatPath(path)} is executable`);
        return resourceNode(path.resourceId!, s);
      }
      case 'resourceInstance': {
        const s = this.slot(path);
        const v = s?.kind === 'multiple' ? s.instances.get(path.resourceInstanceId!) : undefined;
        if (v === undefined) throw notFound(path);
        return { kind: 'resourceInstance', id: path.resourceInstanceId!, value: v };
      }
    }
  }

  /** Flat values at or below `path` (for composite reads, notifications, Send). */
  values(path: LwM2mPath): TimestampedValue[] {
    const out: TimestampedValue[] = [];
    const objectIds = path.objectId === undefined ? this.objectIds() : [path.objectId];
    for (const oid of objectIds) {
      const iids = path.instanceId === undefined ? this.instanceIds(oid) : [path.instanceId];
      for (const iid of iids) {
        const inst = this.instance(oid, iid);
        if (inst === undefined) continue;
        const rids = path.resourceId === undefined ? [...inst.keys()].sort((a, b) => a - b) : [path.resourceId];
        for (const rid of rids) {
          const s = inst.get(rid);
          const p = { objectId: oid, instanceId: iid, resourceId: rid };
          if (s?.kind === 'single' && path.resourceInstanceId === undefined) out.push({ path: p, value: s.value });
          if (s?.kind !== 'multiple') continue;
          for (const riid of [...s.instances.keys()].sort((a, b) => a - b)) {
            if (path.resourceInstanceId !== undefined && riid !== path.resourceInstanceId) continue;
            out.push({ path: { ...p, resourceInstanceId: riid }, value: s.instances.get(riid)! });
          }
        }
      }
    }
    return out;
  }

  /**
   * Writes values (each at a resource or resource-instance path). `replace` empties a multiple
   * resource before its instances are written (Write "replace", §6.3.3). The server may only
   * write resources the model marks W (4.05 otherwise); every path must exist (4.04), except new
   * resource instances and optional resources of an existing instance.
   */
  write(values: readonly TimestampedValue[], opts: { by: Writer; replace?: boolean }): void {
    const cleared = new Set<string>();
    const changed: LwM2mPath[] = [];
    for (const v of values) this.#check(v, opts.by);
    for (const v of values) {
      const p = v.path;
      const inst = this.instance(p.objectId!, p.instanceId!)!;
      const resPath = { objectId: p.objectId!, instanceId: p.instanceId!, resourceId: p.resourceId! };
      let s = inst.get(p.resourceId!);
      if (p.resourceInstanceId === undefined) {
        inst.set(p.resourceId!, { kind: 'single', value: v.value });
      } else {
        if (s?.kind !== 'multiple') {
          s = { kind: 'multiple', type: this.resourceModel(p.objectId!, p.resourceId!)?.type ?? v.value.type, instances: new Map() };
          inst.set(p.resourceId!, s);
        }
        const key = formatPath(resPath);
        if (opts.replace === true && !cleared.has(key)) {
          s.instances.clear();
          cleared.add(key);
        }
        s.instances.set(p.resourceInstanceId, v.value);
      }
      changed.push(p);
    }
    if (changed.length > 0) this.#changed(changed);
  }

  /** Sets one value as the device itself (a sensor reading): no permission check. */
  set(path: LwM2mPath, value: LwM2mValue): void {
    this.write([{ path, value }], { by: 'device' });
  }

  /** Removes every instance of a multiple resource (Write "replace" with an empty list). */
  clearMultiple(path: LwM2mPath): void {
    const s = this.slot(path);
    if (s?.kind !== 'multiple') throw notFound(path);
    s.instances.clear();
    this.#changed([path]);
  }

  #check(v: TimestampedValue, by: Writer): void {
    const p = v.path;
    if (p.resourceId === undefined) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `value for ${formatPath(p)} names no resource`);
    const inst = this.instance(p.objectId!, p.instanceId!);
    if (inst === undefined) throw notFound({ objectId: p.objectId!, instanceId: p.instanceId! });
    const model = this.resourceModel(p.objectId!, p.resourceId);
    const s = inst.get(p.resourceId);
    if (s === undefined && model === undefined) throw notFound(p);
    if (s?.kind === 'executable' || model?.type === 'none') throw notAllowed(`${formatPath(p)} is executable`);
    if (by === 'server' && model !== undefined && !model.operations.includes('W')) throw notAllowed(`${formatPath(p)} is not writable`);
  }

  #instanceNode(id: number, inst: InstanceSlots): ObjectInstanceNode {
    const resources: ResourceNode[] = [];
    for (const rid of [...inst.keys()].sort((a, b) => a - b)) {
      const s = inst.get(rid)!;
      if (s.kind !== 'executable') resources.push(resourceNode(rid, s));
    }
    return { kind: 'instance', id, resources };
  }

  #changed(paths: LwM2mPath[]): void {
    for (const l of this.#listeners) l(paths);
  }
}

function resourceNode(id: number, s: Exclude<ResourceSlot, { kind: 'executable' }>): ResourceNode {
  if (s.kind === 'single') return { kind: 'resource', id, value: s.value };
  const instances = [...s.instances.entries()].sort((a, b) => a[0] - b[0]).map(([riid, value]) => ({ kind: 'resourceInstance' as const, id: riid, value }));
  return { kind: 'multipleResource', id, type: s.type, instances };
}

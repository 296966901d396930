import { badPayload, Lwm2mError, withArticle } from '../errors.js';
import { formatPath, isPrefixOf, pathLevel } from './path.js';
import { resourceModelAt } from './values.js';
import type {
  CodecContext,
  LwM2mNode,
  LwM2mPath,
  ObjectInstanceNode,
  ResourceInstanceNode,
  ResourceNode,
  TimestampedValue,
  ValueType,
} from './types.js';

/**
 * Converts between the flat form (one value per resource / resource-instance path, as SenML,
 * OMA JSON and LwM2M CBOR carry it) and the node tree at a request path (LwM2M 1.1 §7.4:
 * object → instances → resources → resource instances). Timestamps are not part of a node;
 * when a flat list holds several values for one path (historical notifications), the node
 * is built from the newest one.
 */

/** Removes duplicates by path, keeping the newest (largest time; the last when equal). */
function latestByPath(values: readonly TimestampedValue[]): TimestampedValue[] {
  const byPath = new Map<string, TimestampedValue>();
  for (const v of values) {
    const key = formatPath(v.path);
    const prev = byPath.get(key);
    if (!prev || (v.time ?? -Infinity) >= (prev.time ?? -Infinity)) byPath.set(key, v);
  }
  return [...byPath.values()];
}

function groupBy<T>(items: readonly T[], key: (t: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return new Map([...m.entries()].sort((a, b) => a[0] - b[0]));
}

/** One resource from the values that lie at or below `resPath` (all share its ids). */
function buildResource(values: readonly TimestampedValue[], resPath: LwM2mPath, ctx: CodecContext): ResourceNode {
  const resourceId = resPath.resourceId!;
  const model = resourceModelAt(resPath, ctx);
  const atResource = values.filter((v) => v.path.resourceInstanceId === undefined);
  const instances = values.filter((v) => v.path.resourceInstanceId !== undefined);
  if (atResource.length > 0 && instances.length > 0) {
    throw badPayload(`${formatPath(resPath)} is given both as a single value and as resource instances`);
  }
  if (atResource.length > 1) throw badPayload(`${formatPath(resPath)} has more than one value`);
  if (atResource.length === 1) {
    // The payload names the resource itself; a model saying "multiple" means the device
    // runs another object version, and the payload is what it holds.
    return { kind: 'resource', id: resourceId, value: atResource[0]!.value };
  }
  if (instances.length === 0 && model !== undefined && !model.multiple) {
    throw badPayload(`no value for single resource ${formatPath(resPath)}`);
  }
  const nodes: ResourceInstanceNode[] = instances
    .map((v) => ({ kind: 'resourceInstance' as const, id: v.path.resourceInstanceId!, value: v.value }))
    .sort((a, b) => a.id - b.id);
  const type: ValueType = model?.type ?? nodes[0]?.value.type ?? 'none';
  return { kind: 'multipleResource', id: resourceId, type, instances: nodes };
}

function buildInstance(values: readonly TimestampedValue[], objectId: number, instanceId: number, ctx: CodecContext): ObjectInstanceNode {
  const resources: ResourceNode[] = [];
  for (const [resourceId, group] of groupBy(values, (v) => v.path.resourceId!)) {
    resources.push(buildResource(group, { objectId, instanceId, resourceId }, ctx));
  }
  return { kind: 'instance', id: instanceId, resources };
}

/**
 * Builds the node at `path` from flat values. Every value must lie at or below `path` and
 * name at least a resource (4.00 otherwise). The model decides whether a resource with no
 * values is an empty multiple resource (allowed) or a missing single one (4.00).
 */
export function valuesToNode(values: TimestampedValue[], path: LwM2mPath, ctx: CodecContext): LwM2mNode {
  for (const v of values) {
    if (!isPrefixOf(path, v.path)) throw badPayload(`value for ${formatPath(v.path)} lies outside ${formatPath(path)}`);
    if (v.path.resourceId === undefined) throw badPayload(`value for ${formatPath(v.path)} does not name a resource`);
  }
  const flat = latestByPath(values);
  switch (pathLevel(path)) {
    case 'root':
      throw badPayload('a single node cannot be built for the root path');
    case 'object': {
      const objectId = path.objectId!;
      const instances = [...groupBy(flat, (v) => v.path.instanceId!)].map(([iid, group]) => buildInstance(group, objectId, iid, ctx));
      return { kind: 'object', id: objectId, instances };
    }
    case 'instance':
      return buildInstance(flat, path.objectId!, path.instanceId!, ctx);
    case 'resource':
      return buildResource(flat, path, ctx);
    case 'resourceInstance': {
      if (flat.length !== 1) throw badPayload(`expected one value for ${formatPath(path)}, got ${flat.length}`);
      return { kind: 'resourceInstance', id: path.resourceInstanceId!, value: flat[0]!.value };
    }
  }
}

/** The path of `node` given the request path it answers (which may be the node's own path or its parent's). */
export function nodePath(node: LwM2mNode, path: LwM2mPath): LwM2mPath {
  const need = { object: 0, instance: 1, resource: 2, multipleResource: 2, resourceInstance: 3 }[node.kind];
  const ids = [path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId].slice(0, need);
  if (ids.some((id) => id === undefined)) {
    throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `${withArticle(node.kind)} node cannot sit at ${formatPath(path)}`);
  }
  const full = [...(ids as number[]), node.id];
  const [objectId, instanceId, resourceId, resourceInstanceId] = full;
  const out: LwM2mPath = { objectId };
  if (instanceId !== undefined) out.instanceId = instanceId;
  if (resourceId !== undefined) out.resourceId = resourceId;
  if (resourceInstanceId !== undefined) out.resourceInstanceId = resourceInstanceId;
  return out;
}

/** Flattens a node into one value per resource / resource instance, in tree order. */
export function nodeToValues(node: LwM2mNode, path: LwM2mPath): TimestampedValue[] {
  const at = nodePath(node, path);
  const out: TimestampedValue[] = [];
  const walk = (n: LwM2mNode, p: LwM2mPath): void => {
    switch (n.kind) {
      case 'object':
        for (const i of n.instances) walk(i, { objectId: p.objectId, instanceId: i.id });
        return;
      case 'instance':
        for (const r of n.resources) walk(r, { objectId: p.objectId, instanceId: p.instanceId, resourceId: r.id });
        return;
      case 'multipleResource':
        for (const ri of n.instances) out.push({ path: Object.assign({}, p, { resourceInstanceId: ri.id }), value: ri.value });
        return;
      case 'resource':
      case 'resourceInstance':
        out.push({ path: p, value: n.value });
        return;
    }
  };
  walk(node, at);
  return out;
}

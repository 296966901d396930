import type { CompiledRule } from './rule-compile.js';
import { matchesPath, type PathPattern } from './selector.js';

const ANY = -1;

/** Rules of one (object, resource): those naming one device by name, and the rest (patterns, tags). */
interface Bucket {
  byName: Map<string, CompiledRule[]>;
  others: CompiledRule[];
}

/**
 * Enabled rules by what triggers them: value rules by (object id, resource id) and, when they
 * name one device, by its name; so a reported value is tested against the rules for its
 * resource and device only (plus the pattern and tag rules of that resource), never against
 * every rule. Registration-event rules by event.
 */
export class RuleIndex {
  readonly #byResource = new Map<number, Map<number, Bucket>>();
  readonly #byEvent = new Map<string, CompiledRule[]>();
  readonly #all = new Map<string, CompiledRule>();
  /** valueRules(), kept until the next add or remove: every registration asks for it. */
  #valueRules: readonly CompiledRule[] | undefined;

  get size(): number {
    return this.#all.size;
  }

  add(rule: CompiledRule): void {
    this.remove(rule.name);
    this.#all.set(rule.name, rule);
    this.#valueRules = undefined;
    const t = rule.trigger;
    if (t.kind !== 'value') {
      this.#byEvent.set(t.kind, [...(this.#byEvent.get(t.kind) ?? []), rule]);
      return;
    }
    let byRid = this.#byResource.get(t.path.objectId);
    if (!byRid) this.#byResource.set(t.path.objectId, (byRid = new Map()));
    const rid = t.path.resourceId ?? ANY;
    let bucket = byRid.get(rid);
    if (!bucket) byRid.set(rid, (bucket = { byName: new Map(), others: [] }));
    if (t.devices.kind === 'name') bucket.byName.set(t.devices.name, [...(bucket.byName.get(t.devices.name) ?? []), rule]);
    else bucket.others = [...bucket.others, rule];
  }

  remove(name: string): void {
    const rule = this.#all.get(name);
    if (!rule) return;
    this.#all.delete(name);
    this.#valueRules = undefined;
    const t = rule.trigger;
    const without = (list: CompiledRule[]) => list.filter((r) => r.name !== name);
    if (t.kind !== 'value') {
      this.#byEvent.set(t.kind, without(this.#byEvent.get(t.kind) ?? []));
      return;
    }
    const byRid = this.#byResource.get(t.path.objectId);
    const rid = t.path.resourceId ?? ANY;
    const bucket = byRid?.get(rid);
    if (!byRid || !bucket) return;
    if (t.devices.kind === 'name') {
      const left = without(bucket.byName.get(t.devices.name) ?? []);
      if (left.length > 0) bucket.byName.set(t.devices.name, left);
      else bucket.byName.delete(t.devices.name);
    } else bucket.others = without(bucket.others);
    if (bucket.byName.size === 0 && bucket.others.length === 0) byRid.delete(rid);
    if (byRid.size === 0) this.#byResource.delete(t.path.objectId);
  }

  /** Value rules whose path pattern matches these path ids and that may match this device
   * (name rules for exactly it; pattern and tag rules are the caller's to check). */
  forPath(ids: readonly number[], endpoint: string): CompiledRule[] {
    const byRid = this.#byResource.get(ids[0]!);
    if (!byRid) return [];
    const out: CompiledRule[] = [];
    const take = (b: Bucket | undefined): void => {
      if (!b) return;
      for (const r of b.byName.get(endpoint) ?? []) if (matchesPath(pathOf(r), ids)) out.push(r);
      for (const r of b.others) if (matchesPath(pathOf(r), ids)) out.push(r);
    };
    if (ids[2] !== undefined) take(byRid.get(ids[2]));
    take(byRid.get(ANY));
    return out;
  }

  forEvent(kind: 'registered' | 'deregistered' | 'expired'): readonly CompiledRule[] {
    return this.#byEvent.get(kind) ?? [];
  }

  /** Every value rule (for setting up observations). */
  valueRules(): readonly CompiledRule[] {
    return (this.#valueRules ??= [...this.#all.values()].filter((r) => r.trigger.kind === 'value'));
  }
}

function pathOf(r: CompiledRule): PathPattern {
  return (r.trigger as { path: PathPattern }).path;
}

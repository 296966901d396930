import { formatAttributeQuery } from '../content/link-attributes.js';
import type { Logger } from '../log.js';
import type { Registration } from '../store/types.js';
import type { CompiledRule } from './rule-compile.js';
import { matchesDevice } from './selector.js';
import type { ActionDispatcher, ObservationLookup, TagLookup } from './types.js';

export interface AutoObserverOptions {
  dispatcher: ActionDispatcher;
  observations: ObservationLookup;
  tags: TagLookup;
  logger: Logger;
}

/**
 * Observes on a device what the rules need, so nobody subscribes by hand: for each value rule
 * whose devices include it, the trigger path (a `*` instance expanded with the instances the
 * device announced), with the rule's notification attributes written first. Paths already
 * observed (also those the server re-observes after a new registration) are left alone.
 */
export class AutoObserver {
  readonly #o: AutoObserverOptions;

  constructor(o: AutoObserverOptions) {
    this.#o = o;
  }

  /** Returns the paths it asked to observe. */
  async observe(reg: Registration, rules: readonly CompiledRule[]): Promise<string[]> {
    // Asked first, before the server's own re-observation (after a new registration) replaces them.
    const held = (await this.#o.observations.list(reg.endpoint)).flatMap((o) => o.paths);
    let tags: Record<string, string> | undefined;
    const wanted = new Map<string, CompiledRule>();
    for (const r of rules) {
      if (r.trigger.kind !== 'value') continue;
      if (r.trigger.devices.kind === 'tag') tags ??= await this.#o.tags.tagsOf(reg.endpoint);
      if (!matchesDevice(r.trigger.devices, reg.endpoint, tags ?? {})) continue;
      for (const p of concretePaths(r, reg)) if (!wanted.has(p)) wanted.set(p, r);
    }
    if (wanted.size === 0) return [];
    // Like the server's own re-observation: after the Register's 2.01 has gone out.
    await new Promise((resolve) => setImmediate(resolve));
    const asked: string[] = [];
    for (const [path, rule] of wanted) {
      if (held.some((h) => path === h || path.startsWith(`${h}/`))) continue;
      asked.push(path);
      if (rule.observe && formatAttributeQuery(rule.observe).length > 0) {
        const s = await this.#o.dispatcher.submit(reg.endpoint, { op: 'write-attributes', path, attributes: rule.observe });
        if (!s.queued && !s.result.ok) this.#o.logger.warn({ endpoint: reg.endpoint, path, rule: rule.name, error: s.result.error }, 'rules: write-attributes failed');
      }
      const s = await this.#o.dispatcher.submit(reg.endpoint, { op: 'observe', path });
      if (!s.queued && !s.result.ok) this.#o.logger.warn({ endpoint: reg.endpoint, path, rule: rule.name, error: s.result.error }, 'rules: observe failed');
    }
    return asked;
  }
}

/** The trigger path on this device: instances from its object links; nothing if it lacks the object. */
function concretePaths(r: CompiledRule, reg: Registration): string[] {
  if (r.trigger.kind !== 'value') return [];
  const p = r.trigger.path;
  const links = reg.objectLinks.filter((l) => l.objectId === p.objectId);
  if (links.length === 0) return [];
  const tail = [p.resourceId, p.resourceInstanceId];
  const suffix = (): string | undefined => {
    // Stop at the first wildcard level: observing the parent covers it.
    const parts: number[] = [];
    for (const t of tail) {
      if (t === undefined) break;
      parts.push(t);
    }
    return parts.length ? `/${parts.join('/')}` : '';
  };
  if (p.instanceId !== undefined) return [`/${p.objectId}/${p.instanceId}${suffix() ?? ''}`];
  const instances = links.filter((l) => l.instanceId !== undefined).map((l) => l.instanceId!);
  if (instances.length === 0) return [`/${p.objectId}`];
  return instances.map((iid) => `/${p.objectId}/${iid}${suffix() ?? ''}`);
}

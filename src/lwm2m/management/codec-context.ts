import type { CodecContext } from '../../content/types.js';
import type { ModelLookup } from '../../model/types.js';
import type { ObjectLink, Registration } from '../../store/types.js';
import { objectVersions } from '../registration/object-links.js';

/**
 * Object versions per announced link list. A Register or Update that changes the links brings
 * a new array (registration-service.ts), so a cached entry is never stale and goes with its
 * registration (WeakMap).
 */
const VERSIONS = new WeakMap<readonly ObjectLink[], ReadonlyMap<number, string>>();

function versionsOf(links: readonly ObjectLink[]): ReadonlyMap<number, string> {
  let v = VERSIONS.get(links);
  if (v === undefined) {
    v = objectVersions(links);
    VERSIONS.set(links, v);
  }
  return v;
}

/** The codec context for a device: the models, at the object versions it announced. */
export function codecContext(reg: Registration, models: ModelLookup, nowMs: number): CodecContext {
  return { models, objectVersions: versionsOf(reg.objectLinks), nowSeconds: Math.floor(nowMs / 1000) };
}

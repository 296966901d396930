import type { CodecContext } from '../../content/types.js';
import type { ModelLookup } from '../../model/types.js';
import type { Registration } from '../../store/types.js';
import { objectVersions } from '../registration/object-links.js';

/** The codec context for a device: the models, at the object versions it announced. */
export function codecContext(reg: Registration, models: ModelLookup, nowMs: number): CodecContext {
  return { models, objectVersions: objectVersions(reg.objectLinks), nowSeconds: Math.floor(nowMs / 1000) };
}

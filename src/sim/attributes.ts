import {
  NOTIFICATION_ATTRIBUTES,
  checkAttributes,
  type AttributeUpdate,
  type NotificationAttributes,
} from '../content/link-attributes.js';
import { formatPath, segments } from '../content/path.js';
import type { LwM2mPath } from '../content/types.js';
import { Lwm2mError } from '../errors.js';

/**
 * Notification attributes a client keeps per path (LwM2M 1.1 Core §5.1.2, Write-Attributes
 * §6.3.4). Attributes set on an object apply to its instances and resources unless a deeper
 * level sets the same attribute (§5.1.2: "attributes are inherited").
 */
export class AttributeStore {
  readonly #byPath = new Map<string, NotificationAttributes>();
  /** Bumped on every change, so callers can cache what `effective` returned. */
  version = 0;

  /** Applies a Write-Attributes change at `path`; an inconsistent result is a 4.00 and changes nothing. */
  apply(path: LwM2mPath, update: AttributeUpdate): NotificationAttributes {
    const key = formatPath(path);
    const next: NotificationAttributes = { ...this.#byPath.get(key) };
    for (const name of NOTIFICATION_ATTRIBUTES) {
      if (!Object.hasOwn(update, name)) continue;
      const v = update[name];
      if (v === null || v === undefined) delete next[name];
      else (next as Record<string, number>)[name] = v;
    }
    const problems = checkAttributes(this.effective(path, next));
    if (problems.length > 0) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `invalid attributes: ${problems.join('; ')}`);
    if (Object.keys(next).length === 0) this.#byPath.delete(key);
    else this.#byPath.set(key, next);
    this.version++;
    return next;
  }

  /** Attributes written at exactly this path. */
  at(path: LwM2mPath): NotificationAttributes {
    return { ...this.#byPath.get(formatPath(path)) };
  }

  /** The attributes in force at `path`: object, then instance, then resource level (deepest wins). */
  effective(path: LwM2mPath, own?: NotificationAttributes): NotificationAttributes {
    const ids = segments(path);
    const out: NotificationAttributes = {};
    for (let n = 1; n <= ids.length; n++) {
      const key = `/${ids.slice(0, n).join('/')}`;
      const attrs = n === ids.length && own !== undefined ? own : this.#byPath.get(key);
      if (attrs !== undefined) Object.assign(out, attrs);
    }
    return out;
  }

  /** Forgets attributes at and below a path (a deleted instance). */
  removeBelow(path: LwM2mPath): void {
    const prefix = formatPath(path);
    for (const key of [...this.#byPath.keys()]) if (key === prefix || key.startsWith(`${prefix}/`)) this.#byPath.delete(key);
    this.version++;
  }
}

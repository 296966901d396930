/**
 * Where the committed `objects/` folder is: at the package root, found by walking up from
 * this module (dist/src/model/ in a build, the same when installed under node_modules).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lwm2mError } from '../errors.js';

/** A build puts this file three folders below the root; a little slack for other layouts. */
const MAX_LEVELS_UP = 6;

export function builtinObjectsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i <= MAX_LEVELS_UP; i++) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const objects = path.join(dir, 'objects');
      if (existsSync(objects)) return objects;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Lwm2mError('LWM2M_ERR_MODEL', 'cannot find the built-in objects/ folder beside package.json');
}

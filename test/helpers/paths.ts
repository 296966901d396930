import path from 'node:path';

/** AVA runs with the project folder as working directory. */
export const repoRoot = process.cwd();
export const fixturesDir = path.join(repoRoot, 'fixtures');
/** `../shared` beside the clone: the OMA registry and the wire captures. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');

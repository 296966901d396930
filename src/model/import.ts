/**
 * Converter: DDF XML (or our JSON) files to `<outDir>/<id>-<version>.json`, one per object
 * version. Used by `lwm2m objects import` and to generate the committed `objects/`.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Lwm2mError } from '../errors.js';
import { collectModels, sourceFiles } from './model-files.js';
import { modelFileName, serializeModel } from './model-json.js';

export interface ImportResult {
  /** Paths of the JSON files written, in (id, version) order. */
  written: string[];
  /** Files (or repeated definitions) not converted, and why. */
  skipped: { file: string; reason: string }[];
}

/**
 * Convert every object definition under `source` (a file, or a folder walked recursively).
 * Nothing is written unless every file parses: a bad file aborts with LWM2M_ERR_MODEL.
 */
export async function importObjects(source: string, outDir: string, onFile?: (done: number, total: number) => void): Promise<ImportResult> {
  const { models, skipped } = await collectModels(await sourceFiles(source), onFile);
  const ordered = [...models].sort((a, b) => a.id - b.id || a.version.localeCompare(b.version, 'en', { numeric: true }));
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw new Lwm2mError('LWM2M_ERR_MODEL', `${outDir}: cannot create folder (${(e as Error).message})`, { cause: e });
  }
  const written: string[] = [];
  for (const model of ordered) {
    const target = path.join(outDir, modelFileName(model));
    await writeAtomically(target, serializeModel(model));
    written.push(target);
  }
  return { written, skipped };
}

/** Write beside the target then rename, so a reader never sees half a file. */
async function writeAtomically(target: string, text: string): Promise<void> {
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, 'utf8');
    await rename(temp, target);
  } catch (e) {
    throw new Lwm2mError('LWM2M_ERR_MODEL', `${target}: cannot write (${(e as Error).message})`, { cause: e });
  }
}

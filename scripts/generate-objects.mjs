#!/usr/bin/env node
// Regenerates the committed objects/ from the OMA registry copy in ../shared/oma-objects
// (or the folder given as first argument), removing JSON files the converter no longer writes.
// Run after a build:  npm run build && node scripts/generate-objects.mjs [source-dir]
// LWM2M_DIST=dist-x picks another build folder.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.LWM2M_DIST ?? 'dist';
const { importObjects } = await import(pathToFileURL(path.join(root, dist, 'src/model/import.js')).href);
const source = process.argv[2] ?? path.resolve(root, '..', 'shared', 'oma-objects');
const outDir = path.join(root, 'objects');

const { written, skipped } = await importObjects(source, outDir);
const keep = new Set(written.map((f) => path.basename(f)));
let removed = 0;
for (const name of await readdir(outDir)) {
  if (name.endsWith('.json') && !keep.has(name)) {
    await rm(path.join(outDir, name));
    removed++;
  }
}
console.log(`objects/: ${written.length} written, ${removed} stale removed, ${skipped.length} source files skipped`);

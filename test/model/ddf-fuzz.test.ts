import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isLwm2mError } from '../../src/errors.js';
import { parseDdfXml } from '../../src/model/ddf-xml.js';
import { sharedDir } from '../helpers/paths.js';

/** Small seeded generator so a failing case can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['<', '>', '</Item>', '<Item ID="x">', '&', '&#0;', '&#x110000;', ']]>', '<Resources>', '<__proto__>', '<constructor>1</constructor>', '"', '\u0000', ''];

test('mutated DDF files only ever give a model or an LWM2M_ERR_MODEL, never another exception', async (t) => {
  const original = await readFile(path.join(sharedDir, 'oma-objects', 'version_history', '3-1_0.xml'), 'utf8');
  const random = lcg(0x5eed);
  let models = 0;
  let errors = 0;
  for (let i = 0; i < 400; i++) {
    let text = original;
    const edits = 1 + Math.floor(random() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(random() * text.length);
      const cut = Math.floor(random() * 40);
      text = text.slice(0, at) + PIECES[Math.floor(random() * PIECES.length)]! + text.slice(at + cut);
    }
    try {
      const content = parseDdfXml(text, `case-${i}.xml`);
      if (content.kind === 'objects') models++;
    } catch (e) {
      if (!isLwm2mError(e) || e.code !== 'LWM2M_ERR_MODEL' || !e.message.startsWith(`case-${i}.xml`)) {
        return t.fail(`case ${i}: ${String(e)}`);
      }
      errors++;
    }
  }
  t.is(models + errors, 400);
  t.true(errors > 0);
});

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../src/errors.js';
import { repoRoot } from './helpers/paths.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

test('README starts with the two set-up commands', (t) => {
  const firstLines = readme.split('\n').slice(0, 6).join('\n');
  t.regex(firstLines, /npm install && npm start/);
  t.regex(firstLines, /npm test/);
});

test('README error table lists every error code with its CoAP code and HTTP status', (t) => {
  const m = /<!-- error-table:start -->\n([\s\S]*?)<!-- error-table:end -->/.exec(readme);
  t.truthy(m, 'error table markers present');
  const rows = new Map<string, string[]>();
  for (const line of m![1]!.split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''));
    if (cells.length > 4 && cells[1]!.startsWith('LWM2M_ERR_')) rows.set(cells[1]!, cells.slice(2, 5));
  }
  t.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort());
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    t.deepEqual(rows.get(code), [spec.coap, String(spec.http), spec.message], code);
  }
});

import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import {
  checkAttributes,
  formatAttributeQuery,
  formatAttributeQueryString,
  formatDiscover,
  parseAttributeQuery,
  parseDiscover,
} from '../../src/content/link-attributes.js';
import { formatPath } from '../../src/content/path.js';
import { loadCapture, payloadOf, type CapturedDatagram } from '../helpers/captures.js';

/** Discover answers (2.05, Content-Format 40) that are complete (not a Block2 fragment). */
function discoverAnswers(name: string): { request: CapturedDatagram; answer: CapturedDatagram }[] {
  const lines = loadCapture(name);
  const out: { request: CapturedDatagram; answer: CapturedDatagram }[] = [];
  for (const d of lines) {
    const cf = d.coap.options.find((o) => o.name === 'Content-Format');
    if (d.dir !== 'client->server' || d.coap.code !== '2.05' || cf?.value !== 40) continue;
    if (d.coap.options.some((o) => o.name === 'Block2')) continue;
    const request = lines.find((r) => r.dir === 'server->client' && r.coap.token === d.coap.token && r.coap.code === '0.01');
    if (request) out.push({ request, answer: d });
  }
  return out;
}

function uriPath(d: CapturedDatagram): string {
  return `/${d.coap.options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value)).join('/')}`;
}

test('every Wakaama and Leshan Discover answer parses; the first entry is the requested path', (t) => {
  let n = 0;
  for (const f of ['wakaama-discover-attributes', 'leshan-discover-attributes']) {
    for (const { request, answer } of discoverAnswers(f)) {
      const entries = parseDiscover(payloadOf(answer));
      t.true(entries.length >= 1);
      t.is(formatPath(entries[0]!.path), uriPath(request), answer.coap.payloadText);
      n++;
    }
  }
  t.true(n >= 20, `${n} answers`);
});

test('Wakaama reports the attributes written on /3/0 under /3/0/9, and on the object', (t) => {
  const texts = discoverAnswers('wakaama-discover-attributes').map((a) => a.answer.coap.payloadText ?? '');
  const withInstanceAttrs = texts.find((x) => x.startsWith('</3/0>,') && x.includes('pmin'))!;
  const entry = parseDiscover(withInstanceAttrs).find((e) => formatPath(e.path) === '/3/0/9')!;
  t.deepEqual(entry.attributes, { pmin: 5, pmax: 60 });
  const obj = parseDiscover(texts.find((x) => x.startsWith('</31024>;'))!)[0]!;
  t.deepEqual(obj, { path: { objectId: 31024 }, attributes: { pmax: 120 }, other: {} });
  const inverted = parseDiscover(texts.find((x) => x.includes('pmin=20'))!)[0]!;
  t.deepEqual(inverted.attributes, { pmin: 20, pmax: 10 });
  t.true(checkAttributes(inverted.attributes).some((p) => p.includes('pmax (10) is less than pmin (20)')));
});

test('the bootstrap Discover answers carry lwm2m, ssid and uri', (t) => {
  const wk = loadCapture('wakaama-bootstrap').find((d) => d.coap.payloadText?.startsWith('</>;lwm2m='))!;
  const entries = parseDiscover(payloadOf(wk));
  t.deepEqual(entries[0], { path: {}, attributes: {}, lwm2m: '1.1', other: {} });
  const server = entries.find((e) => formatPath(e.path) === '/0/1')!;
  t.is(server.ssid, 1);
  t.is(server.uri, 'coap://127.0.0.1:5683');
  t.is(entries.find((e) => formatPath(e.path) === '/1')!.ver, '1.1');
  const ls = parseDiscover(payloadOf(loadCapture('leshan-bootstrap').find((d) => d.coap.payloadText?.startsWith('</>;lwm2m='))!));
  t.is(ls[0]!.lwm2m, '1.0');
  t.is(ls.find((e) => formatPath(e.path) === '/1/1')!.ssid, 1);
});

test('typed attributes of every kind, dim, and unknown parameters', (t) => {
  const [e] = parseDiscover('</3/0/6>;dim=2;pmin=1;pmax=30;gt=20.5;lt=-3;st=0.25;epmin=2;epmax=9;edge=1;con=0;hqmax=600;foo="bar"');
  t.deepEqual(e, {
    path: { objectId: 3, instanceId: 0, resourceId: 6 },
    attributes: { pmin: 1, pmax: 30, gt: 20.5, lt: -3, st: 0.25, epmin: 2, epmax: 9, edge: 1, con: 0, hqmax: 600 },
    dim: 2,
    other: { foo: 'bar' },
  });
  t.deepEqual(parseDiscover(formatDiscover([e!])), [e!]);
});

test('bad attribute values in a Discover answer are a 4.00 naming the link', (t) => {
  for (const text of ['</3/0/9>;pmin=-1', '</3/0/9>;pmin', '</3/0/9>;gt=abc', '</3/0/9>;edge=2', '</3/0/6>;dim=70000', '</1>;ver=x', '<3/0>', '</3/a>']) {
    const e = t.throws(() => parseDiscover(text), undefined, text);
    t.true(e instanceof Lwm2mError && e.coapCode === '4.00', text);
    t.regex(e!.message, /Discover <|link-format/, text);
  }
});

test('Write-Attributes queries are written in a fixed order; null removes', (t) => {
  t.deepEqual(formatAttributeQuery({ gt: 20.5, pmax: 60, pmin: 10 }), ['pmin=10', 'pmax=60', 'gt=20.5']);
  t.is(formatAttributeQueryString({ pmin: null, st: 1e-7 }), 'pmin&st=0.0000001');
  t.is(formatAttributeQueryString({ lt: 1e21, gt: 2e21 }), 'gt=2000000000000000000000&lt=1000000000000000000000');
});

test('the captured Write-Attributes queries parse back to what was sent', (t) => {
  for (const d of loadCapture('wakaama-discover-attributes')) {
    if (d.coap.code !== '0.03') continue;
    const queries = d.coap.options.filter((o) => o.name === 'Uri-Query').map((o) => String(o.value));
    const update = parseAttributeQuery(queries);
    t.deepEqual([...formatAttributeQueryFromParsed(update)].sort(), [...queries].sort());
  }
});

function formatAttributeQueryFromParsed(u: ReturnType<typeof parseAttributeQuery>): string[] {
  // the captured set includes invalid combinations (pmin>pmax), so bypass the check:
  return Object.entries(u).map(([k, v]) => (v === null ? k : `${k}=${String(v)}`));
}

test('inconsistent or malformed attribute sets are refused before sending', (t) => {
  const bad = [{ pmin: 20, pmax: 10 }, { lt: 50, gt: 40 }, { lt: 10, gt: 20, st: 5 }, { st: -1 }, { pmin: 1.5 }, { edge: 3 as 0 }, { epmin: 9, epmax: 2 }, {}];
  for (const a of bad) {
    const e = t.throws(() => formatAttributeQuery(a), undefined, JSON.stringify(a));
    t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_REQUEST', JSON.stringify(a));
  }
  t.deepEqual(formatAttributeQuery({ lt: 10, gt: 20, st: 4.5 }), ['gt=20', 'lt=10', 'st=4.5']);
});

test('parsing a query refuses unknown names, duplicates and bad values', (t) => {
  t.deepEqual(parseAttributeQuery('pmin=5&pmax&gt=-1.5e2'), { pmin: 5, pmax: null, gt: -150 });
  for (const q of ['foo=1', 'pmin=1&pmin=2', 'pmin=x', 'con=7', 'pmax=1e3']) {
    const e = t.throws(() => parseAttributeQuery(q), undefined, q);
    t.true(e instanceof Lwm2mError && e.coapCode === '4.00', q);
  }
});

import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { decodeLinkFormat, formatLinkFormat, parseLinkFormat, type Link } from '../../src/content/link-format.js';
import { parseRegistrationLinks } from '../../src/content/registration-links.js';
import { loadCapture, payloadOf } from '../helpers/captures.js';

function isBadPayload(t: { true: (v: boolean, m?: string) => void }, e: unknown, m?: string): void {
  t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_PAYLOAD' && e.coapCode === '4.00', m);
}

test('a Wakaama registration payload parses into targets and parameters', (t) => {
  const links = parseLinkFormat('</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</31024>;ver=1.0,</31024/10>');
  t.deepEqual(links, [
    { target: '/', params: { rt: 'oma.lwm2m', ct: '110' } },
    { target: '/1', params: { ver: '1.1' } },
    { target: '/1/0', params: {} },
    { target: '/31024', params: { ver: '1.0' } },
    { target: '/31024/10', params: {} },
  ]);
});

test('commas, semicolons and escapes inside quoted values belong to the value', (t) => {
  const [link] = parseLinkFormat('</0/1>;uri="coap://h:5683/a,b;c";title="say \\"hi\\" \\\\ok";obs');
  t.deepEqual(link, { target: '/0/1', params: { uri: 'coap://h:5683/a,b;c', title: 'say "hi" \\ok', obs: true } });
});

test('whitespace and line breaks around separators are tolerated', (t) => {
  const links = parseLinkFormat('  </3/0> ; pmin = 5 ;pmax=60 ,\r\n  </3/0/9>\n');
  t.deepEqual(links, [
    { target: '/3/0', params: { pmin: '5', pmax: '60' } },
    { target: '/3/0/9', params: {} },
  ]);
});

test('an empty payload is an empty list', (t) => {
  t.deepEqual(parseLinkFormat(''), []);
  t.deepEqual(parseLinkFormat(' \n'), []);
});

test('the first occurrence of a repeated parameter wins and __proto__ stays a plain key', (t) => {
  const [link] = parseLinkFormat('</1>;ver=1.1;ver=2.0;__proto__=x');
  t.is(link!.params['ver'], '1.1');
  t.true(Object.hasOwn(link!.params, '__proto__'));
  t.is(Object.getPrototypeOf(link!.params), Object.prototype);
});

test('malformed link-format is a 4.00 bad payload naming the problem', (t) => {
  const cases: [string, RegExp][] = [
    ['/3/0', /expected "<"/],
    ['</3/0', /unterminated "<"/],
    ['</3/0>;uri="abc', /unterminated quoted string/],
    ['</3/0>;=5', /parameter name/],
    ['</3/0>;pmin=', /missing parameter value/],
    ['</3/0>,', /trailing ","/],
    ['</3/0> </3/1>', /expected "," or ";"/],
    ['</3 0>', /invalid character/],
    ['</3/0>;;', /parameter name/],
  ];
  for (const [text, msg] of cases) {
    const e = t.throws(() => parseLinkFormat(text), undefined, text);
    isBadPayload(t, e, text);
    t.regex(e!.message, msg, text);
  }
});

test('link and parameter counts are bounded', (t) => {
  const many = Array.from({ length: 11 }, (_, i) => `</3/${i}>`).join(',');
  isBadPayload(t, t.throws(() => parseLinkFormat(many, { maxEntries: 10 })));
  t.is(parseLinkFormat(many, { maxEntries: 11 }).length, 11);
  const params = `</3>${';a'.repeat(65)}`;
  t.regex(t.throws(() => parseLinkFormat(params))!.message, /more than 64 parameters/);
  isBadPayload(t, t.throws(() => parseLinkFormat('</3>'.padEnd(100, ' '), { maxPayloadBytes: 50 })));
});

test('invalid UTF-8 is a 4.00', (t) => {
  isBadPayload(t, t.throws(() => decodeLinkFormat(Uint8Array.of(0x3c, 0x2f, 0xff, 0x3e))));
});

test('formatting quotes what must be quoted and reads back to the same links', (t) => {
  const links: Link[] = [
    { target: '/', params: { rt: 'oma.lwm2m', ct: '60 110' } },
    { target: '/0/1', params: { ssid: '1', uri: 'coap://127.0.0.1:5683' } },
    { target: '/x', params: { title: 'a "b", c;d\\', obs: true } },
  ];
  const text = formatLinkFormat(links);
  t.is(text, '</>;rt="oma.lwm2m";ct="60 110",</0/1>;ssid=1;uri="coap://127.0.0.1:5683",</x>;title="a \\"b\\", c;d\\\\";obs');
  t.deepEqual(parseLinkFormat(text), links);
});

test('formatting refuses a target that cannot be written', (t) => {
  const e = t.throws(() => formatLinkFormat([{ target: '/a>b', params: {} }]));
  t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_REQUEST');
});

test('every registration payload in the captures parses, with versions and formats', (t) => {
  const files = ['wakaama-register', 'leshan-register', 'nodelib-register-read-write', 'wakaama-senmlcbor', 'wakaama-bootstrap', 'wakaama-create-delete', 'leshan-create-delete'];
  let count = 0;
  for (const f of files) {
    for (const d of loadCapture(f)) {
      const isRd = d.dir === 'client->server' && d.coap.code === '0.02' && d.coap.options.some((o) => o.name === 'Uri-Path' && o.value === 'rd');
      if (!isRd || !d.coap.payloadHex) continue;
      const reg = parseRegistrationLinks(payloadOf(d));
      count++;
      t.is(reg.rootPath, '/');
      t.true(reg.objectLinks.length >= 2, f);
      t.true(reg.objectLinks.every((l) => l.path.objectId !== undefined && l.path.resourceId === undefined));
      if (f.startsWith('wakaama')) {
        t.deepEqual(reg.supportedFormats, [f === 'wakaama-senmlcbor' ? 112 : 110]);
        t.is(reg.objectVersions.get(1), '1.1');
        // after `rm 31024` the Update lists no object 31024
        t.is(reg.objectVersions.get(31024), d.coap.payloadText?.includes('</31024>') ? '1.0' : undefined);
      } else {
        t.deepEqual(reg.supportedFormats, []);
        t.is(reg.objectVersions.size, 0);
      }
    }
  }
  t.true(count >= 14, `parsed ${count} registrations`);
});

test('a registration with an alternate root path and a ct list', (t) => {
  const reg = parseRegistrationLinks('</lwm2m>;rt="oma.lwm2m";ct="60 110 11543",</lwm2m/1>;ver=1.1,</lwm2m/1/0>,</other/thing>');
  t.is(reg.rootPath, '/lwm2m');
  t.deepEqual(reg.supportedFormats, [60, 110, 11543]);
  t.deepEqual(reg.objectLinks, [{ path: { objectId: 1 }, ver: '1.1' }, { path: { objectId: 1, instanceId: 0 } }]);
});

test('repeated ct parameters are joined into one list (a client seen in Leshan issue 1229)', (t) => {
  t.deepEqual(parseLinkFormat('</>;ct=110;ct=112')[0]!.params, { ct: '110 112' });
  t.deepEqual(parseRegistrationLinks('</>;rt="oma.lwm2m";ct=110;ct=112,</1/0>').supportedFormats, [110, 112]);
  const noRt = parseRegistrationLinks('</>;ct=110;ct=112,</1/0>,</2>,</3/0>');
  t.deepEqual(noRt.supportedFormats, [110, 112]);
  t.is(noRt.rootPath, '/');
  t.is(noRt.objectLinks.length, 3);
});

test('a registration with bad links is refused with a 4.00', (t) => {
  for (const text of ['</>;rt="oma.lwm2m";ct=abc', '</3/x>', '</1>;ver=one', '</3/0/1>']) {
    isBadPayload(t, t.throws(() => parseRegistrationLinks(text), undefined, text), text);
  }
});

import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { parseRegisterParams, parseUpdateParams } from '../../src/lwm2m/registration/params.js';
import { parseRegistrationLinks } from '../../src/lwm2m/registration/object-links.js';
import { parseBootstrapQuery } from '../../src/lwm2m/bootstrap/request-check.js';
import { checkEndpoint } from '../../src/security/credential-input.js';
import { loadCapture, payloadOf } from '../helpers/captures.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof Lwm2mError ? e.coapCode : 'not a Lwm2mError';
  }
  return undefined;
}

test('Register parameters in any order, with defaults', (t) => {
  t.deepEqual(parseRegisterParams(['b=U', 'lwm2m=1.0', 'lt=40', 'ep=leshan']), {
    endpoint: 'leshan',
    lifetime: 40,
    lwm2mVersion: '1.0',
    binding: 'U',
    queueMode: false,
  });
  const d = parseRegisterParams(['ep=x']);
  t.is(d.lifetime, 86400);
  t.is(d.lwm2mVersion, '1.0');
  t.is(d.binding, 'U');
});

test('queue mode is read from b=UQ (1.0) and from Q (1.1)', (t) => {
  t.true(parseRegisterParams(['ep=a', 'b=UQ']).queueMode);
  t.true(parseRegisterParams(['ep=a', 'lwm2m=1.1', 'b=U', 'Q']).queueMode);
  t.false(parseRegisterParams(['ep=a', 'lwm2m=1.1', 'b=U']).queueMode);
});

test('bad Register parameters are 4.00, an unsupported version 4.12', (t) => {
  t.is(codeOf(() => parseRegisterParams(['lt=60'])), '4.00');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'lt=0'])), '4.00');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'lt=abc'])), '4.00');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'b=X'])), '4.00');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'b=UU'])), '4.00');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'b=UQSU'])), '4.00', 'a letter repeated further on');
  t.is(parseRegisterParams(['ep=a', 'b=UQS']).binding, 'UQS');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'ep=b'])), '4.00');
  t.is(codeOf(() => parseRegisterParams(['ep=bad\u0007name'])), '4.00', 'a control character');
  t.is(codeOf(() => parseRegisterParams([`ep=${'é'.repeat(129)}`])), '4.00', '258 bytes');
  t.is(codeOf(() => parseRegisterParams(['ep=a', 'lwm2m=2.0'])), '4.12');
});

test('one endpoint-name rule for Register, Bootstrap-Request and provisioning: a name one accepts, all accept', (t) => {
  const names = ['urn:imei:490154203237518', 'capteur é 1', 'a/b%c', 'x'.repeat(256), 'é'.repeat(128), '', 'x'.repeat(257), 'é'.repeat(129), 'tab\there', 'del\u007f'];
  for (const name of names) {
    const verdicts = [
      codeOf(() => parseRegisterParams([`ep=${name}`])) === undefined,
      codeOf(() => parseBootstrapQuery([`ep=${name}`])) === undefined,
      codeOf(() => checkEndpoint(name)) === undefined,
    ];
    t.deepEqual(verdicts, verdicts.map(() => verdicts[0]), JSON.stringify(name.slice(0, 20)));
  }
  t.is(parseRegisterParams(['ep=capteur é 1']).endpoint, 'capteur é 1', 'spaces and non-ASCII letters are names too');
  t.is(codeOf(() => parseRegisterParams([`ep=${'x'.repeat(257)}`])), '4.00');
});

test('Update parameters are all optional; unknown ones are ignored', (t) => {
  t.deepEqual(parseUpdateParams([]), {});
  t.deepEqual(parseUpdateParams(['lt=85671', 'lwm2m=1.0', 'b=U']), { lifetime: 85671, binding: 'U', queueMode: false });
  t.is(codeOf(() => parseUpdateParams(['lt=-1'])), '4.00');
});

test('Wakaama Register payload: root link with ct, versions and instances', (t) => {
  const reg = loadCapture('wakaama-register').find((d) => d.note.startsWith('Register'))!;
  const links = parseRegistrationLinks(payloadOf(reg));
  t.is(links.rootPath, '/');
  t.deepEqual(links.supportedFormats, [110]);
  t.deepEqual(links.objectLinks[0], { path: '/1', objectId: 1, version: '1.1' });
  t.deepEqual(links.objectLinks[1], { path: '/1/0', objectId: 1, instanceId: 0 });
  t.true(links.objectLinks.some((l) => l.path === '/31024' && l.version === '1.0'));
  t.is(links.objectLinks.length, 12);
});

test('Leshan and lwm2m-node-lib Register payloads', (t) => {
  const leshan = loadCapture('leshan-register').find((d) => d.note.startsWith('Register'))!;
  const l = parseRegistrationLinks(payloadOf(leshan));
  t.deepEqual(l.supportedFormats, []);
  t.deepEqual(l.objectLinks.map((o) => o.path), ['/1/0', '/3/0', '/6/0', '/3303/0']);
  const node = parseRegistrationLinks(Buffer.from('</3/0>,</31024/1>'));
  t.is(node.rootPath, '/');
  t.deepEqual(node.objectLinks.map((o) => o.path), ['/3/0', '/31024/1']);
});

test('alternate root path and a ct list', (t) => {
  const l = parseRegistrationLinks(Buffer.from('</lwm2m>;rt="oma.lwm2m";ct="60 110 11543",</lwm2m/1/0>,</lwm2m/3/0>'));
  t.is(l.rootPath, '/lwm2m');
  t.deepEqual(l.supportedFormats, [60, 110, 11543]);
  t.deepEqual(l.objectLinks.map((o) => o.path), ['/1/0', '/3/0']);
  // Links outside the alternate root are other CoRE resources of the device, not objects.
  t.deepEqual(parseRegistrationLinks(Buffer.from('</lwm2m>;rt="oma.lwm2m",</other/3/0>,</lwm2m/3/0>')).objectLinks, [{ path: '/3/0', objectId: 3, instanceId: 0 }]);
  t.is(codeOf(() => parseRegistrationLinks(Buffer.from('</3/0>;ver=x'))), '4.00');
  t.is(codeOf(() => parseRegistrationLinks(Buffer.from('</3/0/1>'))), '4.00');
  t.is(codeOf(() => parseRegistrationLinks(Buffer.from('</3/0'))), '4.00');
});

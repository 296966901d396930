import test from 'ava';
import { chooseFormat } from '../../src/content/format-choice.js';
import { parseRegistrationLinks } from '../../src/content/registration-links.js';
import { Lwm2mError } from '../../src/errors.js';
import { loadCapture } from '../helpers/captures.js';

test('LwM2M 1.0: TLV for several values, text for one', (t) => {
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'instance' }), 11542);
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'object' }), 11542);
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'resource', multipleResource: true }), 11542);
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'resource' }), 0);
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'resourceInstance' }), 0);
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'resource', resourceType: 'opaque' }), 11542);
});

test('LwM2M 1.1: SenML CBOR when announced, else SenML JSON when announced, else TLV', (t) => {
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [110, 112], level: 'instance' }), 112);
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [110], level: 'object' }), 110);
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [], level: 'object' }), 11542);
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [110], level: 'resource' }), 0);
  t.is(chooseFormat({ lwm2mVersion: '1.1', level: 'resource', resourceType: 'opaque' }), 42);
  // 11544 is a 1.2 format: a 1.1 device announcing it is not trusted with it.
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [11544, 110], level: 'instance' }), 110);
});

test('LwM2M 1.2 with 11544 announced: LwM2M CBOR', (t) => {
  t.is(chooseFormat({ lwm2mVersion: '1.2', supportedFormats: [112, 11544], level: 'instance' }), 11544);
  t.is(chooseFormat({ lwm2mVersion: '1.2', supportedFormats: [112, 11544], operation: 'composite', level: 'root' }), 11544);
  t.is(chooseFormat({ lwm2mVersion: '1.2', supportedFormats: [112], level: 'instance' }), 112);
});

test('legacy and OMA JSON only devices get what they announced', (t) => {
  t.is(chooseFormat({ lwm2mVersion: '1.0', supportedFormats: [1542], level: 'instance' }), 1542);
  t.is(chooseFormat({ lwm2mVersion: '1.0', supportedFormats: [1542, 11542], level: 'instance' }), 11542);
  t.is(chooseFormat({ lwm2mVersion: '1.0', supportedFormats: [11543], level: 'instance' }), 11543);
});

test('composite needs SenML or LwM2M CBOR and LwM2M 1.1', (t) => {
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [112], operation: 'composite', level: 'root' }), 112);
  t.is(chooseFormat({ lwm2mVersion: '1.1', operation: 'composite', level: 'root' }), 110);
  const e = t.throws<Lwm2mError>(() => chooseFormat({ lwm2mVersion: '1.0', operation: 'composite', level: 'root' }));
  t.is(e!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => chooseFormat({ lwm2mVersion: '1.1', operation: 'composite', level: 'root', override: 11542 }))!.coapCode, '4.06');
});

test('an explicit override wins, if it is a format we implement', (t) => {
  t.is(chooseFormat({ lwm2mVersion: '1.1', supportedFormats: [112], level: 'instance', override: 11542 }), 11542);
  t.is(chooseFormat({ lwm2mVersion: '1.0', level: 'resource', override: 42 }), 42);
  t.is(t.throws<Lwm2mError>(() => chooseFormat({ lwm2mVersion: '1.1', level: 'instance', override: 9999 }))!.coapCode, '4.15');
});

test('a non-composite operation on the root path is refused', (t) => {
  t.is(t.throws<Lwm2mError>(() => chooseFormat({ lwm2mVersion: '1.1', level: 'root' }))!.coapCode, '4.06');
});

test('the captured registrations lead to formats each client answered with 2.05', (t) => {
  const cases: [string, string, number][] = [
    ['wakaama-register', '1.1', 110],
    ['wakaama-senmlcbor', '1.1', 112],
    ['leshan-register', '1.0', 11542],
  ];
  for (const [file, version, expected] of cases) {
    const reg = loadCapture(file).find((d) => d.coap.code === '0.02' && d.coap.payloadHex)!;
    const { supportedFormats } = parseRegistrationLinks(Buffer.from(reg.coap.payloadHex!, 'hex'));
    t.is(chooseFormat({ lwm2mVersion: version, supportedFormats, level: 'instance' }), expected, file);
  }
});

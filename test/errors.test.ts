import test from 'ava';
import { ERROR_CODES, Lwm2mError, badPayload } from '../src/errors.js';

test('every error code maps to a CoAP code and an HTTP status', (t) => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    t.regex(spec.coap, /^[45]\.\d\d$/, code);
    t.true(spec.http >= 400 && spec.http < 600, code);
  }
});

test('a payload error carries the CoAP code it should be answered with', (t) => {
  const e = badPayload('bad TLV length', '4.06');
  t.true(e instanceof Lwm2mError);
  t.is(e.code, 'LWM2M_ERR_NOT_ACCEPTABLE');
  t.is(e.coapCode, '4.06');
  t.deepEqual(e.toJSON(), { code: 'LWM2M_ERR_NOT_ACCEPTABLE', message: 'bad TLV length', coapCode: '4.06' });
});

import test from 'ava';
import { isLwm2mError } from '../../src/errors.js';
import { listenError } from '../../src/transport/udp-bind.js';
import { UdpTransport } from '../../src/transport/udp.js';

const sysError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`bind ${code}`), { code });

test('an address the server cannot take is named, with why; other errors pass through', (t) => {
  const cases: [string, string, string][] = [
    ['EADDRINUSE', '127.0.0.1', 'CoAP: 127.0.0.1:5683 is in use (another server running?)'],
    ['EACCES', '127.0.0.1', 'CoAP: 127.0.0.1:5683 needs privileges (a port below 1024)'],
    ['EADDRNOTAVAIL', '::1', 'CoAP: [::1]:5683 is not an address of this machine'],
  ];
  for (const [code, host, message] of cases) {
    const e = listenError(sysError(code), 'CoAP', host, 5683);
    t.true(isLwm2mError(e) && e.code === 'LWM2M_ERR_BAD_CONFIG', code);
    t.is((e as Error).message, message);
  }
  const other = sysError('EINVAL');
  t.is(listenError(other, 'CoAP', '127.0.0.1', 5683), other);
});

test('UdpTransport.bind on a taken port rejects with the listener named', async (t) => {
  const first = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  t.teardown(() => first.close());
  const port = first.address().port;
  await t.throwsAsync(UdpTransport.bind({ host: '127.0.0.1', port, listener: 'bootstrap (CoAP)' }), { message: `bootstrap (CoAP): 127.0.0.1:${port} is in use (another server running?)` });
});

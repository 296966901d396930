import test from 'ava';
import { randomBytes } from 'node:crypto';
import { u16, vec8, vec16 } from '../../src/dtls/byte-reader.js';
import { AlertDescription, ExtensionType } from '../../src/dtls/constants.js';
import { SUPPORTED_SUITES } from '../../src/dtls/cipher-suites.js';
import { parseClientHello } from '../../src/dtls/hello-messages.js';
import { negotiate, NegotiationError, serverHelloExtensions, type NegotiationPolicy } from '../../src/dtls/negotiation.js';

interface HelloSpec {
  version?: number;
  suites: number[];
  compression?: number[];
  ext?: Array<[number, Buffer]>;
}

function hello(h: HelloSpec) {
  const exts = (h.ext ?? []).map(([t, d]) => Buffer.concat([u16(t), vec16(d)]));
  const body = Buffer.concat([
    u16(h.version ?? 0xfefd),
    randomBytes(32),
    vec8(Buffer.alloc(0)),
    vec8(Buffer.from('cookie')),
    vec16(Buffer.concat(h.suites.map(u16))),
    vec8(Buffer.from(h.compression ?? [0])),
    ...(exts.length ? [vec16(Buffer.concat(exts))] : []),
  ]);
  return parseClientHello(body);
}

const psk: NegotiationPolicy = { suites: SUPPORTED_SUITES, cidEnabled: true };
const certs: NegotiationPolicy = { ...psk, certificates: { serverX509: true, clientX509: true, clientRpk: true } };

function alertOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof NegotiationError ? e.alert : -1;
  }
  return undefined;
}

test('the cookie is left out of the bytes the cookie MAC covers', (t) => {
  const ch = hello({ suites: [0xc0a8] });
  t.is(ch.cookie.toString(), 'cookie');
  t.false(ch.withoutCookie.includes(Buffer.from('cookie')));
});

test('a client that offers only DTLS 1.0 is refused with protocol_version', (t) => {
  t.is(alertOf(() => negotiate(hello({ version: 0xfeff, suites: [0xc0a8] }), psk)), AlertDescription.protocolVersion);
});

test('no common suite is handshake_failure; no null compression is illegal_parameter', (t) => {
  t.is(alertOf(() => negotiate(hello({ suites: [0xc02b] }), psk)), AlertDescription.handshakeFailure);
  t.is(alertOf(() => negotiate(hello({ suites: [0xc0a8], compression: [1] }), psk)), AlertDescription.illegalParameter);
});

test('ECDHE_PSK is not chosen when the client lists curves without P-256', (t) => {
  const groups = vec16(u16(29)); // x25519 only
  const n = negotiate(hello({ suites: [0xc037, 0x00ae], ext: [[ExtensionType.supportedGroups, groups]] }), psk);
  t.is(n.suite.id, 0x00ae);
});

test('RFC 5746: a non-empty renegotiation_info on a first handshake is refused; SCSV turns secure renegotiation on', (t) => {
  t.is(alertOf(() => negotiate(hello({ suites: [0xc0a8], ext: [[ExtensionType.renegotiationInfo, Buffer.from([1, 7])]] }), psk)), AlertDescription.handshakeFailure);
  const n = negotiate(hello({ suites: [0xc0a8, 0x00ff] }), psk);
  t.true(n.secureRenegotiation);
  t.deepEqual(serverHelloExtensions(n, undefined), [[ExtensionType.renegotiationInfo, Buffer.from([0])]]);
});

test('RFC 6066: max_fragment_length is echoed; an unknown code is illegal_parameter', (t) => {
  const n = negotiate(hello({ suites: [0xc0a8], ext: [[ExtensionType.maxFragmentLength, Buffer.from([2])]] }), psk);
  t.is(n.maxFragmentCode, 2);
  t.deepEqual(serverHelloExtensions(n, undefined), [[ExtensionType.maxFragmentLength, Buffer.from([2])]]);
  t.is(alertOf(() => negotiate(hello({ suites: [0xc0a8], ext: [[ExtensionType.maxFragmentLength, Buffer.from([9])]] }), psk)), AlertDescription.illegalParameter);
});

test('RFC 9146: the connection_id extension is answered with our CID, or ignored when CID is off', (t) => {
  const ext: Array<[number, Buffer]> = [[ExtensionType.connectionId, vec8(Buffer.from('ab', 'hex'))]];
  const n = negotiate(hello({ suites: [0xc0a8], ext }), psk);
  t.deepEqual(n.peerCid, Buffer.from('ab', 'hex'));
  t.deepEqual(serverHelloExtensions(n, Buffer.from('010203', 'hex')), [[ExtensionType.connectionId, Buffer.from('03010203', 'hex')]]);
  t.is(negotiate(hello({ suites: [0xc0a8], ext }), { ...psk, cidEnabled: false }).peerCid, undefined);
});

test('ECDHE_ECDSA needs configured certificates', (t) => {
  t.is(alertOf(() => negotiate(hello({ suites: [0xc0ae] }), psk)), AlertDescription.handshakeFailure);
  t.is(negotiate(hello({ suites: [0xc0ae] }), certs).suite.id, 0xc0ae);
});

test('RFC 7250: certificate types follow the client order, and an RPK client gets our RPK', (t) => {
  const types = (c: number[], s: number[]): Array<[number, Buffer]> => [
    [ExtensionType.clientCertificateType, vec8(Buffer.from(c))],
    [ExtensionType.serverCertificateType, vec8(Buffer.from(s))],
  ];
  const rpk = negotiate(hello({ suites: [0xc0ae], ext: types([2], [0, 2]) }), certs);
  t.deepEqual([rpk.clientCertType, rpk.serverCertType], [2, 2]);
  const x509 = negotiate(hello({ suites: [0xc0ae], ext: types([0, 2], [0, 2]) }), certs);
  t.deepEqual([x509.clientCertType, x509.serverCertType], [0, 0]);
  t.deepEqual(serverHelloExtensions(rpk, undefined), [
    [ExtensionType.clientCertificateType, Buffer.from([2])],
    [ExtensionType.serverCertificateType, Buffer.from([2])],
  ]);
  // RPK only, but no trust callback configured: ECDHE_ECDSA is not possible.
  const noRpk: NegotiationPolicy = { ...psk, certificates: { serverX509: true, clientX509: true, clientRpk: false } };
  t.is(alertOf(() => negotiate(hello({ suites: [0xc0ae], ext: types([2], [2]) }), noRpk)), AlertDescription.handshakeFailure);
});

test('a duplicated extension is a decode error', (t) => {
  t.throws(() =>
    hello({
      suites: [0xc0a8],
      ext: [
        [23, Buffer.alloc(0)],
        [23, Buffer.alloc(0)],
      ],
    }),
  );
});

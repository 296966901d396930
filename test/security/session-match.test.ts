import test from 'ava';
import type { PeerIdentity } from '../../src/transport/types.js';
import { authenticatedBy, sameCredentials } from '../../src/security/session-match.js';
import type { SecurityInfo } from '../../src/security/types.js';
import { p256PublicKey, psk } from '../_suites/security-store.js';

test('a session matches the credentials that authenticated it, and no others', (t) => {
  const key = p256PublicKey();
  const rpk: SecurityInfo = { endpoint: 'r', mode: 'rpk', publicKey: key.spki };
  const x509: SecurityInfo = { endpoint: 'urn:dev:x', mode: 'x509' };
  const sessions: Record<string, PeerIdentity> = {
    psk: { kind: 'psk', identity: 'id-1' },
    otherPsk: { kind: 'psk', identity: 'id-2' },
    rpk: { kind: 'rpk', publicKey: new Uint8Array(key.spki) },
    otherRpk: { kind: 'rpk', publicKey: p256PublicKey().spki },
    x509: { kind: 'x509', commonName: 'urn:dev:x', certificate: new Uint8Array([0x30, 0]) },
    otherX509: { kind: 'x509', commonName: 'urn:dev:y', certificate: new Uint8Array([0x30, 0]) },
  };
  const matching = (info: SecurityInfo) => Object.entries(sessions).filter(([, id]) => authenticatedBy(info, id)).map(([name]) => name);
  t.deepEqual(matching(psk('p', 'id-1')), ['psk']);
  t.deepEqual(matching(rpk), ['rpk']);
  t.deepEqual(matching(x509), ['x509']);
});

test('sameCredentials compares mode, identity and key', (t) => {
  t.true(sameCredentials(psk('a', 'i', 'aa'), psk('a', 'i', 'aa')));
  t.false(sameCredentials(psk('a', 'i', 'aa'), psk('a', 'i', 'ab')));
  t.false(sameCredentials(psk('a', 'i', 'aa'), psk('a', 'j', 'aa')));
  t.false(sameCredentials(psk('a', 'i', 'aa'), { endpoint: 'a', mode: 'x509' }));
  t.true(sameCredentials({ endpoint: 'a', mode: 'x509' }, { endpoint: 'a', mode: 'x509' }));
});

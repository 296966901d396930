import test from 'ava';
import { randomBytes } from 'node:crypto';
import { TLS_PSK_WITH_AES_128_CBC_SHA256, TLS_PSK_WITH_AES_128_CCM_8 } from '../../src/dtls/cipher-suites.js';
import { ContentType, DTLS_1_2 } from '../../src/dtls/constants.js';
import { prf, pskPremaster } from '../../src/dtls/prf.js';
import { deriveKeys, protect, unprotect } from '../../src/dtls/record-protection.js';

test('the PRF matches the published TLS 1.2 P_SHA256 test vector', (t) => {
  const out = prf(Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex'), 'test label', Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex'), 100);
  t.is(
    out.toString('hex'),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
  );
});

test('the PSK premaster secret is N, N zeros, N, key (RFC 4279 §2)', (t) => {
  t.is(pskPremaster(Buffer.from('ab', 'hex')).toString('hex'), '000100' + '0001ab');
});

for (const suite of [TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_CBC_SHA256]) {
  for (const cid of [undefined, Buffer.from('0102030405', 'hex')]) {
    const label = `${suite.name}${cid ? ' with a connection ID' : ''}`;
    const keys = deriveKeys(suite, randomBytes(48), randomBytes(32), randomBytes(32)).client;
    const header = { type: cid ? ContentType.tls12Cid : ContentType.applicationData, version: DTLS_1_2, epoch: 1, seq: 42, ...(cid ? { cid } : {}) };

    test(`${label}: a protected record opens to the same content and type`, (t) => {
      // OpenSSL's CCM cannot process an empty plaintext, so the server never sends empty records.
      for (const size of suite.cipher === 'aes128_ccm8' ? [1, 15, 16, 17, 200] : [0, 1, 15, 16, 17, 200]) {
        const data = randomBytes(size);
        const frag = protect(keys, header, data, ContentType.applicationData);
        const out = unprotect(keys, header, frag);
        t.deepEqual(out?.content, data);
        t.is(out?.type, ContentType.applicationData);
      }
    });

    test(`${label}: any flipped bit, a different sequence number or epoch fails authentication`, (t) => {
      const frag = protect(keys, header, Buffer.from('sensor reading 21.5'), ContentType.applicationData);
      for (let i = 0; i < frag.length; i += 3) {
        const bad = Buffer.from(frag);
        bad[i]! ^= 0x04;
        t.is(unprotect(keys, header, bad), undefined, `byte ${i}`);
      }
      t.is(unprotect(keys, { ...header, seq: 43 }, frag), undefined);
      t.is(unprotect(keys, { ...header, epoch: 2 }, frag), undefined);
      t.is(unprotect(keys, header, frag.subarray(0, frag.length - 1)), undefined);
    });
  }
}

test('a record made with the CID additional data does not open as a plain record', (t) => {
  const keys = deriveKeys(TLS_PSK_WITH_AES_128_CCM_8, randomBytes(48), randomBytes(32), randomBytes(32)).server;
  const cid = Buffer.from('aabbcc', 'hex');
  const frag = protect(keys, { type: ContentType.tls12Cid, version: DTLS_1_2, epoch: 1, seq: 1, cid }, Buffer.from('x'), ContentType.applicationData);
  t.is(unprotect(keys, { type: ContentType.applicationData, version: DTLS_1_2, epoch: 1, seq: 1 }, frag), undefined);
  t.is(unprotect(keys, { type: ContentType.tls12Cid, version: DTLS_1_2, epoch: 1, seq: 1, cid: Buffer.from('aabbcd', 'hex') }, frag), undefined);
});

import { generateKeyPairSync } from 'node:crypto';
import type { TestFn } from 'ava';
import type { SecurityInfo, SecurityStore } from '../../src/security/types.js';
import type { StoreFixture } from './registration-store.js';

/** A fresh P-256 public key: SPKI DER and the raw 65-byte point. */
export function p256PublicKey(): { spki: Buffer; raw: Buffer } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { spki, raw: Buffer.from(spki.subarray(spki.length - 65)) };
}

export function psk(endpoint: string, identity: string, keyHex = '00112233445566778899aabbccddeeff'): Extract<SecurityInfo, { mode: 'psk' }> {
  return { endpoint, mode: 'psk', identity, key: Buffer.from(keyHex, 'hex') };
}

/** The behaviour every SecurityStore implementation must show. */
export function securityStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<SecurityStore>>): void {
  test(`${name}: PSK credentials are found by endpoint and by identity; the list shows no key`, async (t) => {
    const { store, dispose } = await factory();
    t.is(await store.add(psk('ep-1', 'id-1')), undefined);
    t.deepEqual(await store.get('ep-1'), psk('ep-1', 'id-1'));
    t.deepEqual(store.pskKeyFor('id-1'), Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    t.is(store.endpointForPskIdentity('id-1'), 'ep-1');
    t.is(store.pskKeyFor('id-2'), undefined);
    t.true(store.hasCredentials('ep-1'));
    t.false(store.hasCredentials('ep-2'));
    t.is(store.size, 1);
    const list = await store.list();
    t.deepEqual(list, [{ endpoint: 'ep-1', mode: 'psk', identity: 'id-1' }]);
    t.false(JSON.stringify(list).includes('00112233'));
    await dispose();
  });

  test(`${name}: adding again replaces the credentials, returns the old ones and frees the old identity`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(psk('ep-1', 'id-1'));
    t.deepEqual(await store.add(psk('ep-1', 'id-1b', 'ff')), psk('ep-1', 'id-1'));
    t.is(store.pskKeyFor('id-1'), undefined);
    t.deepEqual(store.pskKeyFor('id-1b'), Buffer.from([0xff]));
    // The freed identity can now go to another endpoint.
    await store.add(psk('ep-2', 'id-1'));
    t.is(store.endpointForPskIdentity('id-1'), 'ep-2');
    t.is(store.size, 2);
    await dispose();
  });

  test(`${name}: a PSK identity bound to another endpoint is refused and nothing changes`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(psk('ep-1', 'shared'));
    await store.add(psk('ep-2', 'own'));
    const err = await t.throwsAsync(store.add(psk('ep-2', 'shared', 'aa')));
    t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_REQUEST');
    t.regex(err!.message, /already belongs to endpoint "ep-1"/);
    t.is(store.endpointForPskIdentity('shared'), 'ep-1');
    t.is(store.endpointForPskIdentity('own'), 'ep-2');
    t.deepEqual(await store.get('ep-2'), psk('ep-2', 'own'));
    await dispose();
  });

  test(`${name}: raw public keys are stored as SPKI DER, given as SPKI or as a raw point, and found by either`, async (t) => {
    const { store, dispose } = await factory();
    const a = p256PublicKey();
    const b = p256PublicKey();
    await store.add({ endpoint: 'rpk-a', mode: 'rpk', publicKey: a.raw });
    await store.add({ endpoint: 'rpk-b', mode: 'rpk', publicKey: b.spki });
    t.deepEqual(await store.get('rpk-a'), { endpoint: 'rpk-a', mode: 'rpk', publicKey: a.spki });
    t.is(store.endpointForPublicKey(a.spki), 'rpk-a');
    t.is(store.endpointForPublicKey(a.raw), 'rpk-a');
    t.is(store.endpointForPublicKey(new Uint8Array(b.spki)), 'rpk-b');
    t.is(store.endpointForPublicKey(p256PublicKey().spki), undefined);
    const [first] = await store.list();
    t.is(first?.mode, 'rpk');
    t.regex(first?.keyFingerprint ?? '', /^sha256:[0-9a-f]{32}$/);
    await dispose();
  });

  test(`${name}: a public key bound to another endpoint is refused`, async (t) => {
    const { store, dispose } = await factory();
    const a = p256PublicKey();
    await store.add({ endpoint: 'rpk-a', mode: 'rpk', publicKey: a.spki });
    const err = await t.throwsAsync(store.add({ endpoint: 'rpk-b', mode: 'rpk', publicKey: a.raw }));
    t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_REQUEST');
    t.is(await store.get('rpk-b'), undefined);
    await dispose();
  });

  test(`${name}: x509 entries, mode changes and remove`, async (t) => {
    const { store, dispose } = await factory();
    await store.add({ endpoint: 'urn:dev:x', mode: 'x509' });
    t.deepEqual(await store.get('urn:dev:x'), { endpoint: 'urn:dev:x', mode: 'x509' });
    await store.add(psk('ep-1', 'id-1'));
    // ep-1 moves from PSK to RPK: its identity no longer authenticates anything.
    const key = p256PublicKey();
    t.deepEqual(await store.add({ endpoint: 'ep-1', mode: 'rpk', publicKey: key.spki }), psk('ep-1', 'id-1'));
    t.is(store.pskKeyFor('id-1'), undefined);
    t.deepEqual(await store.remove('ep-1'), { endpoint: 'ep-1', mode: 'rpk', publicKey: key.spki });
    t.is(store.endpointForPublicKey(key.spki), undefined);
    t.is(await store.remove('ep-1'), undefined);
    t.false(store.hasCredentials('ep-1'));
    t.deepEqual(await store.list(), [{ endpoint: 'urn:dev:x', mode: 'x509' }]);
    await dispose();
  });

  test(`${name}: list is ordered by endpoint`, async (t) => {
    const { store, dispose } = await factory();
    for (const ep of ['c', 'a', 'b']) await store.add(psk(ep, `id-${ep}`));
    t.deepEqual((await store.list()).map((s) => s.endpoint), ['a', 'b', 'c']);
    await dispose();
  });

  test(`${name}: invalid credentials are refused with a message that never quotes the key`, async (t) => {
    const { store, dispose } = await factory();
    const cases: [SecurityInfo, RegExp][] = [
      [psk('', 'id'), /endpoint must be a non-empty string/],
      [psk('a\nb', 'id'), /control characters/],
      [psk('ep', ''), /PSK identity must be a non-empty string/],
      [psk('ep', 'x'.repeat(129)), /at most 128 bytes/],
      [{ endpoint: 'ep', mode: 'psk', identity: 'id', key: Buffer.alloc(0) }, /1 to 64 bytes/],
      [psk('ep', 'id', 'ab'.repeat(65)), /1 to 64 bytes/],
      [{ endpoint: 'ep', mode: 'rpk', publicKey: Buffer.from('cafebabe'.repeat(8), 'hex') }, /neither a SubjectPublicKeyInfo nor a P-256 point/],
      [{ endpoint: 'ep', mode: 'rpk', publicKey: generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }) }, /P-256/],
      [{ endpoint: 'ep', mode: 'rpk', publicKey: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]) }, /P-256/],
      [{ endpoint: 'ep', mode: 'nope' } as unknown as SecurityInfo, /mode must be psk, rpk or x509/],
    ];
    for (const [info, message] of cases) {
      const err = await t.throwsAsync(store.add(info), { message });
      t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_REQUEST');
      t.false(err!.message.includes('abab'), 'the key is not quoted');
    }
    t.is(store.size, 0);
    await dispose();
  });

  test(`${name}: keys handed out are copies; changing them does not change the store`, async (t) => {
    const { store, dispose } = await factory();
    const input = psk('ep-1', 'id-1');
    await store.add(input);
    input.key.fill(0);
    const out = store.pskKeyFor('id-1')!;
    out.fill(0);
    const got = (await store.get('ep-1')) as { key: Buffer };
    got.key.fill(0);
    t.deepEqual(store.pskKeyFor('id-1'), Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    await dispose();
  });
}

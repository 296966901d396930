import type { TestFn } from 'ava';
import { parseBootstrapConfig } from '../../src/lwm2m/bootstrap/config-json.js';
import type { BootstrapConfig, BootstrapConfigStore } from '../../src/lwm2m/bootstrap/types.js';
import type { StoreFixture } from './registration-store.js';

export const BS_KEY_HEX = '00112233445566778899aabbccddeeff';
export const SERVER_KEY_HEX = 'ffeeddccbbaa99887766554433221100';

export function bootstrapConfig(endpoint: string, over: Record<string, unknown> = {}): BootstrapConfig {
  return parseBootstrapConfig({
    endpoint,
    bootstrap: { security: { mode: 'psk', identity: `bs-${endpoint}`, key: BS_KEY_HEX } },
    servers: [{ shortServerId: 1, uri: 'coaps://127.0.0.1:5684', lifetime: 300, security: { mode: 'psk', identity: endpoint, key: SERVER_KEY_HEX }, local: true }],
    acls: [{ objectId: 3, objectInstanceId: 0, acl: { '1': 7 }, owner: 1 }],
    ...over,
  });
}

/** The behaviour every BootstrapConfigStore implementation must show. */
export function bootstrapConfigStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<BootstrapConfigStore>>): void {
  test(`${name}: add stores a configuration; get returns an equal copy; add again returns the replaced one`, async (t) => {
    const { store, dispose } = await factory();
    const c = bootstrapConfig('dev-1');
    t.is(await store.add(c), undefined);
    t.deepEqual(await store.get('dev-1'), c);
    t.is(store.size, 1);
    const next = bootstrapConfig('dev-1', { delete: ['/0'] });
    t.deepEqual(await store.add(next), c);
    t.deepEqual((await store.get('dev-1'))?.delete, ['/0']);
    t.is(store.size, 1);
    await dispose();
  });

  test(`${name}: what get returns is a copy: changing it does not change the store`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(bootstrapConfig('dev-1'));
    const got = (await store.get('dev-1'))!;
    got.servers[0]!.uri = 'coap://elsewhere';
    if (got.bootstrap?.security.mode === 'psk') got.bootstrap.security.key.fill(0);
    const again = (await store.get('dev-1'))!;
    t.is(again.servers[0]!.uri, 'coaps://127.0.0.1:5684');
    t.is(store.pskKeyFor('bs-dev-1')?.toString('hex'), BS_KEY_HEX);
    await dispose();
  });

  test(`${name}: the bootstrap PSK is found by identity, synchronously; server-account keys are not`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(bootstrapConfig('dev-1'));
    t.is(store.pskKeyFor('bs-dev-1')?.toString('hex'), BS_KEY_HEX);
    t.is(store.endpointForPskIdentity('bs-dev-1'), 'dev-1');
    t.is(store.pskKeyFor('dev-1'), undefined, 'the LwM2M server account identity is not a bootstrap identity');
    t.is(store.pskKeyFor('nobody'), undefined);
    await dispose();
  });

  test(`${name}: a bootstrap identity bound to another endpoint is refused and changes nothing`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(bootstrapConfig('dev-1'));
    const clash = bootstrapConfig('dev-2', { bootstrap: { security: { mode: 'psk', identity: 'bs-dev-1', key: BS_KEY_HEX } } });
    const err = await t.throwsAsync(store.add(clash));
    t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_REQUEST');
    t.is(await store.get('dev-2'), undefined);
    t.is(store.endpointForPskIdentity('bs-dev-1'), 'dev-1');
    await dispose();
  });

  test(`${name}: replacing a configuration frees its old bootstrap identity`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(bootstrapConfig('dev-1'));
    await store.add(bootstrapConfig('dev-1', { bootstrap: { security: { mode: 'psk', identity: 'new-id', key: BS_KEY_HEX } } }));
    t.is(store.pskKeyFor('bs-dev-1'), undefined);
    t.is(store.endpointForPskIdentity('new-id'), 'dev-1');
    await dispose();
  });

  test(`${name}: remove returns the configuration and drops its identity; unknown is undefined`, async (t) => {
    const { store, dispose } = await factory();
    const c = bootstrapConfig('dev-1');
    await store.add(c);
    t.deepEqual(await store.remove('dev-1'), c);
    t.is(await store.remove('dev-1'), undefined);
    t.is(await store.get('dev-1'), undefined);
    t.is(store.pskKeyFor('bs-dev-1'), undefined);
    t.is(store.size, 0);
    await dispose();
  });

  test(`${name}: resolve falls back to the default "*" configuration, which is off until one is added`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(bootstrapConfig('dev-1'));
    t.is(await store.resolve('other'), undefined);
    await store.add(parseBootstrapConfig({ endpoint: '*', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
    t.is((await store.resolve('other'))?.endpoint, '*');
    t.is((await store.resolve('dev-1'))?.endpoint, 'dev-1');
    await dispose();
  });

  test(`${name}: list gives summaries without secrets, the default first, then by endpoint`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(bootstrapConfig('b-dev'));
    await store.add(bootstrapConfig('a-dev'));
    await store.add(parseBootstrapConfig({ endpoint: '*', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
    const list = await store.list();
    t.deepEqual(list.map((s) => s.endpoint), ['*', 'a-dev', 'b-dev']);
    t.deepEqual(list[1], {
      endpoint: 'a-dev',
      servers: [{ shortServerId: 1, uri: 'coaps://127.0.0.1:5684', mode: 'psk', identity: 'a-dev' }],
      bootstrapMode: 'psk',
      bootstrapIdentity: 'bs-a-dev',
      acls: 1,
      delete: ['/0', '/1'],
    });
    const text = JSON.stringify(list);
    t.false(text.includes(BS_KEY_HEX) || text.includes(SERVER_KEY_HEX));
    await dispose();
  });

  test(`${name}: an RPK bootstrap account is found by its public key`, async (t) => {
    const { store, dispose } = await factory();
    // A valid P-256 point is not needed for the index: it keys by the bytes given.
    const pub = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]);
    await store.add(bootstrapConfig('rpk-dev', { bootstrap: { security: { mode: 'rpk', publicKey: pub.toString('hex') } } }));
    t.is(store.endpointForPublicKey(pub), 'rpk-dev');
    t.is(store.endpointForPublicKey(Buffer.alloc(65, 1)), undefined);
    await dispose();
  });
}

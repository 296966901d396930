import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasBinary, runPeer } from './helpers/run-process.js';
import { PSKS, startServer } from './helpers/echo-server.js';
import { lossyProxy } from './helpers/lossy-proxy.js';

// Real peer: OpenSSL's DTLS 1.2 client. Skipped (not passed) where openssl is missing.
const maybe = hasBinary('openssl') ? test.serial : test.skip;
const KEY = PSKS['device-1']!.toString('hex');

function sClient(port: number, cipher: string, extra: string[] = [], key = KEY, identity = 'device-1'): string[] {
  return ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, '-psk_identity', identity, '-psk', key, '-cipher', cipher, ...extra];
}

for (const [cipher, suite, extra] of [
  ['PSK-AES128-CCM8', 'TLS_PSK_WITH_AES_128_CCM_8', []],
  ['PSK-AES128-CBC-SHA256', 'TLS_PSK_WITH_AES_128_CBC_SHA256', []],
  ['ECDHE-PSK-AES128-CBC-SHA256', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', []],
  ['ECDHE-PSK-AES128-CBC-SHA256', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', ['-mtu', '256']],
  ['PSK-AES128-CCM8', 'TLS_PSK_WITH_AES_128_CCM_8', ['-mtu', '256']],
] as const) {
  maybe(`openssl s_client ${cipher} ${extra.join(' ')}: handshake with extended master secret, echo, close_notify`, async (t) => {
    const s = await startServer();
    t.teardown(() => s.server.close());
    const r = await runPeer('openssl', sClient(s.port, cipher, [...extra]), { input: 'hello dtls\n', writeWhen: /Extended master secret/, endWhen: /echo:hello dtls/ });
    t.regex(r.output, new RegExp(`Cipher is ${cipher}`));
    t.regex(r.output, /Extended master secret: yes/);
    t.regex(r.output, /Secure Renegotiation IS supported/);
    t.regex(r.output, /echo:hello dtls/);
    t.is(s.received[0]?.data.toString(), 'hello dtls\n');
    t.deepEqual(s.received[0]?.identity, { kind: 'psk', identity: 'device-1' });
    t.is(s.server.sessions().length, 0, 'close_notify from s_client ended the session');
    t.is(s.server.stats().handshakesOk, 1);
    t.deepEqual(s.suites, [suite]);
  });
}

maybe('our flight is split over several datagrams at MTU 256 (identity hint + ECDHE ServerKeyExchange)', async (t) => {
  // OpenSSL accepts hints up to 128 bytes (PSK_MAX_IDENTITY_LEN).
  const hint = 'h'.repeat(120);
  const s = await startServer({ pskIdentityHint: hint, limits: { mtu: 256 } });
  t.teardown(() => s.server.close());
  const r = await runPeer('openssl', sClient(s.port, 'ECDHE-PSK-AES128-CBC-SHA256', ['-mtu', '256']), { input: 'frag\n', writeWhen: /Extended master secret/, endWhen: /echo:frag/ });
  t.true(r.output.includes(`PSK identity hint: ${hint}`));
  t.regex(r.output, /echo:frag/);
});

maybe('openssl s_client -maxfraglen 512: max_fragment_length is accepted and records bigger than it are not sent', async (t) => {
  const s = await startServer({}, false);
  t.teardown(() => s.server.close());
  s.server.onDatagram((d) => {
    s.server.send(Buffer.alloc(600, 0x41), d.peer); // over the limit: refused
    s.server.send(Buffer.from('small reply'), d.peer);
  });
  const r = await runPeer('openssl', sClient(s.port, 'PSK-AES128-CCM8', ['-maxfraglen', '512', '-tlsextdebug']), { input: 'mfl\n', writeWhen: /Extended master secret/, endWhen: /small reply/ });
  t.regex(r.output, /TLS server extension "max fragment length"/);
  t.regex(r.output, /small reply/);
  t.notRegex(r.output, /AAAAAAAAAA/);
});

maybe('openssl s_client resumes a saved session (abbreviated handshake)', async (t) => {
  const s = await startServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'dtls-sess-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    return s.server.close();
  });
  const sess = path.join(dir, 'session.pem');
  const first = await runPeer('openssl', sClient(s.port, 'PSK-AES128-CCM8', ['-sess_out', sess]), { input: 'one\n', writeWhen: /Extended master secret/, endWhen: /echo:one/ });
  t.regex(first.output, /^New, /m);
  const second = await runPeer('openssl', sClient(s.port, 'PSK-AES128-CCM8', ['-sess_in', sess]), { input: 'two\n', writeWhen: /Extended master secret/, endWhen: /echo:two/ });
  t.regex(second.output, /^Reused, /m);
  t.regex(second.output, /echo:two/);
  t.is(s.server.stats().resumptions, 1);
  t.deepEqual(
    s.received.map((d) => d.identity),
    [
      { kind: 'psk', identity: 'device-1' },
      { kind: 'psk', identity: 'device-1' },
    ],
  );
});

maybe('openssl s_client with a wrong key gets bad_record_mac and no session', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const r = await runPeer('openssl', sClient(s.port, 'PSK-AES128-CCM8', [], 'deadbeef'), { input: 'x\n', timeoutMs: 5000 });
  t.regex(r.output, /alert bad record mac/);
  t.is(s.server.stats().handshakesFailed, 1);
  t.is(s.server.stats().sessions, 0);
});

maybe('openssl s_client with an unknown identity gets unknown_psk_identity (115)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const r = await runPeer('openssl', sClient(s.port, 'PSK-AES128-CCM8', [], KEY, 'nobody'), { input: 'x\n', timeoutMs: 5000 });
  t.regex(r.output, /alert unknown psk identity/);
  t.regex(r.output, /SSL alert number 115/);
  t.is(s.server.stats().sessions, 0);
});

maybe('openssl s_client is refused when we share no cipher suite', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const r = await runPeer('openssl', sClient(s.port, 'PSK-AES256-GCM-SHA384'), { input: 'x\n', timeoutMs: 5000 });
  t.regex(r.output, /alert handshake failure/);
  t.is(s.server.stats().sessions, 0);
});

for (const [what, drop] of [
  ['our ServerHello flight', { toClient: [2] }],
  ["the client's ClientKeyExchange/Finished flight", { toServer: [3] }],
  ['our CCS/Finished flight', { toClient: [3] }],
] as const) {
  maybe(`openssl s_client completes the handshake when ${what} is lost (retransmission)`, async (t) => {
    const s = await startServer();
    const proxy = await lossyProxy(s.port, drop);
    t.teardown(() => {
      proxy.close();
      return s.server.close();
    });
    const r = await runPeer('openssl', sClient(proxy.port, 'PSK-AES128-CCM8'), { input: 'after loss\n', writeWhen: /Extended master secret/, endWhen: /echo:after loss/, timeoutMs: 12_000 });
    t.regex(r.output, /echo:after loss/);
    t.is([...proxy.dropped.toClient, ...proxy.dropped.toServer].length, 1, 'exactly one datagram was dropped');
    t.is(s.server.stats().handshakesOk, 1);
  });
}

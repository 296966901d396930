import test from 'ava';
import { MetricsRegistry } from '../../src/ops/metrics.js';
import { startOpsServer } from './helpers/ops-server.js';
import { register, UdpDevice } from './helpers/udp-device.js';

test('the registry renders counters, gauges and histograms in Prometheus text format', (t) => {
  const r = new MetricsRegistry();
  const c = r.counter('x_total', 'things');
  c.inc({ type: 'a"b' });
  c.inc({ type: 'a"b' }, 2);
  r.gauge('g', 'a gauge').set(-1.5);
  const h = r.histogram('lat_seconds', 'latency', [0.1, 1]);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  t.is(
    r.render(),
    [
      '# HELP x_total things',
      '# TYPE x_total counter',
      'x_total{type="a\\"b"} 3',
      '# HELP g a gauge',
      '# TYPE g gauge',
      'g -1.5',
      '# HELP lat_seconds latency',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{le="0.1"} 1',
      'lat_seconds_bucket{le="1"} 2',
      'lat_seconds_bucket{le="+Inf"} 3',
      'lat_seconds_sum 5.55',
      'lat_seconds_count 3',
      '',
    ].join('\n'),
  );
  t.throws(() => r.counter('x_total', 'again'));
  t.throws(() => c.inc({}, -1));
});

test('a bound counter counts into the same series as inc with those labels, and appears only once counted', (t) => {
  const r = new MetricsRegistry();
  const c = r.counter('req_total', 'requests');
  const bound = c.bind({ type: 'update', result: '2.04' });
  t.is(r.render().includes('req_total{'), false);
  bound.inc();
  c.inc({ result: '2.04', type: 'update' }, 2);
  bound.inc(4);
  t.is(c.get({ type: 'update', result: '2.04' }), 7);
  t.true(r.render().includes('req_total{result="2.04",type="update"} 7'));
  t.throws(() => bound.inc(-1));
});

test('GET /metrics reports registered devices, requests, notifications, refusals and stream clients', async (t) => {
  const { server, ops, app, token } = await startOpsServer(t);
  const dev = await UdpDevice.open(server.coapAddress());
  t.teardown(() => dev.close());
  t.is((await dev.request(register('m-1'))).code, '2.01');
  server.events.emit('notification', { endpoint: 'm-1', token: 'ab', paths: ['/3/0/9'], values: [] });
  await ops.quarantine.quarantine('m-2', { by: { kind: 'token', name: 'admin' } });
  t.is((await dev.request(register('m-2'))).code, '4.03');
  ops.metrics.eventStreamClients.inc();
  ops.metrics.storeWriteSeconds.observe(0.002);
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  t.is(res.statusCode, 200);
  t.regex(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  const text = res.body;
  for (const line of [
    'lwm2m_registered_devices 1',
    'lwm2m_requests_total{result="2.01",type="register"} 1',
    'lwm2m_notifications_total 1',
    'lwm2m_notifications_per_second 0.1',
    'lwm2m_quarantined_devices 1',
    'lwm2m_refused_requests_total{reason="quarantined"} 1',
    'lwm2m_event_stream_clients 1',
    'lwm2m_queue_depth 0',
    'lwm2m_store_write_seconds_count 1',
    'lwm2m_coap_events_total{event="requestsIn"} 2',
  ]) {
    t.true(text.split('\n').includes(line), line);
  }
  t.is((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
});

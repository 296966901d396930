import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/log.js';
import type { PathValue } from '../src/lwm2m/management/operation.js';
import { ModelRegistry } from '../src/model/registry.js';
import { evaluate, scalarOf } from '../src/rules/expression-eval.js';
import { startRules } from '../src/rules/index.js';
import { MemoryAudit, MemoryQuarantine, MemoryTags, RecordingEvents } from '../src/rules/memory-adapters.js';
import { compileRule, type CompiledRule } from '../src/rules/rule-compile.js';
import { RuleEngine } from '../src/rules/rule-engine.js';
import { RuleRuntime } from '../src/rules/rule-runtime.js';
import { matchesDevice, matchesPath, pathIds } from '../src/rules/selector.js';
import type { RuleSpec, StoredRule } from '../src/rules/types.js';
import { startServer } from '../src/server.js';
import { medianBy } from './rounds.js';
import { SimulatedDevice } from '../src/sim/simulated-device.js';
import { MemoryRuleStore } from '../src/store/rule-store-memory.js';
import type { Registration } from '../src/store/types.js';

/*
 * Rules: (1) latency from a presence sensor's notification to each of three lamps receiving the
 * rule's Write, over real UDP sockets on 127.0.0.1, with 1,000 rules loaded against the same
 * with 1 rule (baseline, same run); target p99 < 20 ms. (2) rule evaluations per second in the
 * engine alone (fake dispatcher), indexed, against scanning every rule per value (baseline).
 * Every loop is bounded in count and time.
 */
const RULES = 1000;
const NOTIFICATIONS = 300;
const ROUNDS = 3;
const MAX_MS = 30_000;
const LAMPS = ['lamp-1', 'lamp-2', 'lamp-3'];
const STREET: RuleSpec = { when: 'presence-*:/3302/*/5500', if: 'value == true', then: [{ write: 'tag:lamp-street={{tags.street}}:/3311/0/5850', value: true }] };

const stored = (name: string, spec: RuleSpec): StoredRule => ({ name, spec, enabled: true, dryRun: false, createdAt: 0, updatedAt: 0 });

const FILLER_PATHS = ['/3302/*/5500', '/3303/0/5700', '/3311/0/5850', '/3304/0/5700', '/3/0/9', '/3300/0/5700', '/3323/0/5700', '/3342/0/5500'];

/**
 * Rules that never match the sensor, on the same resource and on others: half name one device
 * ("other-7-dev"), half a pattern ("other-7-*"), 10 rules per device, so each sampled value
 * matches about 5 rules while a whole resource has 125.
 */
function filler(i: number): RuleSpec {
  const devices = i % 2 === 0 ? `other-${i % 100}-dev` : `other-${i % 100}-*`;
  return { when: `${devices}:${FILLER_PATHS[i % FILLER_PATHS.length]}`, if: `value > ${i % 50} and changed`, then: [{ write: `lamp-x${i}:/3311/0/5850`, value: true }] };
}

interface LatencyRow {
  case: string;
  writes: number;
  p50: number;
  p99: number;
  max: number;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function endToEnd(name: string, ruleCount: number): Promise<LatencyRow> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-rules-'));
  const server = await startServer({ dataDir, storage: 'memory', coap: { host: '127.0.0.1', port: 0 }, http: { enabled: false } }, { logger: createLogger({ level: 'silent' }) });
  const tags = new MemoryTags();
  const rules = await startRules({
    store: new MemoryRuleStore(),
    events: server.events,
    ruleEvents: new RecordingEvents(),
    dispatcher: server.dispatcher,
    registrations: server.stores.registrations,
    observations: server.observations,
    latestValues: server.stores.objects,
    models: server.models,
    tags,
    quarantine: new MemoryQuarantine(),
    audit: new MemoryAudit(),
    limits: { targetRate: '1000000/min', defaultRuleRate: '1000000/min' },
  });
  await rules.service.put('street-lights', STREET);
  for (let i = 1; i < ruleCount; i++) await rules.service.put(`filler-${i}`, filler(i));
  tags.set('presence-1', { street: '5' });
  for (const l of LAMPS) tags.set(l, { 'lamp-street': '5' });
  const devices: SimulatedDevice[] = [];
  const times: number[] = [];
  try {
    const sensor = await SimulatedDevice.start({ endpoint: 'presence-1', server: server.coapAddress(), models: server.models });
    devices.push(sensor);
    const lamps = await Promise.all(LAMPS.map((endpoint) => SimulatedDevice.start({ endpoint, server: server.coapAddress(), models: server.models })));
    devices.push(...lamps);
    const until = Date.now() + 5000;
    while (!sensor.requests.some((r) => r.observe === 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const start = Date.now();
    for (let n = 0; n < NOTIFICATIONS && Date.now() - start < MAX_MS; n++) {
      const t0 = performance.now();
      const got = lamps.map(
        (l) =>
          new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${l.endpoint}: no write`)), 5000);
            const off = l.on('request', (r) => {
              if (r.method !== 'PUT' || r.path !== '/3311/0/5850') return;
              clearTimeout(timer);
              off();
              resolve(performance.now() - t0);
            });
          }),
      );
      sensor.setValue('/3302/0/5500', { type: 'boolean', value: true });
      times.push(...(await Promise.all(got)));
    }
  } finally {
    await Promise.all(devices.map((d) => d.close()));
    rules.stop();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { case: name, writes: times.length, p50: pct(times, 50), p99: pct(times, 99), max: Math.max(...times) };
}

const registration = (endpoint: string): Registration => ({
  id: endpoint, endpoint, lifetime: 300, lwm2mVersion: '1.1', binding: 'U', queueMode: false, rootPath: '/', supportedFormats: [], objectLinks: [],
  address: { address: '127.0.0.1', port: 1 }, transport: 'coap', registeredAt: 0, lastUpdate: 0, expiresAt: Number.MAX_SAFE_INTEGER,
});

interface RateRow {
  case: string;
  values: number;
  evaluations: number;
  seconds: number;
  evalsPerSecond: number;
  valuesPerSecond: number;
}

/** A value of filler rule j's device and resource: it matches that rule and the others sharing both (about 5). */
function sampleValue(n: number): { endpoint: string; values: PathValue[] } {
  const j = n % RULES;
  const p = FILLER_PATHS[j % FILLER_PATHS.length]!.replace('*', '0');
  const value = p.endsWith('/5500') || p.endsWith('/5850') ? { type: 'boolean' as const, value: n % 2 === 0 } : { type: 'float' as const, value: n % 60 };
  return { endpoint: `other-${j % 100}-dev`, values: [{ path: p, value }] };
}

/** Values per case and round in the evaluation-rate benchmark. */
const RATE_VALUES = 80_000;

async function engineRate(models: ModelRegistry, compiled: CompiledRule[], label: string, maxValues: number): Promise<RateRow> {
  let firings = 0;
  const engine = new RuleEngine({
    dispatcher: { submit: async () => ({ queued: false, result: { ok: true, code: '2.04' } }) },
    registrations: { getByEndpoint: (ep) => registration(ep), list: async () => [] },
    tags: new MemoryTags(),
    quarantine: new MemoryQuarantine(),
    // Counted, not kept: a benchmark must not grow memory with every firing.
    audit: { record: async () => undefined },
    events: { emit: (name) => void (name === 'rule-fired' && firings++) },
    latestValues: { latest: async () => [] },
    models,
    targetRate: '1000000/min',
    defaultRuleRate: '1000000/min',
  });
  for (const r of compiled) engine.put(r);
  const start = performance.now();
  let n = 0;
  while (n < maxValues && performance.now() - start < 5000) {
    const batch: Promise<void>[] = [];
    for (let k = 0; k < 1000; k++, n++) {
      const s = sampleValue(n);
      const firing = engine.reported(s.endpoint, s.values);
      if (firing) batch.push(firing);
    }
    await Promise.all(batch);
  }
  const seconds = (performance.now() - start) / 1000;
  const evaluations = compiled.reduce((sum, r) => sum + (engine.stats(r.name)?.evaluations ?? 0), 0);
  return { case: `indexed engine, ${compiled.length} rules, ${label} (${firings} firings)`, values: n, evaluations, seconds, evalsPerSecond: evaluations / seconds, valuesPerSecond: n / seconds };
}

/** Baseline: every rule's trigger and condition tested against every value, synchronously, with no
 * engine around it (no ordering, no actions): the raw cost of matching and evaluating. */
function scanRate(compiled: CompiledRule[], maxValues: number): RateRow {
  const runtimes = compiled.map((r) => new RuleRuntime(r));
  const start = performance.now();
  let n = 0;
  let evaluations = 0;
  while (n < maxValues && performance.now() - start < 5000) {
    const s = sampleValue(n++);
    for (const v of s.values) {
      const ids = pathIds(v.path);
      for (const rt of runtimes) {
        const t = rt.rule.trigger;
        if (t.kind !== 'value' || !matchesPath(t.path, ids) || !matchesDevice(t.devices, s.endpoint, {})) continue;
        evaluations++;
        evaluate(rt.rule.condition!.expr, { value: scalarOf(v.value), previous: undefined, endpoint: s.endpoint, path: v.path, latest: new Map(), state: rt.stateFor(`${s.endpoint}\0${v.path}`) });
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return { case: `scan every rule (baseline), ${compiled.length} rules`, values: n, evaluations, seconds, evalsPerSecond: evaluations / seconds, valuesPerSecond: n / seconds };
}

export async function run(): Promise<{ latency: LatencyRow[]; rate: RateRow[] }> {
  // Interleaved rounds: on a shared machine, load from elsewhere hits both cases alike.
  const latency: LatencyRow[] = [];
  for (let round = 1; round <= ROUNDS; round++) latency.push(await endToEnd(`1 rule (baseline), round ${round}`, 1), await endToEnd(`${RULES} rules, round ${round}`, RULES));
  console.log('notification → lamp Write received (ms), 3 lamps per notification, loopback UDP:\n');
  console.table(latency.map((r) => ({ ...r, p50: r.p50.toFixed(2), p99: r.p99.toFixed(2), max: r.max.toFixed(2), 'p99 < 20 ms': r.p99 < 20 })));
  const models = await ModelRegistry.builtin();
  const compiled = Array.from({ length: RULES }, (_, i) => compileRule(stored(`r${i}`, filler(i)), models));
  const quiet = Array.from({ length: RULES }, (_, i) => compileRule(stored(`r${i}`, { ...filler(i), if: 'value > 1000 and changed' }), models));
  // Interleaved too: ROUNDS rounds of the three cases, each case's median round reported.
  const rounds: RateRow[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push([scanRate(compiled, RATE_VALUES), await engineRate(models, quiet, 'conditions false', RATE_VALUES), await engineRate(models, compiled, 'firing with actions', RATE_VALUES)]);
  }
  const rate = rounds[0]!.map((_, c) => medianBy(rounds.map((r) => r[c]!), (x) => x.evalsPerSecond));
  console.log(`\nrule evaluations (trigger matched, condition evaluated) per second, engine only; ${ROUNDS} interleaved rounds, the median round of each case:\n`);
  console.table(rate.map((r, c) => ({ ...r, seconds: r.seconds.toFixed(2), evalsPerSecond: Math.round(r.evalsPerSecond), valuesPerSecond: Math.round(r.valuesPerSecond), rounds: rounds.map((x) => Math.round(x[c]!.evalsPerSecond / 1000) + 'k').join(' ') })));
  return { latency, rate };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();

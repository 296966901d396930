/**
 * `npm run bench`: every benchmark in turn, each printing its own table with the baseline it
 * measured in the same run. Bounded: each benchmark limits its own count and time.
 */
import { cpus, loadavg } from 'node:os';

interface Bench {
  name: string;
  load: () => Promise<{ run: () => Promise<unknown> }>;
}

const BENCHES: Bench[] = [
  { name: 'content formats (encode/decode a Device instance)', load: () => import('./content-formats.js') },
  { name: 'object store (values ingested, query latency)', load: () => import('./object-store.js') },
  { name: 'DTLS (PSK handshakes/s, requests over DTLS vs plain UDP, memory per idle session)', load: () => import('./dtls.js') },
  { name: 'registrations (Register durable in LevelDB, Update, De-register /s vs the UDP ceiling; lwm2m-node-lib peer)', load: () => import('./registrations.js') },
  { name: 'memory (heap and RSS per registered device at 10,000 and 100,000)', load: () => import('./memory.js') },
  { name: 'restart (reload 100,000 registrations and observations)', load: () => import('./restart.js') },
  { name: 'rules (notification to lamp latency, evaluations/s)', load: () => import('./rules.js') },
  { name: 'device management (reads, notifications, UDP ceiling)', load: () => import('./management.js') },
];

const only = process.argv.slice(2);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`# lwm2m-server benchmarks — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores, load ${load()}`);
const failed: string[] = [];
for (const b of BENCHES) {
  if (only.length > 0 && !only.some((o) => b.name.includes(o))) continue;
  console.log(`\n## ${b.name}\n`);
  const started = performance.now();
  // One benchmark failing does not cost the others their figures: it is reported and the run
  // ends with a failure exit code.
  try {
    const mod = await b.load();
    await mod.run();
  } catch (e) {
    failed.push(b.name);
    console.log(`\n**FAILED**: ${(e as Error).stack ?? String(e)}`);
  }
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s; load average after: ${load()})`);
}
if (failed.length > 0) {
  console.log(`\n${failed.length} benchmark(s) failed: ${failed.join('; ')}`);
  process.exitCode = 1;
}

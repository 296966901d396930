import { createRequire } from 'node:module';
import dgram from 'node:dgram';

/**
 * The peer for the registration benchmark, in its own process: the `lwm2m-node-lib` server
 * (npm, Telefónica; in-memory registry) on 127.0.0.1, accepting every registration. Loaded
 * from `LWM2M_PEER_DIR` (a folder where it is installed; see peer-lwm2m-node-lib.ts).
 */
interface PeerLib {
  server: {
    start(config: Record<string, unknown>, cb: (err: Error | null, serverInfo: unknown) => void): void;
    setHandler(serverInfo: unknown, kind: string, handler: (...args: unknown[]) => void): void;
  };
}

const require = createRequire(process.env['LWM2M_PEER_DIR'] ? `${process.env['LWM2M_PEER_DIR']}/` : import.meta.url);
const lib = require('lwm2m-node-lib') as PeerLib;
const version = (require('lwm2m-node-lib/package.json') as { version: string }).version;

// It takes a fixed port: find a free one first.
const port = await new Promise<number>((resolve) => {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const config = { port, lifetimeCheckInterval: 1000, udpWindow: 100, defaultType: 'Device', types: [], logLevel: 'FATAL', ipProtocol: 'udp4', serverProtocol: 'udp4', formats: [], writeFormat: 'application-vnd-oma-lwm2m/text', defaultAcceptFormat: 'text/plain' };
lib.server.start(config, (err, serverInfo) => {
  if (err) {
    process.send?.({ type: 'error', message: err.message });
    process.exit(1);
  }
  // Every handler answers at once: the load measures its CoAP and registry path.
  for (const kind of ['registration', 'unregistration', 'updateRegistration']) {
    lib.server.setHandler(serverInfo, kind, (...args: unknown[]) => (args[args.length - 1] as (e: null) => void)(null));
  }
  process.send?.({ type: 'ready', port, version });
});
process.on('disconnect', () => process.exit(0));

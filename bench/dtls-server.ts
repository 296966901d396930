/**
 * The server side of bench/dtls.ts, in its own process: one DtlsServerTransport and one plain
 * UDP socket, both answering every confirmable CoAP request with an ACK 2.05 carrying the
 * request's payload (the same responder code on both, so the two paths differ only by DTLS).
 * Forked with --expose-gc; answers IPC commands: `cpu` (process.cpuUsage), `mem` (after two
 * full GCs), `reset` (forget every DTLS session). It exits when the parent disconnects.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { DtlsServerTransport } from '../src/dtls/index.js';

/** Both sockets get the same buffers: 4 MB, net.core.rmem_max on a stock Linux. */
const SOCKET_BUFFER = 4 * 1024 * 1024;

export const BENCH_PSK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

export type DtlsServerCommand = { type: 'cpu' } | { type: 'mem' } | { type: 'reset' };
export type DtlsServerReply =
  | { type: 'ready'; udpPort: number; dtlsPort: number }
  | { type: 'cpu'; user: number; system: number }
  | { type: 'mem'; heapUsed: number; external: number; arrayBuffers: number; rss: number; sessions: number; handshakesOk: number; handshakesFailed: number; handshakesRejected: number }
  | { type: 'reset'; closed: number };

/** ACK 2.05 echoing the payload, or undefined for anything that is not a CON request. */
function answer(data: Buffer): Buffer | undefined {
  let req: ParsedPacket;
  try {
    req = parse(data);
  } catch {
    return undefined;
  }
  if (!req.confirmable) return undefined;
  return generate({ messageId: req.messageId, token: req.token, ack: true, code: '2.05', payload: req.payload });
}

async function main(): Promise<void> {
  const dtls = await DtlsServerTransport.bind({
    host: '127.0.0.1',
    port: 0,
    // Every load client is a PSK device on 127.0.0.1: lift the per-address limits that protect
    // a real server from one address (defaults 64 handshakes, 256 sessions).
    psk: (identity) => (identity.startsWith('bench-') ? BENCH_PSK : undefined),
    limits: { maxHandshakes: 5000, maxHandshakesPerAddress: 5000, maxSessionsPerAddress: 1_000_000, maxSessions: 1_000_000 },
    socketBufferBytes: SOCKET_BUFFER,
  });
  dtls.onDatagram((d) => {
    const a = answer(d.data);
    if (a) dtls.send(a, d.peer);
  });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const a = answer(msg);
    if (a) udp.send(a, rinfo.port, rinfo.address);
  });
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  try {
    udp.setRecvBufferSize(SOCKET_BUFFER);
    udp.setSendBufferSize(SOCKET_BUFFER);
  } catch {
    // capped by the kernel: same for both paths anyway
  }
  const gc = (globalThis as { gc?: () => void }).gc;

  process.on('message', (cmd: DtlsServerCommand) => {
    let reply: DtlsServerReply;
    if (cmd.type === 'cpu') {
      reply = { type: 'cpu', ...process.cpuUsage() };
    } else if (cmd.type === 'mem') {
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      const st = dtls.stats();
      reply = {
        type: 'mem',
        heapUsed: m.heapUsed,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        rss: m.rss,
        sessions: st.sessions,
        handshakesOk: st.handshakesOk,
        handshakesFailed: st.handshakesFailed,
        handshakesRejected: st.handshakesRejected,
      };
    } else {
      reply = { type: 'reset', closed: dtls.closeSessions(() => true) };
    }
    process.send?.(reply);
  });
  process.on('disconnect', () => {
    void dtls.close().then(() => udp.close(() => process.exit(0)));
  });
  process.send?.({ type: 'ready', udpPort: udp.address().port, dtlsPort: dtls.address().port } satisfies DtlsServerReply);
}

// Only as a forked entry: bench/dtls.ts imports this module for its constants and types.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

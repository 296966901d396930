import dgram from 'node:dgram';

/**
 * The ceiling for the management benchmark: a Node process that echoes every UDP datagram back
 * to its sender, on 127.0.0.1 with an ephemeral port. Forked by bench/management.ts, which it
 * tells its port over IPC; it exits when the parent disconnects.
 */
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
socket.bind(0, '127.0.0.1', () => {
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    /* the kernel may cap it: the default buffer still works */
  }
  process.send?.({ type: 'ready', port: socket.address().port });
});
process.on('disconnect', () => socket.close(() => process.exit(0)));

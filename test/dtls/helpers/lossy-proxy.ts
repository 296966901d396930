/**
 * A UDP relay between one client and the server that can drop chosen datagrams, to test
 * retransmission against real peers. Datagrams are numbered per direction from 1.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';

export interface LossyProxy {
  port: number;
  dropped: { toServer: number[]; toClient: number[] };
  close(): void;
}

export async function lossyProxy(serverPort: number, drop: { toServer?: readonly number[]; toClient?: readonly number[] }): Promise<LossyProxy> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  front.bind(0, '127.0.0.1');
  back.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  let client: { port: number; address: string } | undefined;
  let nIn = 0;
  let nOut = 0;
  const dropped = { toServer: [] as number[], toClient: [] as number[] };
  front.on('message', (m, r) => {
    client = { port: r.port, address: r.address };
    nIn++;
    if (drop.toServer?.includes(nIn)) dropped.toServer.push(nIn);
    else back.send(m, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    nOut++;
    if (drop.toClient?.includes(nOut)) dropped.toClient.push(nOut);
    else if (client) front.send(m, client.port, client.address);
  });
  return {
    port: front.address().port,
    dropped,
    close: () => {
      front.close();
      back.close();
    },
  };
}

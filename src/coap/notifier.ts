import { Lwm2mError } from '../errors.js';
import type { PeerAddress } from '../transport/types.js';
import { blockSize, encodeBlock, szxFor } from './block.js';
import { CON, codeNumber, type OutgoingMessage } from './codec.js';
import type { MessageLayer } from './message-layer.js';
import type { CoapParameters } from './parameters.js';
import type { OutgoingResponse } from './types.js';

/** A notification to send: a response with the Observe sequence number it carries (RFC 7641 §4.2). */
export type OutgoingNotification = OutgoingResponse & { observe: number };

/**
 * Sends one notification outside a request/response pair (RFC 7641 §4.2, §4.5): a CON or NON
 * message with the observer's token and an Observe option. A CON settles when the peer ACKs it,
 * and rejects on RST (the peer is no longer interested: passive cancel, §3.6) or when
 * MAX_RETRANSMIT retransmissions go unanswered; a NON settles once sent.
 * A body larger than BLOCK_SIZE goes out as its first block with Block2 and Size2; the observer
 * fetches the rest with plain GETs (RFC 7959 §3.4), which the request handler answers.
 */
export function sendNotification(
  ml: MessageLayer,
  params: Readonly<CoapParameters>,
  peer: PeerAddress,
  token: Buffer,
  response: OutgoingNotification,
  confirmable: boolean,
): Promise<void> {
  let code: number;
  try {
    code = codeNumber(response.code);
  } catch (e) {
    return Promise.reject(e);
  }
  const m: OutgoingMessage = { type: CON, code, mid: 0, token, observe: response.observe & 0xffffff };
  if (response.contentFormat !== undefined) m.contentFormat = response.contentFormat;
  const body = response.payload;
  if (body !== undefined && body.length > 0) {
    const szx = szxFor(params.BLOCK_SIZE);
    if (body.length > blockSize(szx)) {
      m.payload = body.subarray(0, blockSize(szx));
      m.block2 = encodeBlock(0, true, szx);
      m.size2 = body.length;
    } else {
      m.payload = body;
    }
  }
  const ps = ml.peerState(peer);
  if (!confirmable) {
    ml.sendNon(ps, m);
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    ml.sendCon(ps, m, {
      onAck: () => resolve(),
      onReset: () => reject(new Lwm2mError('LWM2M_ERR_CANCELLED', 'the observer answered the notification with RST')),
      onGiveUp: () => reject(new Lwm2mError('LWM2M_ERR_TIMEOUT', 'the observer did not acknowledge the notification')),
    });
  });
}

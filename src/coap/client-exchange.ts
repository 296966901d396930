import { Lwm2mError } from '../errors.js';
import { blockSize, decodeBlock, encodeBlock, szxFor, MAX_BLOCK_NUM } from './block.js';
import { CON, codeString, type CoapMessage, type OutgoingMessage } from './codec.js';
import type { ConOwner, OutboundCon, PeerState } from './message-layer.js';
import { CODE, METHOD_CODE } from './methods.js';
import type { Requester } from './requester.js';
import type { Scheduled } from './scheduler.js';
import type { IncomingResponse, OutgoingRequest } from './types.js';

/** The token of an exchange not yet given one (the requester assigns it before the first send). */
const NO_TOKEN = Buffer.alloc(0);

/** A notification's first block, to continue with GETs for the rest (RFC 7959 §3.4). */
export interface Block2Start {
  first: CoapMessage;
}

/**
 * One outgoing request until its whole response is in: queued for NSTART, sent (CON with
 * retransmission by the message layer, or NON), then block-wise rounds — Block1 for a large
 * request body, Block2 to fetch the rest of a large response — each a new message with a new MID.
 */
export class ClientExchange implements Scheduled, ConOwner {
  deadline = 0;
  heapIndex = -1;
  done = false;
  started = false;
  /** Key of the current token in the requester's map: `${peerKey}|${token latin1}`. */
  tokenKey = '';
  token: Buffer = NO_TOKEN;
  con: OutboundCon | undefined;
  /** Called when a first response with an Observe option arrives (before any Block2 follow-up). */
  onObserveAccepted: ((msg: CoapMessage) => void) | undefined;
  /** Follow-up Block2 requests get a new token (needed when the first token carries notifications). */
  freshTokenForBlocks = false;
  /** Finish at the empty ACK instead of waiting for the separate response (observe cancel). */
  doneOnEmptyAck = false;

  #b1Szx = -1; // -1: not sending block-wise
  #b1Num = 0;
  #b1Shrinks = 0;
  #chunks: Buffer[] | undefined;
  #received = 0;
  #first: CoapMessage | undefined;
  #inFollowUp = false;

  constructor(
    readonly requester: Requester,
    readonly ps: PeerState,
    readonly req: OutgoingRequest,
    readonly resolve: (r: IncomingResponse) => void,
    readonly reject: (e: Error) => void,
    block2Start?: Block2Start,
  ) {
    if (block2Start !== undefined) {
      this.#first = block2Start.first;
      this.#chunks = [block2Start.first.payload];
      this.#received = block2Start.first.payload.length;
      this.#inFollowUp = true;
    }
  }

  /** Timeout of the whole exchange. */
  fire(): void {
    this.fail(new Lwm2mError('LWM2M_ERR_TIMEOUT', `no response from ${this.ps.key} in time`));
  }

  start(): void {
    this.started = true;
    const payload = this.req.payload;
    const size = this.requester.params.BLOCK_SIZE;
    if (payload !== undefined && payload.length > size) this.#b1Szx = szxFor(size);
    if (this.#inFollowUp) this.#sendNextBlock2(this.#first!);
    else this.#send(this.#message());
  }

  // --- ConOwner ---
  onAck(con: OutboundCon, msg: CoapMessage): void {
    if (con !== this.con) return;
    this.con = undefined;
    if (msg.code === 0) {
      // Empty ACK: a separate response follows (RFC 7252 §5.2.2), unless we do not need it.
      if (this.doneOnEmptyAck) this.#complete(msg, msg.payload);
      return;
    }
    if (!msg.token.equals(this.token)) {
      // §5.3.2: the token must match; a piggybacked response with another token is not ours.
      this.fail(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', 'ACK carried a response with a different token'));
      return;
    }
    this.onResponse(msg);
  }

  onReset(con: OutboundCon): void {
    if (con !== this.con) return;
    this.fail(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', 'the device rejected the request with RST'));
  }

  onGiveUp(con: OutboundCon): void {
    if (con !== this.con) return;
    this.fail(new Lwm2mError('LWM2M_ERR_TIMEOUT', `no ACK from ${this.ps.key} after ${con.retransmissions} retransmissions`));
  }

  /** A response: piggybacked, or separate (CON/NON) matched by token. */
  onResponse(msg: CoapMessage): void {
    if (this.done) return;
    if (this.con !== undefined) {
      // A separate response before the empty ACK implies the ACK was lost (RFC 7252 §5.2.2).
      this.requester.ml.stop(this.con);
      this.con = undefined;
    }
    this.requester.stats.responsesIn++;
    if (msg.badCritical !== undefined) {
      // RFC 7252 §5.4.1: a response with an unrecognized critical option must be rejected.
      this.requester.stats.badOption++;
      this.fail(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `response carries unrecognized critical option ${msg.badCritical}`));
      return;
    }
    if (this.#b1Szx >= 0 && this.#block1Step(msg)) return;
    if (this.#b1Szx < 0 && msg.code === CODE.REQUEST_ENTITY_TOO_LARGE && this.#startBlock1After413(msg)) return;
    if (!this.#inFollowUp && msg.observe !== undefined && this.onObserveAccepted !== undefined) {
      this.onObserveAccepted(msg);
      this.onObserveAccepted = undefined;
    }
    if (msg.block2 !== undefined && msg.code >> 5 === 2) {
      this.#block2Step(msg);
      return;
    }
    // An error in the middle of a Block2 transfer is delivered as itself, without the partial body.
    const whole = this.#chunks === undefined || msg.code >> 5 !== 2;
    this.#complete(msg, whole ? msg.payload : Buffer.concat(this.#chunks!));
  }

  fail(e: Error): void {
    if (this.done) return;
    this.#finish();
    this.reject(e);
  }

  #complete(last: CoapMessage, payload: Buffer): void {
    const first = last.code >> 5 === 2 ? (this.#first ?? last) : last;
    this.#finish();
    const res: IncomingResponse = {
      code: codeString(last.code),
      payload,
      locationPath: last.locationPath,
      peer: this.ps.peer,
      token: first.token,
      confirmable: first.type === CON,
    };
    if (first.contentFormat !== undefined) res.contentFormat = first.contentFormat;
    if (first.observe !== undefined) res.observe = first.observe;
    this.resolve(res);
  }

  #finish(): void {
    this.done = true;
    if (this.con !== undefined) this.requester.ml.stop(this.con);
    this.con = undefined;
    this.requester.finished(this);
  }

  /** Returns true when the Block1 transfer goes on (RFC 7959 §2.3, §2.9.3). */
  #block1Step(msg: CoapMessage): boolean {
    const total = this.req.payload!.length;
    if (msg.code === CODE.CONTINUE) {
      const sentEnd = Math.min(total, (this.#b1Num + 1) * blockSize(this.#b1Szx));
      if (sentEnd >= total) return false; // 2.31 after the last block: deliver it as is
      // §2.3: the server may ask for smaller blocks in its 2.31; later blocks use that size.
      const peerSzx = msg.block1 !== undefined ? decodeBlock(msg.block1).szx : this.#b1Szx;
      if (peerSzx < this.#b1Szx) this.#b1Szx = peerSzx;
      this.#b1Num = sentEnd / blockSize(this.#b1Szx);
      this.#send(this.#message());
      return true;
    }
    if (msg.code === CODE.REQUEST_ENTITY_TOO_LARGE) return this.#startBlock1After413(msg);
    return false;
  }

  /** §2.9.3: a 4.13 with Block1 (preferred size) or Size1: start again with smaller blocks. */
  #startBlock1After413(msg: CoapMessage): boolean {
    const total = this.req.payload?.length ?? 0;
    const current = this.#b1Szx >= 0 ? blockSize(this.#b1Szx) : total;
    let wanted: number | undefined;
    if (msg.block1 !== undefined) wanted = blockSize(decodeBlock(msg.block1).szx);
    else if (msg.size1 !== undefined && msg.size1 >= 16) wanted = msg.size1;
    if (wanted === undefined || wanted >= current || this.#b1Shrinks >= 7) return false;
    this.#b1Shrinks++;
    this.#b1Szx = szxFor(wanted);
    this.#b1Num = 0;
    this.#send(this.#message());
    return true;
  }

  #block2Step(msg: CoapMessage): void {
    const b = decodeBlock(msg.block2!);
    const offset = b.num * blockSize(b.szx);
    if (this.#chunks === undefined) {
      if (offset !== 0) return this.fail(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', 'first Block2 response is not block 0'));
      this.#chunks = [];
      this.#first = msg;
    } else if (offset !== this.#received) {
      return this.fail(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `Block2 out of order: offset ${offset}, expected ${this.#received}`));
    }
    this.#chunks.push(msg.payload);
    this.#received += msg.payload.length;
    if (this.#received > this.requester.params.MAX_BODY_SIZE) {
      return this.fail(new Lwm2mError('LWM2M_ERR_ENTITY_TOO_LARGE', `response larger than ${this.requester.params.MAX_BODY_SIZE} bytes`));
    }
    if (!b.more) return this.#complete(msg, Buffer.concat(this.#chunks));
    this.#inFollowUp = true;
    this.#sendNextBlock2(msg);
  }

  #sendNextBlock2(last: CoapMessage): void {
    const szx = decodeBlock(last.block2!).szx;
    const size = blockSize(szx);
    const num = this.#received / size;
    if (!Number.isInteger(num) || num > MAX_BLOCK_NUM || last.payload.length === 0) {
      return this.fail(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', 'Block2 sizes do not add up'));
    }
    if (this.freshTokenForBlocks) this.requester.retoken(this);
    const m = this.#message();
    m.block2 = encodeBlock(num, false, szx);
    this.#send(m);
  }

  #message(): OutgoingMessage {
    const r = this.req;
    const m: OutgoingMessage = { type: CON, code: METHOD_CODE[r.method], mid: 0, token: this.token, path: r.path };
    if (r.query !== undefined && r.query.length > 0) m.query = r.query;
    if (r.accept !== undefined) m.accept = r.accept;
    // RFC 7959 §3.4 / §2.4: follow-up GETs for the rest of the body carry no Observe.
    if (r.observe !== undefined && !this.#inFollowUp) m.observe = r.observe;
    const body = r.payload;
    if (body !== undefined && body.length > 0 && (!this.#inFollowUp || r.method === 'FETCH')) {
      if (r.contentFormat !== undefined) m.contentFormat = r.contentFormat;
      if (this.#b1Szx >= 0 && !this.#inFollowUp) {
        const size = blockSize(this.#b1Szx);
        const from = this.#b1Num * size;
        const more = from + size < body.length;
        m.payload = body.subarray(from, from + size);
        m.block1 = encodeBlock(this.#b1Num, more, this.#b1Szx);
        if (this.#b1Num === 0) m.size1 = body.length; // RFC 7959 §4: size indication
      } else {
        m.payload = body;
      }
    } else if (r.contentFormat !== undefined && !this.#inFollowUp) {
      m.contentFormat = r.contentFormat;
    }
    return m;
  }

  #send(m: OutgoingMessage): void {
    const ml = this.requester.ml;
    this.requester.stats.requestsOut++;
    if (this.req.confirmable === false) ml.sendNon(this.ps, m);
    else {
      this.con = ml.prepareCon(this.ps, m, this);
      ml.transmit(this.con);
    }
  }
}

import type { Clock, RandomSource } from '../clock.js';
import type { Logger } from '../log.js';
import { peerKey, type PeerAddress, type Transport } from '../transport/types.js';
import { CON, NON, RST, emptyMessage, encode, type CoapMessage, type OutgoingMessage } from './codec.js';
import type { CoapParameters } from './parameters.js';
import type { Scheduled, Scheduler } from './scheduler.js';
import type { Counters } from './stats.js';

/** Who is told what became of a CON we sent. */
export interface ConOwner {
  /** An ACK: empty (msg.code 0) or with a piggybacked response. */
  onAck(con: OutboundCon, msg: CoapMessage): void;
  onReset(con: OutboundCon): void;
  /** MAX_RETRANSMIT retransmissions went unanswered (RFC 7252 §4.2). */
  onGiveUp(con: OutboundCon): void;
}

/** Per-peer message state: the MID counter and the NSTART queue of the exchange layer. */
export class PeerState {
  nextMid: number;
  /** Outstanding interactions (RFC 7252 §4.7), counted by the exchange layer. */
  active = 0;
  /** Requests waiting for NSTART; a FIFO with a moving head to avoid Array#shift copies. */
  queue: { start(): void }[] = [];
  queueHead = 0;
  lastUsed: number;
  constructor(readonly key: string, readonly peer: PeerAddress, mid: number, now: number) {
    this.nextMid = mid;
    this.lastUsed = now;
  }
}

/** A CON in flight, retransmitted by the shared scheduler (no timer of its own). */
export class OutboundCon implements Scheduled {
  deadline = 0;
  heapIndex = -1;
  retransmissions = 0;
  timeout: number;
  constructor(
    readonly layer: MessageLayer,
    readonly peer: PeerAddress,
    readonly key: string,
    readonly mid: number,
    readonly data: Buffer,
    readonly owner: ConOwner,
    timeout: number,
  ) {
    this.timeout = timeout;
  }
  fire(now: number): void {
    this.layer.retransmitDue(this, now);
  }
}

/**
 * The message layer (RFC 7252 §4): message IDs per peer, CON retransmission with exponential
 * back-off, matching ACK/RST to our CONs by (peer, MID). Deduplication of incoming messages is
 * done by the endpoint with DedupCache because it needs the replies.
 */
export class MessageLayer {
  readonly peers = new Map<string, PeerState>();
  readonly pending = new Map<string, OutboundCon>();
  #sweep: Scheduled;

  constructor(
    readonly transport: Transport,
    readonly scheduler: Scheduler,
    readonly clock: Clock,
    readonly random: RandomSource,
    readonly params: Readonly<CoapParameters>,
    readonly stats: Counters,
    readonly log: Logger,
  ) {
    this.#sweep = { deadline: 0, heapIndex: -1, fire: (now) => this.#sweepPeers(now) };
  }

  peerState(peer: PeerAddress, key = peerKey(peer)): PeerState {
    let ps = this.peers.get(key);
    const now = this.clock.now();
    if (ps === undefined) {
      // §4.4: start from a random MID so a restart does not reuse recent ones.
      ps = new PeerState(key, { address: peer.address, port: peer.port }, Math.floor(this.random() * 0x10000), now);
      this.peers.set(key, ps);
      if (this.#sweep.heapIndex < 0) this.scheduler.schedule(this.#sweep, now + this.params.EXCHANGE_LIFETIME);
    }
    ps.lastUsed = now;
    return ps;
  }

  nextMid(ps: PeerState): number {
    const mid = ps.nextMid;
    ps.nextMid = (mid + 1) & 0xffff;
    return mid;
  }

  sendRaw(data: Buffer, peer: PeerAddress): void {
    this.stats.datagramsOut++;
    try {
      this.transport.send(data, peer);
    } catch (e) {
      this.log.debug({ err: e, peer }, 'coap: send failed');
    }
  }

  sendReset(peer: PeerAddress, mid: number): void {
    this.stats.resetsSent++;
    this.sendRaw(emptyMessage(RST, mid), peer);
  }

  /** Sends a CON with a fresh MID; the owner hears of its ACK, RST or give-up. */
  sendCon(ps: PeerState, m: OutgoingMessage, owner: ConOwner): OutboundCon {
    const con = this.prepareCon(ps, m, owner);
    this.transmit(con);
    return con;
  }

  /** Builds and registers a CON without sending it, so the owner can note it first. */
  prepareCon(ps: PeerState, m: OutgoingMessage, owner: ConOwner): OutboundCon {
    m.type = CON;
    m.mid = this.nextMid(ps);
    const data = encode(m);
    const p = this.params;
    // §4.2: initial timeout random in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR].
    const timeout = p.ACK_TIMEOUT + this.random() * p.ACK_TIMEOUT * (p.ACK_RANDOM_FACTOR - 1);
    const con = new OutboundCon(this, ps.peer, `${ps.key}#${m.mid}`, m.mid, data, owner, timeout);
    this.pending.set(con.key, con);
    return con;
  }

  transmit(con: OutboundCon): void {
    this.scheduler.schedule(con, this.clock.now() + con.timeout);
    this.sendRaw(con.data, con.peer);
  }

  sendNon(ps: PeerState, m: OutgoingMessage): void {
    m.type = NON;
    m.mid = this.nextMid(ps);
    this.sendRaw(encode(m), ps.peer);
  }

  /** Stops retransmitting (an ACK, RST, or a response that implies the ACK arrived). */
  stop(con: OutboundCon): void {
    this.scheduler.cancel(con);
    this.pending.delete(con.key);
  }

  /** An empty ACK, a piggybacked response or an RST for one of our CONs. */
  matchReply(key: string, msg: CoapMessage): boolean {
    const con = this.pending.get(`${key}#${msg.mid}`);
    if (con === undefined) return false;
    this.stop(con);
    if (msg.type === RST) {
      this.stats.resetsReceived++;
      con.owner.onReset(con);
    } else {
      con.owner.onAck(con, msg);
    }
    return true;
  }

  retransmitDue(con: OutboundCon, now: number): void {
    if (con.retransmissions >= this.params.MAX_RETRANSMIT) {
      this.pending.delete(con.key);
      this.stats.timeouts++;
      con.owner.onGiveUp(con);
      return;
    }
    con.retransmissions++;
    con.timeout *= 2;
    this.stats.retransmissions++;
    this.scheduler.schedule(con, now + con.timeout);
    this.sendRaw(con.data, con.peer);
  }

  #sweepPeers(now: number): void {
    const idleSince = now - this.params.EXCHANGE_LIFETIME;
    for (const [k, ps] of this.peers) {
      if (ps.lastUsed <= idleSince && ps.active === 0 && ps.queue.length === ps.queueHead) this.peers.delete(k);
    }
    if (this.peers.size > 0) this.scheduler.schedule(this.#sweep, now + this.params.EXCHANGE_LIFETIME);
  }

  close(): void {
    this.pending.clear();
    this.peers.clear();
  }
}

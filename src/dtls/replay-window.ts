/**
 * Anti-replay sliding window (RFC 6347 §4.1.2.6, modelled on RFC 4303 §3.4.3): a record is
 * checked before decryption, but the window moves only after the record authenticated, so a
 * forged record cannot shift the window.
 */
export const REPLAY_WINDOW_SIZE = 64;

export class ReplayWindow {
  /** Highest sequence number accepted so far, -1 before the first. */
  #top = -1;
  /** Bit i set = sequence number (top - i) was seen. */
  #bits = 0n;

  /** True when `seq` is new and inside (or ahead of) the window. */
  mayAccept(seq: number): boolean {
    if (seq > this.#top) return true;
    const diff = this.#top - seq;
    if (diff >= REPLAY_WINDOW_SIZE) return false;
    return ((this.#bits >> BigInt(diff)) & 1n) === 0n;
  }

  /** Marks `seq` as received; call only after the record authenticated. */
  accept(seq: number): void {
    if (seq > this.#top) {
      const shift = seq - this.#top;
      this.#bits = shift >= REPLAY_WINDOW_SIZE ? 1n : ((this.#bits << BigInt(shift)) | 1n) & 0xffff_ffff_ffff_ffffn;
      this.#top = seq;
    } else {
      this.#bits |= 1n << BigInt(this.#top - seq);
    }
  }

  get highest(): number {
    return this.#top;
  }
}

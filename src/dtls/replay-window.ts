/**
 * Anti-replay sliding window (RFC 6347 §4.1.2.6, modelled on RFC 4303 §3.4.3): a record is
 * checked before decryption, but the window moves only after the record authenticated, so a
 * forged record cannot shift the window.
 */
export const REPLAY_WINDOW_SIZE = 64;

export class ReplayWindow {
  /** Highest sequence number accepted so far, -1 before the first. */
  #top = -1;
  /**
   * Bit i set = sequence number (top - i) was seen; bits 0..31 in #lo, 32..63 in #hi. Two
   * 32-bit numbers instead of a BigInt: BigInt shifts allocated on every record.
   */
  #lo = 0;
  #hi = 0;

  /** True when `seq` is new and inside (or ahead of) the window. */
  mayAccept(seq: number): boolean {
    if (seq > this.#top) return true;
    const diff = this.#top - seq;
    if (diff >= REPLAY_WINDOW_SIZE) return false;
    const word = diff < 32 ? this.#lo : this.#hi;
    return ((word >>> (diff & 31)) & 1) === 0;
  }

  /** Marks `seq` as received; call only after the record authenticated. */
  accept(seq: number): void {
    if (seq > this.#top) {
      const shift = seq - this.#top;
      if (shift >= REPLAY_WINDOW_SIZE) {
        this.#hi = 0;
        this.#lo = 1;
      } else if (shift >= 32) {
        this.#hi = shift === 32 ? this.#lo : this.#lo << (shift - 32);
        this.#lo = 1;
      } else {
        // JS shifts count mod 32: shift is 1..31 here.
        this.#hi = ((this.#hi << shift) | (this.#lo >>> (32 - shift))) | 0;
        this.#lo = (this.#lo << shift) | 1;
      }
      this.#top = seq;
    } else {
      const diff = this.#top - seq;
      if (diff >= REPLAY_WINDOW_SIZE) return;
      if (diff < 32) this.#lo |= 1 << diff;
      else this.#hi |= 1 << (diff - 32);
    }
  }

  get highest(): number {
    return this.#top;
  }
}

/**
 * Block1/Block2 option values, RFC 7959 §2.2: NUM (up to 20 bits) << 4 | M << 3 | SZX, and the
 * block size is 2^(SZX + 4). SZX 7 is reserved (BERT, only over TCP, RFC 8323) and treated as an error.
 */
export interface BlockValue {
  num: number;
  more: boolean;
  szx: number;
}

export function decodeBlock(v: number): BlockValue {
  return { num: v >>> 4, more: (v & 8) !== 0, szx: v & 7 };
}

export function encodeBlock(num: number, more: boolean, szx: number): number {
  return num * 16 + (more ? 8 : 0) + szx;
}

export function blockSize(szx: number): number {
  return 1 << (szx + 4);
}

/** The SZX for a block size; sizes that are not powers of two round down. */
export function szxFor(size: number): number {
  let szx = 6;
  while (szx > 0 && blockSize(szx) > size) szx--;
  return szx;
}

/** Largest block number a 3-byte option can carry (RFC 7959 §2.2: NUM is at most 20 bits). */
export const MAX_BLOCK_NUM = (1 << 20) - 1;

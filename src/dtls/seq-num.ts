/**
 * Writes a 16-bit number then a 48-bit one, big-endian, at `offset` (8 bytes): the DTLS
 * seq_num, epoch || sequence number (RFC 6347 §4.1.2.1), which is also the CCM explicit nonce
 * (RFC 6655 §3). 48 bits exceed JS bitwise operators: the top 16 bits come by division.
 */
export function writeSeqNum(b: Buffer, offset: number, epoch: number, seq: number): void {
  const top = Math.floor(seq / 0x1_0000_0000);
  const low = seq >>> 0;
  b[offset] = (epoch >>> 8) & 0xff;
  b[offset + 1] = epoch & 0xff;
  b[offset + 2] = (top >>> 8) & 0xff;
  b[offset + 3] = top & 0xff;
  b[offset + 4] = low >>> 24;
  b[offset + 5] = (low >>> 16) & 0xff;
  b[offset + 6] = (low >>> 8) & 0xff;
  b[offset + 7] = low & 0xff;
}

/**
 * The cipher suites this server negotiates, with the key-block sizes each needs
 * (RFC 5246 §6.3, RFC 6655 §3 for CCM_8, RFC 5487 §3 for the CBC_SHA256 PSK suites,
 * RFC 5489 §3 for ECDHE_PSK).
 */
export type KeyExchange = 'psk' | 'ecdhe_psk' | 'ecdhe_ecdsa';
export type BulkCipher = 'aes128_ccm8' | 'aes128_cbc_sha256';

export interface CipherSuite {
  id: number;
  name: string;
  keyExchange: KeyExchange;
  cipher: BulkCipher;
  macKeyLength: number;
  encKeyLength: number;
  /** Implicit part of the IV from the key block: 4 bytes salt for CCM (RFC 6655 §3), none for CBC. */
  fixedIvLength: number;
}

export const TLS_PSK_WITH_AES_128_CCM_8: CipherSuite = {
  id: 0xc0a8,
  name: 'TLS_PSK_WITH_AES_128_CCM_8',
  keyExchange: 'psk',
  cipher: 'aes128_ccm8',
  macKeyLength: 0,
  encKeyLength: 16,
  fixedIvLength: 4,
};

export const TLS_PSK_WITH_AES_128_CBC_SHA256: CipherSuite = {
  id: 0x00ae,
  name: 'TLS_PSK_WITH_AES_128_CBC_SHA256',
  keyExchange: 'psk',
  cipher: 'aes128_cbc_sha256',
  macKeyLength: 32,
  encKeyLength: 16,
  fixedIvLength: 0,
};

export const TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256: CipherSuite = {
  id: 0xc037,
  name: 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256',
  keyExchange: 'ecdhe_psk',
  cipher: 'aes128_cbc_sha256',
  macKeyLength: 32,
  encKeyLength: 16,
  fixedIvLength: 0,
};

/** RFC 7251 §2: ECDHE with ECDSA certificates (X.509 or RFC 7250 raw public keys). */
export const TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: CipherSuite = {
  id: 0xc0ae,
  name: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8',
  keyExchange: 'ecdhe_ecdsa',
  cipher: 'aes128_ccm8',
  macKeyLength: 0,
  encKeyLength: 16,
  fixedIvLength: 4,
};

/** Server preference order: CCM_8 first, as LwM2M 1.x mandates CCM_8 suites for PSK and certificates. */
export const SUPPORTED_SUITES: readonly CipherSuite[] = [
  TLS_PSK_WITH_AES_128_CCM_8,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
  TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
  TLS_PSK_WITH_AES_128_CBC_SHA256,
];

export function suiteById(id: number): CipherSuite | undefined {
  return SUPPORTED_SUITES.find((s) => s.id === id);
}

export function keyBlockLength(s: CipherSuite): number {
  return 2 * (s.macKeyLength + s.encKeyLength + s.fixedIvLength);
}

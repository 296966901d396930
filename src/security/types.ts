/**
 * Device credentials the server accepts on its DTLS listener, one per endpoint, and the store
 * that keeps them (LwM2M 1.1 Transport §5.2: PSK, raw public key, certificate modes).
 */

/**
 * What a device authenticates with. Raw public keys are kept as DER SubjectPublicKeyInfo
 * (what RFC 7250 puts on the wire and what the DTLS layer hands over); the raw 65-byte
 * uncompressed P-256 point, a 33-byte compressed point and PEM are accepted on input and
 * converted (see public-key.ts).
 */
export type SecurityCredential =
  | { mode: 'psk'; identity: string; key: Buffer }
  | { mode: 'rpk'; publicKey: Buffer }
  /** The certificate must chain to a trusted CA and carry the endpoint name as its CN. */
  | { mode: 'x509' };

export type SecurityMode = SecurityCredential['mode'];

export type SecurityInfo = { endpoint: string } & SecurityCredential;

/** What may be shown (API, CLI, logs): never a key, only a fingerprint of a public key. */
export interface SecuritySummary {
  endpoint: string;
  mode: SecurityMode;
  /** PSK identity (not secret: it travels in clear in the handshake). */
  identity?: string;
  /** RPK: "sha256:" + the first 16 bytes (hex) of SHA-256 over the SubjectPublicKeyInfo. */
  keyFingerprint?: string;
}

/**
 * Mutations and reads are async like every store; the lookups the DTLS handshake makes
 * (`pskKeyFor`, `endpointForPskIdentity`, `endpointForPublicKey`, `hasCredentials`) are
 * synchronous and answered from an in-memory index, because the handshake calls them in the
 * middle of processing a flight (RFC 4279 §2, RFC 7250 §4.1).
 */
export interface SecurityStore {
  /**
   * Adds or replaces the credentials of `info.endpoint` (validated and normalised first).
   * Returns what it replaced. A PSK identity or a public key can belong to one endpoint only:
   * using one bound to another endpoint is a LWM2M_ERR_BAD_REQUEST and changes nothing.
   */
  add(info: SecurityInfo): Promise<SecurityInfo | undefined>;
  /** Removes the credentials of an endpoint. Returns what was removed. */
  remove(endpoint: string): Promise<SecurityInfo | undefined>;
  get(endpoint: string): Promise<SecurityInfo | undefined>;
  /** Summaries (no secrets), ordered by endpoint. */
  list(): Promise<SecuritySummary[]>;
  /** The PSK of an identity, or undefined (the handshake then fails with unknown_psk_identity). */
  pskKeyFor(identity: string): Buffer | undefined;
  endpointForPskIdentity(identity: string): string | undefined;
  /** Endpoint bound to a raw public key (SPKI DER or raw P-256 point). */
  endpointForPublicKey(publicKey: Uint8Array): string | undefined;
  /** Whether an endpoint has credentials (then it may not register over plain CoAP). */
  hasCredentials(endpoint: string): boolean;
  readonly size: number;
  close(): Promise<void>;
}

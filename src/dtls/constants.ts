/**
 * Wire constants of DTLS 1.2 (RFC 6347, RFC 5246 §A) and the extensions this server speaks.
 * Names follow the RFCs so a reader can grep the clause.
 */

/** RFC 5246 §6.2.1 ContentType, plus tls12_cid from RFC 9146 §4. */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  tls12Cid: 25,
} as const;

/** RFC 5246 §7.4 + RFC 6347 §4.3.2 (hello_verify_request). */
export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** RFC 5246 §7.2, RFC 5746 (no_renegotiation), RFC 4279 §2 (unknown_psk_identity). */
export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  badCertificate: 42,
  illegalParameter: 47,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  insufficientSecurity: 71,
  internalError: 80,
  noRenegotiation: 100,
  unsupportedExtension: 110,
  unknownPskIdentity: 115,
} as const;

/** IANA TLS ExtensionType values used here. */
export const ExtensionType = {
  maxFragmentLength: 1, // RFC 6066 §4
  supportedGroups: 10, // RFC 8422 §5.1.1 (elliptic_curves)
  ecPointFormats: 11, // RFC 8422 §5.1.2
  signatureAlgorithms: 13, // RFC 5246 §7.4.1.4.1
  clientCertificateType: 19, // RFC 7250 §3
  serverCertificateType: 20, // RFC 7250 §3
  encryptThenMac: 22, // RFC 7366 (not negotiated: we answer MAC-then-encrypt)
  extendedMasterSecret: 23, // RFC 7627 §5.1
  sessionTicket: 35, // RFC 5077 (ignored: resumption is by session ID)
  connectionId: 54, // RFC 9146 §3
  renegotiationInfo: 0xff01, // RFC 5746 §3.2
} as const;

/** RFC 6347 §4.1: DTLS 1.2 is {254, 253}; DTLS 1.0 is {254, 255}. */
export const DTLS_1_2 = 0xfefd;
export const DTLS_1_0 = 0xfeff;

/** RFC 5746 §3.3: signalling cipher suite value standing for an empty renegotiation_info. */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** RFC 8422 §5.4 NamedCurve secp256r1 and ECCurveType named_curve. */
export const NAMED_CURVE_SECP256R1 = 23;
export const EC_CURVE_TYPE_NAMED = 3;

export const RECORD_HEADER_LENGTH = 13;
export const HANDSHAKE_HEADER_LENGTH = 12;
/** RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14. */
export const MAX_PLAINTEXT_LENGTH = 16384;

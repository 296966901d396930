/**
 * What the server answers to a ClientHello: version, suite, and the extensions it echoes
 * (RFC 5746 renegotiation_info, RFC 7627 extended_master_secret, RFC 6066 max_fragment_length,
 * RFC 9146 connection_id, RFC 8422 ec_point_formats). Pure: no I/O, no state.
 */
import { ByteReader } from './byte-reader.js';
import { AlertDescription, DTLS_1_2, ExtensionType, NAMED_CURVE_SECP256R1, TLS_EMPTY_RENEGOTIATION_INFO_SCSV } from './constants.js';
import { SUPPORTED_SUITES, type CipherSuite } from './cipher-suites.js';
import { maxFragmentLengthFromCode, type ClientHello } from './hello-messages.js';

export interface Negotiated {
  suite: CipherSuite;
  extendedMasterSecret: boolean;
  secureRenegotiation: boolean;
  maxFragmentCode: number | undefined;
  /** The CID the client wants in our records; undefined = no CID extension. */
  peerCid: Buffer | undefined;
  sendPointFormats: boolean;
  /** ECDHE_ECDSA only: the certificate types chosen (RFC 7250 §4), and whether to echo them. */
  serverCertType: number;
  clientCertType: number;
  echoServerCertType: boolean;
  echoClientCertType: boolean;
}

export class NegotiationError extends Error {
  constructor(
    message: string,
    readonly alert: number,
  ) {
    super(message);
  }
}

export interface NegotiationPolicy {
  suites: readonly CipherSuite[];
  cidEnabled: boolean;
  /** What certificate material is configured; absent = no ECDHE_ECDSA. */
  certificates?: { serverX509: boolean; clientX509: boolean; clientRpk: boolean };
}

const X509 = 0;
const RPK = 2;

/**
 * RFC 7250 §4: pick one certificate type from the client's list (absent list = X.509 only).
 * The list is in the client's order of preference, so the first type we support wins.
 * -1 = nothing acceptable.
 */
function pickType(list: Buffer | undefined, x509: boolean, rpk: boolean, prefer?: number): number {
  if (!list) return x509 ? X509 : -1;
  let types: Buffer;
  try {
    types = new ByteReader(list).vec8();
  } catch {
    return -1;
  }
  if (prefer !== undefined && types.includes(prefer) && ((prefer === X509 && x509) || (prefer === RPK && rpk))) return prefer;
  for (const t of types) {
    if ((t === X509 && x509) || (t === RPK && rpk)) return t;
  }
  return -1;
}

/** RFC 5246 §7.4.1.4.1: if the client lists signature algorithms, ecdsa_secp256r1_sha256 must be one. */
function ecdsaSha256Offered(sigAlgs: Buffer | undefined): boolean {
  if (!sigAlgs) return true;
  try {
    const list = new ByteReader(sigAlgs).vec16();
    for (let i = 0; i + 1 < list.length; i += 2) if (list[i] === 4 && list[i + 1] === 3) return true;
  } catch {
    return false;
  }
  return false;
}

export function negotiate(ch: ClientHello, policy: NegotiationPolicy = { suites: SUPPORTED_SUITES, cidEnabled: true }): Negotiated {
  // DTLS versions count down: 1.2 = 0xfefd < 1.0 = 0xfeff (RFC 6347 §4.1).
  if (ch.clientVersion > DTLS_1_2) throw new NegotiationError('client does not offer DTLS 1.2', AlertDescription.protocolVersion);
  if (!ch.compressionMethods.includes(0)) throw new NegotiationError('null compression not offered', AlertDescription.illegalParameter);

  const ext = ch.extensions;
  const reneg = ext.get(ExtensionType.renegotiationInfo);
  // RFC 5746 §3.6: on an initial handshake the renegotiated_connection field must be empty.
  if (reneg && !(reneg.length === 1 && reneg[0] === 0)) throw new NegotiationError('non-empty renegotiation_info', AlertDescription.handshakeFailure);
  const secureRenegotiation = reneg !== undefined || ch.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);

  const ecOk = curveOffered(ext.get(ExtensionType.supportedGroups));
  const certs = policy.certificates;
  const clientCertType = certs ? pickType(ext.get(ExtensionType.clientCertificateType), certs.clientX509, certs.clientRpk) : -1;
  // A client that authenticates with a raw key is in RPK mode and may hold no CA to check an
  // X.509 chain (libcoap with GnuTLS still lists X.509 first), so mirror its choice if we can.
  const serverCertType = certs ? pickType(ext.get(ExtensionType.serverCertificateType), certs.serverX509, true, clientCertType >= 0 ? clientCertType : undefined) : -1;
  const ecdsaOk = ecOk && serverCertType >= 0 && clientCertType >= 0 && ecdsaSha256Offered(ext.get(ExtensionType.signatureAlgorithms));
  const suite = policy.suites.find(
    (s) => ch.cipherSuites.includes(s.id) && (s.keyExchange === 'psk' || (s.keyExchange === 'ecdhe_psk' && ecOk) || (s.keyExchange === 'ecdhe_ecdsa' && ecdsaOk)),
  );
  if (!suite) throw new NegotiationError('no common cipher suite', AlertDescription.handshakeFailure);

  let maxFragmentCode: number | undefined;
  const mfl = ext.get(ExtensionType.maxFragmentLength);
  if (mfl) {
    // RFC 6066 §4: an unknown value MUST be answered with illegal_parameter.
    if (mfl.length !== 1 || maxFragmentLengthFromCode(mfl[0]!) === undefined) throw new NegotiationError('bad max_fragment_length', AlertDescription.illegalParameter);
    maxFragmentCode = mfl[0];
  }

  let peerCid: Buffer | undefined;
  const cidExt = ext.get(ExtensionType.connectionId);
  if (cidExt && policy.cidEnabled) {
    const r = new ByteReader(cidExt);
    peerCid = Buffer.from(r.vec8());
    r.end();
  }

  return {
    suite,
    extendedMasterSecret: ext.has(ExtensionType.extendedMasterSecret),
    secureRenegotiation,
    maxFragmentCode,
    peerCid,
    sendPointFormats: suite.keyExchange !== 'psk' && ext.has(ExtensionType.ecPointFormats),
    serverCertType,
    clientCertType,
    echoServerCertType: suite.keyExchange === 'ecdhe_ecdsa' && ext.has(ExtensionType.serverCertificateType),
    echoClientCertType: suite.keyExchange === 'ecdhe_ecdsa' && ext.has(ExtensionType.clientCertificateType),
  };
}

/** RFC 8422 §5.1.1: without the extension any curve may be used; with it, P-256 must be listed. */
function curveOffered(groups: Buffer | undefined): boolean {
  if (!groups) return true;
  try {
    const list = new ByteReader(groups).vec16();
    for (let i = 0; i + 1 < list.length; i += 2) if (list.readUInt16BE(i) === NAMED_CURVE_SECP256R1) return true;
  } catch {
    return false;
  }
  return false;
}

/** The ServerHello extensions for a negotiation result; `ownCid` is the CID we want to receive. */
export function serverHelloExtensions(n: Negotiated, ownCid: Buffer | undefined): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  if (n.secureRenegotiation) out.push([ExtensionType.renegotiationInfo, Buffer.from([0])]);
  if (n.extendedMasterSecret) out.push([ExtensionType.extendedMasterSecret, Buffer.alloc(0)]);
  if (n.maxFragmentCode !== undefined) out.push([ExtensionType.maxFragmentLength, Buffer.from([n.maxFragmentCode])]);
  if (n.peerCid !== undefined && ownCid) out.push([ExtensionType.connectionId, Buffer.concat([Buffer.from([ownCid.length]), ownCid])]);
  // RFC 8422 §5.2: answer with the uncompressed point format only.
  if (n.sendPointFormats) out.push([ExtensionType.ecPointFormats, Buffer.from([1, 0])]);
  // RFC 7250 §4: the server answers with the single type it selected.
  if (n.echoClientCertType) out.push([ExtensionType.clientCertificateType, Buffer.from([n.clientCertType])]);
  if (n.echoServerCertType) out.push([ExtensionType.serverCertificateType, Buffer.from([n.serverCertType])]);
  return out;
}

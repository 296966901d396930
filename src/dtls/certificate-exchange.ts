/**
 * The certificate half of ECDHE_ECDSA (RFC 8422 §2, RFC 7250): what the server sends after
 * ServerHello, and the check of what the client presents.
 */
import type { KeyObject } from 'node:crypto';
import type { PeerIdentity } from '../transport/types.js';
import { checkCertificateChain, checkRawPublicKey, type ServerCredentials } from './certificates.js';
import { certificateBody, certificateRequestBody, CertificateType, parseCertificateBody, signedServerKeyExchange } from './certificate-messages.js';
import { AlertDescription, HandshakeType } from './constants.js';
import { HandshakeAbort } from './handshake-types.js';

/** Certificate, signed ServerKeyExchange and CertificateRequest, as [msg_type, body] pairs. */
export function serverCertificateMessages(
  certType: number,
  creds: ServerCredentials,
  ecdhPoint: Buffer,
  clientRandom: Buffer,
  serverRandom: Buffer,
): Array<[number, Buffer]> {
  const raw = certType === CertificateType.rawPublicKey;
  return [
    [HandshakeType.certificate, certificateBody(certType, raw ? [creds.spki] : creds.chain)],
    [HandshakeType.serverKeyExchange, signedServerKeyExchange(ecdhPoint, clientRandom, serverRandom, creds.privateKey)],
    // LwM2M authenticates both ends: the client must present a certificate or raw key.
    [HandshakeType.certificateRequest, certificateRequestBody()],
  ];
}

/** The client's identity and key from its Certificate message, or a HandshakeAbort. */
export function verifyClientCertificate(certType: number, body: Buffer, creds: ServerCredentials, now: number): { identity: PeerIdentity; publicKey: KeyObject } {
  const certs = parseCertificateBody(certType, body);
  // RFC 5246 §7.4.6: an empty certificate list where one is required ends the handshake.
  if (certs.length === 0) throw new HandshakeAbort('client sent no certificate', AlertDescription.handshakeFailure);
  const verdict = certType === CertificateType.rawPublicKey ? checkRawPublicKey(certs[0]!, creds.trustRawPublicKey) : checkCertificateChain(certs, creds.cas, now);
  if (!verdict.ok) throw new HandshakeAbort(verdict.reason, AlertDescription.badCertificate);
  return { identity: verdict.identity, publicKey: verdict.publicKey };
}

/**
 * Credentials for TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251): the server's P-256 key with
 * an X.509 chain and/or as a raw public key (RFC 7250), and validation of the client's
 * X.509 chain against configured CAs, or of its raw public key against a trust callback.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { PeerIdentity } from '../transport/types.js';
import { badConfig } from './errors.js';

export interface CertificateOptions {
  /** P-256 private key, PEM or DER (PKCS#8 / SEC1) or a KeyObject. */
  privateKey: string | Buffer | KeyObject;
  /** Our X.509 chain, leaf first (PEM, possibly several blocks, or DER). Omit for RPK only. */
  chain?: Array<string | Buffer>;
  /** CAs that issue client certificates (PEM or DER). Without them, X.509 clients are refused. */
  trustedCas?: Array<string | Buffer>;
  /** Decides whether a client's raw public key (SubjectPublicKeyInfo DER) is known. Without it, RPK clients are refused. */
  trustRawPublicKey?: (spki: Buffer) => boolean;
}

export interface ServerCredentials {
  privateKey: KeyObject;
  /** Our SubjectPublicKeyInfo, DER: what RFC 7250 sends in place of a certificate. */
  spki: Buffer;
  chain: Buffer[];
  cas: X509Certificate[];
  trustRawPublicKey: ((spki: Buffer) => boolean) | undefined;
}

/** DER blocks from PEM text (any number of CERTIFICATE blocks) or DER as is. */
export function certificatesFrom(input: string | Buffer): Buffer[] {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  if (!text.includes('-----BEGIN')) return [Buffer.from(input)];
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

function isP256(k: KeyObject): boolean {
  return k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

export function loadCredentials(o: CertificateOptions): ServerCredentials {
  let privateKey: KeyObject;
  try {
    privateKey =
      typeof o.privateKey === 'object' && !Buffer.isBuffer(o.privateKey)
        ? o.privateKey
        : typeof o.privateKey === 'string' || o.privateKey.includes('-----BEGIN')
          ? createPrivateKey(o.privateKey)
          : createPrivateKey({ key: o.privateKey, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw badConfig(`dtls: cannot read the certificate private key: ${(e as Error).message}`);
  }
  if (privateKey.type !== 'private' || !isP256(privateKey)) throw badConfig('dtls: the certificate key must be a P-256 private key (RFC 7251)');
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const chain = (o.chain ?? []).flatMap(certificatesFrom);
  if (chain.length > 0) {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(chain[0]!);
    } catch (e) {
      throw badConfig(`dtls: cannot parse the certificate chain: ${(e as Error).message}`);
    }
    if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) throw badConfig('dtls: the leaf certificate does not match the private key');
  }
  let cas: X509Certificate[];
  try {
    cas = (o.trustedCas ?? []).flatMap(certificatesFrom).map((d) => new X509Certificate(d));
  } catch (e) {
    throw badConfig(`dtls: cannot parse a trusted CA: ${(e as Error).message}`);
  }
  return { privateKey, spki, chain, cas, trustRawPublicKey: o.trustRawPublicKey };
}

export type Verdict = { ok: true; identity: PeerIdentity; publicKey: KeyObject } | { ok: false; reason: string };

/** RFC 7250: a client raw public key must be a P-256 key the trust callback knows. */
export function checkRawPublicKey(spki: Buffer, trust: ((spki: Buffer) => boolean) | undefined): Verdict {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return { ok: false, reason: 'unreadable raw public key' };
  }
  if (!isP256(key)) return { ok: false, reason: 'raw public key is not P-256' };
  if (!trust || !trust(spki)) return { ok: false, reason: 'raw public key not trusted' };
  return { ok: true, identity: { kind: 'rpk', publicKey: new Uint8Array(spki) }, publicKey: key };
}

/**
 * Checks a client chain (leaf first, RFC 5246 §7.4.2): every certificate in its validity
 * period, each signed by the next, intermediates marked as CAs, and the last one issued by (or
 * equal to) a configured CA.
 */
export function checkCertificateChain(ders: Buffer[], cas: X509Certificate[], now: number): Verdict {
  if (ders.length === 0) return { ok: false, reason: 'empty certificate chain' };
  let certs: X509Certificate[];
  try {
    certs = ders.map((d) => new X509Certificate(d));
  } catch {
    return { ok: false, reason: 'unparsable certificate' };
  }
  for (const c of certs) {
    if (now < Date.parse(c.validFrom) || now > Date.parse(c.validTo)) return { ok: false, reason: `certificate outside its validity period: ${c.subject.replace(/\n/g, ', ')}` };
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (!parent.ca || !child.checkIssued(parent) || !child.verify(parent.publicKey)) return { ok: false, reason: 'broken certificate chain' };
  }
  const top = certs[certs.length - 1]!;
  const anchored = cas.some((ca) => ca.raw.equals(top.raw) || (ca.ca && top.checkIssued(ca) && top.verify(ca.publicKey)));
  if (!anchored) return { ok: false, reason: 'certificate not issued by a trusted CA' };
  const leaf = certs[0]!;
  if (!isP256(leaf.publicKey)) return { ok: false, reason: 'client certificate key is not P-256' };
  return { ok: true, identity: { kind: 'x509', commonName: commonName(leaf), certificate: new Uint8Array(leaf.raw) }, publicKey: leaf.publicKey };
}

/** The subject's CN (Node prints the subject as "C=..\nO=..\nCN=.."). */
export function commonName(c: X509Certificate): string {
  const line = c.subject.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : '';
}

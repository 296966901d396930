/**
 * Trusted CA certificates for X.509 mode (`lwm2m serve --ca FILE|DIR`), and validation of a
 * device's chain against them: validity dates, signatures, CA flags (RFC 5280 §6.1, reduced to
 * what a device chain of one to a few certificates needs), and the CN that names the endpoint.
 */
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Lwm2mError } from '../errors.js';

const CERT_FILE = /\.(pem|crt|cer|der)$/i;

/** DER certificates from PEM text (any number of CERTIFICATE blocks), or DER as is. */
export function certificatesFromText(data: Buffer | string): Buffer[] {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  if (!text.includes('-----BEGIN')) return typeof data === 'string' ? [] : [Buffer.from(data)];
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

function badConfig(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', message);
}

/** Reads CA certificates from files and folders (files ending .pem/.crt/.cer/.der, not recursive). */
export async function loadTrustedCas(locations: readonly string[]): Promise<X509Certificate[]> {
  const files: string[] = [];
  for (const loc of locations) {
    let info;
    try {
      info = await stat(loc);
    } catch {
      throw badConfig(`--ca ${loc}: no such file or folder`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(loc)).filter((n) => CERT_FILE.test(n)).sort();
      files.push(...names.map((n) => path.join(loc, n)));
    } else files.push(loc);
  }
  const cas: X509Certificate[] = [];
  for (const file of files) {
    const ders = certificatesFromText(await readFile(file));
    if (ders.length === 0) throw badConfig(`--ca ${file}: no certificate in it`);
    for (const der of ders) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(der);
      } catch (e) {
        throw badConfig(`--ca ${file}: unreadable certificate (${(e as Error).message})`);
      }
      if (!cert.ca) throw badConfig(`--ca ${file}: "${oneLine(cert.subject)}" is not a CA certificate (basicConstraints CA:TRUE)`);
      cas.push(cert);
    }
  }
  return cas;
}

/** The subject's CN (Node prints the subject as "C=..\nO=..\nCN=.."); "" when absent. */
export function commonNameOf(cert: X509Certificate): string {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : '';
}

function oneLine(subject: string): string {
  return subject.replace(/\n/g, ', ');
}

export type ChainVerdict = { ok: true; commonName: string; leaf: X509Certificate } | { ok: false; reason: string };

/**
 * Checks a chain (leaf first): each certificate within its validity period at `nowMs`, each
 * issued and signed by the next one, which must be a CA, and the last one issued by (or equal
 * to) a trusted CA.
 */
export function validateChain(chain: readonly (Buffer | X509Certificate)[], cas: readonly X509Certificate[], nowMs: number): ChainVerdict {
  if (chain.length === 0) return { ok: false, reason: 'empty certificate chain' };
  let certs: X509Certificate[];
  try {
    certs = chain.map((c) => (c instanceof X509Certificate ? c : new X509Certificate(c)));
  } catch {
    return { ok: false, reason: 'unreadable certificate' };
  }
  for (const c of certs) {
    if (nowMs < Date.parse(c.validFrom) || nowMs > Date.parse(c.validTo)) return { ok: false, reason: `certificate "${oneLine(c.subject)}" is outside its validity period` };
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (!parent.ca || !child.checkIssued(parent) || !child.verify(parent.publicKey)) return { ok: false, reason: `"${oneLine(child.subject)}" is not signed by the next certificate of the chain` };
  }
  const top = certs[certs.length - 1]!;
  const anchor = cas.find((ca) => ca.raw.equals(top.raw) || (ca.ca && top.checkIssued(ca) && top.verify(ca.publicKey)));
  if (!anchor) return { ok: false, reason: 'certificate not issued by a trusted CA' };
  if (nowMs < Date.parse(anchor.validFrom) || nowMs > Date.parse(anchor.validTo)) return { ok: false, reason: 'the trusted CA is outside its validity period' };
  const leaf = certs[0]!;
  const commonName = commonNameOf(leaf);
  if (commonName === '') return { ok: false, reason: 'certificate has no CN to name the endpoint' };
  return { ok: true, commonName, leaf };
}

/**
 * The server's own P-256 key pair and certificate for RPK (RFC 7250) and X.509 modes.
 * At first start they are generated into the data folder (`server.key`, PKCS#8 PEM, and a
 * self-signed `server.crt`, both mode 0600); later starts read them back. `lwm2m serve
 * --cert/--key` uses given files instead and writes nothing.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { Lwm2mError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { rawPoint } from './public-key.js';
import { selfSignedCertificate, toPem } from './self-signed.js';
import { certificatesFromText } from './trusted-cas.js';

export const SERVER_KEY_FILE = 'server.key';
export const SERVER_CERT_FILE = 'server.crt';

export interface ServerKeyMaterial {
  /** Never log this. */
  readonly privateKey: KeyObject;
  /** Our certificate chain, DER, leaf first. */
  readonly chain: Buffer[];
  /** SubjectPublicKeyInfo DER: what RFC 7250 sends instead of a certificate. */
  readonly spki: Buffer;
  /** The 65-byte uncompressed point (what many device consoles ask for as "server public key"). */
  readonly rawPublicKey: Buffer;
  /** Where the key came from. */
  readonly source: 'generated' | 'data-folder' | 'given';
  readonly keyFile: string;
  readonly certFile: string | undefined;
}

export interface ServerKeyOptions {
  dataDir: string;
  /** `--cert`: PEM chain, leaf first (or one DER certificate). Needs `keyFile`. */
  certFile?: string;
  /** `--key`: P-256 private key, PEM or DER (PKCS#8 or SEC 1). Alone: RPK mode only. */
  keyFile?: string;
  /** CN of a generated certificate. */
  commonName?: string;
  /** Validity of a generated certificate. */
  days?: number;
  clock?: Clock;
  logger?: Logger;
}

function badConfig(message: string, cause?: unknown): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', message, cause === undefined ? undefined : { cause });
}

function isP256Private(k: KeyObject): boolean {
  return k.type === 'private' && k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw badConfig(`cannot read ${file}: ${(e as Error).message}`, e);
  }
}

export function parsePrivateKey(data: Buffer, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = data.includes('-----BEGIN') ? createPrivateKey(data.toString('utf8')) : createPrivateKey({ key: data, format: 'der', type: 'pkcs8' });
  } catch {
    // The parser's message is kept out: it can quote the file.
    throw badConfig(`${file} is not a readable private key (PEM or PKCS#8 DER)`);
  }
  if (!isP256Private(key)) throw badConfig(`${file} must hold an EC P-256 private key (RFC 7251)`);
  return key;
}

function parseChain(data: Buffer, file: string, key: KeyObject): Buffer[] {
  const chain = certificatesFromText(data);
  if (chain.length === 0) throw badConfig(`${file} holds no certificate`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(chain[0]!);
  } catch (e) {
    throw badConfig(`${file}: cannot parse the certificate: ${(e as Error).message}`, e);
  }
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) throw badConfig(`${file}: the certificate does not match the private key`);
  return chain;
}

function material(privateKey: KeyObject, chain: Buffer[], source: ServerKeyMaterial['source'], keyFile: string, certFile: string | undefined): ServerKeyMaterial {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return Object.freeze({ privateKey, chain, spki, rawPublicKey: rawPoint(spki), source, keyFile, certFile });
}

/** Given files (`--cert/--key`), else the data folder's, generated at first start. */
export async function loadServerKeys(o: ServerKeyOptions): Promise<ServerKeyMaterial> {
  if (o.certFile !== undefined && o.keyFile === undefined) throw badConfig('--cert needs --key (the certificate\'s private key)');
  if (o.keyFile !== undefined) {
    const keyData = await readIfExists(o.keyFile);
    if (!keyData) throw badConfig(`${o.keyFile} does not exist`);
    const key = parsePrivateKey(keyData, o.keyFile);
    let chain: Buffer[] = [];
    if (o.certFile !== undefined) {
      const certData = await readIfExists(o.certFile);
      if (!certData) throw badConfig(`${o.certFile} does not exist`);
      chain = parseChain(certData, o.certFile, key);
    }
    return material(key, chain, 'given', o.keyFile, o.certFile);
  }
  return ensureDataFolderKeys(o);
}

async function ensureDataFolderKeys(o: ServerKeyOptions): Promise<ServerKeyMaterial> {
  const log = o.logger ?? silentLogger();
  const clock = o.clock ?? systemClock;
  await prepareDataDir(o.dataDir, log);
  const keyFile = path.join(o.dataDir, SERVER_KEY_FILE);
  const certFile = path.join(o.dataDir, SERVER_CERT_FILE);
  let source: ServerKeyMaterial['source'] = 'data-folder';
  let keyData = await readIfExists(keyFile);
  if (!keyData) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // 'wx': a second server starting on the same folder keeps the first one's key.
    const created = await writeSecret(keyFile, pem);
    keyData = created ? Buffer.from(pem) : await readFile(keyFile);
    if (created) source = 'generated';
  }
  await chmod(keyFile, 0o600);
  const key = parsePrivateKey(keyData, keyFile);
  let certData = await readIfExists(certFile);
  if (!certData) {
    const der = selfSignedCertificate({ privateKey: key, commonName: o.commonName ?? 'lwm2m-server', now: clock.now(), days: o.days ?? 3650, serial: randomBytes(16) });
    await writeSecret(certFile, toPem(der, 'CERTIFICATE'));
    certData = await readFile(certFile);
    log.info({ certFile }, 'generated a self-signed server certificate');
  }
  const chain = parseChain(certData, certFile, key);
  if (source === 'generated') log.info({ keyFile }, 'generated the server key pair (P-256)');
  return material(key, chain, source, keyFile, certFile);
}

/** Creates the data folder with mode 0700; warns when an existing one is open to others. */
async function prepareDataDir(dir: string, log: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077) log.warn({ dataDir: dir, mode: mode.toString(8) }, 'the data folder holds private keys and PSKs but is accessible to other users; chmod 700 it');
}

/** Writes a new file with mode 0600; false when it already existed. */
async function writeSecret(file: string, text: string): Promise<boolean> {
  try {
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw badConfig(`cannot write ${file}: ${(e as Error).message}`, e);
  }
  await chmod(file, 0o600);
  return true;
}

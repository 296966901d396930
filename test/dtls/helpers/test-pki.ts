/**
 * A throw-away PKI made with the openssl CLI for certificate tests: a CA, a server and a client
 * certificate it issued, and a client certificate from an unrelated CA. All keys are P-256.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestPki {
  dir: string;
  file(name: string): string;
  pem(name: string): string;
  cleanup(): void;
}

function ossl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 10_000 });
}

function key(dir: string, name: string): void {
  ossl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
}

function ca(dir: string, name: string): void {
  key(dir, name);
  ossl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '2', '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign']);
}

function leaf(dir: string, name: string, cn: string, issuer: string): void {
  key(dir, name);
  ossl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/O=Test/CN=${cn}`, '-out', `${name}.csr`]);
  writeFileSync(path.join(dir, `${name}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n');
  ossl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '1', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'dtls-pki-'));
  ca(dir, 'ca');
  ca(dir, 'rogue-ca');
  leaf(dir, 'server', 'lwm2m-server.test', 'ca');
  leaf(dir, 'client', 'urn:dev:device-x509', 'ca');
  leaf(dir, 'rogue', 'urn:dev:rogue', 'rogue-ca');
  // Signed by a leaf (client.pem is not a CA): must never validate.
  leaf(dir, 'leaf-signed', 'urn:dev:leaf-signed', 'client');
  // A raw-public-key identity for a client: its key file, and that key's PEM public key.
  key(dir, 'rpk-client');
  ossl(dir, ['pkey', '-in', 'rpk-client.key', '-pubout', '-out', 'rpk-client.pub']);
  writeFileSync(path.join(dir, 'rpk-client.both.pem'), readFileSync(path.join(dir, 'rpk-client.pub'), 'utf8') + readFileSync(path.join(dir, 'rpk-client.key'), 'utf8'));
  return {
    dir,
    file: (name) => path.join(dir, name),
    pem: (name) => readFileSync(path.join(dir, name), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

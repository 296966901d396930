import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isLwm2mError } from '../../errors.js';
import { checkPskIdentity, pskKeyFromHex } from '../../security/credential-input.js';
import { toSpki } from '../../security/public-key.js';
import type { SecuritySummary } from '../../security/types.js';
import { apiCall, CliError, resolveTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printTable } from '../output.js';

const enc = encodeURIComponent;

interface AddOptions extends ApiCommandOptions {
  pskIdentity?: string;
  pskKey?: string;
  rpk?: string;
  x509?: boolean;
}

/** Runs a validator from src/security and turns its error into one CLI line. */
function check<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isLwm2mError(e)) throw new CliError(`${flag}: ${e.message}`);
    throw e;
  }
}

/**
 * A device public key file: PEM (a PUBLIC KEY, or a private key of which only the public half
 * is used and sent), DER SubjectPublicKeyInfo, a raw P-256 point, or any of those as hex.
 */
async function readPublicKeyFile(file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    throw new CliError(`--rpk: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const text = data.toString('latin1').trim();
  const isText = text.includes('-----BEGIN') || /^[0-9a-fA-F:\s]+$/.test(text);
  return check('--rpk', () => toSpki(isText ? text : data));
}

/** The request body for POST /api/v1/security from the add options (exactly one mode). */
async function addBody(endpoint: string, o: AddOptions): Promise<Record<string, unknown>> {
  const psk = o.pskIdentity !== undefined || o.pskKey !== undefined;
  const modes = [psk, o.rpk !== undefined, o.x509 === true].filter(Boolean).length;
  if (modes !== 1) throw new CliError('give exactly one of --psk-identity/--psk-key, --rpk FILE or --x509');
  if (psk) {
    if (o.pskIdentity === undefined || o.pskKey === undefined) throw new CliError('PSK mode needs both --psk-identity and --psk-key');
    const identity = check('--psk-identity', () => checkPskIdentity(o.pskIdentity));
    const key = check('--psk-key', () => pskKeyFromHex(o.pskKey));
    return { endpoint, psk: { identity, key: key.toString('hex') } };
  }
  if (o.rpk !== undefined) return { endpoint, rpk: { publicKey: (await readPublicKeyFile(o.rpk)).toString('hex') } };
  return { endpoint, x509: {} };
}

function describe(s: SecuritySummary): string {
  if (s.mode === 'psk') return `psk identity "${s.identity ?? ''}"`;
  if (s.mode === 'rpk') return `rpk ${s.keyFingerprint ?? ''}`;
  return `x509 CN=${s.endpoint}`;
}

export function registerSecurityCommands(program: Command): void {
  const security = program.command('security').description('device credentials for DTLS: PSK, raw public key or X.509');

  withApiOptions(security.command('add <endpoint>').description('set the credentials of an endpoint (replaces any it had)'))
    .option('--psk-identity <id>', 'PSK identity (up to 128 bytes)')
    .option('--psk-key <hex>', 'PSK as hex, 1 to 64 bytes')
    .option('--rpk <file>', "the device's P-256 public key: PEM, DER, or a raw point (binary or hex)")
    .option('--x509', 'certificate mode: the CN of a certificate issued by a trusted CA (--ca) is the endpoint')
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: AddOptions) => {
      const body = await addBody(endpoint, opts);
      const res = await apiCall<{ added: SecuritySummary; replaced?: SecuritySummary }>(await resolveTarget(opts), 'POST', '/api/v1/security', body);
      if (opts.json) return printJson(res);
      const replaced = res.replaced ? ` (replaced ${describe(res.replaced)})` : '';
      process.stdout.write(`added ${describe(res.added)} for ${res.added.endpoint}${replaced}\n`);
    });

  withApiOptions(security.command('list').description('endpoints with credentials (keys are never shown)'))
    .option('--json', 'print JSON')
    .action(async (opts: ApiCommandOptions) => {
      const { security: list } = await apiCall<{ security: SecuritySummary[] }>(await resolveTarget(opts), 'GET', '/api/v1/security');
      if (opts.json) return printJson(list);
      printTable(
        list.map((s) => ({ endpoint: s.endpoint, mode: s.mode, identity: s.mode === 'psk' ? s.identity : s.mode === 'rpk' ? s.keyFingerprint : `CN=${s.endpoint}` })),
        ['endpoint', 'mode', 'identity'],
      );
    });

  withApiOptions(security.command('remove <endpoint>').description("delete an endpoint's credentials and drop its DTLS sessions"))
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions) => {
      const res = await apiCall<{ removed: SecuritySummary }>(await resolveTarget(opts), 'DELETE', `/api/v1/security/${enc(endpoint)}`);
      if (opts.json) return printJson(res);
      process.stdout.write(`removed ${describe(res.removed)} of ${res.removed.endpoint}\n`);
    });
}

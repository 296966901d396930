import { endpointNameProblem } from '../endpoint-name.js';
import { Lwm2mError } from '../../errors.js';

/**
 * Query parameters of Register and Update (LwM2M 1.1 Transport §6.4.1 table 6.4.1-1 / 6.4.2,
 * Core §6.2.1.1). Unknown parameters are ignored, as clients send extras (lwm2m-node-lib sends
 * `lwm2m=` on Update).
 */
export interface RegisterParams {
  endpoint: string;
  lifetime: number;
  lwm2mVersion: string;
  binding: string;
  queueMode: boolean;
  sms?: string;
}

export interface UpdateParams {
  lifetime?: number;
  binding?: string;
  queueMode?: boolean;
  sms?: string;
}

/** LwM2M 1.1 Core §6.2.1.1: lifetime defaults to 86400 s when the client sends none. */
export const DEFAULT_LIFETIME = 86400;
export const SUPPORTED_VERSIONS = ['1.0', '1.1', '1.2'] as const;
/** 1.0 bindings: U, UQ, S, SQ, US, UQS; 1.1 binding letters: U M H T S N (queue mode via `Q`). */
const BINDING = /^[UMHTSNQ]{1,7}$/;

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_REQUEST', message);
}

export function queryMap(query: readonly string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (const q of query) {
    const eq = q.indexOf('=');
    const key = eq < 0 ? q : q.slice(0, eq);
    if (out.has(key)) throw bad(`duplicate query parameter "${key}"`);
    out.set(key, eq < 0 ? true : q.slice(eq + 1));
  }
  return out;
}

function stringParam(q: Map<string, string | true>, key: string): string | undefined {
  const v = q.get(key);
  if (v === undefined) return undefined;
  if (v === true) throw bad(`query parameter "${key}" needs a value`);
  return v;
}

function lifetimeParam(q: Map<string, string | true>): number | undefined {
  const v = stringParam(q, 'lt');
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v) || Number(v) < 1 || Number(v) > 0xffffffff) throw bad(`invalid lifetime "lt=${v}"`);
  return Number(v);
}

function bindingParam(q: Map<string, string | true>): string | undefined {
  const v = stringParam(q, 'b');
  if (v === undefined) return undefined;
  if (!BINDING.test(v) || repeatsALetter(v)) throw bad(`invalid binding "b=${v}"`);
  return v;
}

/** A binding names each letter once (at most 7 letters: no Set needed). */
function repeatsALetter(v: string): boolean {
  for (let i = 1; i < v.length; i++) if (v.lastIndexOf(v[i]!, i - 1) >= 0) return true;
  return false;
}

/** Queue mode: `Q` as its own parameter (1.1) or inside the binding (1.0 `b=UQ`). */
function queueParam(q: Map<string, string | true>, binding: string | undefined): boolean | undefined {
  if (q.get('Q') === true) return true;
  if (q.has('Q')) throw bad('query parameter "Q" takes no value');
  if (binding !== undefined) return binding.includes('Q');
  return undefined;
}

export function parseRegisterParams(query: readonly string[]): RegisterParams {
  const q = queryMap(query);
  const endpoint = stringParam(q, 'ep');
  if (endpoint === undefined) throw bad('missing endpoint name "ep"');
  const problem = endpointNameProblem(endpoint);
  if (problem !== undefined) throw bad(`ep (the endpoint name) ${problem}`);
  const version = stringParam(q, 'lwm2m') ?? '1.0';
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    // LwM2M 1.1 Transport §6.4.1 (Register response codes): an LwM2M version the server does
    // not support is answered 4.12 Precondition Failed, so the client can fall back.
    throw new Lwm2mError('LWM2M_ERR_PRECONDITION_FAILED', `unsupported LwM2M version "${version}"`);
  }
  const binding = bindingParam(q) ?? 'U';
  const params: RegisterParams = {
    endpoint,
    lifetime: lifetimeParam(q) ?? DEFAULT_LIFETIME,
    lwm2mVersion: version,
    binding,
    queueMode: queueParam(q, binding) ?? false,
  };
  const sms = stringParam(q, 'sms');
  if (sms !== undefined) params.sms = sms;
  return params;
}

export function parseUpdateParams(query: readonly string[]): UpdateParams {
  const q = queryMap(query);
  const out: UpdateParams = {};
  const lifetime = lifetimeParam(q);
  if (lifetime !== undefined) out.lifetime = lifetime;
  const binding = bindingParam(q);
  if (binding !== undefined) out.binding = binding;
  const queue = queueParam(q, binding);
  if (queue !== undefined) out.queueMode = queue;
  const sms = stringParam(q, 'sms');
  if (sms !== undefined) out.sms = sms;
  return out;
}

/**
 * A bootstrap-capable test client (LwM2M 1.1 Core §5.2, the client side): it knows only its
 * bootstrap server, sends a Bootstrap-Request, takes Bootstrap-Discover/Read/Delete/Write and
 * Bootstrap-Finish into an in-memory Security (/0), Server (/1) and Access Control (/2) tree,
 * checks at Finish that every account is complete (Core §5.2.7.6), and can then register with
 * a server it was given, using the delivered credentials.
 */
import type { CoapEndpoint } from '../coap/endpoint.js';
import type { IncomingRequest, OutgoingResponse } from '../coap/types.js';
import { decodeValues, encodeValues, formatLinkFormat, isSupportedFormat, ContentFormat, type Link } from '../content/index.js';
import { fromSegments } from '../content/path.js';
import type { LwM2mPath, LwM2mValue, TimestampedValue } from '../content/types.js';
import { isLwm2mError, Lwm2mError } from '../errors.js';
import type { ModelLookup } from '../model/types.js';
import type { PeerAddress } from '../transport/types.js';

/** One request the client received from the bootstrap server, for tests to check. */
export interface ReceivedBootstrapRequest {
  method: string;
  path: string;
  contentFormat?: number;
  accept?: number;
  /** Decoded values of a Bootstrap-Write. */
  values?: TimestampedValue[];
  payload: Buffer;
  code: string;
}

/** A LwM2M Server account as the client holds it after bootstrap. */
export interface DeliveredAccount {
  securityInstanceId: number;
  serverInstanceId?: number;
  uri: string;
  bootstrap: boolean;
  securityMode: number;
  shortServerId?: number;
  /** /0/x/3, /0/x/4, /0/x/5. */
  publicKeyOrIdentity: Buffer;
  serverPublicKey: Buffer;
  secretKey: Buffer;
  lifetime?: number;
  binding?: string;
}

export interface BootstrapClientOptions {
  endpoint: string;
  /** The endpoint the client sends from and receives the bootstrap server's requests on. */
  coap: CoapEndpoint;
  bootstrapServer: PeerAddress;
  models: ModelLookup;
  lwm2mVersion: '1.0' | '1.1';
  /** `pct` to send (1.1 only). */
  preferredFormat?: number;
  /** Formats the client decodes in Bootstrap-Write; default every format we implement. */
  acceptedFormats?: readonly number[];
  /** The factory bootstrap account (/0/x with Bootstrap-Server true), e.g. { uri: "coap://127.0.0.1:5685" }. */
  bootstrapAccount: { instanceId: number; uri: string; securityMode?: number; identity?: Buffer; secretKey?: Buffer };
}

type Instance = Map<string, LwM2mValue>;
const key = (p: LwM2mPath): string => (p.resourceInstanceId === undefined ? String(p.resourceId) : `${p.resourceId}/${p.resourceInstanceId}`);

export class BootstrapClient {
  readonly received: ReceivedBootstrapRequest[] = [];
  readonly #o: BootstrapClientOptions;
  /** objectId -> instanceId -> "rid" | "rid/riid" -> value */
  readonly #objects = new Map<number, Map<number, Instance>>([[0, new Map()], [1, new Map()], [2, new Map()]]);
  #finished: { resolve: () => void; reject: (e: Error) => void } | undefined;
  finishes = 0;
  /** Server-initiated bootstraps (Execute /1/x/9) received, and the bootstrap each started. */
  triggers = 0;
  triggered: Promise<void> | undefined;

  constructor(o: BootstrapClientOptions) {
    this.#o = o;
    const bs = o.bootstrapAccount;
    const account: Instance = new Map<string, LwM2mValue>([
      ['0', { type: 'string', value: bs.uri }],
      ['1', { type: 'boolean', value: true }],
      ['2', { type: 'integer', value: bs.securityMode ?? 3 }],
      ['3', { type: 'opaque', value: bs.identity ?? Buffer.alloc(0) }],
      ['4', { type: 'opaque', value: Buffer.alloc(0) }],
      ['5', { type: 'opaque', value: bs.secretKey ?? Buffer.alloc(0) }],
    ]);
    this.#objects.get(0)!.set(bs.instanceId, account);
    o.coap.onRequest((req) => this.#handle(req));
  }

  /** Sends the Bootstrap-Request and resolves at Bootstrap-Finish (rejects on a refusal or after `timeoutMs`). */
  async bootstrap(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const done = new Promise<void>((resolve, reject) => {
      waiter = { resolve, reject };
      this.#finished = waiter;
      timer = setTimeout(() => reject(new Lwm2mError('LWM2M_ERR_TIMEOUT', 'no Bootstrap-Finish in time')), timeoutMs);
    });
    // Whatever happens to the request below, a late timeout must not become an unhandled rejection.
    done.catch(() => undefined);
    try {
      const query = [`ep=${this.#o.endpoint}`];
      if (this.#o.lwm2mVersion !== '1.0' && this.#o.preferredFormat !== undefined) query.push(`pct=${this.#o.preferredFormat}`);
      // The deadline covers the Bootstrap-Request too: an absent server would otherwise keep the
      // client in CoAP retransmission for up to EXCHANGE_LIFETIME (RFC 7252 §4.8.2).
      const res = await this.#o.coap.request(this.#o.bootstrapServer, { method: 'POST', path: ['bs'], query, timeoutMs });
      if (res.code !== '2.04') throw new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `Bootstrap-Request answered ${res.code}: ${res.payload.toString('utf8')}`);
      await done;
    } finally {
      clearTimeout(timer);
      if (this.#finished === waiter) this.#finished = undefined;
    }
  }

  /** The accounts held now (Security instances joined with their Server instances by Short Server ID). */
  accounts(): DeliveredAccount[] {
    const servers = [...this.#objects.get(1)!.entries()];
    return [...this.#objects.get(0)!.entries()].map(([id, r]) => {
      const ssid = num(r.get('10'));
      const server = servers.find(([, s]) => num(s.get('0')) === ssid && ssid !== undefined);
      const a: DeliveredAccount = {
        securityInstanceId: id,
        uri: str(r.get('0')) ?? '',
        bootstrap: r.get('1')?.value === true,
        securityMode: num(r.get('2')) ?? -1,
        publicKeyOrIdentity: bytes(r.get('3')),
        serverPublicKey: bytes(r.get('4')),
        secretKey: bytes(r.get('5')),
      };
      if (ssid !== undefined) a.shortServerId = ssid;
      if (server) {
        a.serverInstanceId = server[0];
        const lt = num(server[1].get('1'));
        const b = str(server[1].get('7'));
        if (lt !== undefined) a.lifetime = lt;
        if (b !== undefined) a.binding = b;
      }
      return a;
    });
  }

  /** Every resource of one instance, e.g. instance(0, 1) -> Map{"0" -> uri, ...}. */
  instance(objectId: number, instanceId: number): ReadonlyMap<string, LwM2mValue> | undefined {
    return this.#objects.get(objectId)?.get(instanceId);
  }

  /** Register (Core §6.2.1) with a server account, through an endpoint connected to it. Returns the location. */
  async register(account: DeliveredAccount, coap: CoapEndpoint, server: PeerAddress): Promise<string[]> {
    const links: Link[] = [{ target: '/', params: { rt: 'oma.lwm2m' } }];
    for (const [oid, instances] of this.#objects) {
      if (oid === 0) continue; // the Security object is never announced (Core §6.2.1)
      for (const iid of [...instances.keys()].sort((a, b) => a - b)) links.push({ target: `/${oid}/${iid}`, params: {} });
    }
    const query = [`ep=${this.#o.endpoint}`, `lt=${account.lifetime ?? 86400}`, `lwm2m=${this.#o.lwm2mVersion}`, `b=${account.binding ?? 'U'}`];
    const res = await coap.request(server, { method: 'POST', path: ['rd'], query, contentFormat: ContentFormat.LINK, payload: Buffer.from(formatLinkFormat(links)) });
    if (res.code !== '2.01') throw new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `Register answered ${res.code}: ${res.payload.toString('utf8')}`);
    return res.locationPath;
  }

  #handle(req: IncomingRequest): OutgoingResponse {
    let res: OutgoingResponse;
    const record: ReceivedBootstrapRequest = { method: req.method, path: `/${req.path.join('/')}`, payload: req.payload, code: '' };
    if (req.contentFormat !== undefined) record.contentFormat = req.contentFormat;
    if (req.accept !== undefined) record.accept = req.accept;
    try {
      res = this.#dispatch(req, record);
    } catch (e) {
      res = { code: isLwm2mError(e) ? e.coapCode : '5.00', payload: Buffer.from((e as Error).message) };
    }
    record.code = res.code;
    this.received.push(record);
    return res;
  }

  #dispatch(req: IncomingRequest, record: ReceivedBootstrapRequest): OutgoingResponse {
    if (req.method === 'POST' && req.path.length === 1 && req.path[0] === 'bs') return this.#finish();
    if (req.method === 'POST' && req.path.length === 3 && req.path[0] === '1' && req.path[2] === '9') return this.#trigger(Number(req.path[1]));
    const path = fromSegments(req.path);
    if (req.method === 'DELETE') return this.#delete(path);
    if (req.method === 'PUT') return this.#write(req, path, record);
    if (req.method === 'GET' && req.accept === ContentFormat.LINK) return this.#discover(path);
    if (req.method === 'GET') return this.#read(req, path);
    return { code: '4.05' };
  }

  /**
   * Bootstrap-Request Trigger (Core §E.2, /1/x/9, LwM2M 1.1): 2.04, then a Client Initiated
   * Bootstrap. A 1.0 Server object has no resource 9.
   */
  #trigger(instanceId: number): OutgoingResponse {
    if (this.#o.lwm2mVersion === '1.0') return { code: '4.04' };
    if (!this.#objects.get(1)!.has(instanceId)) return { code: '4.04' };
    this.triggers++;
    this.triggered = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.bootstrap());
    this.triggered.catch(() => undefined);
    return { code: '2.04' };
  }

  /** Bootstrap-Delete (Core §5.2.7.5): everything targeted except the Bootstrap-Server account. */
  #delete(path: LwM2mPath): OutgoingResponse {
    for (const [oid, instances] of this.#objects) {
      if (path.objectId !== undefined && path.objectId !== oid) continue;
      for (const [iid, r] of instances) {
        if (path.instanceId !== undefined && path.instanceId !== iid) continue;
        if (oid === 0 && r.get('1')?.value === true) continue;
        instances.delete(iid);
      }
    }
    return { code: '2.02' };
  }

  /** Bootstrap-Write (Core §5.2.7.4): creates the instance when missing, writes the resources given. */
  #write(req: IncomingRequest, path: LwM2mPath, record: ReceivedBootstrapRequest): OutgoingResponse {
    const accepted = this.#o.acceptedFormats;
    const format = req.contentFormat;
    if (format === undefined || !isSupportedFormat(format) || (accepted !== undefined && !accepted.includes(format))) return { code: '4.15' };
    const instances = path.objectId === undefined ? undefined : this.#objects.get(path.objectId);
    if (!instances || path.instanceId === undefined) return { code: '4.00', payload: Buffer.from('only instance writes of /0, /1, /2') };
    const values = decodeValues(format, req.payload, path, { models: this.#o.models });
    record.values = values;
    for (const v of values) {
      const i = instances.get(v.path.instanceId!) ?? new Map<string, LwM2mValue>();
      instances.set(v.path.instanceId!, i);
      i.set(key(v.path), v.value);
    }
    return { code: '2.04' };
  }

  /** Bootstrap-Discover (Core §5.2.7.3): `lwm2m=` on the root, `ssid`/`uri` on accounts. */
  #discover(path: LwM2mPath): OutgoingResponse {
    const links: Link[] = path.objectId === undefined ? [{ target: '/', params: { lwm2m: this.#o.lwm2mVersion } }] : [];
    for (const [oid, instances] of this.#objects) {
      if (path.objectId !== undefined && path.objectId !== oid) continue;
      for (const [iid, r] of [...instances].sort((a, b) => a[0] - b[0])) {
        const params: Record<string, string> = {};
        const ssid = oid === 2 ? undefined : num(r.get(oid === 0 ? '10' : '0'));
        if (ssid !== undefined) params.ssid = String(ssid);
        if (oid === 0 && ssid !== undefined) params.uri = str(r.get('0')) ?? '';
        links.push({ target: `/${oid}/${iid}`, params });
      }
    }
    return { code: '2.05', contentFormat: ContentFormat.LINK, payload: Buffer.from(formatLinkFormat(links)) };
  }

  /** Bootstrap-Read (Core §5.2.7.2, 1.1 only): /1 and /2; never the Security object. */
  #read(req: IncomingRequest, path: LwM2mPath): OutgoingResponse {
    if (this.#o.lwm2mVersion === '1.0') return { code: '4.05' };
    if (path.objectId !== 1 && path.objectId !== 2) return { code: '4.01' };
    const format = req.accept ?? ContentFormat.TLV;
    if (!isSupportedFormat(format)) return { code: '4.06' };
    const values: TimestampedValue[] = [];
    for (const [iid, r] of this.#objects.get(path.objectId)!) {
      if (path.instanceId !== undefined && path.instanceId !== iid) continue;
      for (const [k, value] of r) {
        const [rid, riid] = k.split('/').map(Number);
        const p: LwM2mPath = { objectId: path.objectId, instanceId: iid, resourceId: rid! };
        if (riid !== undefined) p.resourceInstanceId = riid;
        values.push({ path: p, value });
      }
    }
    if (values.length === 0) return { code: '4.04' };
    return { code: '2.05', contentFormat: format, payload: Buffer.from(encodeValues(format, values, { models: this.#o.models }, path)) };
  }

  /**
   * Bootstrap-Finish (Core §5.2.7.6): 4.06 with a diagnostic when the configuration is not
   * usable: a Server instance without its Security instance, or a Security instance missing a
   * Mandatory resource (0-5, which a 1.0 client such as Leshan 2020 cannot do without).
   */
  #finish(): OutgoingResponse {
    const problems: string[] = [];
    const accounts = this.accounts();
    for (const [iid, r] of this.#objects.get(1)!) {
      const ssid = num(r.get('0'));
      if (!accounts.some((a) => !a.bootstrap && a.shortServerId === ssid)) problems.push(`/1/${iid}: no Security instance for ssid ${ssid}`);
    }
    for (const [iid, r] of this.#objects.get(0)!) {
      const missing = ['0', '1', '2', '3', '4', '5'].filter((k) => !r.has(k));
      if (missing.length > 0) problems.push(`/0/${iid}: missing ${missing.join(',')}`);
    }
    if (!accounts.some((a) => !a.bootstrap && a.serverInstanceId !== undefined)) problems.push('no LwM2M Server account');
    this.finishes++;
    const waiter = this.#finished;
    this.#finished = undefined;
    if (problems.length > 0) {
      waiter?.reject(new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `inconsistent bootstrap: ${problems.join('; ')}`));
      return { code: '4.06', contentFormat: ContentFormat.TEXT, payload: Buffer.from(problems.join('; ')) };
    }
    // Resolve after the 2.04 is on its way.
    setImmediate(() => waiter?.resolve());
    return { code: '2.04' };
  }
}

function num(v: LwM2mValue | undefined): number | undefined {
  return v && (v.type === 'integer' || v.type === 'unsigned') ? Number(v.value) : undefined;
}
function str(v: LwM2mValue | undefined): string | undefined {
  return v?.type === 'string' ? v.value : undefined;
}
function bytes(v: LwM2mValue | undefined): Buffer {
  return v?.type === 'opaque' ? Buffer.from(v.value) : Buffer.alloc(0);
}

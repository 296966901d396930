import type { Clock, TimerHandle } from '../clock.js';
import type { CoapEndpoint } from '../coap/endpoint.js';
import type { IncomingResponse } from '../coap/types.js';
import { formatLinkFormat } from '../content/link-format.js';
import { ContentFormat } from '../content/types.js';
import { Lwm2mError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PeerAddress } from '../transport/types.js';
import type { ObjectTree } from './object-tree.js';

export interface RegistrationClientOptions {
  endpoint: string;
  server: PeerAddress;
  lwm2mVersion: string;
  lifetime: number;
  queueMode: boolean;
  supportedFormats: readonly number[];
  coap: CoapEndpoint;
  tree: ObjectTree;
  clock: Clock;
  logger: Logger;
  /** Extra request deadline for registration requests (ms). */
  timeoutMs?: number;
}

/**
 * The client side of the Registration interface (LwM2M 1.1 Core §6.2, Transport §6.4):
 * Register with the link list of its objects, Update before the lifetime runs out (and on
 * demand), De-register. A 4.04 to an Update (the server forgot us) leads to a new Register.
 */
export class RegistrationClient {
  readonly #o: RegistrationClientOptions;
  #location: string[] | undefined;
  #timer: TimerHandle | undefined;
  #linksChanged = false;
  registers = 0;
  updates = 0;

  constructor(o: RegistrationClientOptions) {
    this.#o = o;
  }

  /** The registration id the server gave (the last Location-Path segment). */
  get registrationId(): string | undefined {
    return this.#location?.[this.#location.length - 1];
  }

  get registered(): boolean {
    return this.#location !== undefined;
  }

  /** `</>;rt="oma.lwm2m";ct=...,</1>;ver=1.1,</1/0>,...` (Core §6.2.1, Transport §6.4.1). */
  links(): string {
    const o = this.#o;
    const root: Record<string, string | true> = { rt: 'oma.lwm2m' };
    if (o.supportedFormats.length > 0 && o.lwm2mVersion !== '1.0') root['ct'] = o.supportedFormats.join(' ');
    const links = [{ target: '/', params: root }];
    for (const oid of o.tree.objectIds()) {
      const ver = o.tree.objectVersions.get(oid);
      links.push({ target: `/${oid}`, params: ver !== undefined ? { ver } : {} });
      for (const iid of o.tree.instanceIds(oid)) links.push({ target: `/${oid}/${iid}`, params: {} });
    }
    return formatLinkFormat(links);
  }

  #query(): string[] {
    const o = this.#o;
    const q = [`ep=${o.endpoint}`, `lt=${o.lifetime}`, `lwm2m=${o.lwm2mVersion}`];
    // 1.0 says queue mode in the binding (UQ); 1.1 has a separate Q parameter.
    if (o.lwm2mVersion === '1.0') q.push(`b=${o.queueMode ? 'UQ' : 'U'}`);
    else {
      q.push('b=U');
      if (o.queueMode) q.push('Q');
    }
    return q;
  }

  async register(): Promise<string> {
    const o = this.#o;
    const res = await this.#request({ method: 'POST', path: ['rd'], query: this.#query(), contentFormat: ContentFormat.LINK, payload: Buffer.from(this.links(), 'utf8') });
    if (res.code !== '2.01' || res.locationPath.length === 0) {
      throw new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `Register of ${o.endpoint} answered ${res.code}: ${res.payload.toString('utf8')}`);
    }
    this.#location = res.locationPath;
    this.#linksChanged = false;
    this.registers++;
    this.#schedule();
    return this.registrationId!;
  }

  /** An Update (Core §6.2.2): with the object links when they changed since the last one. */
  async update(opts: { withLinks?: boolean } = {}): Promise<void> {
    if (this.#location === undefined) {
      await this.register();
      return;
    }
    const withLinks = opts.withLinks === true || this.#linksChanged;
    const req = withLinks
      ? { method: 'POST' as const, path: this.#location, contentFormat: ContentFormat.LINK, payload: Buffer.from(this.links(), 'utf8') }
      : { method: 'POST' as const, path: this.#location };
    const res = await this.#request(req);
    if (res.code === '4.04') {
      // §6.2.2: the server no longer knows this registration: register again.
      this.#location = undefined;
      await this.register();
      return;
    }
    if (res.code !== '2.04') throw new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `Update answered ${res.code}`);
    if (withLinks) this.#linksChanged = false;
    this.updates++;
    this.#schedule();
  }

  /** Objects were created or deleted: the next Update carries the links. */
  linksChanged(): void {
    this.#linksChanged = true;
  }

  /** De-register (Core §6.2.3); true when the server answered 2.02 Deleted. */
  async deregister(): Promise<boolean> {
    this.#timer?.cancel();
    const loc = this.#location;
    this.#location = undefined;
    if (loc === undefined) return false;
    const res = await this.#request({ method: 'DELETE', path: loc });
    return res.code === '2.02';
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Update well before the lifetime ends: at 90 % of it, at least 1 s before. */
  #schedule(): void {
    this.#timer?.cancel();
    const lt = this.#o.lifetime * 1000;
    const at = Math.max(500, Math.min(lt * 0.9, lt - 1000));
    this.#timer = this.#o.clock.setTimer(at, () => {
      this.update().catch((err: unknown) => this.#o.logger.warn({ err, endpoint: this.#o.endpoint }, 'sim: periodic Update failed'));
    });
  }

  #request(req: Parameters<CoapEndpoint['request']>[1]): Promise<IncomingResponse> {
    const t = this.#o.timeoutMs;
    return this.#o.coap.request(this.#o.server, t === undefined ? req : { ...req, timeoutMs: t });
  }
}

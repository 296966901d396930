import type { PeerAddress, PeerIdentity } from '../transport/types.js';

/** One object link from a registration payload (LwM2M 1.1 §6.2.1, transport §6.4.1). */
export interface ObjectLink {
  /** Path below the root path, e.g. "/3/0" or "/31024". */
  path: string;
  objectId: number;
  instanceId?: number;
  /** `ver=` on an object link. */
  version?: string;
  /** Any other attributes as written, e.g. { ssid: "1" }. */
  attributes?: Record<string, string>;
}

export type BindingMode = 'U' | 'M' | 'H' | 'T' | 'S' | 'N';

export interface Registration {
  /** Server-assigned id, used in Location-Path `rd/<id>`. */
  id: string;
  endpoint: string;
  /** Lifetime in seconds. */
  lifetime: number;
  lwm2mVersion: string;
  /** Binding letters as sent, e.g. "U", "UQ" (1.0 queue). */
  binding: string;
  /** Queue mode: `b=UQ` (1.0) or the `Q` parameter (1.1). */
  queueMode: boolean;
  sms?: string;
  /** Alternate root path from `</path>;rt="oma.lwm2m"`, "/" when absent. */
  rootPath: string;
  /** `ct=` announced on the root link: content formats the device supports. */
  supportedFormats: number[];
  objectLinks: ObjectLink[];
  /** Where requests to the device go: the source of the Register request. */
  address: PeerAddress;
  /** "coap" or "coaps": which listener the device registered on. */
  transport: 'coap' | 'coaps';
  identity?: PeerIdentity;
  /** Epoch ms. */
  registeredAt: number;
  /** Epoch ms of the last Register or Update. */
  lastUpdate: number;
  /** Epoch ms after which the registration is expired (lastUpdate + lifetime). */
  expiresAt: number;
}

export interface RegistrationStore {
  /**
   * Adds or replaces the registration of `reg.endpoint`. Returns the registration it replaced
   * (same endpoint, any id), if any.
   */
  add(reg: Registration): Promise<Registration | undefined>;
  /** Replaces a registration by id. Returns the previous version, undefined if unknown. */
  update(reg: Registration): Promise<Registration | undefined>;
  /** Removes a registration by id. Returns what was removed. */
  remove(id: string): Promise<Registration | undefined>;
  getById(id: string): Promise<Registration | undefined>;
  getByEndpoint(endpoint: string): Promise<Registration | undefined>;
  getByAddress(address: PeerAddress): Promise<Registration | undefined>;
  /** All registrations, ordered by endpoint. */
  list(): Promise<Registration[]>;
  /** Removes every registration whose expiresAt <= nowMs. Returns what was removed. */
  removeExpired(nowMs: number): Promise<Registration[]>;
  close(): Promise<void>;
}

import type { Clock, RandomSource } from '../clock.js';
import type { CoapParameters } from '../coap/parameters.js';
import type { IncomingRequest, OutgoingResponse } from '../coap/types.js';
import { ContentFormat } from '../content/types.js';
import type { Logger } from '../log.js';
import type { ModelLookup } from '../model/types.js';
import type { PeerAddress, Transport } from '../transport/types.js';
import type { SimObjectSpec } from './default-objects.js';
import type { ExecuteRecord } from './device-management.js';
import type { SimObservation } from './observations.js';

export type Lwm2mVersion = '1.0' | '1.1' | '1.2';

export interface SimulatedDeviceOptions {
  endpoint: string;
  server: PeerAddress;
  models: ModelLookup;
  lwm2mVersion?: Lwm2mVersion;
  /** The `ct=` list announced at registration. Default: none in 1.0; 110, 112 in 1.1; plus 11544 in 1.2. */
  supportedFormats?: number[];
  /** Seconds; default 300. */
  lifetime?: number;
  queueMode?: boolean;
  /** The objects and instances it holds; default Server, Device, Temperature, Light Control, Presence. */
  objects?: readonly SimObjectSpec[];
  /** Object versions announced with `ver=`; default the newest the models know. */
  objectVersions?: Record<number, string>;
  /** Notifications as CON (default NON, like Wakaama; the 1.2 `con` attribute overrides). */
  confirmableNotifications?: boolean;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  /** A transport to use instead of a UDP socket on `host`:0. */
  transport?: Transport;
  /** Default 127.0.0.1. */
  host?: string;
  /** CoAP parameters, e.g. `{ BLOCK_SIZE: 16 }` for a very constrained device. */
  coap?: Partial<CoapParameters>;
  /** `requests` keeps the most recent ones: between this many and twice as many (default 10 000). */
  maxRecordedRequests?: number;
  /** Deadline for the device's own requests (Register, Update, Send), ms. */
  requestTimeoutMs?: number;
}

/** One request the device received, as tests see it. */
export interface ReceivedRequest {
  method: IncomingRequest['method'];
  path: string;
  query: string[];
  contentFormat?: number;
  accept?: number;
  observe?: number;
  payload: Buffer;
  token: string;
  at: number;
}

export interface DeviceCounters {
  requests: number;
  errors: number;
  sends: number;
  droppedWhileAsleep: number;
}

export interface DeviceEvents {
  request: [ReceivedRequest];
  response: [ReceivedRequest, OutgoingResponse];
  execute: [ExecuteRecord];
  /** A notification went out (NON) or was acknowledged (CON): delivered true; else false. */
  notified: [SimObservation, boolean];
}

export function defaultFormats(v: Lwm2mVersion): number[] {
  if (v === '1.0') return [];
  return v === '1.1' ? [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR] : [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_CBOR];
}


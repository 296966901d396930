import { EventEmitter } from 'node:events';
import type { OperationResult, PathValue } from './lwm2m/management/operation.js';
import type { BootstrapEvent } from './lwm2m/bootstrap/types.js';
import type { ThrottleEvent } from './ops/device-gate.js';
import type { QuarantineEvent } from './ops/quarantine-service.js';
import type { RuleEventMap } from './rules/types.js';
import type { QueuedRequest, Registration } from './store/types.js';

/** Every event the server emits, by name (rule events are defined with the rules). */
export interface ServerEventMap extends RuleEventMap {
  registered: { registration: Registration; replaced?: Registration };
  updated: { registration: Registration; previous: Registration };
  deregistered: { registration: Registration; by: 'device' | 'operator' };
  expired: { registration: Registration };
  /** A notification (or the first response of an observation), decoded. */
  notification: { endpoint: string; token: string; paths: string[]; values: PathValue[]; sequence?: number };
  /** An observation ended by the device (error code) or cancelled. */
  'observation-ended': { endpoint: string; token: string; paths: string[]; reason: string };
  /** Values a device returned to a Read or Read-Composite (direct or queued). */
  read: { endpoint: string; values: PathValue[] };
  /** Values a device reported with Send (POST /dp). */
  send: { endpoint: string; values: PathValue[] };
  /** A request for a sleeping device was stored. */
  'request-queued': { request: QueuedRequest };
  /** A queued request finished (delivered, failed or expired). */
  'request-result': { request: QueuedRequest; result: OperationResult };
  /** Progress of a bootstrap session (started, discovered, ..., finished, failed). */
  bootstrap: BootstrapEvent;
  /** A device was quarantined or released (by an operator or automatically). */
  quarantine: QuarantineEvent;
  /** A device or address went over its request rate and is being throttled. */
  throttle: ThrottleEvent;
}

export type ServerEventName = keyof ServerEventMap;

/** A typed facade over EventEmitter. A throwing listener is logged by the caller, never fatal. */
export class EventBus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  on<K extends ServerEventName>(name: K, listener: (event: ServerEventMap[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  emit<K extends ServerEventName>(name: K, event: ServerEventMap[K]): void {
    this.#emitter.emit(name, event);
  }

  listenerCount(name: ServerEventName): number {
    return this.#emitter.listenerCount(name);
  }
}

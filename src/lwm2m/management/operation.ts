import type { AttributeUpdate, NotificationAttributes } from '../../content/link-attributes.js';
import type { JsonValue } from '../../content/value-json.js';
import type { ErrorCode } from '../../errors.js';

/** A value at a full path, in the stable JSON shape: what writes carry and reads return. */
export interface PathValue {
  path: string;
  value: JsonValue;
  /** Epoch ms, when the device gave a timestamp. */
  time?: number;
}

/**
 * A device-management operation (LwM2M 1.1 Core §6.3 Device Management, §6.4 Information
 * Reporting), as data: it is
 * stored as-is in the request queue of a sleeping device, so everything here is JSON.
 */
export type Operation =
  | { op: 'read'; path: string; format?: number }
  | { op: 'discover'; path: string }
  | { op: 'write'; path: string; mode: 'replace' | 'update'; values: PathValue[]; format?: number }
  | { op: 'write-attributes'; path: string; attributes: AttributeUpdate }
  | { op: 'execute'; path: string; args?: string }
  /** `path` is the object; values are full paths under /object/instance (instance id given) or
   * under /object (the device picks the id: values' paths are then "/<oid>/<rid>..."). */
  | { op: 'create'; path: string; instanceId?: number; values: PathValue[]; format?: number }
  | { op: 'delete'; path: string }
  | { op: 'read-composite'; paths: string[]; format?: number }
  | { op: 'write-composite'; values: PathValue[]; format?: number }
  | { op: 'observe'; path: string; format?: number }
  | { op: 'observe-composite'; paths: string[]; format?: number }
  | { op: 'cancel-observe'; path: string; mode?: 'active' | 'passive' }
  | { op: 'cancel-observe-composite'; paths: string[]; mode?: 'active' | 'passive' };

export type OperationName = Operation['op'];

/** One link of a Discover answer, in JSON. */
export interface DiscoverLink {
  path: string;
  attributes: NotificationAttributes;
  dim?: number;
  ver?: string;
}

/** What an operation came to. Device errors and timeouts are results, never exceptions. */
export interface OperationResult {
  ok: boolean;
  /** The device's CoAP response code ("2.05", "4.04"), absent when no response came. */
  code?: string;
  error?: { code: ErrorCode; message: string };
  /** Content-Format of the device's answer. */
  format?: number;
  values?: PathValue[];
  links?: DiscoverLink[];
  /** Create: the new instance, e.g. "/3303/22". */
  location?: string;
  /** Observe: the observation's token (hex). */
  token?: string;
  /** Observe: the Observe sequence number of the first response (its `notification` event carries the same). */
  sequence?: number;
}

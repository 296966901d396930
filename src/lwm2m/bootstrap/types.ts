/**
 * What the bootstrap server delivers to a device (LwM2M 1.1 Core §5.2 "Bootstrap Interface",
 * §E.1 Security object, §E.2 Server object, §E.3 Access Control object) and the store that
 * keeps it per endpoint.
 */

/**
 * The keying material of one account (Security object /0/x, resources 2-5). Byte fields are
 * what the Security object carries: resource 3 "Public Key or Identity", 4 "Server Public
 * Key", 5 "Secret Key".
 */
export type AccountSecurity =
  | { mode: 'nosec' }
  /** 3 = the PSK identity (UTF-8), 5 = the key. */
  | { mode: 'psk'; identity: string; key: Buffer }
  /** 3 = the device's public key, 4 = the server's public key, 5 = the device's private key. */
  | { mode: 'rpk'; publicKey: Buffer; serverPublicKey: Buffer; privateKey: Buffer }
  /** 3 = the device certificate (DER), 4 = the server certificate, 5 = the device's private key. */
  | { mode: 'x509'; certificate: Buffer; serverCertificate: Buffer; privateKey: Buffer };

export type AccountSecurityMode = AccountSecurity['mode'];

/** Security Mode resource /0/x/2 (Core §E.1): 0 PSK, 1 RPK, 2 Certificate, 3 NoSec. */
export const SECURITY_MODE_VALUE: Readonly<Record<AccountSecurityMode, number>> = { psk: 0, rpk: 1, x509: 2, nosec: 3 };

/** A LwM2M Server account: one Security instance (Bootstrap-Server false) plus one Server instance. */
export interface ServerAccount {
  /** Short Server ID, 1..65534 (Core §E.1 /0/x/10 and §E.2 /1/x/0). */
  shortServerId: number;
  /** LwM2M Server URI (/0/x/0), e.g. "coaps://lwm2m.example.com:5684". */
  uri: string;
  /** Registration lifetime in seconds (/1/x/1). */
  lifetime: number;
  /** Binding (/1/x/7), e.g. "U". */
  binding: string;
  /** Notification Storing When Disabled or Offline (/1/x/6). */
  notificationStoring: boolean;
  /** Default Minimum / Maximum Period (/1/x/2, /1/x/3). */
  defaultMinPeriod?: number;
  defaultMaxPeriod?: number;
  security: AccountSecurity;
  /** Instance ids to write; chosen by the bootstrap server when absent. */
  securityInstanceId?: number;
  serverInstanceId?: number;
  /**
   * This account points at this LwM2M server: provisioning also puts its PSK/RPK into our
   * security store, so the device can register over DTLS right after bootstrap.
   */
  local?: boolean;
}

/**
 * The Bootstrap-Server account (Security instance with Bootstrap-Server true). `security` is what
 * the device authenticates with when it talks to us over DTLS; with a `uri` the account is also
 * (re)written to the device.
 */
export interface BootstrapAccount {
  security: AccountSecurity;
  uri?: string;
  /** Short Server ID (/0/x/10): optional on a bootstrap account; Wakaama's server writes one. */
  shortServerId?: number;
  /** Client Hold Off Time (/0/x/11), seconds. */
  holdOffTime?: number;
  /** Bootstrap-Server Account Timeout (/0/x/12), seconds. */
  accountTimeout?: number;
  instanceId?: number;
}

/** An Access Control object instance (/2/x, Core §E.3). */
export interface AclEntry {
  objectId: number;
  objectInstanceId: number;
  /** Access rights per Short Server ID (0 = default for all servers): bit 0 R, 1 W, 2 E, 3 D, 4 C. */
  acl: Record<string, number>;
  /** Access Control Owner: a Short Server ID (65535 = only the bootstrap server). */
  owner: number;
  instanceId?: number;
}

/** The endpoint name that holds the default configuration (for endpoints without their own). */
export const DEFAULT_CONFIG_ENDPOINT = '*';

export interface BootstrapConfig {
  /** Endpoint Client Name, or "*" for the default configuration. */
  endpoint: string;
  servers: ServerAccount[];
  bootstrap?: BootstrapAccount;
  acls: AclEntry[];
  /** Paths to Bootstrap-Delete before writing (Core §5.2.7.5); default ["/0", "/1"]. */
  delete: string[];
  /** Content-Format for the writes, over the device's `pct` and our own choice. */
  contentFormat?: number;
  /** Send a Bootstrap-Discover of "/" first (learn the version and the existing instances). Default true. */
  discover: boolean;
  /** Paths to Bootstrap-Read (LwM2M 1.1 only: /1 and /2, Core §5.2.7.2); results go into the session report. */
  read: string[];
}

/** What may be listed: never a key. */
export interface BootstrapConfigSummary {
  endpoint: string;
  servers: { shortServerId: number; uri: string; mode: AccountSecurityMode; identity?: string }[];
  bootstrapMode?: AccountSecurityMode;
  bootstrapIdentity?: string;
  acls: number;
  delete: string[];
  contentFormat?: number;
}

export interface BootstrapConfigStore {
  /**
   * Adds or replaces the configuration of `config.endpoint` (validated first) and returns what
   * it replaced. A bootstrap PSK identity or public key already bound to another endpoint is a
   * LWM2M_ERR_BAD_REQUEST and changes nothing.
   */
  add(config: BootstrapConfig): Promise<BootstrapConfig | undefined>;
  remove(endpoint: string): Promise<BootstrapConfig | undefined>;
  get(endpoint: string): Promise<BootstrapConfig | undefined>;
  /** Summaries ordered by endpoint (the default "*" first). */
  list(): Promise<BootstrapConfigSummary[]>;
  /** The endpoint's own configuration, else the default one, else undefined. */
  resolve(endpoint: string): Promise<BootstrapConfig | undefined>;
  /** Synchronous, from memory: the DTLS handshake of the bootstrap listener asks these. */
  pskKeyFor(identity: string): Buffer | undefined;
  endpointForPskIdentity(identity: string): string | undefined;
  endpointForPublicKey(publicKey: Uint8Array): string | undefined;
  readonly size: number;
  close(): Promise<void>;
}

/** The states a bootstrap session goes through (reported as `bootstrap` events). */
export type BootstrapState =
  | 'started'
  | 'discovered'
  | 'read'
  | 'deleted'
  | 'written'
  | 'finished'
  | 'failed'
  | 'cancelled';

/** One request the bootstrap server sent in a session, and the device's answer. */
export interface BootstrapStep {
  operation: 'discover' | 'read' | 'delete' | 'write' | 'finish';
  path: string;
  /** CoAP response code, absent when no answer came. */
  code?: string;
  format?: number;
  error?: string;
}

/** The payload of the `bootstrap` server event. */
export interface BootstrapEvent {
  endpoint: string;
  sessionId: string;
  state: BootstrapState;
  /** What happened, in words: "PUT /0/1 -> 2.04", "timeout", "replaced by a new Bootstrap-Request". */
  detail?: string;
  /** On failure: the stable error code. */
  error?: { code: string; message: string };
}

/** A session as the API shows it. */
export interface BootstrapSessionInfo {
  sessionId: string;
  endpoint: string;
  state: BootstrapState;
  transport: 'coap' | 'coaps';
  address: string;
  startedAt: number;
  endedAt?: number;
  lwm2mVersion?: string;
  format?: number;
  steps: BootstrapStep[];
  /** What Bootstrap-Read returned (path and value in the stable JSON shape). */
  readValues?: { path: string; value: unknown }[];
  error?: { code: string; message: string };
}

/**
 * The object instances a bootstrap configuration becomes: Security (/0/x), Server (/1/x) and
 * Access Control (/2/x) instances, each written with one Bootstrap-Write (LwM2M 1.1 Core
 * §5.2.7.4, §E.1-§E.3).
 */
import type { LwM2mPath, LwM2mValue, ObjectInstanceNode, ResourceNode } from '../../content/types.js';
import { SECURITY_MODE_VALUE, type AccountSecurity, type BootstrapConfig } from './types.js';

export interface PlannedWrite {
  path: LwM2mPath;
  node: ObjectInstanceNode;
  /** For reports: "security of server 1", "bootstrap account", "acl /3/0". */
  label: string;
}

const str = (value: string): LwM2mValue => ({ type: 'string', value });
const int = (value: number): LwM2mValue => ({ type: 'integer', value });
const bool = (value: boolean): LwM2mValue => ({ type: 'boolean', value });
const bytes = (value: Uint8Array): LwM2mValue => ({ type: 'opaque', value });

function single(id: number, value: LwM2mValue): ResourceNode {
  return { kind: 'resource', id, value };
}

function instance(id: number, resources: ResourceNode[]): ObjectInstanceNode {
  return { kind: 'instance', id, resources: resources.sort((a, b) => a.id - b.id) };
}

/**
 * Resources 3, 4 and 5 of the Security object. They are Mandatory in LwM2M 1.0 and 1.1 (§E.1),
 * so they are written even for NoSec, as empty opaque values: the capture of a Leshan 1.0
 * client (fixtures/captures/leshan-bootstrap.jsonl) shows it failing on an account without them.
 */
function keyResources(s: AccountSecurity): ResourceNode[] {
  const [identity, server, secret] = (() => {
    switch (s.mode) {
      case 'nosec':
        return [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)];
      case 'psk':
        return [Buffer.from(s.identity, 'utf8'), Buffer.alloc(0), s.key];
      case 'rpk':
        return [s.publicKey, s.serverPublicKey, s.privateKey];
      case 'x509':
        return [s.certificate, s.serverCertificate, s.privateKey];
    }
  })();
  return [single(2, int(SECURITY_MODE_VALUE[s.mode])), single(3, bytes(identity)), single(4, bytes(server)), single(5, bytes(secret))];
}

/** Picks instance ids: the configured one, else the lowest id not taken. */
class IdPool {
  readonly #taken: Set<number>;
  constructor(taken: Iterable<number> = []) {
    this.#taken = new Set(taken);
  }
  take(wanted?: number): number {
    if (wanted !== undefined) {
      this.#taken.add(wanted);
      return wanted;
    }
    let id = 0;
    while (this.#taken.has(id)) id++;
    this.#taken.add(id);
    return id;
  }
}

export interface PlanContext {
  /**
   * Security instances the device keeps through Bootstrap-Delete: its Bootstrap-Server account
   * (Core §5.2.7.5). New Security instances must not take these ids.
   */
  keptSecurityInstances?: readonly number[];
}

/** Every Bootstrap-Write of a session, in order: bootstrap account, servers, ACLs. */
export function planWrites(c: BootstrapConfig, ctx: PlanContext = {}): PlannedWrite[] {
  const kept = ctx.keptSecurityInstances ?? [];
  const configured = c.servers.flatMap((s) => (s.securityInstanceId === undefined ? [] : [s.securityInstanceId]));
  if (c.bootstrap?.instanceId !== undefined) configured.push(c.bootstrap.instanceId);
  const security = new IdPool([...kept, ...configured]);
  const servers = new IdPool(c.servers.flatMap((s) => (s.serverInstanceId === undefined ? [] : [s.serverInstanceId])));
  const acls = new IdPool(c.acls.flatMap((a) => (a.instanceId === undefined ? [] : [a.instanceId])));
  const out: PlannedWrite[] = [];

  const bs = c.bootstrap;
  if (bs?.uri !== undefined) {
    // Rewrite the account in place when the device told us where it is (a single kept instance).
    const id = bs.instanceId ?? (kept.length === 1 ? kept[0]! : security.take());
    const res = [single(0, str(bs.uri)), single(1, bool(true)), ...keyResources(bs.security)];
    if (bs.shortServerId !== undefined) res.push(single(10, int(bs.shortServerId)));
    if (bs.holdOffTime !== undefined) res.push(single(11, int(bs.holdOffTime)));
    if (bs.accountTimeout !== undefined) res.push(single(12, int(bs.accountTimeout)));
    out.push({ path: { objectId: 0, instanceId: id }, node: instance(id, res), label: 'bootstrap account' });
  }

  for (const s of c.servers) {
    const secId = s.securityInstanceId ?? security.take();
    const srvId = s.serverInstanceId ?? servers.take();
    const sec = [single(0, str(s.uri)), single(1, bool(false)), ...keyResources(s.security), single(10, int(s.shortServerId))];
    out.push({ path: { objectId: 0, instanceId: secId }, node: instance(secId, sec), label: `security of server ${s.shortServerId}` });
    const srv = [single(0, int(s.shortServerId)), single(1, int(s.lifetime)), single(6, bool(s.notificationStoring)), single(7, str(s.binding))];
    if (s.defaultMinPeriod !== undefined) srv.push(single(2, int(s.defaultMinPeriod)));
    if (s.defaultMaxPeriod !== undefined) srv.push(single(3, int(s.defaultMaxPeriod)));
    out.push({ path: { objectId: 1, instanceId: srvId }, node: instance(srvId, srv), label: `server ${s.shortServerId}` });
  }

  for (const a of c.acls) {
    const id = a.instanceId ?? acls.take();
    const rights = Object.entries(a.acl)
      .map(([ssid, r]) => ({ kind: 'resourceInstance' as const, id: Number(ssid), value: int(r) }))
      .sort((x, y) => x.id - y.id);
    const res: ResourceNode[] = [single(0, int(a.objectId)), single(1, int(a.objectInstanceId)), single(3, int(a.owner))];
    if (rights.length > 0) res.push({ kind: 'multipleResource', id: 2, type: 'integer', instances: rights });
    out.push({ path: { objectId: 2, instanceId: id }, node: instance(id, res), label: `acl /${a.objectId}/${a.objectInstanceId}` });
  }
  return out;
}

/**
 * The transport under the CoAP message layer: plain UDP, or DTLS 1.2 on UDP. It moves whole
 * datagrams (for DTLS: decrypted application data) and tells who sent them.
 */
export interface PeerAddress {
  address: string;
  port: number;
}

/** A stable string key for a peer: "127.0.0.1:5683" or "[::1]:5683". */
export function peerKey(p: PeerAddress): string {
  return p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}

/** Whether two peer addresses are the same address and port. */
export function samePeer(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/** Who a secured peer authenticated as. Absent on plain UDP. */
export type PeerIdentity =
  | { kind: 'psk'; identity: string }
  | { kind: 'rpk'; publicKey: Uint8Array }
  | { kind: 'x509'; commonName: string; certificate: Uint8Array };

export interface InboundDatagram {
  data: Buffer;
  peer: PeerAddress;
  identity?: PeerIdentity;
  /** For DTLS with Connection ID: a stable session key that survives address changes. */
  sessionKey?: string;
}

export interface Transport {
  /** "coap" or "coaps". */
  readonly scheme: 'coap' | 'coaps';
  send(data: Buffer, peer: PeerAddress): void;
  onDatagram(handler: (d: InboundDatagram) => void): void;
  address(): PeerAddress;
  close(): Promise<void>;
}

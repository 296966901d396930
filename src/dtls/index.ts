export { DtlsServerTransport } from './dtls-server-transport.js';
export type { DtlsServerOptions, DtlsLimits } from './options.js';
export { DEFAULT_LIMITS } from './options.js';
export type { DtlsStats } from './server-engine.js';
export type { DtlsSessionInfo } from './session.js';
export {
  TLS_PSK_WITH_AES_128_CCM_8,
  TLS_PSK_WITH_AES_128_CBC_SHA256,
  TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
  type CipherSuite,
} from './cipher-suites.js';
export type { CertificateOptions } from './certificates.js';
export { DtlsClient, connectDtls, type DtlsClientOptions, type DtlsClientStats } from './dtls-client.js';
export { DtlsClientError } from './errors.js';

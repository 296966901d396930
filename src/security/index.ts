/** Device credentials, authorization of registrations, and the server's own key material. */
export type { SecurityCredential, SecurityInfo, SecurityMode, SecurityStore, SecuritySummary } from './types.js';
export { MemorySecurityStore } from './security-memory.js';
export { LevelSecurityStore } from './security-level.js';
export { securityRegistrationGuard, describePeerIdentity, type RegistrationGuardOptions } from './registration-guard.js';
export { authenticatedBy, sameCredentials } from './session-match.js';
export { loadServerKeys, SERVER_CERT_FILE, SERVER_KEY_FILE, type ServerKeyMaterial, type ServerKeyOptions } from './server-keys.js';
export { loadTrustedCas, validateChain, commonNameOf, certificatesFromText } from './trusted-cas.js';
export { toSpki, fingerprint } from './public-key.js';

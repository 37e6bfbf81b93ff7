export { EncryptedStore, encryptStore, type EncryptionOptions } from './encrypted-store.js';
export { SealedValueError, SearchUnsupportedError } from './errors.js';
export { parseEncryptionKeys, type EncryptionKey } from './keys.js';
export { sealedLimits } from './limits.js';
export { rekeyStore, type RekeyOptions, type RekeyProgress, type RekeySummary } from './rekey.js';

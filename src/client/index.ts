export { HttpStore, type HttpStoreOptions } from './http-store.js';
export type { HttpRetryOptions } from './retry.js';

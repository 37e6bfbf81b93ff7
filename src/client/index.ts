export { HttpStore, type HttpStoreOptions } from './http-store.js';

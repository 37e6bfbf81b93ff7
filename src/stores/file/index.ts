export { JsonFileStore, type JsonFileStoreOptions } from './file-store.js';

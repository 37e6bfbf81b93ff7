export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { parseRedisUrl, isRedisUrl, type RedisConnectionOptions, type RedisNode } from './url.js';
export { LAYOUT_VERSION as REDIS_LAYOUT_VERSION } from './layout.js';

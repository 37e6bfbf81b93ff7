import { parseRedisUrl, type RedisConnectionOptions } from './url.js';
import type { StoreBackend } from '../registry.js';

export type RedisLocation = { kind: 'redis' } & RedisConnectionOptions;

/** `redis://[user:pass@]host:6379/0`, `rediss://…` (TLS), `redis+cluster://host1:7001,host2:7002`, `?prefix=` and timeouts. */
export const redisBackend: StoreBackend<RedisLocation> = {
  name: 'redis',
  schemes: ['redis', 'rediss', 'redis+cluster', 'rediss+cluster'],
  example: 'redis://host:6379/0, redis+cluster://host1:7001,host2:7002',
  parse: (url) => ({ kind: 'redis', ...parseRedisUrl(url) }),
  async open({ kind: _kind, ...location }, options) {
    const { RedisStore } = await import('./redis-store.js');
    return new RedisStore({ ...location, limits: options.limits, clock: options.clock, logger: options.logger });
  },
  urlFromSettings: ({ connectionString }) => connectionString ?? 'redis://127.0.0.1:6379/0',
};

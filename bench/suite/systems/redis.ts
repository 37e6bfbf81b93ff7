import { createClient } from 'redis';
import { RedisStore } from '../../../src/stores/redis/index.js';
import { deleteRedisPrefix, sessiondbRedisFiller } from '../fill/redis.js';
import { RedisFloor, type RawRedis } from './redis-floor.js';
import { StoreSystem } from './store.js';
import type { Arena } from './system.js';

/**
 * The Redis contenders on one server: the raw floor and RedisStore, each
 * under its own key prefix (`dispose` deletes both). The server's own
 * persistence settings apply to both alike.
 */
export async function redisArena(url: string, runId: string): Promise<Arena> {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => undefined);
  await client.connect();
  const raw = client as unknown as RawRedis;
  const prefixes = { floor: `${runId}:floor:`, store: `${runId}:store:` };
  const store = new RedisStore({ url, prefix: prefixes.store });
  const dispose = async () => {
    await store.close();
    for (const p of Object.values(prefixes)) await deleteRedisPrefix(raw, p);
    client.destroy();
  };
  try {
    await store.migrate();
    const floor = new RedisFloor(raw, prefixes.floor);
    await floor.init();
    return {
      backend: 'redis',
      variant: 'standard',
      contenders: [
        { system: floor, filler: sessiondbRedisFiller(raw, prefixes.floor) },
        { system: new StoreSystem('redis', 'RedisStore', store), filler: sessiondbRedisFiller(raw, prefixes.store) },
      ],
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The server's version and persistence settings, for the report. */
export async function redisServerInfo(url: string): Promise<{ version: string; appendonly: string; appendfsync: string }> {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const raw = client as unknown as RawRedis;
    const info = await raw.sendCommand<string>(['INFO', 'server']);
    const setting = async (name: string) => (await raw.sendCommand<string[]>(['CONFIG', 'GET', name]).catch(() => []))[1] ?? 'unknown';
    return { version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown', appendonly: await setting('appendonly'), appendfsync: await setting('appendfsync') };
  } catch {
    return { version: 'unreachable', appendonly: 'unknown', appendfsync: 'unknown' };
  } finally {
    client.destroy();
  }
}

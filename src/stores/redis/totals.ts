import type { StoreStats } from '../../core/types.js';
import type { RedisConnection } from './connection.js';
import { keys, type RedisLayout } from './layout.js';
import type { Registries } from './registries.js';

/**
 * The totals of `stats()`: walks the tenants' registries and reads each
 * session's status and counters and the size of every state hash. O(sessions),
 * like the SQL stores' COUNT(*); `bytes` is the stored event bodies.
 */
export async function storeTotals(conn: RedisConnection, layout: RedisLayout, registries: Registries, tenants: readonly string[]): Promise<StoreStats> {
  const out: StoreStats = { sessions: 0, activeSessions: 0, archivedSessions: 0, expiredSessions: 0, events: 0, stateKeys: 0, files: 0, bytes: 0 };
  for (const tenant of tenants) {
    const base = layout.tenant(tenant);
    await registries.eachMember(base, keys.sessionKeys(base), async (members) => {
      const rows = await Promise.all(
        members.map(async (m) => {
          const [app, user, id] = m.split('\u0000') as [string, string, string];
          const u = layout.user(tenant, app, user);
          return Promise.all([
            conn.send<(string | null)[]>(u, ['HMGET', keys.session(u, id), 'status', 'n', 'bytes']),
            conn.send<number>(u, ['HLEN', `${u}:st:${id}`]),
          ]);
        }),
      );
      for (const [[status, n, bytes], own] of rows) {
        if (status === null || status === undefined) continue; // deleted a moment ago (cluster)
        out.sessions++;
        if (status === 'active') out.activeSessions++;
        else if (status === 'archived') out.archivedSessions++;
        else out.expiredSessions++;
        out.events += Number(n);
        out.stateKeys += own;
        out.bytes += Number(bytes);
      }
    });
    await registries.eachMember(base, keys.usersWithState(base), async (members) => {
      const sizes = await Promise.all(
        members.map((m) => {
          const [app, user] = m.split('\u0000') as [string, string];
          const u = layout.user(tenant, app, user);
          return conn.send<number>(u, ['HLEN', keys.userState(u)]);
        }),
      );
      for (const n of sizes) out.stateKeys += n;
    });
    await registries.eachMember(base, keys.appsWithState(base), async (members) => {
      const sizes = await Promise.all(
        members.map((app) => {
          const a = layout.app(tenant, app);
          return conn.send<number>(a, ['HLEN', keys.appState(a)]);
        }),
      );
      for (const n of sizes) out.stateKeys += n;
    });
    out.files += await conn.send<number>(base, ['ZCARD', keys.fileIds(base)]);
  }
  return out;
}

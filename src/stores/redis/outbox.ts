import type { ResolvedKey } from '../../core/validate.js';
import type { RedisConnection } from './connection.js';
import { keys, type RedisLayout } from './layout.js';
import { SCRIPTS } from './scripts.js';

/** An outbox entry as the user-slot scripts write it (see lua/cluster.ts). Numbers are text. */
interface OutboxEntry {
  s: string;
  t: string;
  a: string;
  u: string;
  sid: string;
  live: '0' | '1';
  /** Batches of app-state entries: [stamp, key, json, key, json, …] ('' for json: delete the key). An empty list comes back as {}. */
  app?: string[][] | Record<string, never>;
  /** The user has `user:` state: register it for scans. */
  ru?: '1';
  /** The app has `app:` state: register it for scans. */
  ra?: '1';
  /** A new session: register its tenant. */
  n?: '1';
}

/**
 * On a cluster, a write runs in its session's user slot and returns an
 * outbox entry for the steps in other slots; this applies it: the tenant
 * slot's indexes and registries and the app slot's state (in parallel), the
 * tenant registry for new sessions, then clears the entry. Each step is
 * idempotent and ignores entries older than what it applied, so an entry
 * left behind by a crash is applied later by whoever finds it (the next
 * write of the session, a read, a listing that meets a stale index entry,
 * or `repairPending()`), and applying it twice does no harm.
 */
export class Outbox {
  constructor(
    private readonly conn: RedisConnection,
    private readonly layout: RedisLayout,
    private readonly replicate: (routingKey: string) => Promise<void>,
  ) {}

  /** Applies an entry; resolves with the app state (flat) when `withAppState`. */
  async apply(entryJson: string, withAppState: boolean): Promise<unknown[] | null> {
    const entry = JSON.parse(entryJson) as OutboxEntry;
    const tenant = this.layout.tenant(entry.t);
    const app = this.layout.app(entry.t, entry.a);
    const hasBatches = Array.isArray(entry.app) && entry.app.length > 0;
    const touchesApp = hasBatches || withAppState || entry.live === '0';
    const global = this.layout.global();
    const [, appState] = await Promise.all([
      this.conn.run(SCRIPTS.syncTenant, [tenant], [entryJson]),
      touchesApp ? this.conn.run<unknown[]>(SCRIPTS.applyApp, [app], [entryJson]) : null,
      entry.n === '1' ? this.conn.send(global, ['ZADD', keys.tenants(global), '0', entry.t]) : null,
    ]);
    await Promise.all([this.replicate(tenant), hasBatches ? this.replicate(app) : null]);
    await this.conn.run(SCRIPTS.clearOutbox, [this.layout.user(entry.t, entry.a, entry.u)], [entry.sid, entry.s]);
    return appState;
  }

  /** Applies the session's pending entry, or re-syncs its index entries with the session as it is. */
  async repair(k: ResolvedKey): Promise<void> {
    const user = this.layout.user(k.tenant, k.appName, k.userId);
    const entry = await this.conn.run<string>(SCRIPTS.resync, [user], [k.sessionId, k.tenant, k.appName, k.userId]);
    await this.apply(entry, false);
  }
}

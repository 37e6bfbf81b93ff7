import type { MigrateOptions } from '../../core/store.js';
import type { RedisConnection } from './connection.js';
import { keys, type RedisLayout } from './layout.js';
import type { Registries } from './registries.js';
import { SCRIPTS } from './scripts.js';

/** Progress is reported at most this often (and once at the end). */
const PROGRESS_MS = 250;

/**
 * Key layout 1 → 2: gives every session without a state-change log its first
 * entry (a replace of its own state after its last event), walking every
 * tenant's session registry, a page of sessions at a time (one script per
 * user slot of the page). Idempotent: a session that has a log is left alone,
 * so a migration that was cut off is simply run again.
 */
export async function backfillLogs(conn: RedisConnection, layout: RedisLayout, registries: Registries, options: MigrateOptions = {}): Promise<void> {
  const tenants = await registries.allTenants();
  let total = 0;
  for (const t of tenants) {
    const base = layout.tenant(t);
    total += await conn.send<number>(base, ['ZCARD', keys.sessionKeys(base)]);
  }
  let done = 0;
  let reported = 0;
  const report = (force: boolean) => {
    if (!options.onProgress || (!force && Date.now() - reported < PROGRESS_MS)) return;
    reported = Date.now();
    options.onProgress({ step: 'state-change log', done, total: Math.max(total, done) });
  };
  report(true);
  for (const tenant of tenants) {
    const base = layout.tenant(tenant);
    await registries.eachMember(base, keys.sessionKeys(base), async (members) => {
      const byUser = new Map<string, string[]>();
      for (const m of members) {
        const [app, user, sid] = m.split('\u0000') as [string, string, string];
        const u = layout.user(tenant, app, user);
        byUser.set(u, [...(byUser.get(u) ?? []), sid]);
      }
      await Promise.all([...byUser].map(([u, sids]) => conn.run(SCRIPTS.backfillLog, [u], sids)));
      done += members.length;
      report(false);
    });
  }
  report(true);
}

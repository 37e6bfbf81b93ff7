import assert from 'node:assert/strict';
import type { ScanQuery } from '../../core/types.js';
import type { ConformanceCase } from '../harness.js';

/** Follows a scan's cursors to the end with a small page size. */
async function all<T>(scan: (q: ScanQuery) => Promise<{ nextCursor: string | null }>, field: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await scan({ cursor, limit: 2 });
    out.push(...((page as unknown as Record<string, T[]>)[field] ?? []));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export const scanCases: ConformanceCase[] = [
  {
    group: 'scans',
    name: 'whole-store scans visit every session, shared state and file record of every tenant once, in key order',
    async run({ store, key }) {
      const t = `scan-${key().sessionId}`;
      const made = [
        { tenant: `${t}-b`, appName: 'app', userId: 'u2', sessionId: 's1' },
        { tenant: `${t}-a`, appName: 'app', userId: 'u1', sessionId: 's2' },
        { tenant: `${t}-a`, appName: 'app', userId: 'u1', sessionId: 's1' },
        { tenant: `${t}-a`, appName: 'zed', userId: 'u1', sessionId: 's0' },
      ];
      for (const k of made) await store.createSession({ tenant: k.tenant, appName: k.appName, userId: k.userId, id: k.sessionId, state: { [`app:${k.userId}`]: 1, [`user:${k.sessionId}`]: 2 } });
      await store.putFile({ tenant: `${t}-b`, id: 'f1', name: 'f' });
      await store.putFile({ tenant: `${t}-a`, id: 'f2', name: 'f' });
      await store.putFile({ tenant: `${t}-a`, id: 'f1', name: 'f' });
      const mine = (x: { tenant: string }) => x.tenant.startsWith(t);
      const keys = (await all<(typeof made)[number]>((q) => store.scanSessionKeys(q), 'keys')).filter(mine);
      assert.deepEqual(keys.map((k) => `${k.tenant}/${k.appName}/${k.userId}/${k.sessionId}`), [
        `${t}-a/app/u1/s1`, `${t}-a/app/u1/s2`, `${t}-a/zed/u1/s0`, `${t}-b/app/u2/s1`,
      ]);
      const apps = (await all<{ tenant: string; appName: string; state: object }>((q) => store.scanSharedState('app', q), 'items')).filter(mine);
      assert.deepEqual(apps, [
        { tenant: `${t}-a`, appName: 'app', state: { 'app:u1': 1 } },
        { tenant: `${t}-a`, appName: 'zed', state: { 'app:u1': 1 } },
        { tenant: `${t}-b`, appName: 'app', state: { 'app:u2': 1 } },
      ]);
      const users = (await all<{ tenant: string; userId: string; state: object }>((q) => store.scanSharedState('user', q), 'items')).filter(mine);
      assert.deepEqual(users.map((u) => [u.tenant, u.userId, u.state]), [
        [`${t}-a`, 'u1', { 'user:s1': 2, 'user:s2': 2 }],
        [`${t}-a`, 'u1', { 'user:s0': 2 }],
        [`${t}-b`, 'u2', { 'user:s1': 2 }],
      ]);
      const files = (await all<{ tenant: string; id: string }>((q) => store.scanFiles(q), 'files')).filter(mine);
      assert.deepEqual(files.map((f) => `${f.tenant}/${f.id}`), [`${t}-a/f1`, `${t}-a/f2`, `${t}-b/f1`]);
    },
  },
];

import assert from 'node:assert/strict';
import type { FileRecord } from '../../core/types.js';
import { rejectsWith, type ConformanceCase } from '../harness.js';

const group = 'files and expiry';

export const fileCases: ConformanceCase[] = [
  {
    group,
    name: 'file records: put, get, replace, delete',
    async run({ store, key }) {
      const id = key().sessionId;
      const put = await store.putFile({
        id,
        name: 'report.pdf',
        uri: 'gs://bucket/report.pdf',
        displayName: 'Q3 report',
        size: 12345,
        mimeType: 'application/pdf',
        uploadedAt: 1_700_000_000_000,
        expiresAt: 1_800_000_000_000,
        metadata: { pages: 3 },
      });
      const expected: FileRecord = {
        tenant: 'default',
        id,
        name: 'report.pdf',
        uri: 'gs://bucket/report.pdf',
        displayName: 'Q3 report',
        size: 12345,
        mimeType: 'application/pdf',
        uploadedAt: 1_700_000_000_000,
        expiresAt: 1_800_000_000_000,
        metadata: { pages: 3 },
        appName: null,
        userId: null,
        sessionId: null,
      };
      assert.deepEqual(put, expected);
      assert.deepEqual(await store.getFile({ id }), expected);
      assert.equal(await store.getFile({ id, tenant: 'other' }), null);
      const replaced = await store.putFile({ id, name: 'report-v2.pdf', size: 1 });
      assert.equal(replaced.name, 'report-v2.pdf');
      assert.equal(replaced.uri, null);
      assert.equal((await store.getFile({ id }))?.name, 'report-v2.pdf');
      assert.equal(await store.deleteFile({ id }), true);
      assert.equal(await store.deleteFile({ id }), false);
      const generated = await store.putFile({ name: 'a.txt' });
      assert.ok(generated.id.length > 0);
      assert.equal(generated.size, 0);
    },
  },
  {
    group,
    name: 'a file can belong to a session, which must exist',
    async run({ store, key, session }) {
      const k = key();
      await rejectsWith(store.putFile({ name: 'a', appName: k.appName, userId: k.userId, sessionId: k.sessionId }), 'not_found');
      await rejectsWith(store.putFile({ name: 'a', sessionId: k.sessionId }), 'invalid', 'sessionId');
      await rejectsWith(store.putFile({ name: '' }), 'invalid', 'name');
      await rejectsWith(store.putFile({ name: 'a', size: -1 }), 'invalid', 'size');
      await session(k);
      const f = await store.putFile({ name: 'a', appName: k.appName, userId: k.userId, sessionId: k.sessionId });
      assert.equal(f.sessionId, k.sessionId);
      const listed = await store.listFiles({ appName: k.appName, userId: k.userId, sessionId: k.sessionId });
      assert.deepEqual(listed.files.map((x) => x.id), [f.id]);
    },
  },
  {
    group,
    name: 'listFiles pages newest upload first and the cursor visits each record once',
    async run({ store }) {
      const tenant = `files-${Date.now()}-${Math.random()}`;
      for (let i = 0; i < 7; i++) await store.putFile({ tenant, id: `f${i}`, name: `f${i}`, uploadedAt: 1000 + Math.floor(i / 2) });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listFiles({ tenant, limit: 3, cursor });
        seen.push(...page.files.map((f) => f.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, ['f6', 'f5', 'f4', 'f3', 'f2', 'f1', 'f0']);
    },
  },
  {
    group,
    name: 'sweepExpired marks (or deletes) expired sessions and deletes expired file records',
    async run({ store, key, session }) {
      const expired = await session(key(), { expiresAt: 1000 });
      const expired2 = await session(key(), { expiresAt: 1500 });
      const later = await session(key(), { expiresAt: 5000 });
      const never = await session(key());
      await store.putFile({ id: `old-${expired.sessionId}`, name: 'old', expiresAt: 1000 });
      await store.putFile({ id: `new-${expired.sessionId}`, name: 'new', expiresAt: 9000 });
      const marked = await store.sweepExpired({ now: 2000, mode: 'mark' });
      assert.ok(marked.sessions >= 2);
      assert.ok(marked.files >= 1);
      const e = await store.getSession(expired);
      assert.equal(e?.status, 'expired');
      assert.equal(e?.version, 2);
      assert.equal((await store.getSession(later))?.status, 'active');
      assert.equal((await store.getSession(never))?.status, 'active');
      assert.equal(await store.getFile({ id: `old-${expired.sessionId}` }), null);
      assert.ok(await store.getFile({ id: `new-${expired.sessionId}` }));
      const again = await store.sweepExpired({ now: 2000, mode: 'mark' });
      assert.equal(again.sessions, 0, 'sessions already marked are not marked again');
      const deleted = await store.sweepExpired({ now: 2000, mode: 'delete' });
      assert.ok(deleted.sessions >= 2);
      assert.equal(await store.getSession(expired), null);
      assert.equal(await store.getSession(expired2), null);
      assert.ok(await store.getSession(later));
      await rejectsWith(store.sweepExpired({ mode: 'purge' as never }), 'invalid', 'mode');
    },
  },
  {
    group,
    name: 'sweepExpired with idleBefore expires active sessions idle since then; delete also removes those marked before',
    async run({ store, session }) {
      const idle = await session();
      const busy = await session();
      const archived = await session();
      await store.updateSession(idle, { lastActivityAt: 1000 });
      await store.updateSession(busy, { lastActivityAt: 9000 });
      await store.updateSession(archived, { lastActivityAt: 1000, status: 'archived' });
      const marked = await store.sweepExpired({ now: 10_000, idleBefore: 5000, mode: 'mark' });
      assert.ok(marked.sessions >= 1);
      assert.equal((await store.getSession(idle))?.status, 'expired');
      assert.equal((await store.getSession(busy))?.status, 'active');
      assert.equal((await store.getSession(archived))?.status, 'archived', 'archived sessions do not expire by idleness');
      const deleted = await store.sweepExpired({ now: 10_000, idleBefore: 5000, mode: 'delete' });
      assert.ok(deleted.sessions >= 1);
      assert.equal(await store.getSession(idle), null);
      assert.ok(await store.getSession(busy));
      assert.ok(await store.getSession(archived));
      await rejectsWith(store.sweepExpired({ idleBefore: -1 }), 'invalid', 'idleBefore');
    },
  },
  {
    group,
    name: 'stats counts sessions by status, events, state keys and files',
    async run({ store, key, session }) {
      const tenant = `stats-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const a = await session(key({ tenant }), { state: { s: 1, 'app:a': 1, 'user:u': 1 } });
      const b = await session(key({ tenant, appName: a.appName }));
      await store.appendEvents(a, [{ author: 'u', content: 'x' }, { author: 'u', content: 'y', stateDelta: { t: 2 } }]);
      await store.updateSession(b, { status: 'archived' });
      await store.putFile({ tenant, name: 'f' });
      const s = await store.stats({ tenant });
      assert.deepEqual(
        { ...s, bytes: 0 },
        { sessions: 2, activeSessions: 1, archivedSessions: 1, expiredSessions: 0, events: 2, stateKeys: 4, files: 1, bytes: 0 },
      );
      assert.ok(s.bytes > 0);
      const all = await store.stats();
      assert.ok(all.sessions >= 2 && all.events >= 2);
    },
  },
];

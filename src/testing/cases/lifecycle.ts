import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capabilitiesOf } from '../../core/store.js';
import { runAppendWorker } from '../processes.js';
import { rejectsWith, type ConformanceCase } from '../harness.js';

export const lifecycleCases: ConformanceCase[] = [
  {
    group: 'lifecycle',
    name: 'migrate is idempotent and leaves nothing pending',
    async run({ store }) {
      await store.migrate();
      await store.migrate();
      const status = await store.migrationStatus();
      assert.equal(status.current, status.latest);
      assert.deepEqual(status.pending, []);
    },
  },
  {
    group: 'lifecycle',
    name: 'close is idempotent and later calls fail "unavailable"',
    async run({ store, key }) {
      await store.close();
      await store.close();
      await rejectsWith(store.getSession(key()), 'unavailable');
      await rejectsWith(store.createSession({ appName: 'a', userId: 'u' }), 'unavailable');
    },
  },
  {
    group: 'lifecycle',
    name: 'declares exactly the capabilities the harness names, and has the method for each',
    async run({ store, harness }) {
      const declared = capabilitiesOf(store);
      assert.deepEqual(declared, capabilitiesOf({ capabilities: harness.capabilities }));
      if (declared.vacuum) assert.equal(typeof store.vacuum, 'function');
      if (declared.backup) assert.equal(typeof store.backup, 'function');
    },
  },
  {
    group: 'lifecycle',
    name: 'vacuum keeps every stored session, event and state key',
    needs: 'vacuum',
    async run(t) {
      const keep = await t.session(undefined, { state: { 'app:a': 1, 'user:u': 2, own: 3 } });
      await t.store.appendEvents(keep, [{ author: 'user', content: 'kept' }]);
      const gone = await t.session();
      await t.store.appendEvents(gone, Array.from({ length: 50 }, (_, i) => ({ author: 'user', content: 'x'.repeat(1000) + i })));
      await t.store.deleteSession(gone);
      await t.store.vacuum!();
      const s = await t.store.getSession(keep);
      assert.deepEqual(s?.state, { 'app:a': 1, 'user:u': 2, own: 3 });
      assert.deepEqual(s?.events?.map((e) => e.content), ['kept']);
      assert.equal(await t.store.getSession(gone), null);
    },
  },
  {
    group: 'lifecycle',
    name: 'backup writes a consistent copy of the whole store while it stays usable',
    needs: 'backup',
    async run(t) {
      const k = await t.session(undefined, { state: { 'app:a': 1, own: 2 } });
      await t.store.appendEvents(k, [{ author: 'user', content: 'before the backup' }]);
      const dir = await mkdtemp(join(tmpdir(), 'sessiondb-backup-case-'));
      try {
        const path = join(dir, 'copy');
        await t.store.backup!(path);
        assert.ok((await stat(path)).size > 0, 'the backup wrote a file');
        await t.store.appendEvents(k, [{ author: 'user', content: 'after the backup' }]);
        if (t.harness.openBackup) {
          const copy = await t.harness.openBackup(path);
          try {
            const s = await copy.getSession(k);
            assert.deepEqual(s?.events?.map((e) => e.content), ['before the backup']);
            assert.deepEqual(s?.state, { 'app:a': 1, own: 2 });
          } finally {
            await copy.close();
          }
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
  {
    group: 'processes',
    name: 'several OS processes appending to one session lose and duplicate nothing',
    needs: 'sharedUrl',
    async run(t) {
      const url = t.harness.sharedUrl!(t.store)!;
      const { count, appendsEach } = t.harness.processes ?? { count: 2, appendsEach: 1000 };
      const k = await t.session();
      const labels = Array.from({ length: count }, (_, i) => `p${i}`);
      await Promise.all(labels.map((label) => runAppendWorker(url, k, appendsEach, label)));
      const total = count * appendsEach;
      const seqs: number[] = [];
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await t.store.readEvents(k, { limit: 1000, cursor });
        assert.ok(page);
        for (const e of page.events) {
          seqs.push(e.seq);
          ids.push(e.id);
        }
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1), 'seq is gapless 1..total');
      const expectedIds = labels.flatMap((label) => Array.from({ length: appendsEach }, (_, i) => `${label}-${i}`));
      assert.deepEqual([...ids].sort(), expectedIds.sort(), 'every event stored exactly once');
      const s = await t.store.getSession(k, { withEvents: false });
      assert.equal(s?.eventCount, total);
      assert.equal(s?.version, 1 + total);
      for (const label of labels) assert.equal(s?.state[`last-${label}`], appendsEach - 1);
    },
  },
];

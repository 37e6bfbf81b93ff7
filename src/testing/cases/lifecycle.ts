import assert from 'node:assert/strict';
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

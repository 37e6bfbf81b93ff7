import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { JsonFileStore, MemoryStore, SqliteStore } from '../src/index.js';
import { runConformanceSuite } from '../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'sessiondb-conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const runner = { describe, it, skip: it.skip };

runConformanceSuite(runner, {
  name: 'MemoryStore',
  async create() {
    return new MemoryStore();
  },
});

runConformanceSuite(runner, {
  name: 'SqliteStore (file)',
  async create() {
    const store = new SqliteStore({ path: join(root, `db-${++n}`, 'sessions.db') });
    await store.migrate();
    return store;
  },
  sharedUrl: (store) => `sqlite:${(store as SqliteStore).path}`,
  capabilities: { sharedAcrossProcesses: true, backup: true, vacuum: true, indexedSearch: true },
  async openBackup(path) {
    return new SqliteStore({ path });
  },
  processes: { count: 2, appendsEach: 1000 },
});

runConformanceSuite(runner, {
  name: 'SqliteStore (:memory:)',
  async create() {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    return store;
  },
  capabilities: { vacuum: true, indexedSearch: true },
});

runConformanceSuite(runner, {
  name: 'JsonFileStore',
  async create() {
    const store = new JsonFileStore({ dir: join(root, `files-${++n}`) });
    await store.migrate();
    return store;
  },
});

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, describe, it } from 'vitest';
import { HttpStore } from '../src/client/index.js';
import { SqliteStore } from '../src/index.js';
import { createApp } from '../src/server/index.js';
import { runConformanceSuite } from '../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'sessiondb-http-conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** What each HttpStore of the suite talks to: an HTTP server over its own SQLite file. */
const backends = new WeakMap<HttpStore, { server: ServerType; sqlite: SqliteStore; url: string }>();

/**
 * Twice: as users run it (input checked in the client first), and with the
 * client's checks off, so that every refusal comes from the server and must
 * survive the trip back (same code, same field).
 */
for (const checkInput of [true, false]) {
runConformanceSuite(
  { describe, it, skip: it.skip },
  {
    name: `HttpStore → HTTP server → SqliteStore${checkInput ? '' : ' (server-side checks only)'}`,
    capabilities: { sharedAcrossProcesses: true },
    async create() {
      const sqlite = new SqliteStore({ path: join(root, `db-${++n}`, 'sessions.db') });
      await sqlite.migrate();
      const app = createApp({ store: sqlite });
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const store = new HttpStore({ url, checkInput });
      await store.migrate();
      backends.set(store, { server, sqlite, url });
      return store;
    },
    async destroy(store) {
      await store.close();
      const backend = backends.get(store as HttpStore)!;
      await new Promise<void>((resolve) => backend.server.close(() => resolve()));
      await backend.sqlite.close();
    },
    sharedUrl: (store) => backends.get(store as HttpStore)?.url,
    processes: { count: 2, appendsEach: 300 },
  },
);
}

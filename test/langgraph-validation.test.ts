/**
 * LangGraph's own conformance suite for checkpointers
 * (`@langchain/langgraph-checkpoint-validation`) against SessiondbSaver on
 * SQLite, PostgreSQL, the memory store and the HTTP API (HttpStore).
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SessiondbSaver } from '../src/adapters/langgraph/index.js';
import { HttpStore } from '../src/client/index.js';
import type { SessionStore } from '../src/core/store.js';
import { createApp } from '../src/server/index.js';
import { MemoryStore } from '../src/stores/memory/memory-store.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';
import { dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

/**
 * The one test of the suite that does not apply. LangGraph's suite skips it for
 * its own MemorySaver and SqliteSaver, which, like SessiondbSaver, store each
 * checkpoint whole rather than each channel value once per version.
 */
const NOT_APPLICABLE: Record<string, string> = {
  'should only store channel_values that have changed (based on newVersions)':
    'SessiondbSaver stores each checkpoint whole, as LangGraph’s MemorySaver and SqliteSaver do; LangGraph’s suite skips this test for them',
};

// The suite registers its tests through Jest-style globals.
const itWithExceptions = new Proxy(it, {
  apply(target, thisArg, [name, ...rest]: [string, ...unknown[]]) {
    const reason = NOT_APPLICABLE[name];
    if (reason) return target.skip(`${name} (skipped: ${reason})`, ...(rest as [() => void]));
    return Reflect.apply(target, thisArg, [name, ...rest]);
  },
});
Object.assign(globalThis, { describe, it: itWithExceptions, expect, beforeAll, afterAll, beforeEach, afterEach });
const { specTest, deltaChannelHistoryTests } = await import('@langchain/langgraph-checkpoint-validation');

/** Runs the suite on one store. Each checkpointer gets its own app name on that store, so none sees another's threads. */
function validateOn(name: string, open: () => Promise<SessionStore>, dispose: (store: SessionStore) => Promise<void> = (store) => store.close()): void {
  let store: SessionStore;
  let instances = 0;
  const initializer = {
    checkpointerName: `SessiondbSaver on ${name}`,
    async beforeAll() {
      store = await open();
    },
    async afterAll() {
      await dispose(store);
    },
    createCheckpointer: () => new SessiondbSaver({ store, appName: `suite-${++instances}` }),
  };
  specTest(initializer);
  // Opt-in in LangGraph's suite (the method is beta): the ancestor walk of DeltaChannel over our storage.
  describe(initializer.checkpointerName, () => deltaChannelHistoryTests(initializer));
}

const dir = tempDir('langgraph-suite');
validateOn('SQLite', async () => {
  const store = new SqliteStore({ path: join(dir, 'suite.db') });
  await store.migrate();
  return store;
});

validateOn('the memory store', async () => new MemoryStore());

// Over the HTTP API: HttpStore talking to a server (in this process) on a memory store.
let server: ServerType;
validateOn(
  'HTTP',
  async () => {
    const app = createApp({ store: new MemoryStore() });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    return new HttpStore({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  },
  async (store) => {
    await store.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);

const pgReason = await pgUnavailableReason();
if (pgReason) {
  it.skip(`SessiondbSaver on PostgreSQL passes LangGraph's checkpointer suite (skipped: ${pgReason})`, () => {});
} else {
  const schema = uniqueSchema('langgraph');
  validateOn(
    'PostgreSQL',
    async () => {
      const store = new PostgresStore({ connectionString: PG_URL, schema, max: 4 });
      await store.migrate();
      return store;
    },
    async (store) => {
      await store.close();
      await dropSchema(schema);
    },
  );
}

// Switching from ADK's own database: fill a real ADK DatabaseSessionService database (SQLite and
// PostgreSQL), import it, and compare what AdkSessionService returns with what ADK returned.
// DatabaseSessionService comes from test/adk-database (see adk-database-helpers.ts).
import { join } from 'node:path';
import type { BaseSessionService, DatabaseSessionService, Session } from '@google/adk';
import { afterAll, describe, expect, it } from 'vitest';
import { AdkSessionService, importAdkDatabase } from '../src/adapters/adk/index.js';
import { MemoryStore, SqliteStore, type SessionStore } from '../src/index.js';
import { adkDatabaseUnavailableReason, loadAdkDatabase } from './adk-database-helpers.js';
import { tempDir } from './helpers.js';
import { adminQuery, PG_URL, pgUnavailableReason } from './pg-helpers.js';

const dir = tempDir('adk-import');
const pgUnavailable = await pgUnavailableReason();
const adkUnavailable = adkDatabaseUnavailableReason();
const adkDatabase = adkUnavailable ? null : await loadAdkDatabase();

/** Writes a few apps, users, sessions and events (with every state scope) through `svc`. */
async function fill(svc: BaseSessionService): Promise<{ appName: string; userId: string; id: string }[]> {
  const made: { appName: string; userId: string; id: string }[] = [];
  let t = 1_760_000_000_000;
  for (const appName of ['shop', 'support']) {
    for (const userId of ['ada', 'grace']) {
      for (let k = 0; k < 2; k++) {
        const s = await svc.createSession({ appName, userId, state: { topic: `${appName}-${k}`, 'app:region': 'eu', 'user:tier': userId } });
        made.push({ appName, userId, id: s.id });
        for (let i = 0; i < 4; i++) {
          const event = adkDatabase!.createEvent({
            author: i % 2 ? 'assistant' : 'user',
            invocationId: `inv-${k}-${i}`,
            timestamp: (t += 1000),
            content: { role: i % 2 ? 'model' : 'user', parts: [{ text: `${appName}/${userId}/${k}: message ${i}` }] },
            actions: { stateDelta: { turn: i, [`user:last_${appName}`]: i, 'temp:scratch': 1, ...(i === 3 ? { 'app:version': k } : {}) } },
            customMetadata: { snake_key: i },
          });
          if (i === 1) {
            event.content!.parts!.push({ functionCall: { id: `fc-${i}`, name: 'look_up', args: { order_id: 42 } } });
            event.usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 3 };
          }
          await svc.appendEvent({ session: s, event });
        }
      }
    }
  }
  // One session without events.
  const empty = await svc.createSession({ appName: 'shop', userId: 'ada', sessionId: 'empty-one', state: { fresh: true } });
  made.push({ appName: 'shop', userId: 'ada', id: empty.id });
  return made;
}

const plain = (s: Session | undefined) => JSON.parse(JSON.stringify(s));

async function compare(adk: BaseSessionService, ours: AdkSessionService, made: { appName: string; userId: string; id: string }[]) {
  for (const m of made) {
    const key = { appName: m.appName, userId: m.userId, sessionId: m.id };
    const theirs = plain(await adk.getSession(key));
    const mine = plain(await ours.getSession(key));
    expect(mine).toEqual(theirs);
    expect(plain(await ours.getSession({ ...key, config: { numRecentEvents: 2 } }))).toEqual(plain(await adk.getSession({ ...key, config: { numRecentEvents: 2 } })));
  }
  for (const appName of ['shop', 'support']) {
    const theirs = await adk.listSessions({ appName, order: 'asc' });
    const mine = await ours.listSessions({ appName, order: 'asc' });
    expect(plain(mine as never)).toEqual(plain(theirs as never));
  }
}

async function importAndCompare(adkUrl: string, adk: DatabaseSessionService, made: { appName: string; userId: string; id: string }[], store: SessionStore) {
  const result = await importAdkDatabase(adkUrl, store, { batchSize: 3 });
  expect(result).toEqual({ sessions: made.length, resumedSessions: 0, events: 32, appStates: 2, userStates: 4 });
  const ours = new AdkSessionService(store);
  await compare(adk, ours, made);
  // Running it again (say, after an interruption) duplicates nothing.
  const again = await importAdkDatabase(adkUrl, store);
  expect(again).toMatchObject({ sessions: 0, resumedSessions: made.length, events: 0 });
  await compare(adk, ours, made);
  expect((await store.stats()).events).toBe(32);
}

describe('importAdkDatabase', () => {
  it.skipIf(adkDatabase === null)(`copies an ADK SQLite database; AdkSessionService then returns what ADK returned${adkUnavailable ? ` (skipped: ${adkUnavailable})` : ''}`, async () => {
    const adkPath = join(dir, 'adk-own.db');
    const service = new adkDatabase!.DatabaseSessionService(`sqlite://${adkPath}`);
    const made = await fill(service);
    const store = new SqliteStore({ path: join(dir, 'imported.db') });
    await store.migrate();
    await importAndCompare(`sqlite://${adkPath}`, service, made, store);
    await store.close();
  }, 120_000);

  it('refuses a URL that is not an ADK database and names the problem', async () => {
    await expect(importAdkDatabase('mysql://x', new MemoryStore())).rejects.toThrow(/not an ADK database URL/);
    await expect(importAdkDatabase(`sqlite://${join(dir, 'missing.db')}`, new MemoryStore())).rejects.toThrow(`No ADK database at ${join(dir, 'missing.db')}: the file does not exist`);
  });

  it('refuses a database that is not ADK\'s, saying which tables and columns it expected', async () => {
    const path = join(dir, 'sessiondb-own.db');
    const ours = new SqliteStore({ path });
    await ours.migrate();
    await ours.close();
    const err = (await importAdkDatabase(`sqlite://${path}`, new MemoryStore()).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`${path} is not a Google ADK DatabaseSessionService database: table sessions has no column state`);
    expect(err.message).toMatch(/no table app_states, no table user_states\. Expected the tables ADK creates: sessions \(app_name, user_id, id, state, create_time, update_time\); events/);
  });

  const pgSkip = pgUnavailable ?? adkUnavailable;
  describe.skipIf(pgSkip !== null)(`from PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
    const database = `sdbt_adk_${process.pid}`;
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    afterAll(async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    });

    it('copies an ADK PostgreSQL database; AdkSessionService then returns what ADK returned', async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await adminQuery(`CREATE DATABASE ${database}`);
      const service = new adkDatabase!.DatabaseSessionService(url.toString());
      const made = await fill(service);
      await importAndCompare(url.toString(), service, made, new MemoryStore());
      await (service as unknown as { orm?: { close(): Promise<void> } }).orm?.close();
    }, 120_000);
  });
});

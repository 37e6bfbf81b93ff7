// startup() must not load or count stored sessions: with 100,000 stored it makes exactly the same
// store calls as with 10. (Its time, 10 vs 100,000, is measured by `npm run bench:startup`.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionManager, SqliteStore } from '../src/index.js';
import { bulkInsertSessions } from './fixtures/bulk-sessions.js';
import { recordingStore, tempDir } from './helpers.js';

const dir = tempDir('startup');


async function startupCalls(sessions: number, warm?: number): Promise<string[]> {
  const path = join(dir, `s${sessions}-${warm ?? 0}.db`);
  const setup = new SqliteStore({ path });
  await setup.migrate();
  await setup.close();
  bulkInsertSessions(path, sessions);
  const { store, calls } = recordingStore(new SqliteStore({ path }));
  const manager = new SessionManager({ store, sweepIntervalMs: 0 });
  const info = await manager.startup(warm ? { warm } : {});
  if (warm) expect(info.warmedSessions).toBe(Math.min(warm, sessions));
  const made = [...calls];
  await manager.shutdown();
  return made;
}

describe('SessionManager.startup', () => {
  it('makes the same store calls with 100,000 stored sessions as with 10, and reads none of them', async () => {
    const small = await startupCalls(10);
    const large = await startupCalls(100_000);
    expect(large).toEqual(small);
    expect(large).toEqual(['migrate', 'migrationStatus']);
  }, 60_000);

  it('warm: N reads one page of the N most recently active sessions, whatever the total', async () => {
    expect(await startupCalls(100_000, 50)).toEqual(['migrate', 'listSessions', 'migrationStatus']);
  }, 60_000);
});

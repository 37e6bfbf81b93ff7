import { createEvent } from '@google/adk';
import { describe, expect, it } from 'vitest';
import { AdkSessionService } from '../src/adapters/adk/index.js';
import { MemoryStore, SqliteStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('adk-state-api');

describe('AdkSessionService: the state API of the seeds', () => {
  it('updateKeys upserts and deletes (null) in every scope without an event; an event delta stores null', async () => {
    const service = new AdkSessionService(new MemoryStore());
    const ids = { appName: 'app', userId: 'u1' };
    const s = await service.createSession({ ...ids, sessionId: 's1', state: { old_key: 1, 'user:lang': 'en', 'app:cfg': { a: 1 } } });
    const sibling = await service.createSession({ ...ids, sessionId: 's2' });
    await service.updateKeys({ ...ids, sessionId: 's1', delta: { old_key: null, new_key: 'value', 'user:lang': null, 'app:cfg': null, 'app:v': 2, 'temp:debug': true } });
    const read = await service.getSession({ ...ids, sessionId: 's1' });
    expect(read?.state).toEqual({ new_key: 'value', 'app:v': 2 });
    expect(read?.events).toEqual([]);
    expect((await service.getSession({ ...ids, sessionId: sibling.id }))?.state).toEqual({ 'app:v': 2 });
    expect(await service.getEventCount({ ...ids, sessionId: 's1' })).toBe(0);

    // The object read before updateKeys is stale; a fresh one appends, and there null is a value.
    const fresh = (await service.getSession({ ...ids, sessionId: 's1' }))!;
    expect(s.id).toBe('s1');
    await service.appendEvent({ session: fresh, event: createEvent({ author: 'agent', invocationId: 'i1', actions: { stateDelta: { new_key: null }, artifactDelta: {}, requestedAuthConfigs: {}, requestedToolConfirmations: {} } }) });
    expect((await service.getSession({ ...ids, sessionId: 's1' }))?.state).toEqual({ new_key: null, 'app:v': 2 });
    expect(await service.getEventCount({ ...ids, sessionId: 's1' })).toBe(1);

    await expect(service.updateKeys({ ...ids, sessionId: 'missing', delta: { a: 1 } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.getEventCount({ ...ids, sessionId: 'missing' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.updateKeys({ ...ids, sessionId: 's1', delta: { '': null } })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('getStats has the seed shape (db_size_mb null without a database file); vacuum is a no-op there', async () => {
    const service = new AdkSessionService(new MemoryStore());
    await service.createSession({ appName: 'app', userId: 'u', sessionId: 's', state: { a: 1, 'user:b': 2 } });
    expect(await service.getStats()).toEqual({ sessions: 1, events: 0, state_keys: 2, db_size_mb: null });
    await expect(service.vacuum()).resolves.toBeUndefined();
  });

  it('on SQLite, getStats reports the size on disk and vacuum reclaims space', async () => {
    const store = new SqliteStore({ path: `${dir}/adk.db` });
    await store.migrate();
    const service = new AdkSessionService(store, { tenant: 't1' });
    await service.createSession({ appName: 'app', userId: 'u', sessionId: 's' });
    await store.createSession({ tenant: 'other', appName: 'app', userId: 'u', id: 'x' });
    const stats = await service.getStats();
    expect(stats).toMatchObject({ sessions: 1, events: 0, state_keys: 0 });
    expect(stats.db_size_mb).toBeGreaterThan(0);
    await service.vacuum();
    expect(await service.getEventCount({ appName: 'app', userId: 'u', sessionId: 's' })).toBe(0);
    await store.close();
  });
});

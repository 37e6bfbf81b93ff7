import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonFileStore, openStore, SessionDbError } from '../src/index.js';
import { appendThenKill, tempDir } from './helpers.js';

const root = tempDir('filestore');
let n = 0;
const freshDir = () => join(root, `d${++n}`);
const key = { appName: 'app', userId: 'u', sessionId: 's' };

/** Every file under `dir` (recursively). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

describe('JsonFileStore specifics', () => {
  it('is reachable as file: URLs and keeps human-readable JSON, with the previous version as .bak', async () => {
    const dir = freshDir();
    const store = await openStore(`file:${dir}`);
    expect(store.kind).toBe('file');
    await store.createSession({ appName: 'app', userId: 'u', id: 's', metadata: { title: 'Hello' } });
    await store.updateSession(key, { metadata: { title: 'Renamed' } });
    const doc = walk(dir).find((f) => f.endsWith('.json') && f.includes('sessions'))!;
    const text = readFileSync(doc, 'utf8');
    expect(text).toContain('\n  "session": {\n');
    expect(JSON.parse(text).session.metadata).toEqual({ title: 'Renamed' });
    expect(JSON.parse(readFileSync(`${doc}.bak`, 'utf8')).session.metadata).toEqual({ title: 'Hello' });
    await store.close();
  });

  it('an append writes only the files of its session (its cost does not grow with the number of sessions)', async () => {
    const dir = freshDir();
    const store = new JsonFileStore({ dir });
    await store.migrate();
    for (let i = 0; i < 200; i++) await store.createSession({ appName: 'app', userId: 'u', id: `s${i}` });
    await store.appendEvents({ ...key, sessionId: 's0' }, [{ author: 'u', content: 'warm' }]);
    const before = new Map(walk(dir).map((f) => [f, statSync(f).mtimeMs]));
    await new Promise((r) => setTimeout(r, 20)); // let mtimes move
    await store.appendEvents({ ...key, sessionId: 's0' }, [{ author: 'u', content: 'hi', stateDelta: { k: 1 } }]);
    const changed = walk(dir).filter((f) => before.get(f) !== statSync(f).mtimeMs);
    // Only one session's files: its document, the document's .bak and its events file.
    expect(new Set(changed.map((f) => basename(f).split('.')[0])).size).toBe(1);
    expect(changed.map((f) => basename(f).slice(32)).sort()).toEqual(['.events.jsonl', '.json', '.json.bak']);
    await store.close();
  });

  it('one process at a time: a second opener fails at once with a clear error, and works once the first closes', async () => {
    const dir = freshDir();
    const first = new JsonFileStore({ dir });
    await first.migrate();
    await first.createSession({ appName: 'app', userId: 'u', id: 's' });
    const second = new JsonFileStore({ dir });
    const err = await second.getSession(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionDbError);
    expect((err as SessionDbError).code).toBe('unavailable');
    expect((err as Error).message).toMatch(/in use by process \d+.*lock file/);
    // Another OS process gets the same answer.
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', `import('${join(import.meta.dirname, '../src/index.ts')}').then(async (m) => { try { await m.openStore('file:${dir}'); console.log('opened'); } catch (e) { console.log(e.code); } })`],
      { encoding: 'utf8' },
    );
    expect(child.stdout.trim()).toBe('unavailable');
    await first.close();
    const third = new JsonFileStore({ dir });
    expect((await third.getSession(key))?.id).toBe('s');
    await third.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = freshDir();
    const a = new JsonFileStore({ dir });
    await a.migrate();
    await a.close();
    writeFileSync(join(dir, 'sessiondb.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }));
    const b = new JsonFileStore({ dir });
    await b.migrate();
    await b.close();
  });

  it('replays an unfinished journal on open: a multi-file change lands whole', async () => {
    const dir = freshDir();
    const store = new JsonFileStore({ dir });
    await store.migrate();
    await store.createSession({ appName: 'app', userId: 'u', id: 's' });
    await store.appendEvents(key, [{ author: 'u', stateDelta: { 'app:x': 1, 'user:y': 1 } }]);
    await store.close();
    // A crash after the journal was written and before its changes were applied:
    const appDoc = walk(dir).find((f) => f.includes('/app/') && f.endsWith('.json'))!;
    const changed = JSON.parse(readFileSync(appDoc, 'utf8'));
    changed.state['app:x'] = 2;
    writeFileSync(join(dir, 'journal.json'), JSON.stringify([{ write: appDoc, content: JSON.stringify(changed, null, 2) }]));
    const reopened = new JsonFileStore({ dir });
    expect((await reopened.getAppState({ appName: 'app' }))['app:x']).toBe(2);
    expect(existsSync(join(dir, 'journal.json'))).toBe(false);
    await reopened.close();
  });

  it('refuses a directory that was never migrated, saying what to do', async () => {
    const store = new JsonFileStore({ dir: freshDir() });
    await expect(store.getSession(key)).rejects.toThrow(/not a sessiondb directory yet.*migrate\(\)/);
    await store.close();
  });
});

describe('JsonFileStore crash safety', () => {
  it('every acknowledged append survives SIGKILL mid-run, and every file stays readable', async () => {
    const dir = freshDir();
    const setup = new JsonFileStore({ dir });
    await setup.migrate();
    await setup.createSession({ appName: 'app', userId: 'u', id: 's' });
    await setup.close();
    const acked: number[] = [];
    for (let run = 0; run < 3; run++) {
      acked.push(...(await appendThenKill(`file:${dir}`, key, 40 + run * 17, `crash${run}`)));
    }
    for (const f of walk(dir).filter((f) => f.endsWith('.json') || f.endsWith('.bak'))) {
      expect(() => JSON.parse(readFileSync(f, 'utf8')), f).not.toThrow();
    }
    const store = new JsonFileStore({ dir });
    const session = await store.getSession(key);
    const events = session!.events!;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(session!.eventCount).toBe(events.length);
    expect(session!.version).toBe(1 + events.length);
    const stored = new Set(events.map((e) => e.seq));
    for (const seq of acked) expect(stored.has(seq)).toBe(true);
    // And it keeps working: the next append follows the last committed one.
    const r = await store.appendEvents(key, [{ author: 'u', content: 'after' }]);
    expect(r.events[0]!.seq).toBe(events.length + 1);
    await store.close();
  }, 60_000);
});

describe('JsonFileStore history on disk', () => {
  it('keeps a rewind, its superseded events and the state log across a reopen', async () => {
    const dir = freshDir();
    let store = await openStore(`file:${dir}`);
    await store.createSession({ appName: 'app', userId: 'u', id: 's', state: { step: 0 } });
    await store.appendEvents(key, [1, 2, 3].map((i) => ({ id: `e${i}`, author: 'u', content: `turn ${i}`, stateDelta: { step: i } })));
    await store.rewindSession(key, { toSeq: 1 });
    await store.close();
    store = await openStore(`file:${dir}`);
    const s = await store.getSession(key);
    expect(s?.events?.map((e) => e.id)).toEqual(['e1']);
    expect(s?.state).toEqual({ step: 1 });
    expect((await store.readSupersededEvents(key))?.events.map((e) => e.id)).toEqual(['e2', 'e3']);
    expect(await store.readStateHistory(key)).toEqual([{ atSeq: 0, kind: 'replace', set: { step: 0 }, unset: [] }]);
    const next = await store.appendEvents(key, [{ id: 'e2b', author: 'u', content: 'turn 2 again' }]);
    expect(next.events[0]!.seq).toBe(2);
    expect((await store.getSession(key))?.events?.map((e) => e.content)).toEqual(['turn 1', 'turn 2 again']);
    expect((await store.searchEvents({ query: 'again' })).hits.map((h) => h.event?.id)).toEqual(['e2b']);
    await store.close();
  });
});

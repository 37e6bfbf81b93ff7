/**
 * SessiondbSaver beyond LangGraph's own suite (test/langgraph-validation.test.ts):
 * a compiled graph that a new process resumes, through the built package; what
 * a thread looks like as a session; bounded reads; bytes; limits; concurrent
 * writers; rewind; delete; bad input; the README example.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessiondbSaver } from '../src/adapters/langgraph/index.js';
import { SessionDbError } from '../src/core/errors.js';
import type { SessionStore } from '../src/core/store.js';
import { MemoryStore } from '../src/stores/memory/memory-store.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { forkSession } from '../src/transfer/fork.js';
import { exportSession } from '../src/transfer/session-export.js';
import { tempDir } from './helpers.js';
import { runExample } from './readme-helpers.js';

const root = join(import.meta.dirname, '..');
const dir = tempDir('langgraph');
const meta = (step: number, source: CheckpointMetadata['source'] = 'loop'): CheckpointMetadata => ({ source, step, parents: {} });

/** A checkpoint with the given channel values (versions 1). */
function checkpointWith(values: Record<string, unknown>): Checkpoint {
  const checkpoint = emptyCheckpoint();
  checkpoint.id = uuid6(0);
  checkpoint.channel_values = values;
  checkpoint.channel_versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return checkpoint;
}

/** Puts `count` checkpoints in a chain on one thread, each with one task's write; returns the last config. */
async function putChain(saver: SessiondbSaver, threadId: string, count: number, ns = ''): Promise<RunnableConfig> {
  let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  for (let step = 0; step < count; step++) {
    config = await saver.put(config, checkpointWith({ step }), meta(step), { step: 1 });
    await saver.putWrites(config, [['step', step + 1]], `task-${step}`);
  }
  return config;
}

function runFixture(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'langgraph', 'review-graph.mjs'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`review-graph.mjs ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

describe('a compiled LangGraph graph on SessiondbSaver (the built package)', () => {
  const file = join(dir, 'review.db');

  it('runs a thread until a subgraph interrupts; a new process sees the pause, resumes it to the end, and runs the thread again', async () => {
    const start = await runFixture([file, 'thread-1', 'start']);
    expect(start).toEqual({ interrupts: [{ question: 'Publish this draft?', draft: 'draft of topic: cats' }], next: ['review'] });

    const resumed = await runFixture([file, 'thread-1', 'resume']);
    expect(resumed['pausedAt']).toEqual(['review']);
    expect(resumed['pausedValues']).toEqual({ notes: ['topic: cats', 'draft of topic: cats'] });
    expect(resumed['pendingQuestion']).toEqual(['Publish this draft?']);
    expect(resumed['finished']).toEqual(['topic: cats', 'draft of topic: cats', 'review: yes', 'published']);
    // The second run on the thread starts from the accumulated state and pauses at the review again.
    expect(resumed['secondRun']).toEqual(['topic: cats', 'draft of topic: cats', 'review: yes', 'published', 'topic: dogs', 'draft of topic: dogs']);
    expect(resumed['secondInterrupts']).toEqual([{ question: 'Publish this draft?', draft: 'draft of topic: dogs' }]);
    expect(resumed['history']).toBe(8); // root checkpoints: steps -1…3 of the first run, 4…6 of the second
  });

  it('the thread is one readable session: a title, a line per step and task in exports and search, heads in its state', async () => {
    const store = new SqliteStore({ path: file });
    try {
      const key = { appName: 'langgraph', userId: 'langgraph', sessionId: 'thread-1' };
      const session = await store.getSession(key, { withEvents: false });
      expect(session?.metadata['title']).toBe('LangGraph thread thread-1');
      const heads = Object.keys(session!.state).filter((k) => k.startsWith('langgraph.head'));
      expect(heads).toHaveLength(3); // the root namespace and the review subgraph's two runs
      expect(heads).toContain('langgraph.head');

      const text = (await exportSession(store, key, 'text'))!;
      expect(text).toContain('langgraph: Checkpoint · step 0 · loop');
      expect(text).toContain('langgraph: Writes of draft\n    notes: ["draft of topic: cats"]');
      expect(text).toMatch(/Writes of ask · subgraph review:[\w-]+\n {4}interrupt: .*Publish this draft\?/);
      expect(text).toContain('Writes of a command\n    resume: "yes"');
      expect(text).not.toMatch(/eyJ/); // no base64 of the serialized checkpoints in the transcript

      const hits = await store.searchEvents({ query: 'dogs', appName: 'langgraph', sessionId: 'thread-1' });
      expect(hits.hits.map((h) => h.snippet)).toContain('Writes of draft notes: ["draft of topic: **dogs**"]');
    } finally {
      await store.close();
    }
  });
});

describe('SessiondbSaver', () => {
  let store: SqliteStore;
  beforeAll(async () => {
    store = new SqliteStore({ path: join(dir, 'unit.db') });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
  });

  it('reads the latest checkpoint of a long thread by seq (one getSession, one readEvents per group of its writes), and a missing namespace with one getSession', async () => {
    const saver = new SessiondbSaver({ store, appName: 'bounded' });
    const last = await putChain(saver, 'long', 300);
    await putChain(saver, 'long', 10, 'sub:1'); // a subgraph's 20 events after the root's head
    await saver.putWrites(last, [['late', 'x']], 'late-task'); // a write against the root head, far after it

    const calls = { getSession: 0, readEvents: 0, eventsRead: 0 };
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'getSession') return (...args: Parameters<SessionStore['getSession']>) => (calls.getSession++, target.getSession(...args));
        if (prop === 'readEvents') {
          return async (...args: Parameters<SessionStore['readEvents']>) => {
            calls.readEvents++;
            const page = await target.readEvents(...args);
            calls.eventsRead += page?.events.length ?? 0;
            return page;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const reader = new SessiondbSaver({ store: counting, appName: 'bounded' });
    const tuple = await reader.getTuple({ configurable: { thread_id: 'long' } });
    expect(tuple?.checkpoint.channel_values).toEqual({ step: 299 });
    expect(tuple?.pendingWrites).toEqual([
      ['late-task', 'late', 'x'],
      ['task-299', 'step', 300],
    ]);
    expect(calls).toEqual({ getSession: 1, readEvents: 2, eventsRead: 3 }); // the checkpoint with its first write; the late write

    Object.assign(calls, { getSession: 0, readEvents: 0, eventsRead: 0 });
    expect(await reader.getTuple({ configurable: { thread_id: 'long', checkpoint_ns: 'never:run' } })).toBeUndefined();
    expect(calls).toEqual({ getSession: 1, readEvents: 0, eventsRead: 0 });

    // A checkpoint by id is found reading back from the newest event, in pages of 16, 32, 64…: the
    // parent is 23 events back (its writes, the subgraph's 20 events, the late write).
    Object.assign(calls, { getSession: 0, readEvents: 0, eventsRead: 0 });
    const parent = await reader.getTuple(tuple!.parentConfig!);
    expect(parent?.checkpoint.channel_values).toEqual({ step: 298 });
    expect(parent?.pendingWrites).toEqual([['task-298', 'step', 299]]);
    expect(calls).toEqual({ getSession: 1, readEvents: 2, eventsRead: 48 });

    const listed = [];
    for await (const t of reader.list({ configurable: { thread_id: 'long', checkpoint_ns: '' } }, { limit: 2 })) listed.push(t.checkpoint.channel_values);
    expect(listed).toEqual([{ step: 299 }, { step: 298 }]);
  });

  it('bytes round-trip exactly, in checkpoints and in writes', async () => {
    const saver = new SessiondbSaver({ store, appName: 'bytes' });
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const config = await saver.put({ configurable: { thread_id: 't' } }, checkpointWith({ blob: bytes, text: 'é\u{1F600}' }), meta(0), { blob: 1 });
    await saver.putWrites(config, [['blob', bytes.subarray(10, 20)]], 'task');
    const tuple = await saver.getTuple(config);
    const blob = tuple?.checkpoint.channel_values['blob'];
    expect(blob).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(blob)).toBe(false);
    expect([...(blob as Uint8Array)]).toEqual([...bytes]);
    expect(tuple?.checkpoint.channel_values['text']).toBe('é\u{1F600}');
    const written = tuple?.pendingWrites?.[0]?.[2] as Uint8Array;
    expect(written).toBeInstanceOf(Uint8Array);
    expect([...written]).toEqual([...bytes.subarray(10, 20)]);
  });

  it('a checkpoint over the store’s event limit is refused with the thread, the size and what to do; nothing is stored', async () => {
    const small = new MemoryStore({ limits: { maxEventContentBytes: 4096 } });
    const saver = new SessiondbSaver({ store: small });
    const err = await saver.put({ configurable: { thread_id: 'big-thread' } }, checkpointWith({ text: 'x'.repeat(5000) }), meta(0), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionDbError);
    expect((err as SessionDbError).code).toBe('too_large');
    expect((err as Error).message).toMatch(/^LangGraph thread "big-thread": checkpoint [\w-]+ is \d+ bytes once stored, over the store's limit of 4096 bytes per event/);
    expect((err as Error).message).toContain('Keep large data out of the graph state');
    expect(await small.getSession({ appName: 'langgraph', userId: 'langgraph', sessionId: 'big-thread' })).toBeNull();

    const config = await saver.put({ configurable: { thread_id: 'big-thread' } }, checkpointWith({ text: 'small' }), meta(0), {});
    const writeErr = await saver.putWrites(config, [['text', 'y'.repeat(5000)]], 'task').catch((e: unknown) => e);
    expect((writeErr as SessionDbError).code).toBe('too_large');
    expect((writeErr as Error).message).toContain('writes of task task against checkpoint');
    expect((await saver.getTuple(config))?.pendingWrites).toEqual([]);
  });

  it('two savers writing to one thread at once lose nothing (the version check makes the second plan again)', async () => {
    const a = new SessiondbSaver({ store, appName: 'race' });
    const b = new SessiondbSaver({ store, appName: 'race' });
    const config = await a.put({ configurable: { thread_id: 't' } }, checkpointWith({}), meta(0), {});
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => [a.putWrites(config, [['ch', `a${i}`]], `a-${String(i).padStart(2, '0')}`), b.putWrites(config, [['ch', `b${i}`]], `b-${String(i).padStart(2, '0')}`)]).flat(),
    );
    const tuple = await b.getTuple({ configurable: { thread_id: 't' } });
    expect(tuple?.pendingWrites?.map(([, , v]) => v)).toEqual([...Array.from({ length: 20 }, (_, i) => `a${i}`), ...Array.from({ length: 20 }, (_, i) => `b${i}`)]);
    const session = await store.getSession({ appName: 'race', userId: 'langgraph', sessionId: 't' }, { withEvents: false });
    expect((session!.state['langgraph.head'] as { writes: number[] }).writes).toHaveLength(40); // all read by seq, no scan
  });

  it('a fan-out wider than a head lists (128 write events) still reads every write, by reading back to the checkpoint', async () => {
    const saver = new SessiondbSaver({ store, appName: 'fan-out' });
    const config = await saver.put({ configurable: { thread_id: 't' } }, checkpointWith({}), meta(0), {});
    const tasks = Array.from({ length: 150 }, (_, i) => `task-${String(i).padStart(3, '0')}`);
    await Promise.all(tasks.map((task, i) => saver.putWrites(config, [['ch', i]], task)));
    const session = await store.getSession({ appName: 'fan-out', userId: 'langgraph', sessionId: 't' }, { withEvents: false });
    expect((session!.state['langgraph.head'] as { writes: unknown }).writes).toBeNull();
    const tuple = await saver.getTuple({ configurable: { thread_id: 't' } });
    expect(tuple?.pendingWrites).toEqual(tasks.map((task, i) => [task, 'ch', i]));
  });

  it('rewinding the session (as the console does) takes the thread back to that checkpoint; a fork is a thread of its own', async () => {
    const saver = new SessiondbSaver({ store, appName: 'rewind' });
    const first = await saver.put({ configurable: { thread_id: 't' } }, checkpointWith({ n: 1 }), meta(0), {});
    await saver.put(first, checkpointWith({ n: 2 }), meta(1), {});
    const key = { appName: 'rewind', userId: 'langgraph', sessionId: 't' };
    await store.rewindSession(key, { toSeq: 1 });
    const tuple = await saver.getTuple({ configurable: { thread_id: 't' } });
    expect(tuple?.checkpoint.channel_values).toEqual({ n: 1 });
    const third = await saver.put(first, checkpointWith({ n: 3 }), meta(1), {});
    expect((await saver.getTuple({ configurable: { thread_id: 't' } }))?.config).toEqual(third);
    // A fork of the session at the first checkpoint is a thread of its own that starts there.
    await forkSession(store, key, { upToSeq: 1, newSessionId: 't-fork' });
    const forked = await saver.getTuple({ configurable: { thread_id: 't-fork' } });
    expect([forked?.checkpoint.channel_values, forked?.config.configurable?.['thread_id']]).toEqual([{ n: 1 }, 't-fork']);
  });

  it('deleteThread deletes the thread with every namespace, and no other thread', async () => {
    const saver = new SessiondbSaver({ store, appName: 'delete' });
    await putChain(saver, 'doomed', 2);
    await putChain(saver, 'doomed', 2, 'sub:1');
    await putChain(saver, 'kept', 1);
    await saver.deleteThread('doomed');
    expect(await saver.getTuple({ configurable: { thread_id: 'doomed' } })).toBeUndefined();
    expect(await saver.getTuple({ configurable: { thread_id: 'doomed', checkpoint_ns: 'sub:1' } })).toBeUndefined();
    expect(await store.getSession({ appName: 'delete', userId: 'langgraph', sessionId: 'doomed' })).toBeNull();
    expect(await saver.getTuple({ configurable: { thread_id: 'kept' } })).toBeDefined();
    // Writing again after a delete starts the thread afresh.
    await putChain(saver, 'doomed', 1);
    expect((await saver.getTuple({ configurable: { thread_id: 'doomed' } }))?.checkpoint.channel_values).toEqual({ step: 0 });
  });

  it('bad input is refused naming the field, before anything is stored', async () => {
    const saver = new SessiondbSaver({ store, appName: 'bad' });
    const field = (e: unknown) => (e as { details?: { field?: string } }).details?.field;
    const noThread = await saver.put({ configurable: {} }, checkpointWith({}), meta(0), {}).catch((e: unknown) => e);
    expect(field(noThread)).toBe('config.configurable.thread_id');
    expect((noThread as Error).message).toContain('{ configurable: { thread_id:');
    const longThread = await saver.put({ configurable: { thread_id: 'x'.repeat(200) } }, checkpointWith({}), meta(0), {}).catch((e: unknown) => e);
    expect([(longThread as SessionDbError).code, field(longThread)]).toEqual(['too_large', 'config.configurable.thread_id']);
    const noCheckpoint = await saver.putWrites({ configurable: { thread_id: 't' } }, [['a', 1]], 'task').catch((e: unknown) => e);
    expect(field(noCheckpoint)).toBe('config.configurable.checkpoint_id');
    const badLimit = await saver.list({}, { limit: -1 }).next().catch((e: unknown) => e);
    expect(field(badLimit)).toBe('options.limit');
    expect(() => new SessiondbSaver({ store, url: 'memory:' } as never)).toThrow(/exactly one of store/);
    expect(await store.countSessions({ appName: 'bad' })).toBe(0);
  });

  it('a numeric thread_id is the session of its decimal string', async () => {
    const saver = new SessiondbSaver({ store, appName: 'numeric' });
    const config = await saver.put({ configurable: { thread_id: 42 } }, checkpointWith({}), meta(0), {});
    expect(config.configurable?.['thread_id']).toBe('42');
    expect(await saver.getTuple({ configurable: { thread_id: '42' } })).toBeDefined();
  });
});

describe('the sessiondb/langgraph subpath (built)', () => {
  it('importing sessiondb loads no LangGraph package; importing sessiondb/langgraph does', () => {
    // A resolve hook that refuses every @langchain/* module shows what each import loads.
    const hook = `export async function resolve(s, c, next) { if (s.startsWith('@langchain/')) throw new Error('loaded ' + s); return next(s, c); }`;
    const code = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const root = await import('sessiondb').then(() => 'ok', (e) => e.message);
      const subpath = await import('sessiondb/langgraph').then(() => 'ok', (e) => e.message);
      console.log(JSON.stringify({ root, subpath }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ root: 'ok', subpath: 'loaded @langchain/langgraph-checkpoint' });
  });

  it('the README example runs', () => {
    runExample('langgraph');
  });
});

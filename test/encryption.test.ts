/**
 * Encryption at rest (`EncryptedStore`): nothing readable reaches the
 * database, everything reads back, tampering and missing keys are errors
 * naming the record, keys are checked and never shown, and keys rotate
 * (`rekeyStore`), resumably.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { redactConfig } from '../src/config/redact.js';
import { SessionDbError } from '../src/core/errors.js';
import { capabilitiesOf, type SessionStore } from '../src/core/store.js';
import type { JsonObject, SessionKey } from '../src/core/types.js';
import { encryptStore, parseEncryptionKeys, rekeyStore, sealedLimits, type EncryptedStore, type EncryptionKey } from '../src/encryption/index.js';
import { MemoryStore, PostgresStore, SqliteStore } from '../src/index.js';
import { tempDir } from './helpers.js';
import { adminQuery, dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const dir = tempDir('encryption');
const pgUnavailable = await pgUnavailableReason();
const newKey = (id: string): EncryptionKey => ({ id, key: randomBytes(32).toString('base64') });
const A = newKey('2026-01');
const B = newKey('2026-07');
const wrap = (inner: SessionStore, keys: EncryptionKey[], extra: { acceptPlaintext?: boolean } = {}) =>
  encryptStore(inner, { keys, ...extra });
let dbs = 0;
const sqlitePath = () => join(dir, `db-${++dbs}.db`);

/** Words that must never reach the database in plain text, one per kind of sealed value. */
const SECRET = {
  content: 'zebracontent',
  structured: 'okapiparts',
  eventMetadata: 'narwhalmeta',
  delta: 'axolotldelta',
  sessionState: 'quokkastate',
  appState: 'pangolinapp',
  userState: 'wombatuser',
  metadata: 'marmottitle',
  patchDelta: 'tapirpatch',
  keyUpdate: 'lemurkeys',
  fileMetadata: 'ocelotfile',
  rewound: 'ibexrewound',
};
/** Clear on purpose (keys, ids, names): proves the byte search would find a word where there is one. */
const CLEAR = ['sessionvisibleid', 'visibleappname', 'visiblefileid'];

const key = (sessionId = 'sessionvisibleid'): SessionKey => ({ appName: 'visibleappname', userId: 'u1', sessionId });

/** Writes one of everything through `store` (with `rewind: false`, no rewound history). */
async function fill(store: SessionStore, { rewind = true } = {}): Promise<void> {
  const k = key();
  await store.createSession({
    ...k,
    id: k.sessionId,
    metadata: { title: SECRET.metadata },
    state: { own: SECRET.sessionState, 'app:plan': SECRET.appState, 'user:name': SECRET.userState, 'temp:scratch': 'dropped' },
  });
  await store.appendEvents(k, [
    { id: 'e1', author: 'user', role: 'user', content: `hello ${SECRET.content}`, metadata: { tag: SECRET.eventMetadata }, stateDelta: { mood: SECRET.delta } },
    { id: 'e2', author: 'agent', content: { parts: [{ text: SECRET.structured }] } },
    { id: 'e3', author: 'agent', content: SECRET.rewound },
  ]);
  if (rewind) await store.rewindSession(k, { toSeq: 2 });
  await store.updateSession(k, { stateDelta: { patched: SECRET.patchDelta } });
  await store.updateKeys(k, { keyed: SECRET.keyUpdate, own: null });
  await store.putFile({ id: 'visiblefileid', name: 'report.pdf', metadata: { note: SECRET.fileMetadata }, ...k });
  await store.createSession({ ...key('second'), id: 'second', state: { n: 2 } });
  await store.appendEvents(key('second'), [{ id: 's1', author: 'user', content: 'second session' }]);
}

/** Everything a store holds, read through it. */
async function readAll(store: SessionStore): Promise<JsonObject> {
  const k = key();
  return {
    session: await store.getSession(k),
    second: await store.getSession(key('second')),
    events: await store.readEvents(k),
    superseded: await store.readSupersededEvents(k),
    history: await store.readStateHistory(k),
    app: await store.getAppState(k),
    user: await store.getUserState(k),
    files: await store.listFiles({}),
    file: await store.getFile({ id: 'visiblefileid' }),
    // By id: the two sessions' updatedAt can tie or not, which orders a listing differently.
    list: (await store.listSessions({})).sessions.sort((a, b) => a.id.localeCompare(b.id)),
    shared: [await store.scanSharedState('app'), await store.scanSharedState('user')],
  };
}

function found(haystack: Buffer | string, words: readonly string[]): string[] {
  return words.filter((w) => haystack.includes(w));
}

function sqliteBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

describe('no plain text reaches the database; everything reads back', () => {
  it('SQLite: the raw bytes of the database file and its WAL hold none of the sealed words, and the wrapper reads them all back', async () => {
    // Control: the same data without encryption, so the byte search is known to find each word.
    const plainPath = sqlitePath();
    const plain = new SqliteStore({ path: plainPath });
    await plain.migrate();
    await fill(plain);
    const expected = await readAll(plain);
    expect(found(sqliteBytes(plainPath), Object.values(SECRET).filter((w) => w !== SECRET.rewound))).toHaveLength(Object.values(SECRET).length - 1);
    await plain.close();

    const path = sqlitePath();
    const store = wrap(new SqliteStore({ path, limits: sealedLimits() }), [A]);
    await store.migrate();
    await fill(store);
    const bytes = sqliteBytes(path); // before close: the WAL still holds the writes
    expect(found(bytes, Object.values(SECRET))).toEqual([]);
    expect(found(bytes, CLEAR)).toEqual(CLEAR);
    expect(normalize(await readAll(store))).toEqual(normalize(expected));
    await store.close();
    expect(found(sqliteBytes(path), Object.values(SECRET))).toEqual([]);

    // And through SQL: every text column is sealed or clear by design.
    const db = new Database(path, { readonly: true });
    const row = db.prepare(`SELECT content FROM events WHERE id = 'e1'`).get() as { content: string };
    expect(JSON.parse(row.content)).toEqual({ $sealed: expect.stringMatching(/^sdb:v1:2026-01:[A-Za-z0-9+/=]+$/) });
    const meta = db.prepare(`SELECT metadata FROM sessions WHERE id = 'sessionvisibleid'`).get() as { metadata: string };
    expect(JSON.parse(meta.metadata)).toEqual({ $sealed: expect.stringMatching(/^sdb:v1:2026-01:/) });
    db.close();
  });

  it.skipIf(pgUnavailable)(`PostgreSQL: no table of the schema holds a sealed word, read with SQL; the wrapper reads them all back${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`, async () => {
    const schema = uniqueSchema('encp');
    const store = wrap(new PostgresStore({ connectionString: PG_URL, schema, max: 2, limits: sealedLimits() }), [A]);
    try {
      await store.migrate();
      await fill(store);
      const tables = await adminQuery(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema]);
      expect(tables.rows.length).toBeGreaterThan(5);
      let text = '';
      for (const { table_name } of tables.rows as { table_name: string }[]) {
        const rows = await adminQuery(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
        text += rows.rows.map((r: { row: string }) => r.row).join('\n');
      }
      expect(found(text, Object.values(SECRET))).toEqual([]);
      expect(found(text, CLEAR)).toEqual(CLEAR);
      const all = await readAll(store);
      expect((all['events'] as { events: { content: unknown }[] }).events.map((e) => e.content)).toEqual([`hello ${SECRET.content}`, { parts: [{ text: SECRET.structured }] }]);
      expect((all['session'] as { state: JsonObject }).state).toEqual({ 'app:plan': SECRET.appState, 'user:name': SECRET.userState, mood: SECRET.delta, patched: SECRET.patchDelta, keyed: SECRET.keyUpdate });
      expect((all['file'] as { metadata: JsonObject }).metadata).toEqual({ note: SECRET.fileMetadata });
      expect((all['superseded'] as { events: { content: unknown }[] }).events.map((e) => e.content)).toEqual([SECRET.rewound]);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});

/** Times differ between two fills; everything else must match. */
function normalize(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v) => (/At$|^timestamp$|^nextCursor$/.test(k) ? 0 : v)));
}

describe('tampering and missing keys are errors naming the record, never data', () => {
  async function setup() {
    const inner = new MemoryStore({ limits: sealedLimits() });
    const store = wrap(inner, [A]);
    await fill(store);
    return { inner, store };
  }

  it('a sealed value moved to another record or field fails to open, naming where it was found', async () => {
    const { inner, store } = await setup();
    const other = (await inner.getSession(key('second')))!;
    // Session metadata copied from one session to another.
    const sealedTitle = (await inner.getSession(key()))!.metadata;
    await inner.updateSession(key('second'), { metadata: sealedTitle });
    const err = await store.getSession(key('second')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'undecryptable', details: { sessionId: 'second', field: 'metadata', keyId: '2026-01' } });
    expect((err as Error).message).toMatch(/metadata of session default\/visibleappname\/u1\/second: authentication failed/);
    // A state value moved to another key of the same session.
    const rawOwn = (await inner.getSession(key()))!.state['mood'];
    await inner.updateKeys(key(), { stolen: rawOwn });
    await expect(store.getSession(key(), { withEvents: false })).rejects.toMatchObject({ code: 'undecryptable', message: expect.stringContaining('state key "stolen"') });
    await inner.updateKeys(key(), { stolen: null });
    // An event's content appended again under another id.
    const e1 = (await inner.readEvents(key()))!.events[0]!;
    await inner.appendEvents(key('second'), [{ id: 'copy', author: 'x', content: e1.content }]);
    await expect(store.readEvents(key('second'))).rejects.toMatchObject({
      code: 'undecryptable',
      details: { sessionId: 'second', eventId: 'copy', seq: 2, field: 'content' },
      message: expect.stringContaining('the content of event 2 (id "copy") of session default/visibleappname/u1/second'),
    });
    expect(other.version).toBeGreaterThan(0);
  });

  it('altered bytes, an unknown key id and a plain value are refused; plain values are read only with acceptPlaintext', async () => {
    const { inner, store } = await setup();
    const stored = (await inner.getFile({ id: 'visiblefileid' }))!;
    const sealed = (stored.metadata as { $sealed: string }).$sealed;
    const flipped = sealed.slice(0, -10) + (sealed.at(-10) === 'A' ? 'B' : 'A') + sealed.slice(-9);
    await inner.putFile({ ...stored, metadata: { $sealed: flipped } });
    await expect(store.getFile({ id: 'visiblefileid' })).rejects.toMatchObject({ code: 'undecryptable', details: { fileId: 'visiblefileid', field: 'metadata' } });
    await expect(store.listFiles({})).rejects.toMatchObject({ code: 'undecryptable' });

    const withOtherKey = wrap(inner, [B]);
    const err = (await withOtherKey.getSession(key()).catch((e: unknown) => e)) as SessionDbError;
    expect(err.code).toBe('undecryptable');
    expect(err.message).toContain('sealed with key id "2026-01", which is not configured');
    for (const k of [A, B]) expect(err.message + JSON.stringify(err.details)).not.toContain(k.key as string);

    await inner.updateAppState({ appName: 'visibleappname' }, { 'app:legacy': 'written before encryption' });
    await expect(store.getAppState({ appName: 'visibleappname' })).rejects.toMatchObject({ code: 'undecryptable', message: expect.stringContaining('stored in plain text') });
    const lenient = wrap(inner, [A], { acceptPlaintext: true });
    expect(await lenient.getAppState({ appName: 'visibleappname' })).toEqual({ 'app:plan': SECRET.appState, 'app:legacy': 'written before encryption' });
  });

  it('search is refused with "unsupported", and the store says so in its capabilities', async () => {
    const { store } = await setup();
    expect(capabilitiesOf(store)).toMatchObject({ search: false, indexedSearch: false });
    expect(capabilitiesOf(new MemoryStore())).toMatchObject({ search: true });
    await expect(store.searchEvents({ query: SECRET.content })).rejects.toMatchObject({ code: 'unsupported', message: expect.stringContaining('Full-text search is off') });
  });

  it('a value within the limits in plain text but not once sealed is refused as such, naming the caller\'s field; nothing is stored', async () => {
    const store = wrap(new MemoryStore(), [A]); // the inner store without sealedLimits()
    const k = key();
    await store.createSession({ ...k, id: k.sessionId });
    const big = 'x'.repeat(900 * 1024);
    const err = (await store.appendEvents(k, [{ author: 'a', partial: true, content: 'streaming' }, { author: 'a', content: big }]).catch((e: unknown) => e)) as SessionDbError;
    expect(err).toMatchObject({ code: 'too_large', details: { field: 'events[1].content' } });
    expect(err.message).toMatch(/^events\[1\]\.content is too large once sealed/);
    expect((await store.getSession(k))!.eventCount).toBe(0);
    // With sealedLimits() underneath, the whole plain limit (1 MiB by default) fits, and no more.
    const fits = wrap(new MemoryStore({ limits: sealedLimits() }), [A]);
    expect(fits.limits.maxEventContentBytes).toBe(1024 * 1024);
    await fits.createSession({ ...k, id: k.sessionId });
    await fits.appendEvents(k, [{ author: 'a', content: 'é'.repeat(512 * 1024) }]);
    await expect(fits.appendEvents(k, [{ author: 'a', content: 'é'.repeat(512 * 1024) + 'x' }])).rejects.toMatchObject({ code: 'too_large', message: /^events\[0\]\.content is too large: 1048577 bytes/ });
  });
});

describe('keys: checked, named by id, never shown', () => {
  const good = randomBytes(32).toString('base64');
  const short = randomBytes(31).toString('base64');

  it('parses kid:base64 lists and names the bad key by its id only', () => {
    expect(parseEncryptionKeys(`new:${good}, old:${good}`).map((k) => k.id)).toEqual(['new', 'old']);
    const cases: [string, RegExp][] = [
      [`a:${short}`, /key "a" is 31 bytes once decoded; AES-256 needs 32/],
      [`a:${good},a:${good}`, /key id "a" appears twice/],
      [`a:not base64!`, /key "a" is not base64/],
      [good, /entry 1 is not "id:base64key"/],
      [`bad id:${good}`, /key 1: its id must be/],
      [`a:${good},`, /entry 2 is not "id:base64key"/],
    ];
    for (const [text, message] of cases) {
      const err = (() => {
        try {
          parseEncryptionKeys(text);
        } catch (e) {
          return e as SessionDbError;
        }
        throw new Error(`accepted ${text}`);
      })();
      expect(err.code).toBe('invalid');
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(good);
      expect(err.message).not.toContain(short);
    }
    expect(() => encryptStore(new MemoryStore(), { keys: [] })).toThrow(/no keys given/);
  });

  it('SESSIONDB_ENCRYPTION_KEYS configures the keys; a bad one is named with its variable and id; config output masks every key', async () => {
    const { config } = await loadConfig({ cwd: dir, dotEnv: false, env: { SESSIONDB_ENCRYPTION_KEYS: `b:${good},a:${good}`, SESSIONDB_ENCRYPTION_ACCEPT_PLAINTEXT: 'yes' } });
    expect(config.encryption).toEqual({ keys: [{ id: 'b', key: good }, { id: 'a', key: good }], acceptPlaintext: true });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain(good);
    expect(shown).toContain('"id":"b"');
    const bad = (await loadConfig({ cwd: dir, dotEnv: false, env: { SESSIONDB_ENCRYPTION_KEYS: `b:${good},a:${short}` } }).catch((e: unknown) => e)) as SessionDbError;
    expect(bad.message).toMatch(/environment variable SESSIONDB_ENCRYPTION_KEYS: key "a" is 31 bytes/);
    expect(bad.message).not.toContain(short);
    const missing = (await loadConfig({ cwd: dir, dotEnv: false, env: { SESSIONDB_ENCRYPTION_KEYS: short } }).catch((e: unknown) => e)) as SessionDbError;
    expect(missing.message).toMatch(/SESSIONDB_ENCRYPTION_KEYS: entry 1 is not "id:base64key"/);
    expect(missing.message).not.toContain(short);
  });
});

describe('rotation: write with A, read with B,A, rekey, read with B alone', () => {
  it('re-seals sessions, events, state, history and files under the newest key; a rewound session is kept and named', async () => {
    const path = sqlitePath();
    const inner = () => new SqliteStore({ path, limits: sealedLimits() });
    const first = wrap(inner(), [A]);
    await first.migrate();
    await fill(first);
    for (let i = 0; i < 10; i++) {
      const k = key(`bulk-${i}`);
      await first.createSession({ ...k, id: k.sessionId, metadata: { n: i }, state: { i } });
      await first.appendEvents(k, [{ author: 'user', content: `bulk ${i}` }]);
    }
    // A file record of a session rekey rewrites: SQLite deletes it with the session a replace removes; rekey puts it back.
    await first.putFile({ id: 'owned', name: 'owned.txt', metadata: { who: SECRET.fileMetadata }, ...key('bulk-1') });
    const expected = await readAll(first);
    await first.close();

    const both = wrap(inner(), [B, A]);
    expect(normalize(await readAll(both))).toEqual(normalize(expected));
    await both.appendEvents(key('bulk-0'), [{ id: 'after', author: 'user', content: 'written under B' }]);
    const summary = await rekeyStore(both);
    expect(summary).toMatchObject({ keyId: '2026-07', sessions: 11, currentSessions: 0, events: 12, sharedStates: 2, files: 2, interrupted: false });
    // The session with a rewound history keeps its superseded events, so it stays under A.
    expect(summary.kept).toEqual([{ session: 'default/visibleappname/u1/sessionvisibleid', reason: expect.stringContaining('rewound') }]);
    const again = await rekeyStore(both);
    expect(again).toMatchObject({ sessions: 0, currentSessions: 11, sharedStates: 0, files: 0 });
    await both.close();

    const onlyB = wrap(inner(), [B]);
    for (const sessionId of ['second', ...Array.from({ length: 10 }, (_, i) => `bulk-${i}`)]) {
      const s = (await onlyB.getSession(key(sessionId)))!;
      expect(s.state['user:name']).toBe(SECRET.userState);
      expect(await onlyB.readStateHistory(key(sessionId))).toBeTruthy();
    }
    expect((await onlyB.getSession(key('bulk-0')))!.events!.map((e) => e.content)).toEqual(['bulk 0', 'written under B']);
    expect(await onlyB.getFile({ id: 'visiblefileid' })).toMatchObject({ metadata: { note: SECRET.fileMetadata }, sessionId: 'sessionvisibleid' });
    expect(await onlyB.getAppState(key())).toEqual({ 'app:plan': SECRET.appState });
    expect(await onlyB.getFile({ id: 'owned' })).toMatchObject({ metadata: { who: SECRET.fileMetadata }, sessionId: 'bulk-1' });
    await expect(onlyB.getSession(key())).rejects.toMatchObject({ code: 'undecryptable', details: { sessionId: 'sessionvisibleid', keyId: '2026-01' } });
    await onlyB.close();
  });

  it('turning encryption on for a database with plain data: read it with acceptPlaintext, rekey seals it, vacuum leaves no plain byte behind', async () => {
    const path = sqlitePath();
    const bare = new SqliteStore({ path, limits: sealedLimits() });
    await bare.migrate();
    await fill(bare, { rewind: false });
    const expected = await readAll(bare);
    await bare.close();
    const words = Object.values(SECRET).filter((w) => w !== SECRET.rewound);
    expect(found(sqliteBytes(path), words)).toEqual(words);

    await expect(wrap(new SqliteStore({ path, limits: sealedLimits() }), [A]).getSession(key())).rejects.toMatchObject({ code: 'undecryptable', message: /stored in plain text/ });
    const lenient = wrap(new SqliteStore({ path, limits: sealedLimits() }), [A], { acceptPlaintext: true });
    expect(normalize(await readAll(lenient))).toEqual(normalize(expected));
    expect(await rekeyStore(lenient)).toMatchObject({ sessions: 2, sharedStates: 2, files: 1, kept: [] });
    await lenient.vacuum!();
    await lenient.close();
    expect(found(sqliteBytes(path), words)).toEqual([]);
    const strict = wrap(new SqliteStore({ path, limits: sealedLimits() }), [A]);
    expect(normalize(await readAll(strict))).toEqual(normalize(expected));
    await strict.close();
  });

  it('a rekey stopped midway leaves every record readable, and running it again finishes', async () => {
    const path = sqlitePath();
    const inner = () => new SqliteStore({ path, limits: sealedLimits() });
    const first = wrap(inner(), [A]);
    await first.migrate();
    for (let i = 0; i < 20; i++) {
      const k = key(`s-${i}`);
      await first.createSession({ ...k, id: k.sessionId, metadata: { n: i } });
      await first.appendEvents(k, [{ author: 'user', content: `message ${i}`, stateDelta: { i } }]);
    }
    await first.close();
    const both = wrap(inner(), [B, A]);
    const stop = new AbortController();
    const partial = await rekeyStore(both, { signal: stop.signal, onProgress: (p) => p.sessions === 7 && stop.abort() });
    expect(partial).toMatchObject({ sessions: 7, interrupted: true });
    for (let i = 0; i < 20; i++) expect((await both.getSession(key(`s-${i}`)))!.events![0]!.content).toBe(`message ${i}`);
    const rest = await rekeyStore(both);
    expect(rest).toMatchObject({ sessions: 13, currentSessions: 7, interrupted: false, kept: [] });
    await both.close();
    const onlyB = wrap(inner(), [B]);
    for (let i = 0; i < 20; i++) expect((await onlyB.getSession(key(`s-${i}`)))).toMatchObject({ metadata: { n: i }, state: { i } });
    await onlyB.close();
  });
});

export type { EncryptedStore };

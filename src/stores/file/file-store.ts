import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { SchemaMismatchError, ValidationError } from '../../core/errors.js';
import { setOwn } from '../../core/json.js';
import type { Limits } from '../../core/limits.js';
import { stateChangeFromRow, type StateChangeRow } from '../../core/history.js';
import { eventRowOf, fileFromRow, fileRowOf, sessionFromRow, sessionRowOf, type EventRow, type FileRow, type SessionRow, type SupersededRow } from '../../core/rows.js';
import type { StateEntry } from '../../core/state.js';
import type { MigrationStatus } from '../../core/store.js';
import type { FileRecord, JsonObject, Session, SessionEvent, StateChange, SupersededEvent } from '../../core/types.js';
import type { ResolvedKey } from '../../core/validate.js';
import type { DocumentBackend, SessionWrite, SharedOwner, StoredSession } from '../kit/backend.js';
import { DocumentStore } from '../kit/document-store.js';
import { appendAt, removeFile, writeFileAtomic } from './atomic.js';
import { acquireLock } from './lock.js';

export interface JsonFileStoreOptions {
  /** The directory holding the sessions (created by `migrate()`). */
  dir: string;
  limits?: Partial<Limits>;
  clock?: Clock;
}

const FORMAT_VERSION = 1;
const META_FILE = 'sessiondb.json';
const JOURNAL_FILE = 'journal.json';

/**
 * One session's document: the row, its own state, how many bytes of its
 * events file are committed, its log of state changes, and how many bytes of
 * its superseded-events file are committed (both absent in directories
 * written before rewinds existed).
 */
interface SessionDoc {
  session: Omit<Session, 'state' | 'events'>;
  state: JsonObject;
  eventsBytes: number;
  history?: StateChange[];
  supersededBytes?: number;
}

/** A shared-state document: its owner's names and the state. */
interface SharedDoc {
  tenant: string;
  appName: string;
  userId?: string;
  state: JsonObject;
}

/** A change to one file, as written to the journal. */
type FileOp = { write: string; content: string } | { append: string; offset: number; text: string } | { remove: string };

/**
 * A directory of JSON files as a document backend. One document per session
 * plus an append-only JSON Lines file of its events, so an append costs the
 * same however many sessions are stored. Every write is atomic (temporary file,
 * fsync, rename, fsync of the directory; the previous version kept as `.bak`);
 * a change that spans several files goes through a write-ahead journal replayed
 * on open. One process at a time holds the directory (a lock file). The session
 * rows are read once, on the first listing, and then kept in memory.
 */
class FileBackend implements DocumentBackend {
  readonly kind = 'file';
  private release: (() => Promise<void>) | null = null;
  private opened = false;
  private index: Map<string, SessionRow> | null = null;
  /** The last session document read or written (calls run one at a time, so it is current). */
  private last: { path: string; doc: SessionDoc } | null = null;

  constructor(readonly dir: string) {}

  // ---- lifecycle

  /** Takes the lock, replays an unfinished journal, and checks (or, migrating, writes) the format. */
  async open(migrating: boolean): Promise<void> {
    if (this.opened && !migrating) return;
    await this.lock();
    await this.replayJournal();
    const version = await this.formatVersion();
    if (version === 0 && migrating) {
      await writeFileAtomic(join(this.dir, META_FILE), JSON.stringify({ format: 'sessiondb.file', version: FORMAT_VERSION }, null, 2) + '\n');
    } else if (version !== FORMAT_VERSION) {
      throw new SchemaMismatchError(version === 0 ? `${this.dir} (not a sessiondb directory yet)` : this.dir, version, FORMAT_VERSION);
    }
    this.opened = true;
  }

  async migrationStatus(): Promise<MigrationStatus> {
    await this.lock();
    const current = await this.formatVersion();
    return { current, latest: FORMAT_VERSION, pending: current < FORMAT_VERSION ? [{ version: 1, description: 'directory layout' }] : [] };
  }

  async close(): Promise<void> {
    await this.release?.();
    this.release = null;
  }

  // ---- reads

  async getSession(k: ResolvedKey): Promise<StoredSession | null> {
    const doc = await this.readDoc(k);
    if (!doc) return null;
    return { row: sessionRowOf(doc.session), state: stateEntries(doc.state) };
  }

  async sessionRows(): Promise<Iterable<SessionRow>> {
    if (!this.index) {
      const index = new Map<string, SessionRow>();
      const root = join(this.dir, 'sessions');
      for (const shard of await listDir(root)) {
        for (const name of await listDir(join(root, shard))) {
          if (!name.endsWith('.json')) continue;
          const path = join(root, shard, name);
          const doc = await readJson<SessionDoc>(path);
          if (doc) index.set(path, sessionRowOf(doc.session));
        }
      }
      this.index = index;
    }
    return [...this.index.values()];
  }

  async eventsById(k: ResolvedKey, _s: StoredSession, ids: readonly string[]): Promise<ReadonlyMap<string, SessionEvent>> {
    const wanted = new Set(ids);
    const out = new Map<string, SessionEvent>();
    for (const e of await this.allEvents(k)) if (wanted.has(e.id)) out.set(e.id, e);
    return out;
  }

  async eventsBySeq(k: ResolvedKey, s: StoredSession, from: number, to: number): Promise<SessionEvent[]> {
    // The newest events are read backwards from the committed end, without reading the whole history.
    if (to === s.row.event_count) return this.tailEvents(k, to - from + 1);
    return (await this.allEvents(k)).slice(from - 1, to);
  }

  async sharedState(owner: SharedOwner): Promise<ReadonlyMap<string, string>> {
    return stateEntries((await readJson<SharedDoc>(this.sharedPath(owner)))?.state ?? {});
  }

  async sharedOwners(scope: 'app' | 'user'): Promise<{ owner: SharedOwner; state: ReadonlyMap<string, string> }[]> {
    const root = join(this.dir, scope === 'app' ? 'app' : 'users');
    const out: { owner: SharedOwner; state: ReadonlyMap<string, string> }[] = [];
    for (const name of await listDir(root)) {
      if (!name.endsWith('.json')) continue;
      const doc = await readJson<SharedDoc>(join(root, name));
      if (doc && Object.keys(doc.state).length) out.push({ owner: ownerOf(doc), state: stateEntries(doc.state) });
    }
    return out;
  }

  async getFile(tenant: string, id: string): Promise<FileRow | null> {
    const record = await readJson<FileRecord>(this.filePath(tenant, id));
    return record && fileRowOf(record);
  }

  async fileRows(): Promise<Iterable<FileRow>> {
    const root = join(this.dir, 'files');
    const out: FileRow[] = [];
    for (const name of await listDir(root)) {
      if (!name.endsWith('.json')) continue;
      const record = await readJson<FileRecord>(join(root, name));
      if (record) out.push(fileRowOf(record));
    }
    return out;
  }

  async stateChanges(k: ResolvedKey): Promise<StateChangeRow[]> {
    return ((await this.readDoc(k))?.history ?? []).map(stateChangeRowOf);
  }

  async supersededRows(k: ResolvedKey): Promise<SupersededRow[]> {
    const doc = await this.readDoc(k);
    const bytes = doc?.supersededBytes ?? 0;
    if (!bytes) return [];
    const lines = parseLines((await readPrefix(this.supersededPath(k), bytes)).toString('utf8')) as SupersededEvent[];
    return lines.map((e) => ({ ...eventRowOf(e), superseded_at: e.supersededAt, superseded_by: e.supersededBy }));
  }

  async sessionBytes(k: ResolvedKey): Promise<number> {
    const doc = await this.readDoc(k);
    return doc ? doc.eventsBytes + docText(doc).length : 0;
  }

  // ---- writes

  async writeSession(w: SessionWrite): Promise<void> {
    const k = { tenant: w.row.tenant, appName: w.row.app_name, userId: w.row.user_id, sessionId: w.row.id };
    const path = this.sessionPath(k);
    const fresh = w.created || w.replace;
    const previous = fresh ? null : await this.readDoc(k);
    const doc: SessionDoc = {
      session: fieldsOf(w.row),
      state: previous?.state ?? {},
      eventsBytes: previous?.eventsBytes ?? 0,
      history: previous?.history ?? [],
      supersededBytes: previous?.supersededBytes ?? 0,
    };
    const ops: FileOp[] = [];
    if (w.replace) ops.push({ append: this.supersededPath(k), offset: 0, text: '' });
    if (w.rewind) {
      const { toSeq, supersededAt, supersededBy } = w.rewind;
      const committed = await readPrefix(this.eventsPath(k), doc.eventsBytes);
      const cut = offsetAfterLines(committed, toSeq);
      const moved = parseLines(committed.subarray(cut).toString('utf8'));
      const text = moved.map((e) => JSON.stringify({ ...e, supersededAt, supersededBy }) + '\n').join('');
      ops.push({ append: this.supersededPath(k), offset: doc.supersededBytes!, text });
      doc.supersededBytes! += Buffer.byteLength(text);
      doc.eventsBytes = cut;
      doc.history = doc.history!.filter((c) => c.atSeq <= toSeq);
      doc.state = {};
    }
    applyEntries(doc.state, w.state ?? []);
    for (const key of w.unset?.state ?? []) delete doc.state[key];
    for (const c of w.changes ?? []) doc.history!.push(stateChangeFromRow(c));
    if (w.events?.length || w.replace) {
      const text = (w.events ?? []).map(eventLine).join('');
      ops.push({ append: this.eventsPath(k), offset: doc.eventsBytes, text });
      doc.eventsBytes += Buffer.byteLength(text);
    }
    if (w.app?.length || w.unset?.app?.length) ops.push(await this.sharedOp([k.tenant, k.appName], w.app ?? [], w.unset?.app));
    if (w.user?.length || w.unset?.user?.length) ops.push(await this.sharedOp([k.tenant, k.appName, k.userId], w.user ?? [], w.unset?.user));
    ops.push({ write: path, content: docText(doc) });
    await this.commit(ops);
    this.last = { path, doc };
    this.index?.set(path, w.row);
  }

  async writeShared(owner: SharedOwner, entries: readonly StateEntry[]): Promise<void> {
    await this.commit([await this.sharedOp(owner, entries)]);
  }

  async deleteSession(k: ResolvedKey, files: readonly { tenant: string; id: string }[]): Promise<void> {
    const path = this.sessionPath(k);
    await this.commit([{ remove: path }, { remove: this.eventsPath(k) }, { remove: this.supersededPath(k) }, ...files.map((f) => ({ remove: this.filePath(f.tenant, f.id) }))]);
    if (this.last?.path === path) this.last = null;
    this.index?.delete(path);
  }

  async putFile(row: FileRow): Promise<void> {
    await this.commit([{ write: this.filePath(row.tenant, row.id), content: JSON.stringify(fileFromRow(row), null, 2) + '\n' }]);
  }

  async deleteFiles(keys: readonly { tenant: string; id: string }[]): Promise<void> {
    // One at a time: each removal is atomic by itself, and a sweep cut short loses nothing.
    for (const k of keys) await this.commit([{ remove: this.filePath(k.tenant, k.id) }]);
  }

  // ---- internals

  private async lock(): Promise<void> {
    if (this.release) return;
    await mkdir(this.dir, { recursive: true });
    this.release = await acquireLock(this.dir);
  }

  private async formatVersion(): Promise<number> {
    const meta = await readJson<{ version?: number }>(join(this.dir, META_FILE));
    return meta?.version ?? 0;
  }

  private async readDoc(k: ResolvedKey): Promise<SessionDoc | null> {
    const path = this.sessionPath(k);
    if (this.last?.path === path) return structuredClone(this.last.doc);
    const doc = await readJson<SessionDoc>(path);
    this.last = doc && { path, doc: structuredClone(doc) };
    return doc;
  }

  private async sharedOp(owner: SharedOwner, entries: readonly StateEntry[], unset: readonly string[] = []): Promise<FileOp> {
    const path = this.sharedPath(owner);
    const doc = (await readJson<SharedDoc>(path)) ?? sharedDocOf(owner);
    applyEntries(doc.state, entries);
    for (const key of unset) delete doc.state[key];
    return { write: path, content: JSON.stringify(doc, null, 2) + '\n' };
  }

  /**
   * Applies file changes so that a crash leaves all of them or none: a single
   * document write is atomic by itself (appends to an events file are not
   * visible until the document that counts their bytes is written); changes to
   * several documents go through the journal.
   */
  private async commit(ops: FileOp[]): Promise<void> {
    if (ops.filter((op) => !('append' in op)).length <= 1) {
      for (const op of ops) await applyOp(op);
      return;
    }
    const journal = join(this.dir, JOURNAL_FILE);
    await writeFileAtomic(journal, JSON.stringify(ops));
    for (const op of ops) await applyOp(op);
    await removeFile(journal);
  }

  private async replayJournal(): Promise<void> {
    const journal = join(this.dir, JOURNAL_FILE);
    const ops = await readJson<FileOp[]>(journal);
    if (!ops) return;
    for (const op of ops) await applyOp(op);
    await removeFile(journal);
    this.index = null;
    this.last = null;
  }

  /** Events of a session, oldest first: the committed bytes of its events file. */
  private async allEvents(k: ResolvedKey): Promise<SessionEvent[]> {
    const doc = await this.readDoc(k);
    if (!doc || doc.eventsBytes === 0) return [];
    return parseLines((await readPrefix(this.eventsPath(k), doc.eventsBytes)).toString('utf8'));
  }

  /** The newest `n` events, reading the events file backwards from its committed end. */
  private async tailEvents(k: ResolvedKey, n: number): Promise<SessionEvent[]> {
    const doc = await this.readDoc(k);
    if (!doc || doc.eventsBytes === 0) return [];
    const handle = await open(this.eventsPath(k), 'r');
    try {
      const chunks: Buffer[] = [];
      let end = doc.eventsBytes;
      let newlines = 0;
      while (end > 0 && newlines <= n) {
        const size = Math.min(64 * 1024, end);
        const buf = Buffer.alloc(size);
        await handle.read(buf, 0, size, end - size);
        for (const byte of buf) if (byte === 10) newlines++;
        chunks.unshift(buf);
        end -= size;
      }
      const lines = parseLines(Buffer.concat(chunks).toString('utf8'), end > 0);
      return lines.slice(Math.max(0, lines.length - n));
    } finally {
      await handle.close();
    }
  }

  private hash(parts: readonly string[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  }

  private sessionBase(k: ResolvedKey): string {
    const h = this.hash([k.tenant, k.appName, k.userId, k.sessionId]);
    return join(this.dir, 'sessions', h.slice(0, 2), h);
  }

  private sessionPath(k: ResolvedKey): string {
    return this.sessionBase(k) + '.json';
  }

  private eventsPath(k: ResolvedKey): string {
    return this.sessionBase(k) + '.events.jsonl';
  }

  private supersededPath(k: ResolvedKey): string {
    return this.sessionBase(k) + '.superseded.jsonl';
  }

  private sharedPath(owner: SharedOwner): string {
    return join(this.dir, owner.length === 2 ? 'app' : 'users', this.hash(owner) + '.json');
  }

  private filePath(tenant: string, id: string): string {
    return join(this.dir, 'files', this.hash([tenant, id]) + '.json');
  }
}

/**
 * Sessions as human-readable JSON files in a directory, for people who want no
 * database (see `FileBackend` for the layout and its crash safety). One
 * process at a time.
 */
export class JsonFileStore extends DocumentStore {
  readonly dir: string;

  constructor(options: JsonFileStoreOptions) {
    if (!options || typeof options.dir !== 'string' || options.dir.length === 0) {
      throw new ValidationError('dir', 'must be a directory path', 'Example: new JsonFileStore({ dir: "./data/sessions" }).');
    }
    const dir = resolve(options.dir);
    super(new FileBackend(dir), options);
    this.dir = dir;
  }
}

// ---- helpers

async function applyOp(op: FileOp): Promise<void> {
  if ('write' in op) await writeFileAtomic(op.write, op.content, { backup: true });
  else if ('append' in op) await appendAt(op.append, op.offset, op.text);
  else await removeFile(op.remove);
}

async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** The first `bytes` bytes of a file (its committed part). */
async function readPrefix(path: string, bytes: number): Promise<Buffer> {
  const buf = Buffer.alloc(bytes);
  if (bytes === 0) return buf;
  const handle = await open(path, 'r');
  try {
    await handle.read(buf, 0, bytes, 0);
    return buf;
  } finally {
    await handle.close();
  }
}

/** The byte offset just after the `n`th line of JSON Lines text (0 for n = 0). */
function offsetAfterLines(buf: Buffer, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = buf.indexOf(10, at) + 1;
  return at;
}

function stateChangeRowOf(c: StateChange): StateChangeRow {
  return { at_seq: c.atSeq, change: JSON.stringify({ kind: c.kind, set: c.set, unset: c.unset }) };
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function docText(doc: SessionDoc): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

function fieldsOf(row: SessionRow): SessionDoc['session'] {
  const { state: _state, ...fields } = sessionFromRow(row, {});
  return fields;
}

function ownerOf(doc: SharedDoc): SharedOwner {
  return doc.userId === undefined ? [doc.tenant, doc.appName] : [doc.tenant, doc.appName, doc.userId];
}

function sharedDocOf(owner: SharedOwner): SharedDoc {
  const [tenant, appName, userId] = owner as [string, string, string | undefined];
  return userId === undefined ? { tenant, appName, state: {} } : { tenant, appName, userId, state: {} };
}

function stateEntries(state: JsonObject): Map<string, string> {
  return new Map(Object.keys(state).map((key) => [key, JSON.stringify(state[key])]));
}

function applyEntries(state: JsonObject, entries: readonly StateEntry[]): JsonObject {
  for (const [name, json] of entries) setOwn(state, name, JSON.parse(json));
  return state;
}

/** One event as a JSON Lines record, built from JSON text already serialized. */
function eventLine(e: EventRow): string {
  let line = `{"id":${JSON.stringify(e.id)},"seq":${e.seq},"timestamp":${e.timestamp},"author":${JSON.stringify(e.author)}`;
  if (e.role !== null) line += `,"role":${JSON.stringify(e.role)}`;
  if (e.invocation_id !== null) line += `,"invocationId":${JSON.stringify(e.invocation_id)}`;
  if (e.content !== null) line += `,"content":${e.content}`;
  if (e.state_delta !== null) line += `,"stateDelta":${e.state_delta}`;
  if (e.metadata !== null) line += `,"metadata":${e.metadata}`;
  return line + '}\n';
}

/** Parses JSON Lines; with `partialFirst` the first line may be cut (a tail read) and is dropped. */
function parseLines(text: string, partialFirst = false): SessionEvent[] {
  const lines = text.split('\n');
  if (partialFirst) lines.shift();
  const out: SessionEvent[] = [];
  for (const line of lines) {
    if (line) out.push(JSON.parse(line) as SessionEvent);
  }
  return out;
}

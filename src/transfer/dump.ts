import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { SessionDbError, SessionExistsError, ValidationError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { capabilitiesOf, type SessionStore } from '../core/store.js';
import type { FileRecord, SessionSnapshot, SharedState } from '../core/types.js';
import { readSnapshot } from './snapshot.js';

/** Counts of records in a dump. */
export interface DumpCounts {
  sessions: number;
  events: number;
  appStates: number;
  userStates: number;
  files: number;
}

/**
 * The dump format: JSON Lines, one record per line, so a dump of any size
 * streams in and out. The first line is the header, the last the end record
 * with the counts (a dump without it was cut off).
 *   {"format":"sessiondb.dump","version":1,"createdAt":…,"source":"sqlite"}
 *   {"type":"session","snapshot":{"session":{…},"state":{…},"events":[…],"history":[…]}}
 *   {"type":"appState","item":{"tenant":…,"appName":…,"state":{…}}}
 *   {"type":"userState","item":{…,"userId":…}}
 *   {"type":"file","record":{…}}
 *   {"type":"end","counts":{…}}
 * A session's `history` (its state-change log) is absent in dumps made before
 * it existed; loading one starts the log from its state. Superseded events are
 * not dumped: no store can import them (they record that database's own rewinds).
 */
export const DUMP_FORMAT = 'sessiondb.dump';
export const DUMP_VERSION = 1;

type DumpRecord =
  | { type: 'session'; snapshot: SessionSnapshot }
  | { type: 'appState'; item: SharedState }
  | { type: 'userState'; item: SharedState }
  | { type: 'file'; record: FileRecord }
  | { type: 'end'; counts: DumpCounts };

/** Writes everything in `store` to `path` (atomically: a temporary file renamed at the end). */
export async function dumpStore(store: SessionStore, path: string, options: { onProgress?(counts: DumpCounts): void; batchSize?: number } = {}): Promise<DumpCounts> {
  const batch = options.batchSize ?? 500;
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  const write = async (record: object) => {
    if (!out.write(JSON.stringify(record) + '\n')) await once(out, 'drain');
  };
  const counts: DumpCounts = { sessions: 0, events: 0, appStates: 0, userStates: 0, files: 0 };
  try {
    await write({ format: DUMP_FORMAT, version: DUMP_VERSION, createdAt: new Date().toISOString(), source: store.kind });
    for (let cursor: string | null = null; ; ) {
      const page = await store.scanSessionKeys({ cursor, limit: batch });
      for (const key of page.keys) {
        const snapshot = await readSnapshot(store, key);
        if (!snapshot) continue;
        await write({ type: 'session', snapshot });
        counts.sessions++;
        counts.events += snapshot.events.length;
      }
      options.onProgress?.(counts);
      if (!(cursor = page.nextCursor)) break;
    }
    for (const scope of ['app', 'user'] as const) {
      for (let cursor: string | null = null; ; ) {
        const page = await store.scanSharedState(scope, { cursor, limit: batch });
        for (const item of page.items) {
          await write({ type: scope === 'app' ? 'appState' : 'userState', item });
          if (scope === 'app') counts.appStates++;
          else counts.userStates++;
        }
        if (!(cursor = page.nextCursor)) break;
      }
    }
    for (let cursor: string | null = null; ; ) {
      const page = await store.scanFiles({ cursor, limit: batch });
      for (const record of page.files) {
        await write({ type: 'file', record });
        counts.files++;
      }
      if (!(cursor = page.nextCursor)) break;
    }
    await write({ type: 'end', counts });
    out.end();
    await once(out, 'finish');
    await rename(tmp, path);
    return counts;
  } catch (err) {
    out.destroy();
    throw err;
  }
}

/**
 * Loads a dump into `store`. Sessions that already exist are skipped (so an
 * interrupted load can be run again), or replaced with `replace`. Throws if the
 * file is not a dump, has a newer version, or was cut off (after loading what it holds).
 */
export async function loadStore(
  store: SessionStore,
  path: string,
  options: { replace?: boolean; onProgress?(counts: DumpCounts): void } = {},
): Promise<DumpCounts & { skippedSessions: number }> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const counts = { sessions: 0, events: 0, appStates: 0, userStates: 0, files: 0, skippedSessions: 0 };
  let lineNo = 0;
  let ended = false;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      throw new ValidationError(`${path} line ${lineNo}`, `is not JSON (${(err as Error).message})`);
    }
    if (lineNo === 1) {
      if (!isPlainObject(record) || record['format'] !== DUMP_FORMAT) throw new ValidationError(path, 'is not a sessiondb dump (its first line is no dump header)');
      if (record['version'] !== DUMP_VERSION) {
        throw new ValidationError(path, `is a version ${JSON.stringify(record['version'])} dump; this sessiondb reads version ${DUMP_VERSION}`, 'Upgrade sessiondb.');
      }
      continue;
    }
    const r = record as DumpRecord;
    try {
      switch (r.type) {
        case 'session':
          try {
            await store.importSession(r.snapshot, { replace: options.replace });
            counts.sessions++;
            counts.events += r.snapshot.events.length;
          } catch (err) {
            if (!(err instanceof SessionExistsError)) throw err;
            counts.skippedSessions++;
          }
          if ((counts.sessions + counts.skippedSessions) % 500 === 0) options.onProgress?.(counts);
          break;
        case 'appState':
          await store.updateAppState(r.item, r.item.state);
          counts.appStates++;
          break;
        case 'userState':
          await store.updateUserState({ ...r.item, userId: r.item.userId! }, r.item.state);
          counts.userStates++;
          break;
        case 'file':
          await store.putFile(r.record);
          counts.files++;
          break;
        case 'end':
          ended = true;
          break;
        default:
          throw new ValidationError(`${path} line ${lineNo}`, `has an unknown record type ${JSON.stringify((r as { type?: unknown }).type)}`);
      }
    } catch (err) {
      if (err instanceof SessionDbError && err.code === 'invalid' && !err.message.includes(' line ')) {
        throw new ValidationError(`${path} line ${lineNo}`, err.message);
      }
      throw err;
    }
  }
  if (lineNo === 0) throw new ValidationError(path, 'is empty');
  if (!ended) throw new ValidationError(path, `ends without its end record: the dump was cut off (${counts.sessions} sessions loaded)`);
  options.onProgress?.(counts);
  return counts;
}

/** A timestamped dump in `dir`, plus an online copy of the database where the store can make one (capability `backup`: SQLite). */
export async function backupStore(store: SessionStore, dir: string, options: { now?: Date } = {}): Promise<{ dump: string; database: string | null; counts: DumpCounts }> {
  await mkdir(dir, { recursive: true });
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z').replace('T', '-');
  const dump = join(dir, `sessiondb-${stamp}.jsonl`);
  const counts = await dumpStore(store, dump);
  let database: string | null = null;
  if (capabilitiesOf(store).backup && store.backup) {
    database = join(dir, `sessiondb-${stamp}.db`);
    const tmp = `${database}.tmp`;
    await store.backup(tmp);
    await rename(tmp, database);
  }
  return { dump, database, counts };
}

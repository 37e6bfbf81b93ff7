/**
 * The MongoDB store's collections and indexes. `migrate()` creates the indexes
 * (createIndexes is idempotent, so racing processes are safe) and records the
 * schema version in the meta collection.
 */
import type { Collection, Db, IndexDescription } from 'mongodb';
import type { EventDoc, FileDoc, SessionDoc, SharedStateDoc } from './documents.js';
import { errorCode, isDuplicateKey, isTransientError } from './errors.js';
import type { StateLogDoc, SupersededDoc } from './history.js';

/** The schema version this code writes and reads. */
export const MONGO_SCHEMA_VERSION = 2;

export const MONGO_MIGRATIONS: readonly { version: number; description: string }[] = [
  { version: 1, description: 'sessions, events, app_state, user_state and files collections with their indexes' },
  {
    version: 2,
    description:
      'search (tenant and indexed words on events, title words on sessions, text indexes), state_log and superseded_events collections; stored events and titles are indexed',
  },
];

/** The collections of one store (names may carry a prefix). */
export interface MongoCollections {
  sessions: Collection<SessionDoc>;
  events: Collection<EventDoc>;
  appState: Collection<SharedStateDoc>;
  userState: Collection<SharedStateDoc>;
  files: Collection<FileDoc>;
  stateLog: Collection<StateLogDoc>;
  superseded: Collection<SupersededDoc>;
  meta: Collection<{ _id: string; version: number; migratedAt: number }>;
}

export function mongoCollections(db: Db, prefix: string): MongoCollections {
  return {
    sessions: db.collection<SessionDoc>(`${prefix}sessions`),
    events: db.collection<EventDoc>(`${prefix}events`),
    appState: db.collection<SharedStateDoc>(`${prefix}app_state`),
    userState: db.collection<SharedStateDoc>(`${prefix}user_state`),
    files: db.collection<FileDoc>(`${prefix}files`),
    stateLog: db.collection<StateLogDoc>(`${prefix}state_log`),
    superseded: db.collection<SupersededDoc>(`${prefix}superseded_events`),
    meta: db.collection(`${prefix}sessiondb_meta`),
  };
}

/** Index names the store hints by, so a listing walks the index whose keys are its order. */
export const INDEX = {
  sessionKey: 'session_key',
  userOrder: 'sessions_user_order',
  appOrder: 'sessions_app_order',
  tenantOrder: 'sessions_tenant_order',
  eventSeq: 'events_seq',
  eventId: 'events_id',
  eventTime: 'events_time',
  fileKey: 'file_key',
  fileOrder: 'files_order',
  sessionSid: 'sessions_sid',
  eventText: 'events_text',
  titleText: 'sessions_title_text',
  stateLog: 'state_log_order',
  superseded: 'superseded_order',
} as const;

/**
 * The text indexes: per tenant (an equality prefix every `$text` query gives),
 * over the normalized words sessiondb stores beside the content and the title.
 * `default_language: 'none'`: no stemming and no stop words, so MongoDB sees the
 * same words as every other store; `language_override` names a field no
 * document has, so nothing in a document can switch the language.
 */
export const TEXT_INDEXES = {
  events: { name: INDEX.eventText, key: { tenant: 1, text: 'text' }, default_language: 'none', language_override: 'sdbLanguage' },
  sessions: { name: INDEX.titleText, key: { tenant: 1, titleText: 'text' }, default_language: 'none', language_override: 'sdbLanguage' },
} as const satisfies Record<string, IndexDescription>;

/** Every index, by collection. Unique indexes hold the store's invariants; the others make reads O(result). */
export const MONGO_INDEXES: { [C in Exclude<keyof MongoCollections, 'meta'>]: IndexDescription[] } = {
  sessions: [
    { name: INDEX.sessionKey, key: { tenant: 1, appName: 1, userId: 1, id: 1 }, unique: true },
    // One per listing scope, each ending in the listing's total order (updatedAt, id, appName, userId).
    { name: INDEX.userOrder, key: { tenant: 1, appName: 1, userId: 1, updatedAt: 1, id: 1 } },
    { name: INDEX.appOrder, key: { tenant: 1, appName: 1, updatedAt: 1, id: 1, userId: 1 } },
    { name: INDEX.tenantOrder, key: { tenant: 1, updatedAt: 1, id: 1, appName: 1, userId: 1 } },
    { name: 'sessions_expiry', key: { expiresAt: 1 } },
    { name: 'sessions_activity', key: { status: 1, lastActivityAt: 1 } },
    // Search hits name an event's sid: its session is looked up by it.
    { name: INDEX.sessionSid, key: { sid: 1 } },
  ],
  events: [
    { name: INDEX.eventSeq, key: { sid: 1, seq: 1 }, unique: true },
    { name: INDEX.eventId, key: { sid: 1, id: 1 }, unique: true },
    { name: INDEX.eventTime, key: { sid: 1, timestamp: 1 } },
  ],
  appState: [{ name: 'app_state_key', key: { tenant: 1, appName: 1 }, unique: true }],
  userState: [{ name: 'user_state_key', key: { tenant: 1, appName: 1, userId: 1 }, unique: true }],
  files: [
    { name: INDEX.fileKey, key: { tenant: 1, id: 1 }, unique: true },
    { name: INDEX.fileOrder, key: { tenant: 1, uploadedAt: 1, id: 1 } },
    { name: 'files_session', key: { tenant: 1, appName: 1, userId: 1, sessionId: 1 } },
    { name: 'files_expiry', key: { expiresAt: 1 } },
  ],
  // (v, i) is the insertion order of a session's state changes (see history.ts).
  stateLog: [{ name: INDEX.stateLog, key: { sid: 1, v: 1, i: 1 }, unique: true }],
  superseded: [{ name: INDEX.superseded, key: { sid: 1, supersededBy: 1, seq: 1 }, unique: true }],
};

/** Creates every index but the text indexes (a no-op for those that exist). */
export async function createIndexes(c: MongoCollections): Promise<void> {
  for (const name of Object.keys(MONGO_INDEXES) as (keyof typeof MONGO_INDEXES)[]) {
    await c[name].createIndexes(MONGO_INDEXES[name]);
  }
}

/**
 * Creates the two text indexes. A server without text search (some
 * MongoDB-compatible servers) may refuse them: that is not a failed migration,
 * the store then searches by scanning (see search.ts); the refusal is returned.
 */
export async function createTextIndexes(c: MongoCollections): Promise<unknown> {
  try {
    await c.events.createIndexes([TEXT_INDEXES.events]);
    await c.sessions.createIndexes([TEXT_INDEXES.sessions]);
    return null;
  } catch (err) {
    if (errorCode(err) === undefined || isTransientError(err)) throw err;
    return err;
  }
}

/** The recorded schema version (0: never migrated). */
export async function schemaVersion(c: MongoCollections): Promise<number> {
  const doc = await c.meta.findOne({ _id: 'schema' });
  return doc?.version ?? 0;
}

/** Records the schema version, never lowering it. Safe when several processes migrate at once. */
export async function recordSchemaVersion(c: MongoCollections, now: number): Promise<void> {
  const record = () => c.meta.updateOne({ _id: 'schema' }, { $max: { version: MONGO_SCHEMA_VERSION }, $set: { migratedAt: now } }, { upsert: true });
  try {
    await record();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await record(); // another process inserted it first: now it is an update
  }
}

/**
 * The MongoDB store's collections and indexes. `migrate()` creates the indexes
 * (createIndexes is idempotent, so racing processes are safe) and records the
 * schema version in the meta collection.
 */
import type { Collection, Db, IndexDescription } from 'mongodb';
import type { EventDoc, FileDoc, SessionDoc, SharedStateDoc } from './documents.js';
import { isDuplicateKey } from './errors.js';

/** The schema version this code writes and reads. */
export const MONGO_SCHEMA_VERSION = 1;

export const MONGO_MIGRATIONS: readonly { version: number; description: string }[] = [
  { version: 1, description: 'sessions, events, app_state, user_state and files collections with their indexes' },
];

/** The collections of one store (names may carry a prefix). */
export interface MongoCollections {
  sessions: Collection<SessionDoc>;
  events: Collection<EventDoc>;
  appState: Collection<SharedStateDoc>;
  userState: Collection<SharedStateDoc>;
  files: Collection<FileDoc>;
  meta: Collection<{ _id: string; version: number; migratedAt: number }>;
}

export function mongoCollections(db: Db, prefix: string): MongoCollections {
  return {
    sessions: db.collection<SessionDoc>(`${prefix}sessions`),
    events: db.collection<EventDoc>(`${prefix}events`),
    appState: db.collection<SharedStateDoc>(`${prefix}app_state`),
    userState: db.collection<SharedStateDoc>(`${prefix}user_state`),
    files: db.collection<FileDoc>(`${prefix}files`),
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
} as const;

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
};

/** Creates every index (a no-op for those that exist). */
export async function createIndexes(c: MongoCollections): Promise<void> {
  for (const name of Object.keys(MONGO_INDEXES) as (keyof typeof MONGO_INDEXES)[]) {
    await c[name].createIndexes(MONGO_INDEXES[name]);
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

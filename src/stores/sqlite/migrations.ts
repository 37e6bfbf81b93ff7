import type { Database } from 'better-sqlite3';
import { buildSearchIndex, searchIndexBacklog } from './search-index.js';

/**
 * The SQLite schema, as an ordered list of migrations. Never edit a released
 * migration: add a new one. Each runs in the same IMMEDIATE transaction that
 * records it in `sessiondb_migrations`, so a crash leaves the schema at a
 * whole version and racing processes apply each migration once.
 *
 * A migration with `build` instead of `sql` fills what an earlier one created
 * over the rows already stored, in batches of one transaction each; the batch
 * that finishes records the version. Interrupted, it resumes where the last
 * committed batch ended.
 *
 * Text columns have no length limits (SQLite has none to overflow); limits are
 * enforced on input, in core/limits.ts.
 */
export interface SqliteMigration {
  version: number;
  description: string;
  sql?: string;
  build?: SqliteBuild;
}

/** Work over stored rows, done one batch per transaction. */
export interface SqliteBuild {
  /** Shown in progress reports. */
  step: string;
  /** Rows done so far and rows in all (an estimate while other writers run). */
  backlog(db: Database): { done: number; total: number };
  /** Does up to `size` rows; `finished` when nothing is left. */
  batch(db: Database, size: number): { done: number; finished: boolean };
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'sessions, events, app/user/session state',
    sql: `
CREATE TABLE sessions (
  pk               INTEGER PRIMARY KEY,
  tenant           TEXT    NOT NULL,
  app_name         TEXT    NOT NULL,
  user_id          TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  metadata         TEXT    NOT NULL DEFAULT '{}',
  model            TEXT,
  status           TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'expired')),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL,
  expires_at       INTEGER,
  event_count      INTEGER NOT NULL DEFAULT 0,
  request_count    INTEGER NOT NULL DEFAULT 0,
  request_ms_total REAL    NOT NULL DEFAULT 0,
  version          INTEGER NOT NULL DEFAULT 1,
  UNIQUE (tenant, app_name, user_id, id)
);
-- Keyset listing, one index per listing shape, in the listing's total order.
CREATE INDEX sessions_user_order   ON sessions (tenant, app_name, user_id, updated_at, id);
CREATE INDEX sessions_app_order    ON sessions (tenant, app_name, updated_at, id, user_id);
CREATE INDEX sessions_tenant_order ON sessions (tenant, updated_at, id, app_name, user_id);
CREATE INDEX sessions_expiry       ON sessions (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE events (
  pk            INTEGER PRIMARY KEY,
  session_pk    INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  id            TEXT    NOT NULL,
  timestamp     INTEGER NOT NULL,
  author        TEXT    NOT NULL,
  role          TEXT,
  invocation_id TEXT,
  content       TEXT,
  state_delta   TEXT,
  metadata      TEXT,
  UNIQUE (session_pk, seq),
  UNIQUE (session_pk, id)
);
CREATE INDEX events_time ON events (session_pk, timestamp);

CREATE TABLE app_state (
  tenant   TEXT NOT NULL,
  app_name TEXT NOT NULL,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (tenant, app_name, key)
) WITHOUT ROWID;

CREATE TABLE user_state (
  tenant   TEXT NOT NULL,
  app_name TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (tenant, app_name, user_id, key)
) WITHOUT ROWID;

CREATE TABLE session_state (
  session_pk INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  value      TEXT    NOT NULL,
  PRIMARY KEY (session_pk, key)
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    description: 'file records',
    sql: `
CREATE TABLE files (
  tenant       TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  uri          TEXT,
  display_name TEXT,
  size         INTEGER NOT NULL DEFAULT 0,
  mime_type    TEXT,
  uploaded_at  INTEGER NOT NULL,
  expires_at   INTEGER,
  metadata     TEXT    NOT NULL DEFAULT '{}',
  session_pk   INTEGER REFERENCES sessions (pk) ON DELETE CASCADE,
  app_name     TEXT,
  user_id      TEXT,
  session_id   TEXT,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX files_order   ON files (tenant, uploaded_at, id);
CREATE INDEX files_session ON files (session_pk) WHERE session_pk IS NOT NULL;
CREATE INDEX files_expiry  ON files (expires_at) WHERE expires_at IS NOT NULL;
`,
  },
  {
    version: 3,
    description: 'index for idle-expiry sweeps',
    sql: `
CREATE INDEX sessions_activity ON sessions (status, last_activity_at);
`,
  },
  {
    version: 4,
    description: 'search index, superseded events, state-change log',
    sql: `
-- The changes to a session's own state that no event carried, in the order made.
CREATE TABLE state_changes (
  ordinal    INTEGER PRIMARY KEY,
  session_pk INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
  at_seq     INTEGER NOT NULL,
  change     TEXT    NOT NULL
);
CREATE INDEX state_changes_session ON state_changes (session_pk, ordinal);

-- Events a rewind took out of the history. Apart from events, so that a new
-- event may take a superseded event's seq and id.
CREATE TABLE superseded_events (
  session_pk    INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
  superseded_by INTEGER NOT NULL,
  seq           INTEGER NOT NULL,
  id            TEXT    NOT NULL,
  timestamp     INTEGER NOT NULL,
  author        TEXT    NOT NULL,
  role          TEXT,
  invocation_id TEXT,
  content       TEXT,
  state_delta   TEXT,
  metadata      TEXT,
  superseded_at INTEGER NOT NULL,
  PRIMARY KEY (session_pk, superseded_by, seq)
);

-- Full-text indexes, contentless (they keep no copy of the text), keyed by
-- events.pk and sessions.pk. Their text is already normalized words
-- (core/search/text.ts indexText), so the tokenizer only splits on spaces.
-- Every event has a row (an empty one when it has no text); a session has a
-- row when metadata.title is a string.
CREATE VIRTUAL TABLE event_index USING fts5 (body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE title_index USING fts5 (body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0');
-- Rows holding each word, for scoring the buffered rows below (index-buffer.ts). Stores nothing.
CREATE VIRTUAL TABLE event_index_vocab USING fts5vocab (event_index, 'row');
-- An append's index rows wait here (event_pk = events.pk) until the append
-- that brings the table to 256 rows moves them all into event_index at once:
-- FTS5 writes a segment per transaction that inserts (index-buffer.ts).
CREATE TABLE event_index_pending (
  event_pk INTEGER PRIMARY KEY,
  body     TEXT    NOT NULL
);
-- Deletions leave the indexes here, whatever deletes (a session's cascade, a
-- sweep, a rewind, an import that replaces); insertions are made by the store,
-- which computes the text. An event's row is in one of the two event tables;
-- deleting a rowid that event_index does not hold writes nothing.
CREATE TRIGGER events_unindex AFTER DELETE ON events BEGIN
  DELETE FROM event_index_pending WHERE event_pk = old.pk;
  DELETE FROM event_index WHERE rowid = old.pk;
END;
CREATE TRIGGER sessions_unindex AFTER DELETE ON sessions WHEN json_type(old.metadata, '$.title') = 'text' BEGIN
  DELETE FROM title_index WHERE rowid = old.pk;
END;

-- How far migration 5 has indexed the rows stored before it: rows with pk <= after_pk.
CREATE TABLE search_index_build (
  what     TEXT    PRIMARY KEY,
  after_pk INTEGER NOT NULL,
  done     INTEGER NOT NULL
);
INSERT INTO search_index_build (what, after_pk, done) VALUES ('events', 0, 0), ('titles', 0, 0);

-- Every stored session starts its log with its own state as it is now, after
-- its last event, so that rewinds and forks from there on are exact (the
-- state before it, not logged, is rebuilt from event deltas alone).
INSERT INTO state_changes (session_pk, at_seq, change)
SELECT s.pk, s.event_count, json_object(
  'kind', 'replace',
  'set', coalesce((SELECT json_group_object(key, json(value)) FROM session_state WHERE session_pk = s.pk), json('{}')),
  'unset', json('[]'))
FROM sessions s ORDER BY s.pk;
`,
  },
  {
    version: 5,
    description: 'search index over the events and titles stored before version 4',
    build: { step: 'search index', backlog: searchIndexBacklog, batch: buildSearchIndex },
  },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

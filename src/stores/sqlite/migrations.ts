/**
 * The SQLite schema, as an ordered list of migrations. Never edit a released
 * migration: add a new one. Each runs in the same IMMEDIATE transaction that
 * records it in `sessiondb_migrations`, so a crash leaves the schema at a
 * whole version and racing processes apply each migration once.
 *
 * Text columns have no length limits (SQLite has none to overflow); limits are
 * enforced on input, in core/limits.ts.
 */
export interface SqliteMigration {
  version: number;
  description: string;
  sql: string;
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
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

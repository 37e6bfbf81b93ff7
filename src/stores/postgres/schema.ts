import { ValidationError } from '../../core/errors.js';
import { appendFunctionSql } from './append-function.js';

/** Quoted, schema-qualified names of every object the store creates. */
export interface PgNames {
  schema: string;
  sessions: string;
  events: string;
  appState: string;
  userState: string;
  sessionState: string;
  files: string;
  /** Each session's log of state changes no event carried (schema v4). */
  stateChanges: string;
  /** Events rewinds took out of the visible history (schema v4). */
  superseded: string;
  /** Settings the schema was built with, by name: `search_config` (schema v4). */
  settings: string;
  migrations: string;
  appendFn: string;
  /** Unqualified prefix, for index names (indexes live in the table's schema). */
  prefix: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** Validates the schema name and table prefix (they become SQL identifiers) and builds every name. */
export function pgNames(schema: string, prefix: string): PgNames {
  if (!IDENTIFIER.test(schema)) {
    throw new ValidationError('schema', `must be a plain SQL identifier (letters, digits, _; at most 40), got ${JSON.stringify(schema)}`);
  }
  if (prefix !== '' && !IDENTIFIER.test(prefix)) {
    throw new ValidationError('tablePrefix', `must be empty or a plain SQL identifier (letters, digits, _), got ${JSON.stringify(prefix)}`);
  }
  const q = (name: string) => `"${schema}"."${prefix}${name}"`;
  return {
    schema: `"${schema}"`,
    sessions: q('sessions'),
    events: q('events'),
    appState: q('app_state'),
    userState: q('user_state'),
    sessionState: q('session_state'),
    files: q('files'),
    stateChanges: q('state_changes'),
    superseded: q('superseded_events'),
    settings: q('sessiondb_settings'),
    migrations: q('sessiondb_migrations'),
    appendFn: q('sessiondb_append'),
    prefix,
  };
}

export interface PgMigration {
  version: number;
  description: string;
  sql(n: PgNames): string;
  /**
   * Work on stored rows after the DDL is committed (building the search index),
   * in batches of their own transactions, so that it can be resumed; run by
   * every `migrate()` until it finds nothing left.
   */
  backfill?: 'search index';
}

/**
 * The PostgreSQL schema as ordered migrations. Never edit a released one: add
 * a new one. Text that is compared or ordered uses the "C" collation, so that
 * listings order by bytes exactly as SQLite and the memory store do, and
 * indexes serve prefix and row comparisons. Times are epoch milliseconds in
 * double precision: the API's numbers round-trip exactly, fractions included.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'sessions, events, app/user/session state, the append function',
    sql: (n) => `
CREATE TABLE ${n.sessions} (
  pk               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant           text COLLATE "C" NOT NULL,
  app_name         text COLLATE "C" NOT NULL,
  user_id          text COLLATE "C" NOT NULL,
  id               text COLLATE "C" NOT NULL,
  metadata         jsonb NOT NULL DEFAULT '{}',
  model            text,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'expired')),
  created_at       double precision NOT NULL,
  updated_at       double precision NOT NULL,
  last_activity_at double precision NOT NULL,
  expires_at       double precision,
  event_count      integer NOT NULL DEFAULT 0,
  request_count    integer NOT NULL DEFAULT 0,
  request_ms_total double precision NOT NULL DEFAULT 0,
  version          integer NOT NULL DEFAULT 1,
  UNIQUE (tenant, app_name, user_id, id)
);
CREATE INDEX "${n.prefix}sessions_user_order"   ON ${n.sessions} (tenant, app_name, user_id, updated_at, id);
CREATE INDEX "${n.prefix}sessions_app_order"    ON ${n.sessions} (tenant, app_name, updated_at, id, user_id);
CREATE INDEX "${n.prefix}sessions_tenant_order" ON ${n.sessions} (tenant, updated_at, id, app_name, user_id);
CREATE INDEX "${n.prefix}sessions_expiry"       ON ${n.sessions} (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE ${n.events} (
  session_pk    bigint NOT NULL REFERENCES ${n.sessions} (pk) ON DELETE CASCADE,
  seq           integer NOT NULL,
  id            text COLLATE "C" NOT NULL,
  timestamp     double precision NOT NULL,
  author        text NOT NULL,
  role          text,
  invocation_id text,
  content       jsonb,
  state_delta   jsonb,
  metadata      jsonb,
  PRIMARY KEY (session_pk, seq),
  UNIQUE (session_pk, id)
);
CREATE INDEX "${n.prefix}events_time" ON ${n.events} (session_pk, timestamp);

CREATE TABLE ${n.appState} (
  tenant   text COLLATE "C" NOT NULL,
  app_name text COLLATE "C" NOT NULL,
  key      text COLLATE "C" NOT NULL,
  value    jsonb NOT NULL,
  PRIMARY KEY (tenant, app_name, key)
);

CREATE TABLE ${n.userState} (
  tenant   text COLLATE "C" NOT NULL,
  app_name text COLLATE "C" NOT NULL,
  user_id  text COLLATE "C" NOT NULL,
  key      text COLLATE "C" NOT NULL,
  value    jsonb NOT NULL,
  PRIMARY KEY (tenant, app_name, user_id, key)
);

CREATE TABLE ${n.sessionState} (
  session_pk bigint NOT NULL REFERENCES ${n.sessions} (pk) ON DELETE CASCADE,
  key        text COLLATE "C" NOT NULL,
  value      jsonb NOT NULL,
  PRIMARY KEY (session_pk, key)
);

-- One append, atomically and in one round trip (two for a retry of a stored
-- event). p_events: [{id, ts, author, role, inv, content, delta, meta, a, u, s}]
-- where a/u/s are the app/user/session parts of the event's state delta.
-- p_mode:
--   'new'        every id was generated by the store, so none can be stored yet;
--   'optimistic' caller-chosen ids: insert skipping ids already stored, and if one
--                was, raise SDB03 (undoing everything) so the client asks again in
--   'lookup'     mode: lock, look the ids up, store only the new events; a call
--                whose events are all stored is a replay and changes nothing.
-- The statements that find a session or an event by key run through EXECUTE, so
-- they are planned for their arguments on every call: a plan cached while the
-- table was young (the listing indexes also hold the key columns, and there are no
-- statistics yet to tell them apart) drifted onto a listing index and slowed
-- appends as dead row versions piled up.
-- State deltas of the new events are merged in order (later keys win) and
-- upserted per key, so app and user rows are locked only when changed, always in
-- the same (jsonb key) order.
CREATE FUNCTION ${n.appendFn}(
  p_tenant text, p_app text, p_user text, p_session text,
  p_expect integer, p_events jsonb, p_mode text
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_n integer := jsonb_array_length(p_events);
  v_pk bigint;
  v_version integer;
  v_count integer;
  v_existing jsonb := '{}';
  v_fresh jsonb := p_events;
  v_last double precision;
  v_app jsonb := '{}';
  v_user jsonb := '{}';
  v_session jsonb := '{}';
  v_event jsonb;
  v_id text;
  v_found jsonb;
  v_inserted integer;
  v_stored boolean := false;
BEGIN
  IF p_mode = 'lookup' THEN
    EXECUTE $q$
      SELECT pk, version, event_count FROM ${n.sessions}
       WHERE tenant = $1 AND app_name = $2 AND user_id = $3 AND id = $4 FOR UPDATE$q$
      INTO v_pk, v_version, v_count
      USING p_tenant, p_app, p_user, p_session;
    IF v_pk IS NULL THEN -- (EXECUTE does not set FOUND)
      RAISE EXCEPTION 'session not found' USING ERRCODE = 'SDB01';
    END IF;
    FOR v_id IN SELECT x ->> 'id' FROM jsonb_array_elements(p_events) x LOOP
      EXECUTE $q$
        SELECT jsonb_build_object(
                 'id', e.id, 'seq', e.seq, 'timestamp', e.timestamp, 'author', e.author, 'role', e.role,
                 'invocation_id', e.invocation_id, 'content', e.content, 'state_delta', e.state_delta,
                 'metadata', e.metadata)
          FROM ${n.events} e
         WHERE e.session_pk = $1 AND e.id = $2$q$
        INTO v_found
        USING v_pk, v_id;
      IF v_found IS NOT NULL THEN
        v_existing := v_existing || jsonb_build_object(v_id, v_found);
      END IF;
    END LOOP;
    SELECT coalesce(jsonb_agg(x ORDER BY t.ord), '[]') INTO v_fresh
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(x, ord)
     WHERE NOT v_existing ? (x ->> 'id');
    v_n := jsonb_array_length(v_fresh);
    IF v_n = 0 THEN
      RETURN jsonb_build_object('version', v_version, 'firstSeq', v_count + 1, 'existing', v_existing);
    END IF;
    IF p_expect IS NOT NULL AND p_expect <> v_version THEN
      RAISE EXCEPTION 'version conflict' USING ERRCODE = 'SDB02', DETAIL = v_version::text;
    END IF;
    v_last := (v_fresh -> (v_n - 1) ->> 'ts')::double precision;
    UPDATE ${n.sessions}
       SET event_count = v_count + v_n, version = v_version + 1, updated_at = v_last, last_activity_at = v_last
     WHERE pk = v_pk;
  ELSE
    v_last := (p_events -> (v_n - 1) ->> 'ts')::double precision;
    EXECUTE $q$
      UPDATE ${n.sessions}
         SET event_count = event_count + $5, version = version + 1, updated_at = $6, last_activity_at = $6
       WHERE tenant = $1 AND app_name = $2 AND user_id = $3 AND id = $4
      RETURNING pk, version - 1, event_count - $5$q$
      INTO v_pk, v_version, v_count
      USING p_tenant, p_app, p_user, p_session, v_n, v_last;
    IF v_pk IS NULL THEN -- (EXECUTE does not set FOUND)
      RAISE EXCEPTION 'session not found' USING ERRCODE = 'SDB01';
    END IF;
    IF p_mode = 'optimistic' THEN
      INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
      SELECT v_pk, v_count + t.ord, x ->> 'id', (x ->> 'ts')::double precision, x ->> 'author',
             x ->> 'role', x ->> 'inv', x -> 'content', x -> 'delta', x -> 'meta'
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(x, ord)
      ON CONFLICT (session_pk, id) DO NOTHING;
      GET DIAGNOSTICS v_inserted = ROW_COUNT;
      IF v_inserted < v_n THEN
        RAISE EXCEPTION 'an event id is already stored' USING ERRCODE = 'SDB03';
      END IF;
      v_stored := true;
    END IF;
    IF p_expect IS NOT NULL AND p_expect <> v_version THEN
      RAISE EXCEPTION 'version conflict' USING ERRCODE = 'SDB02', DETAIL = v_version::text;
    END IF;
  END IF;

  IF NOT v_stored THEN
    INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
    SELECT v_pk, v_count + t.ord, x ->> 'id', (x ->> 'ts')::double precision, x ->> 'author',
           x ->> 'role', x ->> 'inv', x -> 'content', x -> 'delta', x -> 'meta'
      FROM jsonb_array_elements(v_fresh) WITH ORDINALITY AS t(x, ord);
  END IF;

  IF v_n = 1 THEN
    v_app := coalesce(v_fresh -> 0 -> 'a', '{}');
    v_user := coalesce(v_fresh -> 0 -> 'u', '{}');
    v_session := coalesce(v_fresh -> 0 -> 's', '{}');
  ELSE
    FOR v_event IN SELECT x FROM jsonb_array_elements(v_fresh) AS x LOOP
      IF v_event ? 'a' THEN v_app := v_app || (v_event -> 'a'); END IF;
      IF v_event ? 'u' THEN v_user := v_user || (v_event -> 'u'); END IF;
      IF v_event ? 's' THEN v_session := v_session || (v_event -> 's'); END IF;
    END LOOP;
  END IF;
  IF v_app <> '{}' THEN
    INSERT INTO ${n.appState} (tenant, app_name, key, value)
    SELECT p_tenant, p_app, key, value FROM jsonb_each(v_app)
    ON CONFLICT (tenant, app_name, key) DO UPDATE SET value = excluded.value;
  END IF;
  IF v_user <> '{}' THEN
    INSERT INTO ${n.userState} (tenant, app_name, user_id, key, value)
    SELECT p_tenant, p_app, p_user, key, value FROM jsonb_each(v_user)
    ON CONFLICT (tenant, app_name, user_id, key) DO UPDATE SET value = excluded.value;
  END IF;
  IF v_session <> '{}' THEN
    INSERT INTO ${n.sessionState} (session_pk, key, value)
    SELECT v_pk, key, value FROM jsonb_each(v_session)
    ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value;
  END IF;
  RETURN jsonb_build_object('version', v_version + 1, 'firstSeq', v_count + 1, 'existing', v_existing);
END
$fn$;
`,
  },
  {
    version: 2,
    description: 'file records',
    sql: (n) => `
CREATE TABLE ${n.files} (
  tenant       text COLLATE "C" NOT NULL,
  id           text COLLATE "C" NOT NULL,
  name         text NOT NULL,
  uri          text,
  display_name text,
  size         bigint NOT NULL DEFAULT 0,
  mime_type    text,
  uploaded_at  double precision NOT NULL,
  expires_at   double precision,
  metadata     jsonb NOT NULL DEFAULT '{}',
  session_pk   bigint REFERENCES ${n.sessions} (pk) ON DELETE CASCADE,
  app_name     text COLLATE "C",
  user_id      text COLLATE "C",
  session_id   text COLLATE "C",
  PRIMARY KEY (tenant, id)
);
CREATE INDEX "${n.prefix}files_order"   ON ${n.files} (tenant, uploaded_at, id);
CREATE INDEX "${n.prefix}files_session" ON ${n.files} (session_pk) WHERE session_pk IS NOT NULL;
CREATE INDEX "${n.prefix}files_expiry"  ON ${n.files} (expires_at) WHERE expires_at IS NOT NULL;
`,
  },
  {
    version: 3,
    description: 'index for idle-expiry sweeps',
    sql: (n) => `
CREATE INDEX "${n.prefix}sessions_activity" ON ${n.sessions} (status, last_activity_at);
`,
  },
  {
    version: 4,
    description: 'full-text search (tsvector columns, GIN indexes), superseded events, state-change log',
    backfill: 'search index',
    sql: (n) => `
-- Search vectors: to_tsvector(<search_config>, <index text>), the index text computed by
-- sessiondb (core indexText: normalized words joined by spaces). NULL means "not indexed
-- yet": the rows written before this version, which migrate() indexes in batches, walking
-- the partial indexes below (they hold only those rows).
ALTER TABLE ${n.events} ADD COLUMN search tsvector;
ALTER TABLE ${n.sessions} ADD COLUMN search tsvector;
CREATE INDEX "${n.prefix}events_search" ON ${n.events} USING gin (search);
CREATE INDEX "${n.prefix}sessions_search" ON ${n.sessions} USING gin (search);
CREATE INDEX "${n.prefix}events_unindexed" ON ${n.events} (session_pk, seq) WHERE search IS NULL;
CREATE INDEX "${n.prefix}sessions_unindexed" ON ${n.sessions} (pk) WHERE search IS NULL;

CREATE TABLE ${n.settings} (
  name  text PRIMARY KEY,
  value text NOT NULL
);

-- Events a rewind took out of the visible history, kept apart so that a new event may
-- reuse their seq and id. Never searched.
CREATE TABLE ${n.superseded} (
  session_pk    bigint NOT NULL REFERENCES ${n.sessions} (pk) ON DELETE CASCADE,
  superseded_by integer NOT NULL,
  seq           integer NOT NULL,
  id            text COLLATE "C" NOT NULL,
  timestamp     double precision NOT NULL,
  author        text NOT NULL,
  role          text,
  invocation_id text,
  content       jsonb,
  state_delta   jsonb,
  metadata      jsonb,
  superseded_at double precision NOT NULL,
  PRIMARY KEY (session_pk, superseded_by, seq)
);

-- The changes to a session's own state that no event carried, in the order they were
-- made (ordinal). The change is JSON text, kept exactly as written (core/history.ts).
CREATE TABLE ${n.stateChanges} (
  session_pk bigint NOT NULL REFERENCES ${n.sessions} (pk) ON DELETE CASCADE,
  ordinal    bigint GENERATED ALWAYS AS IDENTITY,
  at_seq     integer NOT NULL,
  change     text NOT NULL,
  PRIMARY KEY (session_pk, ordinal)
);
-- Sessions from before the log start it with their current own state, after their last
-- event, so that the state after that seq (a fork of the whole session) stays exact.
INSERT INTO ${n.stateChanges} (session_pk, at_seq, change)
SELECT s.pk, s.event_count,
       json_build_object('kind', 'replace',
                         'set', coalesce((SELECT jsonb_object_agg(x.key, x.value) FROM ${n.sessionState} x WHERE x.session_pk = s.pk), '{}'),
                         'unset', json_build_array())::text
  FROM ${n.sessions} s ORDER BY s.pk;

DROP FUNCTION ${n.appendFn}(text, text, text, text, integer, jsonb, text);
${appendFunctionSql(n)}`,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

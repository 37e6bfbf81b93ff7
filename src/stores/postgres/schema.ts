import { ValidationError } from '../../core/errors.js';

/** Quoted, schema-qualified names of every object the store creates. */
export interface PgNames {
  schema: string;
  sessions: string;
  events: string;
  appState: string;
  userState: string;
  sessionState: string;
  files: string;
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
    migrations: q('sessiondb_migrations'),
    appendFn: q('sessiondb_append'),
    prefix,
  };
}

export interface PgMigration {
  version: number;
  description: string;
  sql(n: PgNames): string;
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

-- One append, atomically and in one round trip: lock the session row, find
-- events already stored (idempotent retries), check the expected version,
-- insert the new events with the next seqs, apply their state deltas (merged
-- in order, later keys win; upserts touch only the keys named, so app and user
-- rows are locked only when the append changes them), bump the counters.
-- p_events: [{id, ts, author, role, inv, content, delta, meta, a, u, s}] where
-- a/u/s are the app/user/session parts of the event's state delta.
CREATE FUNCTION ${n.appendFn}(
  p_tenant text, p_app text, p_user text, p_session text,
  p_expect integer, p_events jsonb, p_check_ids boolean
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_pk bigint;
  v_version integer;
  v_count integer;
  v_existing jsonb := '{}';
  v_fresh integer;
  v_last double precision;
  v_app jsonb := '{}';
  v_user jsonb := '{}';
  v_session jsonb := '{}';
  v_event jsonb;
BEGIN
  SELECT pk, version, event_count INTO v_pk, v_version, v_count
    FROM ${n.sessions}
   WHERE tenant = p_tenant AND app_name = p_app AND user_id = p_user AND id = p_session
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'session not found' USING ERRCODE = 'SDB01';
  END IF;

  IF p_check_ids THEN
    SELECT coalesce(jsonb_object_agg(e.id, jsonb_build_object(
             'id', e.id, 'seq', e.seq, 'timestamp', e.timestamp, 'author', e.author, 'role', e.role,
             'invocation_id', e.invocation_id, 'content', e.content, 'state_delta', e.state_delta,
             'metadata', e.metadata)), '{}')
      INTO v_existing
      FROM ${n.events} e
     WHERE e.session_pk = v_pk
       AND e.id IN (SELECT x ->> 'id' FROM jsonb_array_elements(p_events) x);
  END IF;

  SELECT count(*)::integer INTO v_fresh FROM jsonb_array_elements(p_events) x WHERE NOT v_existing ? (x ->> 'id');
  IF v_fresh = 0 THEN
    RETURN jsonb_build_object('version', v_version, 'firstSeq', v_count + 1, 'existing', v_existing);
  END IF;
  IF p_expect IS NOT NULL AND p_expect <> v_version THEN
    RAISE EXCEPTION 'version conflict' USING ERRCODE = 'SDB02', DETAIL = v_version::text;
  END IF;

  INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
  SELECT v_pk, v_count + row_number() OVER (ORDER BY t.ord), x ->> 'id', (x ->> 'ts')::double precision, x ->> 'author',
         x ->> 'role', x ->> 'inv', x -> 'content', x -> 'delta', x -> 'meta'
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(x, ord)
   WHERE NOT v_existing ? (x ->> 'id');

  FOR v_event IN
    SELECT x FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(x, ord)
     WHERE NOT v_existing ? (x ->> 'id') ORDER BY t.ord
  LOOP
    v_last := (v_event ->> 'ts')::double precision;
    IF v_event ? 'a' THEN v_app := v_app || (v_event -> 'a'); END IF;
    IF v_event ? 'u' THEN v_user := v_user || (v_event -> 'u'); END IF;
    IF v_event ? 's' THEN v_session := v_session || (v_event -> 's'); END IF;
  END LOOP;

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

  UPDATE ${n.sessions}
     SET event_count = v_count + v_fresh, updated_at = v_last, last_activity_at = v_last, version = v_version + 1
   WHERE pk = v_pk;
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
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

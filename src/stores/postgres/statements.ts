import type { PgNames } from './schema.js';

const SESSION_COLUMNS =
  's.pk, s.tenant, s.app_name, s.user_id, s.id, s.metadata, s.model, s.status, s.created_at, s.updated_at, ' +
  's.last_activity_at, s.expires_at, s.event_count, s.request_count, s.request_ms_total, s.version';
const EVENT_COLUMNS = 'id, seq, timestamp, author, role, invocation_id, content, state_delta, metadata';
const FILE_COLUMNS =
  'tenant, id, name, uri, display_name, size::double precision AS size, mime_type, uploaded_at, expires_at, metadata, app_name, user_id, session_id';

/** The three state scopes of the session row `s`, as JSON objects (null when empty). */
function stateColumns(n: PgNames): string {
  return `
    (SELECT jsonb_object_agg(key, value) FROM ${n.appState} a WHERE a.tenant = s.tenant AND a.app_name = s.app_name) AS app_state,
    (SELECT jsonb_object_agg(key, value) FROM ${n.userState} u WHERE u.tenant = s.tenant AND u.app_name = s.app_name AND u.user_id = s.user_id) AS user_state,
    (SELECT jsonb_object_agg(key, value) FROM ${n.sessionState} x WHERE x.session_pk = s.pk) AS session_state`;
}

/**
 * Events of the session row `s` as one JSON array, oldest first; `where`/`limit` select them.
 * Seqs are gapless (1..event_count), so reads by position add an explicit seq range: the
 * primary key then bounds the scan to the rows returned even before the planner has
 * statistics (a new table otherwise gets a scan-and-sort of the whole history).
 */
function eventsColumn(n: PgNames, where: string, newestFirstLimit: string | null): string {
  const inner = newestFirstLimit
    ? `SELECT ${EVENT_COLUMNS} FROM ${n.events} WHERE session_pk = s.pk ${where} ORDER BY seq DESC LIMIT ${newestFirstLimit}`
    : `SELECT ${EVENT_COLUMNS} FROM ${n.events} WHERE session_pk = s.pk ${where}`;
  return `(SELECT coalesce(json_agg(e ORDER BY e.seq), '[]') FROM (${inner}) e) AS events`;
}

const KEY = 's.tenant = $1 AND s.app_name = $2 AND s.user_id = $3 AND s.id = $4';

/** Every fixed statement of the PostgreSQL store, built once per store for its schema and prefix. */
export function pgStatements(n: PgNames) {
  const sessionWith = (extra: string) => `SELECT ${SESSION_COLUMNS}, ${stateColumns(n)}${extra} FROM ${n.sessions} s WHERE ${KEY}`;
  return {
    migrationsTable: `CREATE TABLE IF NOT EXISTS ${n.migrations} (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    schemaVersion: `SELECT CASE WHEN to_regclass('${n.migrations.replace(/'/g, "''")}') IS NULL THEN 0
                      ELSE (SELECT coalesce(max(version), 0) FROM ${n.migrations}) END AS version`,

    createSession: `
      WITH s AS (
        INSERT INTO ${n.sessions} (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at, expires_at, search)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $13, $13, $9, to_tsvector($14::regconfig, $15))
        ON CONFLICT (tenant, app_name, user_id, id) DO NOTHING
        RETURNING *
      ), h AS (
        INSERT INTO ${n.stateChanges} (session_pk, at_seq, change) SELECT s.pk, 0, $16 FROM s
      ), a AS (
        INSERT INTO ${n.appState} (tenant, app_name, key, value)
        SELECT $1, $2, key, value FROM jsonb_each($10::jsonb) WHERE EXISTS (SELECT 1 FROM s)
        ON CONFLICT (tenant, app_name, key) DO UPDATE SET value = excluded.value
      ), u AS (
        INSERT INTO ${n.userState} (tenant, app_name, user_id, key, value)
        SELECT $1, $2, $3, key, value FROM jsonb_each($11::jsonb) WHERE EXISTS (SELECT 1 FROM s)
        ON CONFLICT (tenant, app_name, user_id, key) DO UPDATE SET value = excluded.value
      ), x AS (
        INSERT INTO ${n.sessionState} (session_pk, key, value)
        SELECT s.pk, key, value FROM s, jsonb_each($12::jsonb)
      )
      -- The new session as a read would return it, in the same round trip. The statement cannot
      -- see its own inserts, so shared state is the stored rows overlaid with this session's.
      SELECT ${SESSION_COLUMNS},
        (SELECT jsonb_object_agg(key, value) FROM (
           SELECT key, value FROM ${n.appState} WHERE tenant = $1 AND app_name = $2 AND NOT ($10::jsonb ? key)
           UNION ALL SELECT key, value FROM jsonb_each($10::jsonb)) t) AS app_state,
        (SELECT jsonb_object_agg(key, value) FROM (
           SELECT key, value FROM ${n.userState} WHERE tenant = $1 AND app_name = $2 AND user_id = $3 AND NOT ($11::jsonb ? key)
           UNION ALL SELECT key, value FROM jsonb_each($11::jsonb)) t) AS user_state,
        (SELECT jsonb_object_agg(key, value) FROM jsonb_each($12::jsonb)) AS session_state
      FROM s`,

    sessionOnly: sessionWith(''),
    sessionAllEvents: sessionWith(`, ${eventsColumn(n, '', null)}`),
    sessionLastEvents: sessionWith(`, ${eventsColumn(n, 'AND seq > s.event_count - $5::integer', '$5')}`),
    sessionEventsSince: sessionWith(`, ${eventsColumn(n, 'AND timestamp >= $5', null)}`),
    sessionLastEventsSince: sessionWith(`, ${eventsColumn(n, 'AND timestamp >= $5', '$6')}`),

    eventsAfterSeq: `SELECT s.pk, (SELECT coalesce(json_agg(e ORDER BY e.seq), '[]') FROM (
        SELECT ${EVENT_COLUMNS} FROM ${n.events}
         WHERE session_pk = s.pk AND seq > $5::bigint AND seq <= $5::bigint + $6::integer ORDER BY seq LIMIT $6) e) AS events
      FROM ${n.sessions} s WHERE ${KEY}`,
    eventsBeforeSeq: `SELECT s.pk, (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.seq DESC), '[]') FROM (
        SELECT ${EVENT_COLUMNS} FROM ${n.events}
         WHERE session_pk = s.pk AND seq < least($5::bigint, s.event_count + 1)
           AND seq >= least($5::bigint, s.event_count + 1) - $6::integer ORDER BY seq DESC LIMIT $6) e) AS events
      FROM ${n.sessions} s WHERE ${KEY}`,

    append: `SELECT ${n.appendFn}($1, $2, $3, $4, $5, $6::jsonb, $7, $8::regconfig) AS result`,

    updateSession: `
      WITH t AS (
        SELECT pk, version FROM ${n.sessions} s WHERE ${KEY} FOR UPDATE
      ), upd AS (
        UPDATE ${n.sessions} s
           SET metadata = coalesce($6::jsonb, s.metadata),
               model = CASE WHEN $7 THEN $8 ELSE s.model END,
               status = coalesce($9, s.status),
               expires_at = CASE WHEN $10 THEN $11::double precision ELSE s.expires_at END,
               last_activity_at = coalesce($16::double precision, s.last_activity_at),
               updated_at = $12, version = s.version + 1,
               search = CASE WHEN $6::jsonb IS NULL THEN s.search ELSE to_tsvector($20::regconfig, $21) END
          FROM t
         WHERE s.pk = t.pk AND ($5::integer IS NULL OR t.version = $5::integer)
        RETURNING s.pk, s.event_count
      ), h AS (
        INSERT INTO ${n.stateChanges} (session_pk, at_seq, change) SELECT upd.pk, upd.event_count, $22 FROM upd WHERE $22::text IS NOT NULL
      ), a AS (
        INSERT INTO ${n.appState} (tenant, app_name, key, value)
        SELECT $1, $2, key, value FROM upd, jsonb_each($13::jsonb)
        ON CONFLICT (tenant, app_name, key) DO UPDATE SET value = excluded.value
      ), u AS (
        INSERT INTO ${n.userState} (tenant, app_name, user_id, key, value)
        SELECT $1, $2, $3, key, value FROM upd, jsonb_each($14::jsonb)
        ON CONFLICT (tenant, app_name, user_id, key) DO UPDATE SET value = excluded.value
      ), x AS (
        INSERT INTO ${n.sessionState} (session_pk, key, value)
        SELECT upd.pk, key, value FROM upd, jsonb_each($15::jsonb)
        ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value
      ), da AS (
        -- Deletions (updateKeys' null values): never keys the upserts above name.
        DELETE FROM ${n.appState} d USING upd WHERE d.tenant = $1 AND d.app_name = $2 AND d.key = ANY($17::text[])
      ), du AS (
        DELETE FROM ${n.userState} d USING upd WHERE d.tenant = $1 AND d.app_name = $2 AND d.user_id = $3 AND d.key = ANY($18::text[])
      ), dx AS (
        DELETE FROM ${n.sessionState} d USING upd WHERE d.session_pk = upd.pk AND d.key = ANY($19::text[])
      )
      SELECT (SELECT version FROM t) AS version, (SELECT pk FROM upd) AS updated`,

    recordActivity: `
      UPDATE ${n.sessions} s
         SET request_count = request_count + $7, request_ms_total = request_ms_total + $5,
             last_activity_at = greatest(last_activity_at, $6), version = version + 1
       WHERE ${KEY}
      RETURNING pk`,

    deleteSession: `DELETE FROM ${n.sessions} s WHERE ${KEY} RETURNING 1`,

    appState: `SELECT jsonb_object_agg(key, value) AS state FROM ${n.appState} WHERE tenant = $1 AND app_name = $2`,
    userState: `SELECT jsonb_object_agg(key, value) AS state FROM ${n.userState} WHERE tenant = $1 AND app_name = $2 AND user_id = $3`,
    updateAppState: `
      WITH up AS (
        INSERT INTO ${n.appState} (tenant, app_name, key, value)
        SELECT $1, $2, key, value FROM jsonb_each($3::jsonb)
        ON CONFLICT (tenant, app_name, key) DO UPDATE SET value = excluded.value
        RETURNING key, value
      )
      SELECT jsonb_object_agg(key, value) AS state FROM (
        SELECT key, value FROM ${n.appState} WHERE tenant = $1 AND app_name = $2 AND key NOT IN (SELECT key FROM up)
        UNION ALL SELECT key, value FROM up) all_keys`,
    updateUserState: `
      WITH up AS (
        INSERT INTO ${n.userState} (tenant, app_name, user_id, key, value)
        SELECT $1, $2, $3, key, value FROM jsonb_each($4::jsonb)
        ON CONFLICT (tenant, app_name, user_id, key) DO UPDATE SET value = excluded.value
        RETURNING key, value
      )
      SELECT jsonb_object_agg(key, value) AS state FROM (
        SELECT key, value FROM ${n.userState} WHERE tenant = $1 AND app_name = $2 AND user_id = $3 AND key NOT IN (SELECT key FROM up)
        UNION ALL SELECT key, value FROM up) all_keys`,

    putFile: `
      WITH owner AS (
        SELECT pk FROM ${n.sessions} WHERE tenant = $1 AND app_name = $11 AND user_id = $12 AND id = $13
      )
      INSERT INTO ${n.files} (tenant, id, name, uri, display_name, size, mime_type, uploaded_at, expires_at, metadata, session_pk, app_name, user_id, session_id)
      SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, (SELECT pk FROM owner), $11, $12, $13
       WHERE $13::text IS NULL OR EXISTS (SELECT 1 FROM owner)
      ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, uri = excluded.uri, display_name = excluded.display_name,
        size = excluded.size, mime_type = excluded.mime_type, uploaded_at = excluded.uploaded_at, expires_at = excluded.expires_at,
        metadata = excluded.metadata, session_pk = excluded.session_pk, app_name = excluded.app_name,
        user_id = excluded.user_id, session_id = excluded.session_id
      RETURNING 1`,
    getFile: `SELECT ${FILE_COLUMNS} FROM ${n.files} WHERE tenant = $1 AND id = $2`,
    deleteFile: `DELETE FROM ${n.files} WHERE tenant = $1 AND id = $2 RETURNING 1`,

    markExpired: `UPDATE ${n.sessions} SET status = 'expired', updated_at = $1, version = version + 1 WHERE expires_at <= $1 AND status <> 'expired'`,
    markIdle: `UPDATE ${n.sessions} SET status = 'expired', updated_at = $1, version = version + 1 WHERE status = 'active' AND last_activity_at <= $2`,
    deleteIdleBatch: `DELETE FROM ${n.sessions} WHERE pk IN (SELECT pk FROM ${n.sessions} WHERE status = $1 AND last_activity_at <= $2 LIMIT $3)`,
    importSession: `
      WITH s AS (
        INSERT INTO ${n.sessions} (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at,
          expires_at, event_count, request_count, request_ms_total, version, search)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_tsvector($18::regconfig, $19))
        RETURNING pk
      ), h AS (
        INSERT INTO ${n.stateChanges} (session_pk, at_seq, change)
        SELECT s.pk, h.at_seq, h.change FROM s, unnest($20::integer[], $21::text[]) WITH ORDINALITY AS h(at_seq, change, ord) ORDER BY h.ord
      ), x AS (
        INSERT INTO ${n.sessionState} (session_pk, key, value) SELECT s.pk, key, value FROM s, jsonb_each($16::jsonb)
      ), e AS (
        INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata, search)
        SELECT s.pk, x.seq, x.id, x.ts, x.author, x.role, x.inv, x.content, x.delta, x.meta,
               CASE WHEN x.x IS NULL THEN ''::tsvector ELSE to_tsvector($18::regconfig, x.x) END
          FROM s, jsonb_to_recordset($17::jsonb) AS x(seq integer, id text, ts double precision, author text, role text, inv text,
                                                       content jsonb, delta jsonb, meta jsonb, x text)
      )
      SELECT pk FROM s`,
    deleteExpiredBatch: `DELETE FROM ${n.sessions} WHERE pk IN (SELECT pk FROM ${n.sessions} WHERE expires_at <= $1 LIMIT $2)`,
    deleteExpiredFiles: `DELETE FROM ${n.files} WHERE expires_at <= $1`,

    scanSessions: `SELECT tenant, app_name, user_id, id FROM ${n.sessions} WHERE (tenant, app_name, user_id, id) > ($1, $2, $3, $4)
      ORDER BY tenant, app_name, user_id, id LIMIT $5`,
    scanAppState: `SELECT tenant, app_name, jsonb_object_agg(key, value) AS state FROM ${n.appState}
      WHERE (tenant, app_name) IN (SELECT DISTINCT tenant, app_name FROM ${n.appState} WHERE (tenant, app_name) > ($1, $2)
                                   ORDER BY tenant, app_name LIMIT $3)
      GROUP BY tenant, app_name ORDER BY tenant, app_name`,
    scanUserState: `SELECT tenant, app_name, user_id, jsonb_object_agg(key, value) AS state FROM ${n.userState}
      WHERE (tenant, app_name, user_id) IN (SELECT DISTINCT tenant, app_name, user_id FROM ${n.userState}
                                            WHERE (tenant, app_name, user_id) > ($1, $2, $3) ORDER BY tenant, app_name, user_id LIMIT $4)
      GROUP BY tenant, app_name, user_id ORDER BY tenant, app_name, user_id`,
    scanFiles: `SELECT ${FILE_COLUMNS} FROM ${n.files} WHERE (tenant, id) > ($1, $2) ORDER BY tenant, id LIMIT $3`,

    // ---- history: rewind, superseded events, the state-change log

    /** Locks the session row for a rewind and reads its head and state-change log. */
    rewindHead: `
      SELECT s.pk, s.version, s.event_count,
             (SELECT coalesce(json_agg(json_build_object('at_seq', c.at_seq, 'change', c.change) ORDER BY c.ordinal), '[]')
                FROM ${n.stateChanges} c WHERE c.session_pk = s.pk) AS changes
        FROM ${n.sessions} s WHERE ${KEY} FOR UPDATE`,
    /** The state deltas of events ($2, $3] of session $1: what rebuilds the own state after $3. */
    rewindDeltas: `SELECT seq, state_delta AS "stateDelta" FROM ${n.events}
      WHERE session_pk = $1 AND seq > $2 AND seq <= $3 AND state_delta IS NOT NULL ORDER BY seq`,
    /**
     * The rewind's writes, one statement: events after $2 move to the superseded table (and
     * so leave the search index), the log after $2 goes, the own state becomes $5, and the
     * session takes its new head ($3 version, $2 events, $6 updated_at).
     */
    rewindApply: `
      WITH moved AS (
        DELETE FROM ${n.events} WHERE session_pk = $1 AND seq > $2
        RETURNING seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata
      ), kept AS (
        INSERT INTO ${n.superseded} (session_pk, superseded_by, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata, superseded_at)
        SELECT $1, $3, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata, $4 FROM moved
      ), log AS (
        DELETE FROM ${n.stateChanges} WHERE session_pk = $1 AND at_seq > $2
      ), gone AS (
        DELETE FROM ${n.sessionState} WHERE session_pk = $1 AND NOT ($5::jsonb ? key)
      ), put AS (
        INSERT INTO ${n.sessionState} (session_pk, key, value) SELECT $1, key, value FROM jsonb_each($5::jsonb)
        ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value
      )
      UPDATE ${n.sessions} SET version = $3, event_count = $2, updated_at = $6 WHERE pk = $1`,
    superseded: `SELECT s.pk, (SELECT coalesce(json_agg(x ORDER BY x.superseded_by, x.seq), '[]') FROM (
        SELECT ${EVENT_COLUMNS}, superseded_at, superseded_by FROM ${n.superseded}
         WHERE session_pk = s.pk AND (superseded_by, seq) > ($5::integer, $6::integer) ORDER BY superseded_by, seq LIMIT $7) x) AS events
      FROM ${n.sessions} s WHERE ${KEY}`,
    stateHistory: `SELECT s.pk, (SELECT coalesce(json_agg(json_build_object('at_seq', c.at_seq, 'change', c.change) ORDER BY c.ordinal), '[]')
        FROM ${n.stateChanges} c WHERE c.session_pk = s.pk) AS changes
      FROM ${n.sessions} s WHERE ${KEY}`,

    stats: `
      SELECT count(*)::integer AS sessions,
             count(*) FILTER (WHERE status = 'active')::integer AS active,
             count(*) FILTER (WHERE status = 'archived')::integer AS archived,
             count(*) FILTER (WHERE status = 'expired')::integer AS expired,
             coalesce(sum(event_count), 0)::double precision AS events,
             ((SELECT count(*) FROM ${n.appState} WHERE $1::text IS NULL OR tenant = $1)
              + (SELECT count(*) FROM ${n.userState} WHERE $1::text IS NULL OR tenant = $1)
              + (SELECT count(*) FROM ${n.sessionState} x JOIN ${n.sessions} t ON t.pk = x.session_pk WHERE $1::text IS NULL OR t.tenant = $1)
             )::integer AS state_keys,
             (SELECT count(*) FROM ${n.files} WHERE $1::text IS NULL OR tenant = $1)::integer AS files,
             CASE WHEN $1::text IS NULL THEN
               (SELECT sum(pg_total_relation_size(c))::double precision FROM unnest(ARRAY[
                 '${n.sessions}', '${n.events}', '${n.appState}', '${n.userState}', '${n.sessionState}', '${n.files}',
                 '${n.stateChanges}', '${n.superseded}']::regclass[]) c)
             ELSE
               (SELECT coalesce(sum(pg_column_size(e.*)), 0)::double precision FROM ${n.events} e JOIN ${n.sessions} t ON t.pk = e.session_pk WHERE t.tenant = $1)
             END AS bytes
        FROM ${n.sessions} WHERE $1::text IS NULL OR tenant = $1`,
  };
}

export type PgStatements = ReturnType<typeof pgStatements>;

/** The SQL of one listing shape, walking the index whose columns are the listing order. */
export function pgListSessionsSql(
  n: PgNames,
  shape: { scope: 'tenant' | 'app' | 'user'; status: boolean; after: boolean; order: 'asc' | 'desc' },
): string {
  const where = ['s.tenant = $1'];
  let p = 1;
  let orderColumns: string[];
  if (shape.scope === 'user') {
    where.push(`s.app_name = $${++p}`, `s.user_id = $${++p}`);
    orderColumns = ['s.updated_at', 's.id'];
  } else if (shape.scope === 'app') {
    where.push(`s.app_name = $${++p}`);
    orderColumns = ['s.updated_at', 's.id', 's.user_id'];
  } else {
    orderColumns = ['s.updated_at', 's.id', 's.app_name', 's.user_id'];
  }
  if (shape.status) where.push(`s.status = $${++p}`);
  if (shape.after) {
    const cmp = shape.order === 'asc' ? '>' : '<';
    where.push(`(${orderColumns.join(', ')}) ${cmp} (${orderColumns.map(() => `$${++p}`).join(', ')})`);
  }
  const dir = shape.order === 'asc' ? 'ASC' : 'DESC';
  const orderBy = `ORDER BY ${orderColumns.map((c) => `${c} ${dir}`).join(', ')}`;
  // The page is chosen first and its state attached after, so that an OFFSET skips bare rows:
  // state subqueries in the same SELECT would run for every skipped row too.
  return (
    `SELECT ${SESSION_COLUMNS}, ${stateColumns(n)} FROM ` +
    `(SELECT * FROM ${n.sessions} s WHERE ${where.join(' AND ')} ${orderBy} LIMIT $${++p} OFFSET $${++p}) s ${orderBy}`
  );
}

/** The SQL counting the sessions of one listing shape. */
export function pgCountSessionsSql(n: PgNames, shape: { app: boolean; user: boolean; status: boolean }): string {
  const where = ['tenant = $1'];
  let p = 1;
  if (shape.app) where.push(`app_name = $${++p}`);
  if (shape.user) where.push(`user_id = $${++p}`);
  if (shape.status) where.push(`status = $${++p}`);
  return `SELECT count(*)::integer AS count FROM ${n.sessions} WHERE ${where.join(' AND ')}`;
}

export function pgListFilesSql(n: PgNames, shape: { app: boolean; user: boolean; session: boolean; after: boolean }): string {
  const where = ['tenant = $1'];
  let p = 1;
  if (shape.app) where.push(`app_name = $${++p}`);
  if (shape.user) where.push(`user_id = $${++p}`);
  if (shape.session) where.push(`session_id = $${++p}`);
  if (shape.after) where.push(`(uploaded_at, id) < ($${++p}, $${++p})`);
  return `SELECT ${FILE_COLUMNS} FROM ${n.files} WHERE ${where.join(' AND ')} ORDER BY uploaded_at DESC, id DESC LIMIT $${++p}`;
}

import type { Context } from 'hono';
import type { z } from 'zod';
import { SessionDbError, SessionExistsError, SessionNotFoundError, TooLargeError, ValidationError } from '../core/errors.js';
import type { SessionStore } from '../core/store.js';
import type { EventRole, JsonObject, NewEvent, ReadOptions, SessionKey, SessionSnapshot, SessionStatus } from '../core/types.js';
import { forkSession } from '../transfer/fork.js';
import { exportSession, importWithSharedState, type ExportFormat } from '../transfer/session-export.js';
import type { Caller } from './auth.js';
import * as ex from './api-examples.js';
import type { BodyExample } from './api-examples.js';
import * as r from './response-schemas.js';
import * as s from './schemas.js';

/** Per-request values the middleware sets. */
export type Env = {
  Variables: {
    caller: Caller;
    requestId: string;
    route: string;
    /** What went wrong, for the request's log line only. */
    detail?: string;
    /** The error code and message an error response carried, for the request's events. */
    failure?: { code: string; message: string };
  };
};

/** A validated request: its query and (for routes with a body schema) its body. */
type Handler = (c: Context<Env>, input: { query: Record<string, unknown>; body: unknown }) => Promise<Response> | Response;

/** The groups of the API reference, in the order it shows them. */
export type ApiTag = 'sessions' | 'events' | 'state' | 'search and history' | 'files' | 'admin' | 'health';

/** One route of the API: its handler and what the OpenAPI document says of it. */
export interface RouteDef {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  /** The operation's unique name in the OpenAPI document (client generators name methods after it). */
  operationId: string;
  tag: ApiTag;
  /** One short line. */
  summary: string;
  /** What the route does, in full (Markdown). */
  description: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Picks the part of `body` a request means, when `body` is a union. */
  bodyBranch?: (raw: unknown) => z.ZodType;
  /** Named examples of the body, each valid against `body`. */
  bodyExamples?: Record<string, BodyExample>;
  /** The statuses the route answers besides those every route may (401, 403, 429, …), each with what it means. */
  responses: Record<number, string>;
  /**
   * What the success status carries: a schema of `response-schemas.ts` (JSON),
   * or one per content type. Absent when it has no body (204).
   */
  returns?: z.ZodType | Record<string, z.ZodType>;
  /** Answers `ETag: "<version>"`, the session's version. */
  etag?: boolean;
  /** Takes `If-Match: "<version>"`: the write happens only at that version (else 412). */
  ifMatch?: boolean;
  /** Only admin keys (or a keyless server) may call it. */
  admin?: boolean;
  /** Outside `/v1` and not authenticated (health, readiness). */
  open?: boolean;
  handler: Handler;
}

export interface RouteContext {
  store: SessionStore;
  clock: { now(): number };
  info?: { expiryHours?: number | null; autoSave?: boolean; storagePath?: string };
}

const SESSIONS = '/v1/apps/:app/users/:user/sessions';
const SESSION = `${SESSIONS}/:session`;

const tenantOf = (c: Context<Env>) => c.get('caller').tenant;
const param = (c: Context<Env>, name: string) => c.req.param(name)!;
const sessionKey = (c: Context<Env>): SessionKey => ({ tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user'), sessionId: param(c, 'session') });

/** `If-Match: "3"` (or `W/"3"`, or `3`): the version a conditional write expects. */
function ifMatch(c: Context<Env>): number | undefined {
  const raw = c.req.header('if-match');
  if (raw === undefined) return undefined;
  const v = Number(raw.replace(/^W\//, '').replace(/"/g, ''));
  if (raw.trim() === '' || !Number.isSafeInteger(v) || v < 0) throw new ValidationError('If-Match', `must be a session version such as "3", got ${JSON.stringify(raw)}`);
  return v;
}

/** The version a rewind expects: its body's `expectVersion` or `If-Match` (both: they must agree). */
function expectedVersion(c: Context<Env>, fromBody: number | undefined): number | undefined {
  const header = ifMatch(c);
  if (header !== undefined && fromBody !== undefined && header !== fromBody) {
    throw new ValidationError('body.expectVersion', `is ${fromBody} but If-Match names version ${header}`, 'Send one of them.');
  }
  return fromBody ?? header;
}

function withVersion(c: Context<Env>, version: number): void {
  c.header('ETag', `"${version}"`);
}

const fileNotFound = (id: string) => new SessionDbError('not_found', `No file record "${id}".`, { id });

/** Every route of the API, in the order they are matched. */
export function buildRoutes({ store, clock, info }: RouteContext): RouteDef[] {
  const expiry = (ttlSeconds: number | null | undefined, expiresAt: number | null | undefined) =>
    expiresAt !== undefined ? expiresAt : ttlSeconds === undefined ? undefined : ttlSeconds === null ? null : clock.now() + ttlSeconds * 1000;

  return [
    {
      method: 'get', path: '/healthz', operationId: 'getHealth', tag: 'health', summary: 'The process is alive', open: true,
      description: 'Answers 200 while the process runs, without touching the database. No key needed: point a liveness probe here.',
      responses: { 200: 'alive' }, returns: r.healthStatus,
      handler: (c) => c.json({ status: 'ok' }),
    },
    {
      method: 'get', path: '/readyz', operationId: 'getReadiness', tag: 'health', summary: 'The database answers', open: true,
      description: 'Asks the database for its schema version: 200 when it answers, 503 (with `Retry-After`) when it is busy or unreachable. No key needed: point a readiness probe here.',
      responses: { 200: 'ready', 503: 'the database is unreachable' }, returns: r.readyStatus,
      handler: async (c) => {
        await store.migrationStatus();
        return c.json({ status: 'ready', store: store.kind });
      },
    },
    {
      method: 'get', path: '/v1/info', operationId: 'getInfo', tag: 'health', summary: 'The store, its limits, and who the caller acts as',
      description: "The store's kind, its input limits (over one a request is refused and nothing changes), its schema version and pending migrations, the tenant the caller acts for and whether it is an admin. `HttpStore` reads it to adopt the server's limits.",
      responses: { 200: '{ store, limits, schema, tenant, admin }' }, returns: r.apiInfo,
      handler: async (c) =>
        c.json({ store: store.kind, limits: store.limits, schema: await store.migrationStatus(), tenant: tenantOf(c), admin: c.get('caller').admin }),
    },
    {
      method: 'post', path: SESSIONS, operationId: 'createSession', tag: 'sessions', summary: 'Create a session',
      description:
        'Creates a session for the user of the app. `state` may mix scopes: `app:` keys go to the app, `user:` keys to the user, `temp:` keys are dropped, the rest is the session\'s own. ' +
        'Give `ttlSeconds` or `expiresAt` for an expiry (not both). Answers the session with its merged state and `ETag: "1"`.',
      body: s.createSessionBody, bodyExamples: ex.createSession,
      responses: { 201: 'the session', 409: 'the id exists (`exists`)', 503: 'capacity: `maxActiveSessions` reached (`capacity`, with `Retry-After`)' }, returns: r.session, etag: true,
      handler: async (c, { body }) => {
        const b = body as z.infer<typeof s.createSessionBody>;
        const session = await store.createSession({
          tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user'), id: b.id, state: b.state, metadata: b.metadata, model: b.model,
          status: b.status, expiresAt: expiry(b.ttlSeconds, b.expiresAt), createdAt: b.createdAt, updatedAt: b.updatedAt,
        });
        withVersion(c, session.version);
        return c.json(session, 201);
      },
    },
    {
      method: 'get', path: SESSIONS, operationId: 'listUserSessions', tag: 'sessions', summary: "A page of a user's sessions",
      description: "The user's sessions in the app, without events, ordered by update time then id (`order`, default `asc`). Page with `cursor` (the previous page's `nextCursor`); `offset` exists for offset-paged callers such as ADK and costs O(offset).",
      query: s.listQuery, responses: { 200: '{ sessions, nextCursor }' }, returns: r.sessionPage,
      handler: async (c, { query }) =>
        c.json(await store.listSessions({ ...(query as z.infer<typeof s.listQuery>), tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user') })),
    },
    {
      method: 'get', path: '/v1/apps/:app/sessions', operationId: 'listAppSessions', tag: 'sessions', summary: "A page of an app's sessions",
      description: "Every user's sessions in the app, without events, ordered by update time then id. Paging as for a user's sessions.",
      query: s.listQuery, responses: { 200: '{ sessions, nextCursor }' }, returns: r.sessionPage,
      handler: async (c, { query }) => c.json(await store.listSessions({ ...(query as z.infer<typeof s.listQuery>), tenant: tenantOf(c), appName: param(c, 'app') })),
    },
    {
      method: 'get', path: '/v1/sessions', operationId: 'listSessions', tag: 'sessions', summary: "A page of the tenant's sessions",
      description: "The sessions of the caller's tenant, without events, optionally of one app (`appName`) or user (`userId`), ordered by update time then id.",
      query: s.tenantListQuery, responses: { 200: '{ sessions, nextCursor }' }, returns: r.sessionPage,
      handler: async (c, { query }) => c.json(await store.listSessions({ ...(query as z.infer<typeof s.tenantListQuery>), tenant: tenantOf(c) })),
    },
    {
      method: 'get', path: '/v1/sessions/count', operationId: 'countSessions', tag: 'sessions', summary: 'How many sessions match the filters',
      description: "Counts the caller's tenant's sessions, optionally of one app, user or status.",
      query: s.countQuery, responses: { 200: '{ count }' }, returns: r.sessionCount,
      handler: async (c, { query }) => c.json({ count: await store.countSessions({ ...(query as z.infer<typeof s.countQuery>), tenant: tenantOf(c) }) }),
    },
    {
      method: 'get', path: SESSION, operationId: 'getSession', tag: 'sessions', summary: 'A session with merged state and its newest events',
      description: 'The session with the merged view of its app, user and own state, and its newest events oldest first (`events`: how many, default 100; `all`; or `none`, the cheapest read). `ETag` is its version: send it back as `If-Match` to make a write conditional.',
      query: s.getSessionQuery, responses: { 200: 'the session (ETag: its version)', 404: 'no such session' }, returns: r.session, etag: true,
      handler: async (c, { query }) => {
        const q = query as z.infer<typeof s.getSessionQuery>;
        const events = q.events ?? 100;
        const options: ReadOptions =
          events === 'none' ? { withEvents: false } : events === 'all' ? { afterTimestamp: q.afterTimestamp } : { lastEvents: events, afterTimestamp: q.afterTimestamp };
        const session = await store.getSession(sessionKey(c), options);
        if (!session) throw new SessionNotFoundError(sessionKey(c));
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'put', path: SESSION, operationId: 'importSession', tag: 'sessions', summary: 'Write a whole session exactly as given (import, copy)',
      description:
        'Writes a session with every field as given: counters, version, times, state, events with their seqs and the state-change log (`history`). ' +
        'Takes `{ session, state, events, history? }` or a JSON export as `GET …/export?format=json` returns it; an export\'s `appState` and `userState` are written after the session, its `superseded` array is accepted and not stored. ' +
        'The ids in the body must match the URL. 409 if the session exists, unless `replace=true`.',
      query: s.importQuery, body: s.snapshotBody, bodyExamples: ex.importSession, responses: { 200: 'the session', 409: 'it exists (pass replace=true)' }, returns: r.session, etag: true,
      handler: async (c, { query, body }) => {
        // `superseded` (an export's audit copy of rewound events) is accepted and not stored: it is no part of the visible history.
        const { appState, userState, format: _format, version: _version, superseded: _superseded, ...snapshot } = body as z.infer<typeof s.snapshotBody> & SessionSnapshot;
        const key = sessionKey(c);
        const tenant = snapshot.session.tenant ?? key.tenant;
        if (tenant !== key.tenant) {
          throw new SessionDbError('forbidden', `The snapshot belongs to tenant "${tenant}", but this request acts for tenant "${key.tenant}".`);
        }
        for (const [field, expected] of [['appName', key.appName], ['userId', key.userId], ['id', key.sessionId]] as const) {
          if (snapshot.session[field] !== expected) {
            throw new ValidationError(`body.session.${field}`, `is ${JSON.stringify(snapshot.session[field])}, but the URL names ${JSON.stringify(expected)}`);
          }
        }
        const session = await importWithSharedState(store, { ...snapshot, session: { ...snapshot.session, tenant }, appState, userState }, { replace: (query as { replace?: boolean }).replace }).catch(
          (err: unknown) => {
            if (err instanceof SessionExistsError) err.message += ' To overwrite it, send the PUT with ?replace=true.';
            throw err;
          },
        );
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'patch', path: SESSION, operationId: 'updateSession', tag: 'sessions', summary: 'Change metadata, model, status, expiry or state',
      description:
        'Changes what the body names and leaves the rest: `metadata` (replaced whole), `model`, `status` (`archived` archives; `active` restores and marks activity now), ' +
        '`ttlSeconds` or `expiresAt` (null: never), `stateDelta` (scoped by prefix as an event\'s), `lastActivityAt`. `If-Match` makes it conditional.',
      body: s.patchSessionBody, bodyExamples: ex.updateSession, responses: { 200: 'the session', 404: 'no such session', 412: 'If-Match did not match' },
      returns: r.session, etag: true, ifMatch: true,
      handler: async (c, { body }) => {
        const b = body as z.infer<typeof s.patchSessionBody>;
        const lastActivityAt = b.lastActivityAt ?? (b.status === 'active' ? clock.now() : undefined);
        const session = await store.updateSession(
          sessionKey(c),
          { metadata: b.metadata, model: b.model, status: b.status, expiresAt: expiry(b.ttlSeconds, b.expiresAt), stateDelta: b.stateDelta, lastActivityAt },
          { expectVersion: ifMatch(c) },
        );
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'delete', path: SESSION, operationId: 'deleteSession', tag: 'sessions', summary: 'Delete a session',
      description: 'Deletes the session, its events, its state-change log, its superseded events and its file records. App and user state stay.',
      responses: { 204: 'deleted', 404: 'no such session' },
      handler: async (c) => {
        if (!(await store.deleteSession(sessionKey(c)))) throw new SessionNotFoundError(sessionKey(c));
        return c.body(null, 204);
      },
    },
    {
      method: 'post', path: `${SESSION}/events`, operationId: 'appendEvents', tag: 'events', summary: 'Append events with their state deltas',
      description:
        'Appends one event, or `{ events: [...] }` atomically: each gets the next seq, and each `stateDelta` is applied with it (`app:` and `user:` keys to their scopes, `temp:` keys dropped). ' +
        'An event whose `id` is already stored is not stored again, so a retried append is safe. Partial (streaming) events are skipped. `If-Match` makes it conditional.',
      body: s.appendBody, bodyBranch: s.appendBodyBranch, bodyExamples: ex.appendEvents,
      responses: { 201: '{ events, version }', 404: 'no such session', 412: 'If-Match did not match' }, returns: r.appendResult, etag: true, ifMatch: true,
      handler: async (c, { body }) => {
        const events = (body as { events?: NewEvent[] }).events ?? [body as NewEvent];
        const result = await store.appendEvents(sessionKey(c), events, { expectVersion: ifMatch(c) });
        withVersion(c, result.version);
        return c.json(result, 201);
      },
    },
    {
      method: 'get', path: `${SESSION}/events`, operationId: 'listEvents', tag: 'events', summary: 'A page of events by seq',
      description: 'Events in seq order: after `afterSeq` ascending, or before `beforeSeq` descending (`order`), `limit` at a time (default 100). Page with `cursor`.',
      query: s.eventsQuery, responses: { 200: '{ events, nextCursor }', 404: 'no such session' }, returns: r.eventPage,
      handler: async (c, { query }) => {
        const page = await store.readEvents(sessionKey(c), query as z.infer<typeof s.eventsQuery>);
        if (!page) throw new SessionNotFoundError(sessionKey(c));
        return c.json(page);
      },
    },
    {
      method: 'post', path: `${SESSION}/activity`, operationId: 'recordActivity', tag: 'sessions', summary: 'Count requests against the session',
      description: 'Counts one request (or `count` of them) and its duration against the session, and marks it active (now, or `at`), so that an idle sweep leaves it alone.',
      body: s.activityBody, bodyExamples: ex.recordActivity, responses: { 200: 'the session', 404: 'no such session' }, returns: r.session, etag: true,
      handler: async (c, { body }) => {
        const session = await store.recordActivity(sessionKey(c), body as z.infer<typeof s.activityBody>);
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'patch', path: `${SESSION}/state`, operationId: 'updateSessionState', tag: 'state', summary: 'Update state without an event',
      description:
        'Applies `{ delta }` to the state the session sees, without an event: keys are routed by prefix (`app:` to the app, `user:` to the user, the rest to the session; `temp:` dropped), and a null value deletes its key. ' +
        'The change enters the session\'s state-change log. `If-Match` makes it conditional. Answers the session with its merged state, without events.',
      body: s.updateKeysBody, bodyExamples: ex.updateSessionState, responses: { 200: 'the session (merged state, no events)', 404: 'no such session', 412: 'If-Match did not match' },
      returns: r.session, etag: true, ifMatch: true,
      handler: async (c, { body }) => {
        const session = await store.updateKeys(sessionKey(c), (body as z.infer<typeof s.updateKeysBody>).delta as JsonObject, { expectVersion: ifMatch(c) });
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'get', path: `${SESSION}/export`, operationId: 'exportSession', tag: 'sessions', summary: 'The session as JSON, Markdown or text',
      description:
        'The whole session for a download: `json` (loss-free: every field, the app and user state it saw, its events and state-change log; `PUT` takes it back), `markdown` or `text` (transcripts). ' +
        '`superseded=true` adds the events rewinds superseded.',
      query: s.exportQuery, responses: { 200: 'the export', 404: 'no such session' },
      returns: { 'application/json': r.sessionExport, 'text/markdown': r.markdownExport, 'text/plain': r.textExport },
      handler: async (c, { query }) => {
        const { format, superseded } = query as { format: ExportFormat; superseded?: boolean };
        const text = await exportSession(store, sessionKey(c), format, { includeSuperseded: superseded === true });
        if (text === null) throw new SessionNotFoundError(sessionKey(c));
        const type = format === 'json' ? 'application/json' : format === 'markdown' ? 'text/markdown' : 'text/plain';
        return c.body(text, 200, { 'content-type': `${type}; charset=utf-8` });
      },
    },
    {
      method: 'post', path: `${SESSION}/fork`, operationId: 'forkSession', tag: 'search and history', summary: 'Fork a session at an event',
      description:
        "A new session holding events 1..`upToSeq` and the session's own state as it was right after `upToSeq` (`metadata.forkedFrom` names the source). The source is not changed. " +
        'Fork into another user of the same app with `userId`.',
      body: s.forkBody, bodyExamples: ex.forkSession,
      responses: { 201: 'the new session (merged state, no events)', 400: 'upToSeq past the last event', 404: 'no such session', 409: 'newSessionId is taken' },
      returns: r.session, etag: true,
      handler: async (c, { body }) => {
        const session = await forkSession(store, sessionKey(c), body as z.infer<typeof s.forkBody>);
        withVersion(c, session.version);
        return c.json(session, 201);
      },
    },
    {
      method: 'post', path: `${SESSION}/rewind`, operationId: 'rewindSession', tag: 'search and history', summary: 'Rewind a session to an event',
      description:
        "Ends the visible history at `toSeq` again: later events become superseded (kept for audit, see …/superseded) and the session's own state is what it was after `toSeq`. " +
        'Conditional with `expectVersion` (409 on a mismatch) or `If-Match` (412).',
      body: s.rewindBody, bodyExamples: ex.rewindSession,
      responses: { 200: '{ session, superseded }', 404: 'no such session', 409: 'expectVersion did not match', 412: 'If-Match did not match' },
      returns: r.rewindResult, etag: true, ifMatch: true,
      handler: async (c, { body }) => {
        const b = body as z.infer<typeof s.rewindBody>;
        const result = await store.rewindSession(sessionKey(c), { toSeq: b.toSeq }, { expectVersion: expectedVersion(c, b.expectVersion) });
        withVersion(c, result.session.version);
        return c.json(result);
      },
    },
    {
      method: 'get', path: `${SESSION}/superseded`, operationId: 'listSupersededEvents', tag: 'search and history', summary: 'The events rewinds superseded',
      description: 'The events rewinds took out of the visible history, by rewind then seq, each with when (`supersededAt`) and by which version (`supersededBy`).',
      query: s.supersededQuery, responses: { 200: '{ events, nextCursor }', 404: 'no such session' }, returns: r.supersededPage,
      handler: async (c, { query }) => {
        const page = await store.readSupersededEvents(sessionKey(c), query as z.infer<typeof s.supersededQuery>);
        if (!page) throw new SessionNotFoundError(sessionKey(c));
        return c.json(page);
      },
    },
    {
      method: 'get', path: `${SESSION}/history`, operationId: 'getStateHistory', tag: 'search and history', summary: "The session's log of state changes",
      description: "The changes to the session's own state that no event carried (its initial state, PATCH stateDelta, PATCH …/state, imports), oldest first: with the events' deltas they give the state after any seq.",
      responses: { 200: '{ changes }', 404: 'no such session' }, returns: r.stateHistory,
      handler: async (c) => {
        const changes = await store.readStateHistory(sessionKey(c));
        if (!changes) throw new SessionNotFoundError(sessionKey(c));
        return c.json({ changes });
      },
    },
    {
      method: 'get', path: '/v1/search', operationId: 'searchEvents', tag: 'search and history', summary: 'Full-text search over events and titles',
      description:
        "Searches the event content and session titles (`metadata.title`) of the caller's tenant, best first, with snippets. `q`: words (all must occur), \"a phrase\", -excluded, prefix*. " +
        'The tenant is the key\'s (or, for an admin key, the one named in `X-Sessiondb-Tenant`), never a parameter. A query that cannot run is 400 `invalid` naming the field.',
      query: s.searchQuery, responses: { 200: '{ hits, nextCursor }', 501: 'search is off: the store encrypts what it stores' }, returns: r.searchPage,
      handler: async (c, { query }) => {
        const { q, role, status, ...filters } = query as z.infer<typeof s.searchQuery>;
        try {
          return c.json(await store.searchEvents({ ...filters, role: role as EventRole | undefined, status: status as SessionStatus | undefined, query: q, tenant: tenantOf(c) }));
        } catch (err) {
          // Every input of a search is in the URL: over a limit, it is a bad request (400), not a body too large (413).
          if (err instanceof TooLargeError) throw new SessionDbError('invalid', err.message, err.details);
          throw err;
        }
      },
    },
    {
      method: 'get', path: '/v1/apps/:app/state', operationId: 'getAppState', tag: 'state', summary: "An app's state (app: keys)",
      description: 'The app-scoped state every session of the app sees.',
      responses: { 200: 'the state' }, returns: r.stateObject,
      handler: async (c) => c.json(await store.getAppState({ tenant: tenantOf(c), appName: param(c, 'app') })),
    },
    {
      method: 'patch', path: '/v1/apps/:app/state', operationId: 'updateAppState', tag: 'state', summary: 'Apply a delta of app: keys',
      description: 'Sets the `app:` keys of the body (null values are stored as null) and answers the whole app state.',
      body: s.stateDeltaBody, bodyExamples: ex.updateAppState, responses: { 200: 'the resulting state' }, returns: r.stateObject,
      handler: async (c, { body }) => c.json(await store.updateAppState({ tenant: tenantOf(c), appName: param(c, 'app') }, body as JsonObject)),
    },
    {
      method: 'get', path: '/v1/apps/:app/users/:user/state', operationId: 'getUserState', tag: 'state', summary: "A user's state (user: keys)",
      description: 'The user-scoped state every session of the user in the app sees.',
      responses: { 200: 'the state' }, returns: r.stateObject,
      handler: async (c) => c.json(await store.getUserState({ tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user') })),
    },
    {
      method: 'patch', path: '/v1/apps/:app/users/:user/state', operationId: 'updateUserState', tag: 'state', summary: 'Apply a delta of user: keys',
      description: 'Sets the `user:` keys of the body (null values are stored as null) and answers the whole user state.',
      body: s.stateDeltaBody, bodyExamples: ex.updateUserState, responses: { 200: 'the resulting state' }, returns: r.stateObject,
      handler: async (c, { body }) =>
        c.json(await store.updateUserState({ tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user') }, body as JsonObject)),
    },
    {
      method: 'get', path: '/v1/stats', operationId: 'getStats', tag: 'sessions', summary: "Totals of the caller's tenant",
      description: "Sessions by status, events, state keys, file records and bytes of the caller's tenant.",
      responses: { 200: 'totals' }, returns: r.storeStats,
      handler: async (c) => c.json({ store: store.kind, ...(await store.stats({ tenant: tenantOf(c) })) }),
    },
    {
      method: 'get', path: '/sessions/storage/stats', operationId: 'getStorageStats', tag: 'sessions', summary: 'Storage statistics, in the older shape',
      description: "The caller's tenant's counts in the shape older deployments read; `file_size_bytes` is the database's size on disk (SQLite: main file plus WAL; PostgreSQL: the store's tables), which every tenant shares.",
      responses: { 200: 'statistics' }, returns: r.legacyStorageStats,
      handler: async (c) => {
        // The tenant's counts; the size is the database's own (main file and WAL, or PostgreSQL's tables), which whole-store totals carry.
        const [totals, whole] = await Promise.all([store.stats({ tenant: tenantOf(c) }), store.stats()]);
        return c.json({
          storage_type: store.kind, storage_path: info?.storagePath ?? null, total_sessions: totals.sessions, active_sessions: totals.activeSessions,
          expiration_hours: info?.expiryHours ?? null, auto_save: info?.autoSave ?? true, file_size_bytes: whole.diskBytes ?? whole.bytes,
        });
      },
    },
    {
      method: 'post', path: '/v1/files', operationId: 'createFile', tag: 'files', summary: 'Create a file record with a generated id',
      description: 'Records a file whose bytes live elsewhere (`uri`). With `appName`, `userId` and `sessionId` (all three) it belongs to that session, which must exist, and is deleted with it.',
      body: s.fileBody, bodyExamples: ex.createFile, responses: { 201: 'the record' }, returns: r.fileRecord,
      handler: async (c, { body }) => c.json(await store.putFile({ ...(body as z.infer<typeof s.fileBody>), tenant: tenantOf(c) }), 201),
    },
    {
      method: 'put', path: '/v1/files/:id', operationId: 'putFile', tag: 'files', summary: 'Create or replace a file record',
      description: 'Writes the record with the id in the path, replacing one that exists.',
      body: s.fileBody, bodyExamples: ex.putFile, responses: { 200: 'the record' }, returns: r.fileRecord,
      handler: async (c, { body }) => c.json(await store.putFile({ ...(body as z.infer<typeof s.fileBody>), tenant: tenantOf(c), id: param(c, 'id') })),
    },
    {
      method: 'get', path: '/v1/files/:id', operationId: 'getFile', tag: 'files', summary: 'A file record',
      description: "A file record of the caller's tenant.",
      responses: { 200: 'the record', 404: 'no such record' }, returns: r.fileRecord,
      handler: async (c) => {
        const file = await store.getFile({ tenant: tenantOf(c), id: param(c, 'id') });
        if (!file) throw fileNotFound(param(c, 'id'));
        return c.json(file);
      },
    },
    {
      method: 'delete', path: '/v1/files/:id', operationId: 'deleteFile', tag: 'files', summary: 'Delete a file record',
      description: 'Deletes the record (not the bytes at its `uri`).',
      responses: { 204: 'deleted', 404: 'no such record' },
      handler: async (c) => {
        if (!(await store.deleteFile({ tenant: tenantOf(c), id: param(c, 'id') }))) throw fileNotFound(param(c, 'id'));
        return c.body(null, 204);
      },
    },
    {
      method: 'get', path: '/v1/files', operationId: 'listFiles', tag: 'files', summary: 'File records, newest first',
      description: "The caller's tenant's file records, newest upload first, optionally of one app, user or session. Page with `cursor`.",
      query: s.filesQuery, responses: { 200: '{ files, nextCursor }' }, returns: r.filePage,
      handler: async (c, { query }) => c.json(await store.listFiles({ ...(query as z.infer<typeof s.filesQuery>), tenant: tenantOf(c) })),
    },
    {
      method: 'get', path: '/v1/admin/scan/sessions', operationId: 'scanSessionKeys', tag: 'admin', summary: 'Every session key of every tenant',
      description: 'Session keys of the whole store, ordered by tenant, app, user and id (bytewise), for dumps, copies and verification. Admin keys only.',
      admin: true, query: s.scanQuery, responses: { 200: '{ keys, nextCursor }' }, returns: r.sessionKeyPage,
      handler: async (c, { query }) => c.json(await store.scanSessionKeys(query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'get', path: '/v1/admin/scan/app-state', operationId: 'scanAppState', tag: 'admin', summary: 'Every app with app state',
      description: 'Every app of every tenant that has app state, with that state. Admin keys only.',
      admin: true, query: s.scanQuery, responses: { 200: '{ items, nextCursor }' }, returns: r.sharedStatePage,
      handler: async (c, { query }) => c.json(await store.scanSharedState('app', query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'get', path: '/v1/admin/scan/user-state', operationId: 'scanUserState', tag: 'admin', summary: 'Every user with user state',
      description: 'Every user of every app and tenant that has user state, with that state. Admin keys only.',
      admin: true, query: s.scanQuery, responses: { 200: '{ items, nextCursor }' }, returns: r.sharedStatePage,
      handler: async (c, { query }) => c.json(await store.scanSharedState('user', query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'get', path: '/v1/admin/scan/files', operationId: 'scanFiles', tag: 'admin', summary: 'Every file record of every tenant',
      description: 'File records of the whole store, for dumps and copies. Admin keys only.',
      admin: true, query: s.scanQuery, responses: { 200: '{ files, nextCursor }' }, returns: r.filePage,
      handler: async (c, { query }) => c.json(await store.scanFiles(query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'post', path: '/v1/admin/sweep', operationId: 'sweepExpired', tag: 'admin', summary: 'Expire sessions and file records past their expiry',
      description:
        'In every tenant: sessions whose `expiresAt` has passed (and, with `idleBefore`, active sessions idle since then) are marked expired (`mark`) or deleted (`delete`); expired file records are deleted. ' +
        '`sessiondb serve` also runs it in the background (hourly by default). Admin keys only.',
      admin: true, body: s.sweepBody, bodyExamples: ex.sweepExpired, responses: { 200: '{ sessions, files }' }, returns: r.sweepResult,
      handler: async (c, { body }) => c.json(await store.sweepExpired(body as z.infer<typeof s.sweepBody>)),
    },
    {
      method: 'get', path: '/v1/admin/stats', operationId: 'getStoreStats', tag: 'admin', summary: 'Totals over the whole store',
      description: "Totals of every tenant together, with the database's size on disk where there is a database file. Admin keys only.",
      admin: true, responses: { 200: 'totals' }, returns: r.storeStats,
      handler: async (c) => c.json({ store: store.kind, ...(await store.stats()) }),
    },
  ];
}

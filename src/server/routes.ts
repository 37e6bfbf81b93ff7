import type { Context } from 'hono';
import type { z } from 'zod';
import { SessionDbError, SessionExistsError, SessionNotFoundError, TooLargeError, ValidationError } from '../core/errors.js';
import type { SessionStore } from '../core/store.js';
import type { EventRole, JsonObject, NewEvent, ReadOptions, SessionKey, SessionSnapshot, SessionStatus } from '../core/types.js';
import { forkSession } from '../transfer/fork.js';
import { exportSession, importWithSharedState, type ExportFormat } from '../transfer/session-export.js';
import type { Caller } from './auth.js';
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

/** One route of the API: its handler and what the OpenAPI document says of it. */
export interface RouteDef {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Picks the part of `body` a request means, when `body` is a union. */
  bodyBranch?: (raw: unknown) => z.ZodType;
  responses: Record<number, string>;
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
      method: 'get', path: '/healthz', summary: 'The process is alive', open: true, responses: { 200: 'alive' },
      handler: (c) => c.json({ status: 'ok' }),
    },
    {
      method: 'get', path: '/readyz', summary: 'The database answers', open: true, responses: { 200: 'ready', 503: 'the database is unreachable' },
      handler: async (c) => {
        await store.migrationStatus();
        return c.json({ status: 'ready', store: store.kind });
      },
    },
    {
      method: 'get', path: '/v1/info', summary: 'The store behind the API: kind, input limits, schema version, and who the caller acts as',
      responses: { 200: '{ store, limits, schema, tenant, admin }' },
      handler: async (c) =>
        c.json({ store: store.kind, limits: store.limits, schema: await store.migrationStatus(), tenant: tenantOf(c), admin: c.get('caller').admin }),
    },
    {
      method: 'post', path: SESSIONS, summary: 'Create a session', body: s.createSessionBody,
      responses: { 201: 'the session', 409: 'the id exists', 503: 'capacity: maxActiveSessions reached (Retry-After)' },
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
      method: 'get', path: SESSIONS, summary: "A page of a user's sessions, by update time", query: s.listQuery, responses: { 200: '{ sessions, nextCursor }' },
      handler: async (c, { query }) =>
        c.json(await store.listSessions({ ...(query as z.infer<typeof s.listQuery>), tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user') })),
    },
    {
      method: 'get', path: '/v1/apps/:app/sessions', summary: "A page of an app's sessions", query: s.listQuery, responses: { 200: '{ sessions, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.listSessions({ ...(query as z.infer<typeof s.listQuery>), tenant: tenantOf(c), appName: param(c, 'app') })),
    },
    {
      method: 'get', path: '/v1/sessions', summary: "A page of the tenant's sessions, optionally of one app or user", query: s.tenantListQuery,
      responses: { 200: '{ sessions, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.listSessions({ ...(query as z.infer<typeof s.tenantListQuery>), tenant: tenantOf(c) })),
    },
    {
      method: 'get', path: '/v1/sessions/count', summary: 'How many sessions match the filters', query: s.countQuery, responses: { 200: '{ count }' },
      handler: async (c, { query }) => c.json({ count: await store.countSessions({ ...(query as z.infer<typeof s.countQuery>), tenant: tenantOf(c) }) }),
    },
    {
      method: 'get', path: SESSION, summary: 'A session with merged state and its newest events', query: s.getSessionQuery,
      responses: { 200: 'the session (ETag: its version)', 404: 'no such session' },
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
      method: 'put', path: SESSION, summary: 'Write a whole session exactly as given (an import or a copy): counters, version, times, state and events',
      query: s.importQuery, body: s.snapshotBody, responses: { 200: 'the session', 409: 'it exists (pass replace=true)' },
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
      method: 'patch', path: SESSION, summary: 'Change metadata, model, status (archive, restore), expiry or session state', body: s.patchSessionBody,
      responses: { 200: 'the session', 404: 'no such session', 412: 'If-Match did not match' },
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
      method: 'delete', path: SESSION, summary: 'Delete a session, its events and its file records', responses: { 204: 'deleted', 404: 'no such session' },
      handler: async (c) => {
        if (!(await store.deleteSession(sessionKey(c)))) throw new SessionNotFoundError(sessionKey(c));
        return c.body(null, 204);
      },
    },
    {
      method: 'post', path: `${SESSION}/events`, summary: 'Append one event, or { events: [...] }, atomically with their state deltas; ids already stored are not stored again',
      body: s.appendBody, bodyBranch: s.appendBodyBranch, responses: { 201: '{ events, version }', 404: 'no such session', 412: 'If-Match did not match' },
      handler: async (c, { body }) => {
        const events = (body as { events?: NewEvent[] }).events ?? [body as NewEvent];
        const result = await store.appendEvents(sessionKey(c), events, { expectVersion: ifMatch(c) });
        withVersion(c, result.version);
        return c.json(result, 201);
      },
    },
    {
      method: 'get', path: `${SESSION}/events`, summary: 'A page of events by seq', query: s.eventsQuery, responses: { 200: '{ events, nextCursor }', 404: 'no such session' },
      handler: async (c, { query }) => {
        const page = await store.readEvents(sessionKey(c), query as z.infer<typeof s.eventsQuery>);
        if (!page) throw new SessionNotFoundError(sessionKey(c));
        return c.json(page);
      },
    },
    {
      method: 'post', path: `${SESSION}/activity`, summary: 'Count one request (or `count` of them) against the session and mark it active now',
      body: s.activityBody, responses: { 200: 'the session', 404: 'no such session' },
      handler: async (c, { body }) => {
        const session = await store.recordActivity(sessionKey(c), body as z.infer<typeof s.activityBody>);
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'patch', path: `${SESSION}/state`, summary: 'Update state without an event: { delta }, keys routed by prefix to app, user and session; null deletes a key',
      body: s.updateKeysBody, responses: { 200: 'the session (merged state, no events)', 404: 'no such session', 412: 'If-Match did not match' },
      handler: async (c, { body }) => {
        const session = await store.updateKeys(sessionKey(c), (body as z.infer<typeof s.updateKeysBody>).delta as JsonObject, { expectVersion: ifMatch(c) });
        withVersion(c, session.version);
        return c.json(session);
      },
    },
    {
      method: 'get', path: `${SESSION}/export`, summary: 'The session as JSON, Markdown or text (superseded=true: with the events rewinds superseded)', query: s.exportQuery, responses: { 200: 'the export', 404: 'no such session' },
      handler: async (c, { query }) => {
        const { format, superseded } = query as { format: ExportFormat; superseded?: boolean };
        const text = await exportSession(store, sessionKey(c), format, { includeSuperseded: superseded === true });
        if (text === null) throw new SessionNotFoundError(sessionKey(c));
        const type = format === 'json' ? 'application/json' : format === 'markdown' ? 'text/markdown' : 'text/plain';
        return c.body(text, 200, { 'content-type': `${type}; charset=utf-8` });
      },
    },
    {
      method: 'post', path: `${SESSION}/fork`,
      summary: 'A new session holding events 1..upToSeq and the session\'s own state as it was right after upToSeq (metadata.forkedFrom names the source); the source is not changed',
      body: s.forkBody, responses: { 201: 'the new session (merged state, no events)', 400: 'upToSeq past the last event', 404: 'no such session', 409: 'newSessionId is taken' },
      handler: async (c, { body }) => {
        const session = await forkSession(store, sessionKey(c), body as z.infer<typeof s.forkBody>);
        withVersion(c, session.version);
        return c.json(session, 201);
      },
    },
    {
      method: 'post', path: `${SESSION}/rewind`,
      summary: 'End the visible history at toSeq again: later events become superseded (kept, see …/superseded) and the session\'s own state is what it was after toSeq',
      body: s.rewindBody, responses: { 200: '{ session, superseded }', 404: 'no such session', 409: 'expectVersion did not match', 412: 'If-Match did not match' },
      handler: async (c, { body }) => {
        const b = body as z.infer<typeof s.rewindBody>;
        const result = await store.rewindSession(sessionKey(c), { toSeq: b.toSeq }, { expectVersion: expectedVersion(c, b.expectVersion) });
        withVersion(c, result.session.version);
        return c.json(result);
      },
    },
    {
      method: 'get', path: `${SESSION}/superseded`, summary: 'The events rewinds superseded, by rewind then seq', query: s.supersededQuery,
      responses: { 200: '{ events, nextCursor }', 404: 'no such session' },
      handler: async (c, { query }) => {
        const page = await store.readSupersededEvents(sessionKey(c), query as z.infer<typeof s.supersededQuery>);
        if (!page) throw new SessionNotFoundError(sessionKey(c));
        return c.json(page);
      },
    },
    {
      method: 'get', path: `${SESSION}/history`, summary: "The session's log of state changes no event carried, oldest first", responses: { 200: '{ changes }', 404: 'no such session' },
      handler: async (c) => {
        const changes = await store.readStateHistory(sessionKey(c));
        if (!changes) throw new SessionNotFoundError(sessionKey(c));
        return c.json({ changes });
      },
    },
    {
      method: 'get', path: '/v1/search', summary: "Full-text search over the event content and session titles of the caller's tenant, best first", query: s.searchQuery,
      responses: { 200: '{ hits, nextCursor }' },
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
      method: 'get', path: '/v1/apps/:app/state', summary: 'The app-scoped state (app: keys) of an app', responses: { 200: 'the state' },
      handler: async (c) => c.json(await store.getAppState({ tenant: tenantOf(c), appName: param(c, 'app') })),
    },
    {
      method: 'patch', path: '/v1/apps/:app/state', summary: 'Apply a delta of app: keys', body: s.stateDeltaBody, responses: { 200: 'the resulting state' },
      handler: async (c, { body }) => c.json(await store.updateAppState({ tenant: tenantOf(c), appName: param(c, 'app') }, body as JsonObject)),
    },
    {
      method: 'get', path: '/v1/apps/:app/users/:user/state', summary: 'The user-scoped state (user: keys) of a user of an app', responses: { 200: 'the state' },
      handler: async (c) => c.json(await store.getUserState({ tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user') })),
    },
    {
      method: 'patch', path: '/v1/apps/:app/users/:user/state', summary: 'Apply a delta of user: keys', body: s.stateDeltaBody, responses: { 200: 'the resulting state' },
      handler: async (c, { body }) =>
        c.json(await store.updateUserState({ tenant: tenantOf(c), appName: param(c, 'app'), userId: param(c, 'user') }, body as JsonObject)),
    },
    {
      method: 'get', path: '/v1/stats', summary: "Totals of the caller's tenant", responses: { 200: 'totals' },
      handler: async (c) => c.json({ store: store.kind, ...(await store.stats({ tenant: tenantOf(c) })) }),
    },
    {
      method: 'get', path: '/sessions/storage/stats', summary: "Storage statistics of the caller's tenant, in the shape older deployments read", responses: { 200: 'statistics' },
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
      method: 'post', path: '/v1/files', summary: 'Create a file record with a generated id', body: s.fileBody, responses: { 201: 'the record' },
      handler: async (c, { body }) => c.json(await store.putFile({ ...(body as z.infer<typeof s.fileBody>), tenant: tenantOf(c) }), 201),
    },
    {
      method: 'put', path: '/v1/files/:id', summary: 'Create or replace a file record', body: s.fileBody, responses: { 200: 'the record' },
      handler: async (c, { body }) => c.json(await store.putFile({ ...(body as z.infer<typeof s.fileBody>), tenant: tenantOf(c), id: param(c, 'id') })),
    },
    {
      method: 'get', path: '/v1/files/:id', summary: 'A file record', responses: { 200: 'the record', 404: 'no such record' },
      handler: async (c) => {
        const file = await store.getFile({ tenant: tenantOf(c), id: param(c, 'id') });
        if (!file) throw fileNotFound(param(c, 'id'));
        return c.json(file);
      },
    },
    {
      method: 'delete', path: '/v1/files/:id', summary: 'Delete a file record', responses: { 204: 'deleted', 404: 'no such record' },
      handler: async (c) => {
        if (!(await store.deleteFile({ tenant: tenantOf(c), id: param(c, 'id') }))) throw fileNotFound(param(c, 'id'));
        return c.body(null, 204);
      },
    },
    {
      method: 'get', path: '/v1/files', summary: 'File records, newest first', query: s.filesQuery, responses: { 200: '{ files, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.listFiles({ ...(query as z.infer<typeof s.filesQuery>), tenant: tenantOf(c) })),
    },
    {
      method: 'get', path: '/v1/admin/scan/sessions', summary: 'Every session key of every tenant (admin)', admin: true, query: s.scanQuery,
      responses: { 200: '{ keys, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.scanSessionKeys(query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'get', path: '/v1/admin/scan/app-state', summary: 'Every app with app state, with that state (admin)', admin: true, query: s.scanQuery,
      responses: { 200: '{ items, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.scanSharedState('app', query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'get', path: '/v1/admin/scan/user-state', summary: 'Every user with user state, with that state (admin)', admin: true, query: s.scanQuery,
      responses: { 200: '{ items, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.scanSharedState('user', query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'get', path: '/v1/admin/scan/files', summary: 'Every file record of every tenant (admin)', admin: true, query: s.scanQuery,
      responses: { 200: '{ files, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.scanFiles(query as z.infer<typeof s.scanQuery>)),
    },
    {
      method: 'post', path: '/v1/admin/sweep', summary: 'Expire sessions and delete file records past their expiry, in every tenant (admin)', admin: true,
      body: s.sweepBody, responses: { 200: '{ sessions, files }' },
      handler: async (c, { body }) => c.json(await store.sweepExpired(body as z.infer<typeof s.sweepBody>)),
    },
    {
      method: 'get', path: '/v1/admin/stats', summary: 'Totals over the whole store (admin)', admin: true, responses: { 200: 'totals' },
      handler: async (c) => c.json({ store: store.kind, ...(await store.stats()) }),
    },
  ];
}

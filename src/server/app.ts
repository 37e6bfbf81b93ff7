import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { httpStatusOf, SessionDbError, SessionNotFoundError, ValidationError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { SessionStore } from '../core/store.js';
import type { NewEvent, SessionKey, SessionStatus } from '../core/types.js';
import { exportSession, type ExportFormat } from '../transfer/session-export.js';
import {
  appendBody,
  createSessionBody,
  eventsQuery,
  exportQuery,
  fileBody,
  filesQuery,
  getSessionQuery,
  listQuery,
  patchSessionBody,
} from './schemas.js';

/** An API key and the tenant it is bound to. Give the key itself, or (better, in config files) its sha-256 in hex. */
export interface ApiKey {
  tenant: string;
  name?: string;
  key?: string;
  sha256?: string;
}

/** The minimal structured logger the server writes to (pino fits). */
export interface RequestLogger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface AppOptions {
  store: SessionStore;
  /** With keys, every /v1 request needs one, and sees only its key's tenant. Without, the tenant is "default". */
  apiKeys?: ApiKey[];
  /** Request bodies above this are refused with 413. Default 2 MiB. */
  bodyLimitBytes?: number;
  /** Allowed CORS origins; CORS is off when absent. */
  corsOrigins?: string[];
  logger?: RequestLogger;
  /** For `/sessions/storage/stats`: what the deployment was configured with. */
  info?: { expiryHours?: number | null; autoSave?: boolean; storagePath?: string };
  clock?: { now(): number };
}

type Env = { Variables: { tenant: string; requestId: string } };
type Handler = (c: Context<Env>, input: { query: Record<string, unknown>; body: unknown }) => Promise<Response> | Response;

interface RouteDef {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, string>;
  handler: Handler;
}

const SESSIONS = '/v1/apps/:app/users/:user/sessions';
const SESSION = `${SESSIONS}/:session`;

/**
 * The HTTP API over a store, as a Hono app: mount `app.fetch` in any server
 * that speaks web-standard Request/Response, or run it with `sessiondb serve`.
 */
export function createApp(options: AppOptions): Hono<Env> {
  const store = options.store;
  const clock = options.clock ?? { now: () => Date.now() };
  const keys = (options.apiKeys ?? []).map((k) => ({ tenant: k.tenant, name: k.name ?? k.tenant, hash: Buffer.from(k.sha256 ?? sha256(k.key ?? ''), 'hex') }));
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const id = c.req.header('x-request-id')?.slice(0, 128) || randomUUID();
    c.set('requestId', id);
    c.header('x-request-id', id);
    const t0 = performance.now();
    await next();
    options.logger?.info(
      { requestId: id, method: c.req.method, path: new URL(c.req.url).pathname, status: c.res.status, ms: Math.round((performance.now() - t0) * 10) / 10, tenant: c.get('tenant') },
      'request',
    );
  });
  if (options.corsOrigins?.length) app.use('*', cors({ origin: options.corsOrigins, exposeHeaders: ['ETag', 'x-request-id'] }));
  app.use(
    '*',
    bodyLimit({
      maxSize: options.bodyLimitBytes ?? 2 * 1024 * 1024,
      onError: (c) => fail(c, 413, 'too_large', `The request body is over the limit of ${options.bodyLimitBytes ?? 2 * 1024 * 1024} bytes.`),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    if (!keys.length) {
      c.set('tenant', 'default');
      return next();
    }
    const given = c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? c.req.header('x-api-key');
    if (!given) return fail(c, 401, 'unauthorized', 'An API key is required: send "Authorization: Bearer <key>".');
    const hash = Buffer.from(sha256(given), 'hex');
    const match = keys.find((k) => k.hash.length === hash.length && timingSafeEqual(k.hash, hash));
    if (!match) return fail(c, 401, 'unauthorized', 'The API key is not valid.');
    c.set('tenant', match.tenant);
    return next();
  });

  const key = (c: Context<Env>): SessionKey => ({
    tenant: c.get('tenant'),
    appName: c.req.param('app')!,
    userId: c.req.param('user')!,
    sessionId: c.req.param('session')!,
  });
  const ifMatch = (c: Context<Env>): number | undefined => {
    const raw = c.req.header('if-match');
    if (raw === undefined) return undefined;
    const v = Number(raw.replace(/^W\//, '').replace(/"/g, ''));
    if (!Number.isSafeInteger(v) || v < 0) throw new ValidationError('If-Match', `must be a session version such as "3", got ${JSON.stringify(raw)}`);
    return v;
  };
  const expiry = (ttlSeconds: number | null | undefined) => (ttlSeconds === undefined ? undefined : ttlSeconds === null ? null : clock.now() + ttlSeconds * 1000);

  const routes: RouteDef[] = [
    {
      method: 'get', path: '/healthz', summary: 'The process is alive', responses: { 200: 'alive' },
      handler: (c) => c.json({ status: 'ok' }),
    },
    {
      method: 'get', path: '/readyz', summary: 'The database answers', responses: { 200: 'ready', 503: 'the database is unreachable' },
      handler: async (c) => {
        await store.migrationStatus();
        return c.json({ status: 'ready', store: store.kind });
      },
    },
    {
      method: 'post', path: SESSIONS, summary: 'Create a session', body: createSessionBody, responses: { 201: 'the session', 409: 'the id exists' },
      handler: async (c, { body }) => {
        const b = body as z.infer<typeof createSessionBody>;
        const s = await store.createSession({
          tenant: c.get('tenant'), appName: c.req.param('app')!, userId: c.req.param('user')!, id: b.id, state: b.state,
          metadata: b.metadata, model: b.model, expiresAt: expiry(b.ttlSeconds),
        });
        c.header('ETag', `"${s.version}"`);
        return c.json(s, 201);
      },
    },
    {
      method: 'get', path: SESSIONS, summary: "List a user's sessions", query: listQuery, responses: { 200: '{ sessions, nextCursor }' },
      handler: async (c, { query }) => {
        const q = query as z.infer<typeof listQuery>;
        return c.json(await store.listSessions({ tenant: c.get('tenant'), appName: c.req.param('app')!, userId: c.req.param('user')!, ...q, status: q.status as SessionStatus | undefined }));
      },
    },
    {
      method: 'get', path: '/v1/apps/:app/sessions', summary: "List an app's sessions", query: listQuery, responses: { 200: '{ sessions, nextCursor }' },
      handler: async (c, { query }) => {
        const q = query as z.infer<typeof listQuery>;
        return c.json(await store.listSessions({ tenant: c.get('tenant'), appName: c.req.param('app')!, ...q, status: q.status as SessionStatus | undefined }));
      },
    },
    {
      method: 'get', path: SESSION, summary: 'A session with merged state and its newest events', query: getSessionQuery,
      responses: { 200: 'the session (ETag: its version)', 404: 'no such session' },
      handler: async (c, { query }) => {
        const q = query as z.infer<typeof getSessionQuery>;
        const s = await store.getSession(key(c), { lastEvents: q.events ?? 100, afterTimestamp: q.afterTimestamp });
        if (!s) throw new SessionNotFoundError(key(c));
        c.header('ETag', `"${s.version}"`);
        return c.json(s);
      },
    },
    {
      method: 'patch', path: SESSION, summary: 'Change metadata, model, status (archive/restore) or expiry', body: patchSessionBody,
      responses: { 200: 'the session', 404: 'no such session', 412: 'If-Match did not match' },
      handler: async (c, { body }) => {
        const b = body as z.infer<typeof patchSessionBody>;
        const s = await store.updateSession(
          key(c),
          { metadata: b.metadata, model: b.model, status: b.status, expiresAt: expiry(b.ttlSeconds), stateDelta: b.stateDelta,
            ...(b.status === 'active' ? { lastActivityAt: clock.now() } : {}) },
          { expectVersion: ifMatch(c) },
        );
        c.header('ETag', `"${s.version}"`);
        return c.json(s);
      },
    },
    {
      method: 'delete', path: SESSION, summary: 'Delete a session, its events and its file records', responses: { 204: 'deleted', 404: 'no such session' },
      handler: async (c) => {
        if (!(await store.deleteSession(key(c)))) throw new SessionNotFoundError(key(c));
        return c.body(null, 204);
      },
    },
    {
      method: 'post', path: `${SESSION}/events`, summary: 'Append one event, or { events: [...] }, atomically with their state deltas',
      body: appendBody, responses: { 201: '{ events, version }', 404: 'no such session', 412: 'If-Match did not match' },
      handler: async (c, { body }) => {
        const events = (body as { events?: NewEvent[] }).events ?? [body as NewEvent];
        const r = await store.appendEvents(key(c), events, { expectVersion: ifMatch(c) });
        c.header('ETag', `"${r.version}"`);
        return c.json(r, 201);
      },
    },
    {
      method: 'get', path: `${SESSION}/events`, summary: 'A page of events by seq', query: eventsQuery, responses: { 200: '{ events, nextCursor }', 404: 'no such session' },
      handler: async (c, { query }) => {
        const page = await store.readEvents(key(c), query as z.infer<typeof eventsQuery>);
        if (!page) throw new SessionNotFoundError(key(c));
        return c.json(page);
      },
    },
    {
      method: 'get', path: `${SESSION}/export`, summary: 'The session as JSON, Markdown or text', query: exportQuery, responses: { 200: 'the export', 404: 'no such session' },
      handler: async (c, { query }) => {
        const format = (query as { format: ExportFormat }).format;
        const text = await exportSession(store, key(c), format);
        if (text === null) throw new SessionNotFoundError(key(c));
        const type = format === 'json' ? 'application/json' : format === 'markdown' ? 'text/markdown' : 'text/plain';
        return c.body(text, 200, { 'content-type': `${type}; charset=utf-8` });
      },
    },
    {
      method: 'get', path: '/v1/stats', summary: "Totals of the caller's tenant", responses: { 200: 'totals' },
      handler: async (c) => c.json({ store: store.kind, ...(await store.stats({ tenant: c.get('tenant') })) }),
    },
    {
      method: 'get', path: '/sessions/storage/stats', summary: 'Storage statistics in the shape older deployments read', responses: { 200: 'statistics' },
      handler: async (c) => {
        const s = await store.stats(keys.length ? { tenant: 'default' } : {});
        return c.json({
          storage_type: store.kind, storage_path: options.info?.storagePath ?? null, total_sessions: s.sessions, active_sessions: s.activeSessions,
          expiration_hours: options.info?.expiryHours ?? null, auto_save: options.info?.autoSave ?? true, file_size_bytes: s.bytes,
        });
      },
    },
    {
      method: 'put', path: '/v1/files/:id', summary: 'Create or replace a file record', body: fileBody, responses: { 200: 'the record' },
      handler: async (c, { body }) => c.json(await store.putFile({ ...(body as z.infer<typeof fileBody>), tenant: c.get('tenant'), id: c.req.param('id')! })),
    },
    {
      method: 'get', path: '/v1/files/:id', summary: 'A file record', responses: { 200: 'the record', 404: 'no such record' },
      handler: async (c) => {
        const f = await store.getFile({ tenant: c.get('tenant'), id: c.req.param('id')! });
        if (!f) throw new SessionDbError('not_found', `No file record "${c.req.param('id')}".`);
        return c.json(f);
      },
    },
    {
      method: 'delete', path: '/v1/files/:id', summary: 'Delete a file record', responses: { 204: 'deleted', 404: 'no such record' },
      handler: async (c) => {
        if (!(await store.deleteFile({ tenant: c.get('tenant'), id: c.req.param('id')! }))) throw new SessionDbError('not_found', `No file record "${c.req.param('id')}".`);
        return c.body(null, 204);
      },
    },
    {
      method: 'get', path: '/v1/files', summary: 'File records, newest first', query: filesQuery, responses: { 200: '{ files, nextCursor }' },
      handler: async (c, { query }) => c.json(await store.listFiles({ tenant: c.get('tenant'), ...(query as z.infer<typeof filesQuery>) })),
    },
  ];

  for (const route of routes) {
    app.on(route.method.toUpperCase(), route.path, async (c) => {
      const query = route.query ? parseInput(route.query, c.req.query(), 'query') : {};
      let body: unknown;
      if (route.body) {
        if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
          return fail(c, 415, 'invalid', 'Send the body as JSON with "Content-Type: application/json".');
        }
        let raw: unknown;
        try {
          raw = await c.req.json();
        } catch {
          throw new ValidationError('body', 'is not valid JSON');
        }
        body = parseInput(route.body, raw, 'body');
      }
      return route.handler(c, { query: query as Record<string, unknown>, body });
    });
  }

  const openapi = openApiDocument(routes);
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/docs', (c) => c.html(docsPage(routes)));
  app.notFound((c) => fail(c, 404, 'not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname}. See /docs.`));
  app.onError((err, c) => {
    if (err instanceof SessionDbError) {
      const conditional = err.code === 'conflict' && c.req.header('if-match') !== undefined;
      return fail(c, conditional ? 412 : httpStatusOf(err.code), err.code, redactSecrets(err.message), err.details);
    }
    options.logger?.error({ requestId: c.get('requestId'), error: redactSecrets(String((err as Error).message)) }, 'unhandled error');
    return fail(c, 500, 'internal', 'An internal error occurred; it was logged with this request id.');
  });
  return app;
}

function fail(c: Context, status: number, code: string, message: string, details?: Record<string, unknown>): Response {
  return c.json({ error: details ? { code, message, details } : { code, message } }, status as 400);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Validates input with a schema; the error names every bad field. */
function parseInput(schema: z.ZodType, value: unknown, where: 'query' | 'body'): unknown {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => {
    const path = [where, ...i.path.map(String)];
    if (i.code === 'unrecognized_keys') path.push(String(i.keys[0]));
    return { field: path.join('.'), problem: i.code === 'unrecognized_keys' ? 'is not a field this request takes' : i.message };
  });
  const err = new ValidationError(fields[0]!.field, fields.map((f) => `${f.field}: ${f.problem}`).join('; '));
  (err as { details: Record<string, unknown> }).details = { fields };
  throw err;
}

function openApiDocument(routes: RouteDef[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, schema]) => ({ name, in: 'query', required: false, schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) }))
      : [];
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      parameters: [...params, ...query],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: Object.fromEntries(
        Object.entries({ ...r.responses, 400: 'invalid input', 413: 'body too large' }).map(([status, description]) => [status, { description }]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'sessiondb', version: '1', description: 'Sessions, events and state of LLM chat and agent applications. Errors: { error: { code, message, details? } }.' },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}

function docsPage(routes: RouteDef[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = routes.map((r) => `<tr><td><code>${r.method.toUpperCase()}</code></td><td><code>${esc(r.path)}</code></td><td>${esc(r.summary)}</td></tr>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>sessiondb API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}td{padding:.3em .8em;border-bottom:1px solid #ddd}code{font-size:13px}</style></head>
<body><h1>sessiondb API</h1><p>JSON in and out. Errors are <code>{ "error": { "code", "message", "details"? } }</code>.
With API keys configured, send <code>Authorization: Bearer &lt;key&gt;</code>. The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table>${rows}</table></body></html>`;
}

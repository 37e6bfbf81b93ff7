import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { z } from 'zod';
import { httpStatusOf, SessionDbError, ValidationError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { SessionStore } from '../core/store.js';
import { MCP_PATH, mcpRoute, type McpHttpOptions } from '../mcp/http.js';
import { createAuthenticator, createTokenCheck, TENANT_HEADER, type ApiKey, type MetricsToken } from './auth.js';
import { instrumentStore, Metrics } from './metrics.js';
import { apiReference } from './api-reference.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import { checkRequestLimits } from './request-limits.js';
import { RouteTable } from './route-table.js';
import { buildRoutes, type Env, type RouteContext } from './routes.js';
import { mountConsole } from './ui.js';

export type { ApiKey, MetricsToken } from './auth.js';

/** The minimal structured logger the server writes to (pino fits). */
export interface RequestLogger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface AppOptions {
  store: SessionStore;
  /** With keys, every /v1 request needs one, and sees only its key's tenant. Without, the tenant is "default". */
  apiKeys?: ApiKey[];
  /** Requests per minute per API key (per server without keys); a key's own `rateLimitPerMinute` overrides it. Off when absent. */
  rateLimitPerMinute?: number;
  /** Request bodies above this are refused with 413. Default 2 MiB. */
  bodyLimitBytes?: number;
  /** Allowed CORS origins; CORS is off when absent. */
  corsOrigins?: string[];
  logger?: RequestLogger;
  /** For `/sessions/storage/stats`: what the deployment was configured with. */
  info?: RouteContext['info'];
  clock?: { now(): number };
  /** Counters for `/metrics`; pass one to read them elsewhere too. */
  metrics?: Metrics;
  /**
   * A token that may read `/metrics` and nothing else (sent as
   * `Authorization: Bearer <token>`), for a scraper that should hold no API
   * key. Once API keys or this token are configured, `/metrics` needs this
   * token or an admin key.
   */
  metricsToken?: MetricsToken;
  /**
   * The MCP server at `/mcp` (Streamable HTTP), behind the same keys: a
   * key's tenant is the tenant its tools see. `false`: not mounted.
   */
  mcp?: McpHttpOptions | false;
  /** Serve the web console at `/ui/` (and redirect `/` there). Default true. */
  console?: boolean;
  /** Where the console's built files are (default: the package's `dist/ui`). */
  consoleDir?: string;
}

const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * The HTTP API over a store, as a Hono app: mount `app.fetch` in any server
 * that speaks web-standard Request/Response, or run it with `sessiondb serve`.
 */
export function createApp(options: AppOptions): Hono<Env> {
  const clock = options.clock ?? { now: () => Date.now() };
  const metrics = options.metrics ?? new Metrics();
  const store = instrumentStore(options.store, metrics);
  const authenticate = createAuthenticator(options.apiKeys ?? [], options.rateLimitPerMinute);
  const limiter = new RateLimiter(() => clock.now());
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const isMetricsToken = options.metricsToken ? createTokenCheck(options.metricsToken) : null;
  const routes = buildRoutes({ store, clock, info: options.info });
  const consoleOn = options.console !== false;
  const pages = ['/openapi.json', '/docs', '/docs/assets/:file', '/metrics', ...(consoleOn ? ['/', '/ui', '/ui/*'] : [])];
  const table = new RouteTable([
    ...routes,
    ...pages.map((path) => ({ method: 'get', path })),
    ...(options.mcp === false ? [] : [{ method: 'post', path: MCP_PATH }]),
  ]);
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const id = c.req.header('x-request-id')?.slice(0, 128) || randomUUID();
    c.set('requestId', id);
    c.set('route', 'unmatched');
    c.header('x-request-id', id);
    const t0 = performance.now();
    await next();
    const ms = performance.now() - t0;
    metrics.recordRequest(c.req.method, c.get('route'), c.res.status, ms / 1000);
    options.logger?.info(
      { requestId: id, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(ms * 10) / 10, tenant: c.get('caller')?.tenant, error: c.get('detail') },
      'request',
    );
  });
  if (options.corsOrigins?.length) {
    app.use('*', cors({ origin: options.corsOrigins, exposeHeaders: ['ETag', 'x-request-id', 'Retry-After'], allowHeaders: ['Authorization', 'Content-Type', 'If-Match', TENANT_HEADER, 'MCP-Protocol-Version', 'Accept'] }));
  }
  const tooLarge = (c: Context<Env>) => {
    c.set('route', table.label(c.req.method, c.req.path)); // answered before routing
    return fail(c, 413, 'too_large', `The request body is over the limit of ${bodyLimitBytes} bytes.`);
  };
  const chunkedLimit = bodyLimit({ maxSize: bodyLimitBytes, onError: tooLarge });
  app.use('*', async (c, next) => {
    // Content-Length is checked from the header alone: touching the body stream here would
    // turn every request into a web Request, which costs about a tenth of an append's time.
    const length = c.req.header('content-length');
    if (length !== undefined && !c.req.header('transfer-encoding')) return Number(length) > bodyLimitBytes ? tooLarge(c) : next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return chunkedLimit(c, next); // no length given: count the bytes as they arrive
  });

  for (const route of routes) {
    app.on(route.method.toUpperCase(), route.path, async (c) => {
      c.set('route', route.path);
      if (!route.open) {
        const caller = authenticate((name) => c.req.header(name));
        c.set('caller', caller);
        if (caller.rateLimitPerMinute) {
          const wait = limiter.take(caller.keyName ?? 'anonymous', caller.rateLimitPerMinute);
          if (wait > 0) {
            c.header('Retry-After', String(wait));
            return fail(c, 429, 'rate_limited', `Too many requests: the limit is ${caller.rateLimitPerMinute} a minute. Retry in ${wait} s.`);
          }
        }
        if (route.admin && !caller.admin) throw new SessionDbError('forbidden', 'This route needs an admin API key.');
        if (caller.readOnly && route.method !== 'get') throw new SessionDbError('forbidden', 'This API key is read-only: it may not write.');
      }
      const query = (route.query ? parseInput(route.query, c.req.query(), 'query') : {}) as Record<string, unknown>;
      checkRequestLimits(c.req.param() as Record<string, string>, query, store.limits);
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
        body = parseInput(route.bodyBranch?.(raw) ?? route.body, raw, 'body');
      }
      return route.handler(c, { query, body });
    });
  }

  if (options.mcp !== false) {
    const rateLimit = (caller: { keyName: string | null; rateLimitPerMinute?: number }) => (caller.rateLimitPerMinute ? limiter.take(caller.keyName ?? 'anonymous', caller.rateLimitPerMinute) : 0);
    app.all(MCP_PATH, mcpRoute({ ...options.mcp, store, authenticate, rateLimit, bodyLimitBytes, logger: options.logger }));
  }

  let openapi: { json: string; gzipped: Uint8Array<ArrayBuffer> } | undefined; // built on first request: start-up need not pay for it
  app.get('/openapi.json', (c) => {
    c.set('route', '/openapi.json');
    if (!openapi) {
      const json = JSON.stringify(openApiDocument(routes));
      openapi = { json, gzipped: gzipSync(json) as Uint8Array<ArrayBuffer> };
    }
    const headers = { 'content-type': 'application/json', vary: 'accept-encoding' };
    if (/\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')) return c.body(openapi.gzipped, 200, { ...headers, 'content-encoding': 'gzip' });
    return c.body(openapi.json, 200, headers);
  });
  const docs = apiReference(routes);
  app.get('/docs', (c) => {
    c.set('route', '/docs');
    const page = docs.page();
    return c.body(page.body, page.status, page.headers);
  });
  app.get('/docs/assets/:file', async (c) => {
    c.set('route', '/docs/assets/:file');
    const file = await docs.asset(c.req.param('file'), c.req.query('v'), c.req.header('accept-encoding'));
    if (!file) return fail(c, 404, 'not_found', `No file ${c.req.path} in the API reference. See /docs.`);
    return c.body(file.body, file.status, file.headers);
  });
  const keyed = (options.apiKeys?.length ?? 0) > 0;
  app.get('/metrics', (c) => {
    c.set('route', '/metrics');
    const header = (name: string) => c.req.header(name);
    if ((keyed || isMetricsToken) && !isMetricsToken?.(header)) {
      if (!keyed) throw new SessionDbError('unauthorized', 'Reading /metrics needs the metrics token: send "Authorization: Bearer <token>".');
      if (!authenticate(header).admin) throw new SessionDbError('forbidden', 'Reading /metrics needs an admin API key or the metrics token.');
    }
    return c.body(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  if (consoleOn) mountConsole(app, options.consoleDir);
  app.notFound((c) => {
    const route = table.allowed(c.req.path);
    if (!route) return fail(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}. See /docs.`);
    c.set('route', route.pattern);
    const allow = route.methods.join(', ');
    c.header('Allow', allow);
    return fail(c, 405, 'method_not_allowed', `${c.req.method} is not a method of ${c.req.path}; it takes ${allow}. See /docs.`);
  });
  app.onError((err, c) => {
    if (err instanceof SessionDbError && err.code === 'unavailable') {
      // The store's message names files, hosts and its own options: for the log, not for callers.
      c.set('detail', redactSecrets(err.message));
      c.header('Retry-After', '1');
      return fail(c, 503, 'unavailable', 'The database is unavailable (busy or unreachable); retry shortly. The details are logged with this request id.');
    }
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

/**
 * Validates input with a schema; the error names every bad field. Object
 * values are taken from the raw input, not zod's copy, so that keys such as
 * `__proto__` survive exactly as sent.
 */
function parseInput(schema: z.ZodType, value: unknown, where: 'query' | 'body'): unknown {
  const r = schema.safeParse(value);
  if (r.success) return where === 'body' ? value : r.data;
  const fields = r.error.issues.map((i) => {
    const path: (string | number | symbol)[] = [...i.path];
    if (i.code === 'unrecognized_keys') path.push(String(i.keys[0]));
    const field = path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${String(part)}`), where);
    return { field, problem: i.code === 'unrecognized_keys' ? 'is not a field this request takes' : i.message };
  });
  throw new SessionDbError('invalid', `Invalid ${fields.map((f) => `${f.field}: ${f.problem}`).join('; ')}.`, { field: fields[0]!.field, fields });
}

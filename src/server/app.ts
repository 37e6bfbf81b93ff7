import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { z } from 'zod';
import { httpStatusOf, SessionDbError, ValidationError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { SessionStore } from '../core/store.js';
import { createAuthenticator, TENANT_HEADER, type ApiKey } from './auth.js';
import { instrumentStore, Metrics } from './metrics.js';
import { docsPage, openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import { buildRoutes, type Env, type RouteContext } from './routes.js';

export type { ApiKey } from './auth.js';

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
      { requestId: id, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(ms * 10) / 10, tenant: c.get('caller')?.tenant },
      'request',
    );
  });
  if (options.corsOrigins?.length) {
    app.use('*', cors({ origin: options.corsOrigins, exposeHeaders: ['ETag', 'x-request-id', 'Retry-After'], allowHeaders: ['Authorization', 'Content-Type', 'If-Match', TENANT_HEADER] }));
  }
  const tooLarge = (c: Context) => fail(c, 413, 'too_large', `The request body is over the limit of ${bodyLimitBytes} bytes.`);
  const chunkedLimit = bodyLimit({ maxSize: bodyLimitBytes, onError: tooLarge });
  app.use('*', async (c, next) => {
    // Content-Length is checked from the header alone: touching the body stream here would
    // turn every request into a web Request, which costs about a tenth of an append's time.
    const length = c.req.header('content-length');
    if (length !== undefined && !c.req.header('transfer-encoding')) return Number(length) > bodyLimitBytes ? tooLarge(c) : next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return chunkedLimit(c, next); // no length given: count the bytes as they arrive
  });

  const routes = buildRoutes({ store, clock, info: options.info });
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
      }
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
        body = parseInput(route.bodyBranch?.(raw) ?? route.body, raw, 'body');
      }
      return route.handler(c, { query: query as Record<string, unknown>, body });
    });
  }

  const openapi = openApiDocument(routes);
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/docs', (c) => c.html(docsPage(routes)));
  app.get('/metrics', (c) => c.body(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));
  app.notFound((c) => fail(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}. See /docs.`));
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

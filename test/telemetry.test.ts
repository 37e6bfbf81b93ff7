// OpenTelemetry: the server and the manager through @opentelemetry/api, recorded by the SDK's
// in-memory span exporter and an in-memory metric reader; and the same code with the API absent.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionManager, SqliteStore } from '../src/index.js';
import { createApp } from '../src/server/index.js';
import { startServer, tempDir } from './helpers.js';
import { runRecordingModules } from './module-hooks.js';
import { runExample } from './readme-helpers.js';

const dir = tempDir('telemetry');
const root = join(import.meta.dirname, '..');

/** Metrics held in memory until the test collects them. */
class InMemoryReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

const spans = new InMemorySpanExporter();
const reader = new InMemoryReader();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const meterProvider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
});
afterAll(async () => {
  trace.disable();
  metrics.disable();
  context.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});

/** Data points of one metric, by a label of theirs. */
async function points(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
}

const send = (app: { fetch: (r: Request) => Response | Promise<Response> }, method: string, path: string, requestId: string, body?: unknown) =>
  app.fetch(
    new Request(`http://test${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );

describe('OpenTelemetry, when @opentelemetry/api is installed and an SDK registered', () => {
  it('a span per request (route, status, request id) with the lifecycle spans it caused as children; counters by event type; a request-duration histogram', async () => {
    const store = new SqliteStore({ path: join(dir, 'otel.db') });
    const manager = new SessionManager({ store, sweepIntervalMs: 0, expiryHours: null });
    await manager.startup();
    const app = createApp({ store: manager.store, manager });
    spans.reset();

    expect((await send(app, 'POST', '/v1/apps/chat/users/u1/sessions', 'req-1', { id: 's1' })).status).toBe(201);
    expect((await send(app, 'PATCH', '/v1/apps/chat/users/u1/sessions/s1', 'req-2', { status: 'archived' })).status).toBe(200);
    expect((await send(app, 'GET', '/v1/apps/chat/users/u1/sessions/nope', 'req-3')).status).toBe(404);

    const finished = spans.getFinishedSpans();
    const byName = (name: string) => finished.filter((s) => s.name === name);
    const create = byName('POST /v1/apps/:app/users/:user/sessions')[0]!;
    expect(create.kind).toBe(SpanKind.SERVER);
    expect(create.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/apps/:app/users/:user/sessions', 'http.response.status_code': 201, 'sessiondb.request_id': 'req-1' });
    const created = byName('session.created')[0]!;
    expect(created.kind).toBe(SpanKind.INTERNAL);
    expect(created.parentSpanContext?.spanId).toBe(create.spanContext().spanId);
    expect(created.spanContext().traceId).toBe(create.spanContext().traceId);
    expect(created.attributes).toMatchObject({ 'sessiondb.correlation_id': 'req-1', 'sessiondb.session_id': 's1', 'sessiondb.app_name': 'chat', 'sessiondb.user_id': 'u1', 'sessiondb.tenant': 'default' });
    const archived = byName('session.archived')[0]!;
    expect(archived.attributes).toMatchObject({ 'sessiondb.from_status': 'active', 'sessiondb.correlation_id': 'req-2' });
    expect(archived.parentSpanContext?.spanId).toBe(byName('PATCH /v1/apps/:app/users/:user/sessions/:session')[0]!.spanContext().spanId);
    const missing = byName('GET /v1/apps/:app/users/:user/sessions/:session')[0]!;
    expect(missing.attributes['http.response.status_code']).toBe(404);
    expect(missing.status.code).toBe(SpanStatusCode.UNSET); // a 4xx is the caller's, not the server's error

    // Background work: a sweep's span is a root of its own.
    await manager.store.updateSession({ appName: 'chat', userId: 'u1', sessionId: 's1' }, { expiresAt: 1 });
    expect(await manager.cleanupExpired()).toBe(1);
    const expired = spans.getFinishedSpans().find((s) => s.name === 'session.expired')!;
    expect(expired.attributes).toMatchObject({ 'sessiondb.count': 1, 'sessiondb.mode': 'mark' });
    expect(expired.parentSpanContext).toBeUndefined();

    // A 5xx: the database is gone. The request span is an error, with an `error` span under it.
    await store.close();
    expect((await send(app, 'GET', '/v1/apps/chat/users/u1/sessions/s1', 'req-4')).status).toBe(503);
    const failed = spans.getFinishedSpans().filter((s) => s.attributes['sessiondb.request_id'] === 'req-4')[0]!;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    const error = spans.getFinishedSpans().find((s) => s.name === 'error')!;
    expect(error.parentSpanContext?.spanId).toBe(failed.spanContext().spanId);
    expect(error.attributes).toMatchObject({ 'error.type': 'unavailable', 'sessiondb.correlation_id': 'req-4', 'sessiondb.event.severity': 'error' });
    expect(String(error.attributes['sessiondb.error.message'])).toMatch(/closed/);

    const counts = new Map((await points('sessiondb.events')).map((p) => [`${p.attributes['sessiondb.event.type']}/${p.attributes['sessiondb.event.severity']}`, p.value]));
    expect(Object.fromEntries(counts)).toEqual({
      'session.created/info': 1,
      'session.archived/info': 1,
      'session.expired/info': 1,
      'request/info': 2,
      'request/warning': 1,
      'request/error': 1,
      'error/error': 1,
    });
    const durations = (await points('sessiondb.request.duration')) as DataPoint<Histogram>[];
    const post = durations.find((p) => p.attributes['http.request.method'] === 'POST')!;
    expect(post.attributes).toMatchObject({ 'http.route': '/v1/apps/:app/users/:user/sessions', 'http.response.status_code': 201 });
    expect(post.value.count).toBe(1);
    expect(post.value.sum).toBeGreaterThan(0);
    await manager.shutdown().catch(() => undefined);
  });

  it("continues the caller's trace when the registered propagator finds one in the request's headers", async () => {
    // A minimal W3C traceparent reader, so that the test needs the API only.
    const traceparent: TextMapPropagator = {
      inject() {},
      fields: () => ['traceparent'],
      extract(ctx, carrier, getter) {
        const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$/.exec(String(getter.get(carrier, 'traceparent') ?? ''));
        return m ? trace.setSpanContext(ctx, { traceId: m[1]!, spanId: m[2]!, traceFlags: Number(m[3]), isRemote: true }) : ctx;
      },
    };
    propagation.setGlobalPropagator(traceparent);
    try {
      const manager = new SessionManager({ store: new SqliteStore({ path: join(dir, 'trace.db') }), sweepIntervalMs: 0 });
      await manager.startup();
      const app = createApp({ store: manager.store, manager });
      spans.reset();
      const res = await app.fetch(
        new Request('http://test/v1/apps/chat/users/u1/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
          body: '{}',
        }),
      );
      expect(res.status).toBe(201);
      const request = spans.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
      expect(request.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(request.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(spans.getFinishedSpans().find((s) => s.name === 'session.created')!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      await manager.shutdown();
    } finally {
      propagation.disable();
    }
  });

  it('spans for every lifecycle event type the manager emits on its own (no server), with the id given to withCorrelationId', async () => {
    const { withCorrelationId } = await import('../src/index.js');
    const manager = new SessionManager({ store: new SqliteStore({ path: join(dir, 'lib.db') }), sweepIntervalMs: 0 });
    await manager.startup();
    spans.reset();
    const key = { appName: 'a', userId: 'u', sessionId: 's' };
    await withCorrelationId('job-7', async () => {
      await manager.createSession({ appName: 'a', userId: 'u', id: 's' });
      await manager.archiveSession(key);
      await manager.restoreSession(key);
      await manager.deleteSession(key);
    });
    expect(spans.getFinishedSpans().map((s) => [s.name, s.attributes['sessiondb.correlation_id']])).toEqual([
      ['session.created', 'job-7'],
      ['session.archived', 'job-7'],
      ['session.restored', 'job-7'],
      ['session.deleted', 'job-7'],
    ]);
    await manager.shutdown();
  });
});

describe('sessiondb serve with an SDK registered by a module loaded first (NODE_OPTIONS=--import)', () => {
  it('exports the request span and the lifecycle span under it', async () => {
    // Inside the repository, so that the preloaded module finds the SDK in node_modules.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const preload = join(root, '.tmp', `otel-preload-${process.pid}.mjs`);
    const out = join(dir, 'spans.jsonl');
    writeFileSync(
      preload,
      `import { appendFileSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
const exporter = {
  export(spans, done) {
    for (const s of spans) appendFileSync(${JSON.stringify(out)}, JSON.stringify({ name: s.name, id: s.spanContext().spanId, parent: s.parentSpanContext?.spanId, attributes: s.attributes }) + '\\n');
    done({ code: 0 });
  },
  shutdown: async () => {},
};
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
`,
    );
    const server = await startServer([], { SESSIONDB_URL: `sqlite:${join(dir, 'served.db')}`, NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` });
    try {
      const res = await fetch(`${server.url}/v1/apps/chat/users/u1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-serve' }, body: '{"id":"s1"}' });
      expect(res.status).toBe(201);
      const exported = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { name: string; id: string; parent?: string; attributes: Record<string, unknown> });
      const request = exported.find((s) => s.name === 'POST /v1/apps/:app/users/:user/sessions')!;
      expect(request.attributes).toMatchObject({ 'sessiondb.request_id': 'req-serve', 'http.response.status_code': 201 });
      expect(exported.find((s) => s.name === 'session.created')).toMatchObject({ parent: request.id, attributes: { 'sessiondb.session_id': 's1', 'sessiondb.correlation_id': 'req-serve' } });
    } finally {
      server.child.kill('SIGTERM');
      rmSync(preload, { force: true });
    }
  });
});

describe('without @opentelemetry/api', () => {
  /** Runs a snippet against the built package, recording every module resolved (and refusing @opentelemetry/* when asked). */
  const run = (code: string, refuseOtel: boolean) => runRecordingModules(code, refuseOtel ? { refuse: /^@opentelemetry\// } : {});
  const snippet = `
    const { SessionManager, MemoryStore } = await import('sessiondb');
    const { createApp } = await import('sessiondb/server');
    const events = [];
    const manager = new SessionManager({ store: new MemoryStore(), sweepIntervalMs: 0, onEvent: (e) => events.push(e.type) });
    console.log('imported');
    mark('imported');
    await manager.startup();
    const app = createApp({ store: manager.store, manager, onEvent: (e) => events.push(e.type) });
    const res = await app.fetch(new Request('http://x/v1/apps/a/users/u/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
    console.log(JSON.stringify({ status: res.status, events }));
    await manager.shutdown();
  `;

  it('everything works and nothing is sent when the package cannot be loaded', () => {
    const r = run(snippet, true);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['imported', JSON.stringify({ status: 201, events: ['session.created', 'session.created', 'request'] })]);
    expect(r.resolved.filter((u) => u.includes('@opentelemetry'))).toEqual([]);
  });

  it('with it installed, it is loaded by startup() or createApp, never by importing sessiondb or sessiondb/server', () => {
    const r = run(snippet, false);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('"status":201');
    const imported = r.resolved.indexOf('imported');
    const firstOtel = r.resolved.findIndex((u) => u.includes('/node_modules/@opentelemetry/api/'));
    expect(imported).toBeGreaterThan(r.resolved.findIndex((u) => u.includes('/dist/server/index.js')));
    expect(firstOtel).toBeGreaterThan(imported); // resolved only once the manager started
  });
});

describe('README', () => {
  it('the OpenTelemetry example runs against the built package and prints what it says', () => {
    runExample('opentelemetry');
  });
});

// The OpenAPI document: its structure, its examples (each valid against the zod schema that
// validates requests, and each sent to a real app), and its response schemas checked against
// what every route really answers, errors included.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../src/index.js';
import { createApp } from '../src/server/index.js';
import { API_TAGS, COMPONENT_SCHEMAS } from '../src/server/openapi.js';
import { ERROR_CODES, errorEnvelope } from '../src/server/response-schemas.js';
import { buildRoutes, type RouteDef } from '../src/server/routes.js';

type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, DocResponse>; parameters: Record<string, Parameter> };
  tags: { name: string }[];
};
type Operation = {
  operationId: string; tags: string[]; summary: string; description: string; security?: unknown[];
  parameters: (Parameter | { $ref: string })[]; requestBody?: { content: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, DocResponse | { $ref: string }>;
};
type Parameter = { name: string; in: string; description?: string; example?: unknown; schema: unknown };
type DocResponse = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: { $ref?: string } }> };

const routes = buildRoutes({ store: new MemoryStore(), clock: { now: () => Date.now() } });
const routeOf = new Map(routes.map((r) => [r.operationId, r]));

async function documentOf(app: { fetch: (r: Request) => Response | Promise<Response> }): Promise<Doc> {
  return (await (await app.fetch(new Request('http://test/openapi.json'))).json()) as Doc;
}

function resolve<T>(doc: Doc, item: T | { $ref: string }): T {
  if (!item || typeof item !== 'object' || !('$ref' in item)) return item as T;
  const [, , section, name] = (item.$ref as string).split('/');
  return (doc.components as unknown as Record<string, Record<string, T>>)[section!]![name!]!;
}

function operations(doc: Doc): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [method, path, op] as [string, string, Operation]));
}

describe('the OpenAPI document', () => {
  it('every operation has a unique operationId, one of the tags, a summary, a description, described parameters, a 2xx with a schema, and the error envelope on every 4xx/5xx', async () => {
    const doc = await documentOf(createApp({ store: new MemoryStore() }));
    const ops = operations(doc);
    expect(ops).toHaveLength(routes.length + 1); // every route, and /metrics
    const ids = ops.map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.tags.map((t) => t.name)).toEqual(['sessions', 'events', 'state', 'search and history', 'files', 'admin', 'health']);
    expect(new Set(ops.map(([, , op]) => op.tags[0]))).toEqual(new Set(doc.tags.map((t) => t.name)));
    for (const [method, path, op] of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.tags, where).toHaveLength(1);
      expect(API_TAGS.map((t) => t.name), where).toContain(op.tags[0]);
      expect(op.summary.length, where).toBeGreaterThan(8);
      expect(op.summary.length, `${where}: a summary is one short line`).toBeLessThanOrEqual(60);
      expect(op.description.length, where).toBeGreaterThan(op.summary.length);
      const parameters = op.parameters.map((p) => resolve<Parameter>(doc, p));
      for (const p of parameters) expect(p.description, `${where} ${p.in} ${p.name}`).toMatch(/\w{3}/);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(parameters.filter((p) => p.in === 'path').map((p) => p.name), where).toEqual(inPath);
      for (const p of parameters.filter((p) => p.in === 'path')) expect(p.example, `${where} ${p.name}`).toBeTruthy();
      const statuses = Object.keys(op.responses).map(Number);
      const success = statuses.filter((s) => s < 300);
      expect(success, where).toHaveLength(1);
      const ok = resolve<DocResponse>(doc, op.responses[success[0]!]!);
      if (success[0] === 204) expect(ok.content, where).toBeUndefined();
      else for (const media of Object.values(ok.content ?? { none: undefined })) expect(media?.schema, where).toBeDefined();
      const errors = statuses.filter((s) => s >= 400);
      if (!op.security || op.security.length) expect(errors, `${where} may answer 401`).toContain(401);
      for (const status of errors) {
        const answer = resolve<DocResponse>(doc, op.responses[status]!);
        expect(answer.description, `${where} ${status}`).toBeTruthy();
        expect(answer.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('every request body has a schema and a realistic example, valid against the zod schema that validates the request', async () => {
    const doc = await documentOf(createApp({ store: new MemoryStore() }));
    const ops = operations(doc);
    let checked = 0;
    for (const [method, path, op] of ops) {
      const route = routeOf.get(op.operationId);
      if (!route?.body) {
        expect(op.requestBody, `${method} ${path}`).toBeUndefined();
        continue;
      }
      const media = op.requestBody!.content['application/json']!;
      expect(media.schema).toBeDefined();
      expect(Object.keys(media.examples ?? {}).length, `${op.operationId} has an example`).toBeGreaterThan(0);
      for (const [name, example] of Object.entries(media.examples!)) {
        const schema = route.bodyBranch?.(example.value) ?? route.body;
        const result = schema.safeParse(example.value);
        expect(result.success, `${op.operationId} example ${name}: ${result.error?.message}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('every response example is valid against its schema, field for field, and no schema carries an example that is not checked', async () => {
    const doc = await documentOf(createApp({ store: new MemoryStore() }));
    const checked = new Set<string>();
    for (const [name, schema] of COMPONENT_SCHEMAS) {
      const examples = (schema.meta()?.['examples'] ?? []) as unknown[];
      for (const example of examples) {
        const parsed = schema.safeParse(example);
        expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
        expect(parsed.data, `${name}: only documented fields`).toEqual(example);
      }
      if (examples.length) checked.add(name);
      expect((doc.components.schemas[name] as { examples?: unknown[] }).examples, name).toEqual(examples.length ? examples : undefined);
    }
    expect(checked.size).toBeGreaterThanOrEqual(12);
    const nested = (value: unknown, top: boolean): number =>
      value && typeof value === 'object' ? Object.entries(value).reduce((n, [k, v]) => n + (k === 'examples' && !top ? 1 : 0) + nested(v, false), 0) : 0;
    for (const [name, schema] of Object.entries(doc.components.schemas)) expect(nested(schema, true), `${name} has examples below its top level`).toBe(0);
  });

  it('the error envelope is a component listing every error code with its status; the schemas have no $schema or $id', async () => {
    const doc = await documentOf(createApp({ store: new MemoryStore() }));
    const error = doc.components.schemas['Error'] as { properties: { error: { properties: { code: { enum: string[]; description: string } }; required: string[] } } };
    expect(error.properties.error.required).toEqual(['code', 'message']);
    const codes = error.properties.error.properties.code;
    expect(codes.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, { status }] of Object.entries(ERROR_CODES)) expect(codes.description).toContain(`\`${code}\` (${status})`);
    expect(JSON.stringify(doc)).not.toMatch(/"\$schema"|"\$id"/);
    expect(doc.components.parameters['tenant']).toMatchObject({ name: 'X-Sessiondb-Tenant', in: 'header' });
  });
});

/** Calls the app and checks the answer against the operation's documented response. */
function caller(app: ReturnType<typeof createApp>, doc: Doc) {
  const answered = new Map<string, Set<string>>(); // operationId → the example names sent (or "" without a body)
  const pathOf = (op: RouteDef, params: Record<string, string>) =>
    op.path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? (doc.components.parameters[name]!.example as string));
  return {
    answered,
    async call(operationId: string, options: { params?: Record<string, string>; query?: string; example?: string; body?: unknown; headers?: Record<string, string> } = {}) {
      const route = routeOf.get(operationId);
      if (!route) throw new Error(`no operation ${operationId}`);
      const body = options.example !== undefined ? route.bodyExamples![options.example]!.value : options.body;
      const res = await app.fetch(
        new Request(`http://test${pathOf(route, options.params ?? {})}${options.query ? `?${options.query}` : ''}`, {
          method: route.method.toUpperCase(),
          headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      const text = await res.text();
      const status = Number(Object.keys(route.responses).find((s) => Number(s) < 300));
      expect(res.status, `${operationId}: ${text}`).toBe(status);
      if (route.etag) expect(res.headers.get('etag'), operationId).toMatch(/^"\d+"$/);
      if (route.returns) {
        const type = res.headers.get('content-type')!.split(';')[0]!;
        const schema = route.returns instanceof z.ZodType ? route.returns : route.returns[type];
        expect(schema, `${operationId} documents ${type}`).toBeDefined();
        const value = type === 'application/json' ? JSON.parse(text) : text;
        const parsed = schema!.safeParse(value);
        expect(parsed.success, `${operationId}: ${parsed.error?.message}\n${text}`).toBe(true);
        expect(parsed.data, `${operationId} answers only documented fields`).toEqual(value);
      } else {
        expect(text, operationId).toBe('');
      }
      (answered.get(operationId) ?? answered.set(operationId, new Set()).get(operationId)!).add(options.example ?? '');
      return { status: res.status, json: () => JSON.parse(text) };
    },
  };
}

describe('documented responses are the real ones', () => {
  it('every route, with every request example, answers what its response schema says, field for field', async () => {
    const app = createApp({ store: new MemoryStore() });
    const doc = await documentOf(app);
    const { call, answered } = caller(app, doc);
    await call('getHealth');
    await call('getReadiness');
    await call('getInfo');
    await call('createSession', { example: 'withState' });
    await call('createSession', { example: 'generatedId' });
    await call('appendEvents', { example: 'userMessage', headers: { 'if-match': '"1"' } });
    await call('appendEvents', { example: 'toolCall' });
    await call('listUserSessions');
    await call('listAppSessions', { query: 'status=active&order=desc&limit=1' });
    expect((await call('listSessions', { query: 'limit=1' })).json().nextCursor).toEqual(expect.any(String));
    await call('countSessions', { query: 'appName=shop' });
    expect((await call('getSession', { query: 'events=all' })).json().events).toHaveLength(4);
    await call('getSession', { query: 'events=none' });
    await call('listEvents', { query: 'order=desc&limit=2' });
    for (const example of Object.keys(routeOf.get('recordActivity')!.bodyExamples!)) await call('recordActivity', { example });
    await call('updateSessionState', { example: 'delta' });
    for (const example of Object.keys(routeOf.get('updateSession')!.bodyExamples!)) await call('updateSession', { example });
    expect((await call('searchEvents', { query: 'q=teapot' })).json().hits.length).toBeGreaterThan(1);
    await call('searchEvents', { query: 'q=stock&role=assistant&limit=1' });
    await call('forkSession', { example: 'retry' });
    expect((await call('rewindSession', { example: 'toFirst' })).json().superseded).toBe(3);
    await call('listSupersededEvents');
    await call('getStateHistory');
    for (const format of ['json', 'markdown', 'text']) await call('exportSession', { query: `format=${format}&superseded=true` });
    await call('importSession', { example: 'snapshot', query: 'replace=true' });
    await call('updateAppState', { example: 'plan' });
    await call('getAppState');
    await call('updateUserState', { example: 'language' });
    await call('getUserState');
    await call('getStats');
    await call('getStorageStats');
    for (const example of Object.keys(routeOf.get('createFile')!.bodyExamples!)) await call('createFile', { example });
    await call('putFile', { example: 'invoice' });
    await call('getFile');
    await call('listFiles', { query: 'sessionId=s1' });
    await call('scanSessionKeys');
    await call('scanAppState');
    await call('scanUserState');
    await call('scanFiles', { query: 'limit=1' });
    for (const example of Object.keys(routeOf.get('sweepExpired')!.bodyExamples!)) await call('sweepExpired', { example });
    await call('getStoreStats');
    await call('deleteFile');
    await call('deleteSession');

    expect([...answered.keys()].sort()).toEqual(routes.map((r) => r.operationId).sort());
    for (const route of routes.filter((r) => r.bodyExamples)) {
      expect([...answered.get(route.operationId)!].sort(), `${route.operationId}: every example was sent`).toEqual(Object.keys(route.bodyExamples!).sort());
    }
    const metrics = await app.fetch(new Request('http://test/metrics'));
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(Object.keys(doc.paths['/metrics']!['get']!.responses['200'] as DocResponse)).toContain('content');
  });

  it('every error answer is the documented envelope, with a status the operation documents', async () => {
    const store = new MemoryStore();
    const open = createApp({ store, bodyLimitBytes: 4096 });
    const keyed = createApp({ store: new MemoryStore(), apiKeys: [{ tenant: 'acme', key: 'acme-key-0123456789' }, { tenant: 'ops', key: 'ops-key-0123456789', admin: true }], rateLimitPerMinute: 2 });
    const doc = await documentOf(open);
    const opAt = (operationId: string) => operations(doc).find(([, , op]) => op.operationId === operationId)![2];
    const base = '/v1/apps/shop/users/u1/sessions';
    const send = async (app: typeof open, operationId: string | null, method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
      const res = await app.fetch(new Request(`http://test${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body }));
      const json = (await res.json()) as { error: { code: string } };
      const parsed = errorEnvelope.safeParse(json);
      expect(parsed.success, `${method} ${path} → ${res.status}: ${JSON.stringify(json)}`).toBe(true);
      expect(parsed.data, 'no undocumented field').toEqual(json);
      expect(ERROR_CODES[json.error.code as keyof typeof ERROR_CODES].status === res.status || (json.error.code === 'conflict' && res.status === 412) || (json.error.code === 'invalid' && res.status === 415)).toBe(true);
      if (operationId) expect(Object.keys(opAt(operationId).responses), `${operationId} documents ${res.status}`).toContain(String(res.status));
      return res.status;
    };
    expect(await send(open, 'createSession', 'POST', base, JSON.stringify({ id: 's1', bogus: 1 }))).toBe(400);
    expect(await send(open, 'createSession', 'POST', base, JSON.stringify({ id: 's1', metadata: { big: 'x'.repeat(5000) } }))).toBe(413);
    expect(await send(open, 'createSession', 'POST', base, '{}', { 'content-type': 'text/plain' })).toBe(415);
    await open.fetch(new Request(`http://test${base}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"s1"}' }));
    expect(await send(open, 'createSession', 'POST', base, '{"id":"s1"}')).toBe(409);
    expect(await send(open, 'getSession', 'GET', `${base}/nope`)).toBe(404);
    expect(await send(open, 'appendEvents', 'POST', `${base}/s1/events`, '{"author":"u"}', { 'if-match': '"7"' })).toBe(412);
    expect(await send(open, 'rewindSession', 'POST', `${base}/s1/rewind`, '{"toSeq":0,"expectVersion":7}')).toBe(409);
    expect(await send(open, 'getFile', 'GET', '/v1/files/nope')).toBe(404);
    expect(await send(open, 'getSession', 'GET', `${base}/${'x'.repeat(200)}`)).toBe(400);
    expect(await send(open, null, 'GET', '/v1/nothing')).toBe(404);
    expect(await send(open, null, 'DELETE', '/v1/info')).toBe(405);
    expect(await send(keyed, 'listSessions', 'GET', '/v1/sessions')).toBe(401);
    const acme = { authorization: 'Bearer acme-key-0123456789' };
    expect(await send(keyed, 'listSessions', 'GET', '/v1/sessions', undefined, { ...acme, 'x-sessiondb-tenant': 'globex' })).toBe(403);
    expect((await keyed.fetch(new Request('http://test/v1/sessions', { headers: acme }))).status).toBe(200);
    expect(await send(keyed, 'scanSessionKeys', 'GET', '/v1/admin/scan/sessions', undefined, acme)).toBe(403);
    expect(await send(keyed, 'listSessions', 'GET', '/v1/sessions', undefined, acme)).toBe(429); // the key's third request this minute
    expect(await send(keyed, 'scanSessionKeys', 'GET', '/v1/admin/scan/sessions', undefined, { authorization: 'Bearer ops-key-0123456789', 'x-sessiondb-tenant': '' })).toBe(400);
    const admin = await keyed.fetch(new Request('http://test/v1/admin/stats', { headers: { authorization: 'Bearer ops-key-0123456789' } }));
    expect(admin.status).toBe(200);
    await store.close();
    expect(await send(open, 'getSession', 'GET', `${base}/s1`)).toBe(503);
  });
});

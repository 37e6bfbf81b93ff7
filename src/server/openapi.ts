import { z } from 'zod';
import * as r from './response-schemas.js';
import type { ApiTag, RouteDef } from './routes.js';
import * as s from './schemas.js';

/** The groups of the reference, in the order it shows them. */
export const API_TAGS: { name: ApiTag; description: string }[] = [
  { name: 'sessions', description: 'Create, read, list, change, import, export and delete sessions' },
  { name: 'events', description: "Append to and read a session's history" },
  { name: 'state', description: 'Session, user (user:) and app (app:) state' },
  { name: 'search and history', description: 'Full-text search; fork, rewind, superseded events and the state-change log' },
  { name: 'files', description: 'Records of uploaded files (the bytes live elsewhere)' },
  { name: 'admin', description: 'Whole-store scans, sweeps and totals, for admin keys' },
  { name: 'health', description: 'Liveness, readiness, what the server runs on, and metrics' },
];

/** The parameters many operations share, by their component name. */
const SHARED_PARAMETERS = {
  app: pathParameter('app', 'The app (ADK appName), 1 to 128 characters', 'shop'),
  user: pathParameter('user', 'The user id within the app, 1 to 128 characters', 'u1'),
  session: pathParameter('session', 'The session id, 1 to 128 characters', 's1'),
  id: pathParameter('id', 'The file record id, 1 to 128 characters', 'f1'),
  ifMatch: {
    name: 'If-Match', in: 'header', required: false, schema: { type: 'string' },
    description: 'Write only if the session is at this version (its ETag, `"3"`); else 412 and nothing changes',
  },
  tenant: {
    name: 'X-Sessiondb-Tenant', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 128 },
    description: 'Act for this tenant: an admin key may name any, another key only its own (the default)',
  },
};

/** A path parameter, with the example the reference's "Try it out" starts from. */
function pathParameter(name: string, description: string, example: string) {
  return { name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1, maxLength: 128 }, example };
}

const parameterRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** The named component schemas; every other body is named after its first operation. */
export const COMPONENT_SCHEMAS: [string, z.ZodType][] = [
  ['Session', r.session],
  ['SessionPage', r.sessionPage],
  ['SessionCount', r.sessionCount],
  ['Event', r.sessionEvent],
  ['EventPage', r.eventPage],
  ['AppendResult', r.appendResult],
  ['SupersededEvent', r.supersededEvent],
  ['SupersededPage', r.supersededPage],
  ['StateChange', r.stateChange],
  ['StateHistory', r.stateHistory],
  ['RewindResult', r.rewindResult],
  ['SessionExport', r.sessionExport],
  ['SearchHit', r.searchHit],
  ['SearchPage', r.searchPage],
  ['State', r.stateObject],
  ['Stats', r.storeStats],
  ['LegacyStorageStats', r.legacyStorageStats],
  ['Info', r.apiInfo],
  ['FileRecord', r.fileRecord],
  ['FilePage', r.filePage],
  ['SessionKeyPage', r.sessionKeyPage],
  ['SharedStatePage', r.sharedStatePage],
  ['SweepResult', r.sweepResult],
  ['Health', r.healthStatus],
  ['Readiness', r.readyStatus],
  ['Error', r.errorEnvelope],
  ['NewSession', s.createSessionBody],
  ['SessionChanges', s.patchSessionBody],
  ['SessionSnapshot', s.snapshotBody],
  ['NewEvents', s.appendBody],
  ['Activity', s.activityBody],
  ['StateUpdate', s.updateKeysBody],
  ['StateDelta', s.stateDeltaBody],
  ['NewFileRecord', s.fileBody],
  ['ForkRequest', s.forkBody],
  ['RewindRequest', s.rewindBody],
  ['SweepRequest', s.sweepBody],
];

const ERROR = { $ref: '#/components/schemas/Error' };
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };
const ETAG = { description: 'The session\'s version, quoted (`"3"`): send it back as `If-Match`', schema: { type: 'string' } };

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document of the routes, built from the same zod schemas that
 * validate requests, with the response shapes of `response-schemas.ts`.
 */
export function openApiDocument(routes: RouteDef[]) {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  const register = (name: string, schema: z.ZodType) => {
    if (names.has(schema)) return;
    names.set(schema, name);
    registry.add(schema, { id: name });
  };
  for (const [name, schema] of COMPONENT_SCHEMAS) register(name, schema);
  for (const route of routes) if (route.body) register(`${pascal(route.operationId)}Body`, route.body);
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}`, override: tidy });
  const refTo = (schema: z.ZodType): JsonSchema => {
    const name = names.get(schema);
    return name ? { $ref: `#/components/schemas/${name}` } : inline(schema);
  };

  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    (paths[route.path.replace(/:(\w+)/g, '{$1}')] ??= {})[route.method] = operation(route, refTo);
  }
  paths['/metrics'] = { get: metricsOperation() };
  return {
    openapi: '3.1.0',
    info: { title: 'sessiondb', version: '1', description: INTRODUCTION },
    tags: API_TAGS,
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, withoutDialect(schema as JsonSchema)])),
      parameters: SHARED_PARAMETERS,
      headers: { ETag: ETAG },
      responses: Object.fromEntries(Object.entries(COMMON_ERRORS).map(([name, { status, description }]) => [name, errorResponse(status, description)])),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key of the server\'s `server.apiKeys`, sent as `Authorization: Bearer <key>`. A server without keys (loopback only) needs none.',
        },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same key in the `X-API-Key` header, for clients that cannot set Authorization' },
      },
    },
  };
}

function operation(route: RouteDef, refTo: (schema: z.ZodType) => JsonSchema): Operation {
  // A parameter not in SHARED_PARAMETERS gets a bare description and no example: the document
  // still builds, and the reference's test says what is missing.
  const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) =>
    Object.hasOwn(SHARED_PARAMETERS, name!) ? parameterRef(name!) : { name, in: 'path', required: true, description: `The ${name}`, schema: { type: 'string' } },
  );
  const queryParameters = route.query
    ? Object.entries(route.query.shape).map(([name, schema]) => {
        const json = inline(schema as z.ZodType);
        const { description, examples, ...rest } = json as { description?: string; examples?: unknown[] };
        return {
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success, // e.g. the q of a search
          description,
          schema: rest,
          ...(examples?.length ? { example: examples[0] } : {}),
        };
      })
    : [];
  const headerParameters = [...(route.ifMatch ? [parameterRef('ifMatch')] : []), ...(route.open ? [] : [parameterRef('tenant')])];
  const responses: Record<string, unknown> = commonErrors(route);
  for (const [status, description] of Object.entries(route.responses)) {
    const shared = (responses[status] as { $ref?: string } | undefined)?.$ref; // a common error the route says more of
    const common = shared ? COMMON_ERRORS[shared.slice(shared.lastIndexOf('/') + 1)] : undefined;
    responses[status] =
      Number(status) < 300 ? successResponse(route, description, refTo) : errorResponse(Number(status), common ? `${description}; or ${common.description}` : description);
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    description: route.description,
    ...(route.open ? { security: [] } : {}),
    parameters: [...pathParameters, ...queryParameters, ...headerParameters],
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: refTo(route.body), ...(route.bodyExamples ? { examples: route.bodyExamples } : {}) } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
  };
}

function successResponse(route: RouteDef, description: string, refTo: (schema: z.ZodType) => JsonSchema): unknown {
  const headers = route.etag ? { headers: { ETag: { $ref: '#/components/headers/ETag' } } } : {};
  if (!route.returns) return { description, ...headers };
  const byType = route.returns instanceof z.ZodType ? { 'application/json': route.returns } : route.returns;
  return { description, ...headers, content: Object.fromEntries(Object.entries(byType).map(([type, schema]) => [type, { schema: refTo(schema) }])) };
}

/** The error answers every authenticated route may give, shared by reference. */
const COMMON_ERRORS: Record<string, { status: number; description: string }> = {
  Invalid: { status: 400, description: 'invalid input (`invalid`): a field of the query or body, a name in the path over its limit, or the tenant header; error.details names the field' },
  Unauthorized: { status: 401, description: 'no valid API key (`unauthorized`)' },
  Forbidden: { status: 403, description: 'the key may not act for the tenant named in X-Sessiondb-Tenant (`forbidden`)' },
  NotAdmin: { status: 403, description: 'not an admin key (`forbidden`)' },
  TooLarge: { status: 413, description: 'the body, or a part of it, is over a limit (`too_large`)' },
  NotJson: { status: 415, description: 'the body is not JSON (`invalid`)' },
  RateLimited: { status: 429, description: 'rate limit reached (`rate_limited`); see Retry-After' },
  Internal: { status: 500, description: 'an internal error, logged with the request id (`internal`)' },
  Unavailable: { status: 503, description: 'the database is busy or unreachable (`unavailable`); see Retry-After' },
};

function errorResponse(status: number, description: string) {
  return { description, ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}), content: { 'application/json': { schema: ERROR } } };
}

/** The statuses a route may answer besides its own, as references to `COMMON_ERRORS`. */
function commonErrors(route: RouteDef): Record<number, { $ref: string }> {
  if (route.open) return {};
  const names = ['Invalid', 'Unauthorized', route.admin ? 'NotAdmin' : 'Forbidden', ...(route.body ? ['TooLarge', 'NotJson'] : []), 'RateLimited', 'Internal', 'Unavailable'];
  return Object.fromEntries(names.map((name) => [COMMON_ERRORS[name]!.status, { $ref: `#/components/responses/${name}` }]));
}

function metricsOperation(): Operation {
  return {
    operationId: 'getMetrics',
    tags: ['health'],
    summary: 'Prometheus metrics',
    description:
      'Requests by route pattern and status, a latency histogram, and store operation counts, in the Prometheus text format. ' +
      'Once API keys or a metrics token are configured, it needs an admin key or the metrics token (`Authorization: Bearer <token>`).',
    security: [{}, { bearerAuth: [] }],
    parameters: [],
    responses: {
      200: { description: 'the metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
      401: errorResponse(401, 'the metrics token is needed (`unauthorized`)'),
      403: errorResponse(403, 'neither an admin key nor the metrics token (`forbidden`)'),
    },
  };
}

const INTRODUCTION = `Sessions, events and state of LLM chat and agent applications, over any sessiondb store.

- **JSON in and out.** Bodies are JSON (\`Content-Type: application/json\`, at most 2 MiB by default). Times are epoch milliseconds.
- **Errors** always have one shape, \`{ "error": { "code", "message", "details"? } }\` (the \`Error\` schema lists every code and its status). Branch on \`code\`; \`details\` names the bad field.
- **Keys and tenants.** With API keys configured, send one as \`Authorization: Bearer <key>\` (or \`X-API-Key\`); each key sees only its tenant, and an admin key may name another in \`X-Sessiondb-Tenant\`. A server without keys listens on loopback only and needs none.
- **Versions.** Every write adds 1 to the session's \`version\`, answered as \`ETag\`. Send it back as \`If-Match\` to write only if nothing changed since (else 412).
- **Paging.** Lists answer \`nextCursor\`; pass it back as \`cursor\` for the next page (null on the last).
- Every response carries an \`x-request-id\` (yours, if you sent one), which the server's log line for the request also holds.`;

/** One schema converted on its own (query parameters, unnamed bodies). */
function inline(schema: z.ZodType): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override: tidy }) as JsonSchema);
}

/** Drops the bounds zod gives every integer (±2^53), which only clutter the reference. */
function tidy({ jsonSchema }: { jsonSchema: JsonSchema }): void {
  if (jsonSchema['minimum'] === Number.MIN_SAFE_INTEGER) delete jsonSchema['minimum'];
  if (jsonSchema['maximum'] === Number.MAX_SAFE_INTEGER) delete jsonSchema['maximum'];
}

/** `$schema` and `$id` belong to standalone JSON Schema documents, not to OpenAPI components. */
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

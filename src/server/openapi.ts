import { z } from 'zod';
import type { RouteDef } from './routes.js';

/** The OpenAPI 3.1 document of the routes, built from the same zod schemas that validate requests. */
export function openApiDocument(routes: RouteDef[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success, // e.g. the q of a search
          schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        }))
      : [];
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      ...(r.open ? { security: [] } : {}),
      parameters: [...params, ...query],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: Object.fromEntries(
        Object.entries({ ...r.responses, ...standardResponses(r) }).map(([status, description]) => [status, { description }]),
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

/** A human-readable page listing every route. */
export function docsPage(routes: RouteDef[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = routes.map((r) => `<tr><td><code>${r.method.toUpperCase()}</code></td><td><code>${esc(r.path)}</code></td><td>${esc(r.summary)}</td></tr>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>sessiondb API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}td{padding:.3em .8em;border-bottom:1px solid #ddd}code{font-size:13px}</style></head>
<body><h1>sessiondb API</h1><p>JSON in and out. Errors are <code>{ "error": { "code", "message", "details"? } }</code>.
With API keys configured, send <code>Authorization: Bearer &lt;key&gt;</code>. The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table>${rows}</table></body></html>`;
}

/** The statuses any route may answer, besides its own. */
function standardResponses(r: RouteDef): Record<number, string> {
  if (r.open) return {};
  const out: Record<number, string> = {
    401: 'no valid API key',
    403: r.admin ? 'not an admin key' : 'the key may not act for the tenant named in X-Sessiondb-Tenant',
    429: 'rate limit reached; see Retry-After',
    503: 'the database is unreachable',
  };
  if (r.query || r.body) out[400] = 'invalid input; error.details.fields names each bad field';
  if (r.body) Object.assign(out, { 413: 'body over the limit', 415: 'body is not JSON' });
  return out;
}

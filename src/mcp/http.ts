import type { McpHttpHandler } from '@modelcontextprotocol/server';
import type { Context } from 'hono';
import { SessionDbError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { SessionStore } from '../core/store.js';
import type { Caller } from '../server/auth.js';
import type { Env } from '../server/routes.js';
import type { McpLogger } from './errors.js';
import { resolveMcpLimits, type McpLimits } from './limits.js';

/** Where the HTTP server answers MCP. */
export const MCP_PATH = '/mcp';

/** How `/mcp` behaves; every field optional. */
export interface McpHttpOptions {
  /** List no tool that writes, for every caller (a key's own `readOnly` does it for that key). */
  readOnly?: boolean;
  /** What one result may hold. Defaults: 200 events, 256 KiB. */
  limits?: Partial<McpLimits>;
  /**
   * DNS-rebinding protection: the `Host` names (no port; IPv6 in brackets)
   * `/mcp` answers; any other gets 403. Off when absent. `sessiondb serve`
   * listening on loopback sets the loopback names.
   */
  allowedHosts?: string[];
  /** The `Origin` hostnames a browser request may come from (a request without `Origin` passes). Off when absent. */
  allowedOrigins?: string[];
}

/** What the HTTP app lends the `/mcp` route: its store, how it authenticates and rate-limits, its limits. */
export interface McpRouteContext extends McpHttpOptions {
  store: SessionStore;
  authenticate(header: (name: string) => string | undefined): Caller;
  /** Takes one request from the caller's budget: 0, or the seconds to wait. */
  rateLimit(caller: Caller): number;
  bodyLimitBytes: number;
  logger?: McpLogger;
}

/**
 * The `/mcp` route: MCP's Streamable HTTP transport behind the API's keys.
 * Host and Origin are checked first (when configured), then the API key: its
 * tenant is the tenant the tools see (an admin key may name another with
 * `X-Sessiondb-Tenant`), its `readOnly` leaves out the tools that write.
 *
 * Stateless: each request gets a fresh server from `createMcpServer`, so any
 * instance behind a load balancer can answer any request and nothing is held
 * between requests. The SDK and the tools load on the first request.
 */
export function mcpRoute(ctx: McpRouteContext): (c: Context<Env>) => Promise<Response> {
  const limits = resolveMcpLimits(ctx.limits);
  let loaded: Promise<{ handler: McpHttpHandler; refuse: (request: Request) => Response | undefined }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const [sdk, { createMcpServer }] = await Promise.all([import('@modelcontextprotocol/server'), import('./server.js')]);
      const handler = sdk.createMcpHandler(
        ({ authInfo }) => {
          const caller = authInfo?.extra?.['caller'] as Caller;
          return createMcpServer({ store: ctx.store, tenant: caller.tenant, readOnly: ctx.readOnly === true || caller.readOnly, limits, logger: ctx.logger });
        },
        { maxRequestBodySize: ctx.bodyLimitBytes, onerror: (err) => ctx.logger?.error({ error: redactSecrets(err.message) }, 'MCP request failed') },
      );
      const refuse = (request: Request) =>
        (ctx.allowedHosts ? sdk.hostHeaderValidationResponse(request, ctx.allowedHosts) : undefined) ??
        (ctx.allowedOrigins ? sdk.originValidationResponse(request, ctx.allowedOrigins) : undefined);
      return { handler, refuse };
    })());

  return async (c) => {
    c.set('route', MCP_PATH);
    const { handler, refuse } = await load();
    const refused = refuse(c.req.raw);
    if (refused) return refused;
    const header = (name: string) => c.req.header(name);
    let caller: Caller;
    try {
      caller = ctx.authenticate(header);
    } catch (err) {
      if (err instanceof SessionDbError && err.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer realm="sessiondb"');
      throw err;
    }
    c.set('caller', caller);
    const wait = ctx.rateLimit(caller);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new SessionDbError('rate_limited', `Too many requests: the limit is ${caller.rateLimitPerMinute} a minute. Retry in ${wait} s.`);
    }
    // The key itself never goes further than this function: the server factory gets the caller only.
    return handler.fetch(c.req.raw, { authInfo: { token: '', clientId: caller.keyName ?? 'anonymous', scopes: [], extra: { caller } } });
  };
}

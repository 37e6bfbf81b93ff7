import { serve as serveNode, type ServerType } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { createFromConfig } from '../config/load.js';
import { redactStoreUrl } from '../config/redact.js';
import type { Config } from '../config/schema.js';
import { SessionDbError } from '../core/errors.js';
import { EncryptedStore } from '../encryption/encrypted-store.js';
import type { EventHook } from '../telemetry/events.js';
import { createApp } from './app.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** The Host and Origin hostnames a loopback listener answers at /mcp (IPv6 in brackets, as the header writes it). */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), flushes and closes the store. */
  stop(): Promise<void>;
}

/**
 * Runs the HTTP API on Node for a configuration: opens the store, starts the
 * manager's sweeper, listens. Without API keys it binds only to loopback
 * unless `insecure` is set.
 */
export async function startServer(config: Config, options: { insecure?: boolean; logger?: Logger; onEvent?: EventHook } = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ base: undefined });
  const { host, port, apiKeys, corsOrigins, bodyLimitBytes, shutdownGraceMs, rateLimitPerMinute, metricsToken, console: consoleOn } = config.server;
  if (!apiKeys.length && !LOOPBACK.has(host) && !options.insecure) {
    throw new SessionDbError(
      'forbidden',
      `Refusing to listen on ${host} without API keys: anyone who can reach it could read every session. ` +
        'Configure server.apiKeys (or SESSIONDB_API_KEYS), listen on 127.0.0.1, or pass --insecure if something in front of it authenticates.',
    );
  }
  // The library's logger interface over pino: store warnings and failing onEvent hooks land in the server's log.
  const libraryLogger = { warn: (message: string, fields?: Record<string, unknown>) => logger.warn(fields ?? {}, message), error: (message: string, fields?: Record<string, unknown>) => logger.error(fields ?? {}, message) };
  const manager = await createFromConfig(config, { logger: libraryLogger });
  await manager.startup();
  const storeUrl = redactStoreUrl(config.url);
  const sealing = manager.store instanceof EncryptedStore ? { encryption: `on, sealing with key "${manager.store.writeKeyId}"` } : {};
  logger.info({ store: manager.store.kind, storeUrl, ...sealing }, 'store opened');
  const app = createApp({
    store: manager.store, // the manager's view: creates count against maxActiveSessions and raise lifecycle events
    manager,
    onEvent: options.onEvent,
    apiKeys,
    rateLimitPerMinute,
    metricsToken,
    corsOrigins,
    bodyLimitBytes,
    console: consoleOn,
    logger,
    info: { expiryHours: config.manager.expiryHours, autoSave: config.manager.autoSave, storagePath: storeUrl },
    // On loopback, /mcp answers only loopback Host names and origins (DNS-rebinding protection).
    mcp: { readOnly: config.mcp.readOnly, limits: { maxEvents: config.mcp.maxEvents, maxBytes: config.mcp.maxBytes }, ...(LOOPBACK.has(host) ? { allowedHosts: LOOPBACK_NAMES, allowedOrigins: LOOPBACK_NAMES } : {}) },
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serveNode({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  logger.info({ url, store: manager.store.kind, console: consoleOn ? `${url}/ui/` : 'off', auth: describeAuth(apiKeys.length, metricsToken !== undefined, LOOPBACK.has(host)) }, 'sessiondb listening');
  if (!apiKeys.length) logger.info({}, 'no API keys configured: every request uses the "default" tenant');

  let stopping: Promise<void> | null = null;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), shutdownGraceMs).unref());
        if ((await Promise.race([closed.then(() => 'closed' as const), timer])) === 'timeout') {
          logger.error({ graceMs: shutdownGraceMs }, 'requests still running after the grace period; closing their connections');
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        }
        await manager.shutdown();
        logger.info({}, 'sessiondb stopped');
      })();
      return stopping;
    },
  };
}

/** How the server authenticates, for its startup log line (never the keys themselves). */
function describeAuth(keys: number, metricsToken: boolean, loopback: boolean): string {
  if (keys === 0) return loopback ? 'none (loopback only)' : 'none (--insecure: every caller is trusted; authenticate in front of it)';
  return `${keys} API key${keys === 1 ? '' : 's'}${metricsToken ? ', a metrics token' : ''}`;
}

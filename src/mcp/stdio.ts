import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { pino } from 'pino';
import { openStoreFromConfig, storeUrlFromConfig } from '../config/load.js';
import { redactStoreUrl } from '../config/redact.js';
import type { Config } from '../config/schema.js';
import { redactSecrets } from '../core/redact.js';
import { checkName } from '../core/validate.js';
import { createMcpServer, type CreateMcpServerOptions } from './server.js';

/** A running stdio MCP server. */
export interface StdioMcpServer {
  /** Resolves when the client goes away (standard input ends) or `close()` was called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `createMcpServer(options)` over this process's standard input and
 * output (stdout carries only the protocol). Either protocol era a client
 * opens with is served, from the same server factory.
 */
export function serveMcpStdio(options: CreateMcpServerOptions): StdioMcpServer {
  const wire = new StdioServerTransport();
  const handle = serveStdio(() => createMcpServer(options), {
    transport: wire,
    onerror: (err) => options.logger?.error({ error: redactSecrets(err.message) }, 'MCP transport error'),
  });
  // serveStdio owns the transport's onclose; wrapping it is how we learn the connection ended.
  const closed = new Promise<void>((resolve) => {
    const own = wire.onclose;
    wire.onclose = () => {
      own?.();
      resolve();
    };
  });
  return { closed, close: () => handle.close() };
}

/**
 * `sessiondb mcp`: opens the configured store, serves it over stdio until the
 * client closes standard input (or SIGTERM/SIGINT), then closes the store.
 * Logs are JSON lines on stderr.
 */
export async function runMcpStdio(config: Config, options: { tenant?: string } = {}): Promise<void> {
  const logger = pino({ base: undefined }, pino.destination({ fd: 2, sync: true }));
  const store = await openStoreFromConfig(config);
  try {
    const tenant = options.tenant === undefined ? undefined : checkName('--tenant', options.tenant, store.limits);
    const server = serveMcpStdio({ store, tenant, readOnly: config.mcp.readOnly, limits: { maxEvents: config.mcp.maxEvents, maxBytes: config.mcp.maxBytes }, logger });
    const stop = () => void server.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    logger.info(
      { store: store.kind, storeUrl: redactStoreUrl(storeUrlFromConfig(config)), tenant: tenant ?? 'default', readOnly: config.mcp.readOnly, maxEvents: config.mcp.maxEvents, maxBytes: config.mcp.maxBytes },
      'sessiondb MCP server on stdio',
    );
    await server.closed;
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  } finally {
    await store.close();
  }
}

import type { CallToolResult } from '@modelcontextprotocol/server';
import { SessionDbError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';

/** Where the MCP server reports what a caller is not told (pino fits). */
export interface McpLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * What a caller is told of an error: a `SessionDbError`'s own message (the
 * API's), secrets redacted; for an unavailable database or an unexpected
 * fault, a fixed sentence, the details going to the log only.
 */
export function callerMessage(err: unknown, logger?: McpLogger): { code: string; message: string } {
  if (err instanceof SessionDbError && err.code !== 'unavailable') return { code: err.code, message: redactSecrets(err.message) };
  const detail = redactSecrets(err instanceof Error ? err.message : String(err));
  if (err instanceof SessionDbError) {
    logger?.error({ error: detail }, 'database unavailable');
    return { code: 'unavailable', message: 'The database is unavailable (busy or unreachable); retry shortly. The details are in the server log.' };
  }
  logger?.error({ error: detail, stack: err instanceof Error ? err.stack : undefined }, 'MCP tool failed');
  return { code: 'internal', message: 'An internal error occurred; it was logged by the server.' };
}

/** An MCP tool error (`isError`) carrying the caller's message; the code goes in `_meta`. */
export function toolError(err: unknown, logger?: McpLogger): CallToolResult {
  const { code, message } = callerMessage(err, logger);
  return { isError: true, content: [{ type: 'text', text: message }], _meta: { 'sessiondb/code': code } };
}

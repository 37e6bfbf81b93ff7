import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/server';
import type { SessionStore } from '../core/store.js';
import { DEFAULT_TENANT } from '../core/types.js';
import { resolveTenant } from '../core/validate.js';
import type { McpLogger } from './errors.js';
import { resolveMcpLimits, type McpLimits } from './limits.js';
import { readTools } from './read-tools.js';
import { registerTranscriptResource } from './resources.js';
import { registerTools, type ToolDef } from './tool-kit.js';
import { writeTools } from './write-tools.js';

export type { McpLogger } from './errors.js';
export type { McpLimits } from './limits.js';

export interface CreateMcpServerOptions {
  store: SessionStore;
  /** The one tenant every tool and resource sees. Default "default". */
  tenant?: string;
  /** Leave out every tool that writes (they are not listed, not merely refused). */
  readOnly?: boolean;
  /** What one result may hold; beyond it, a cursor and a note. Defaults: 200 events, 256 KiB. */
  limits?: Partial<McpLimits>;
  /** Where faults the caller is not told about are reported. */
  logger?: McpLogger;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const INSTRUCTIONS = [
  'sessiondb keeps the conversations of chat and agent applications. A session is named by three names: appName, userId and sessionId; its history is a list of events numbered by seq (1, 2, 3…).',
  'To find a past conversation, use search_sessions (full-text, with snippets) or list_sessions (newest first); then read it with read_transcript, a page at a time (afterSeq continues a page).',
  'get_session shows the state, counters and newest events; export_session gives json, markdown or text.',
  'Writes (when offered): create_session, append_message (pass expectVersion to avoid overwriting a concurrent change), fork_session, archive_session.',
  'Results are bounded: a result that stops early says so and names the cursor or afterSeq to continue with.',
].join('\n');

const built = new Map<string, readonly ToolDef[]>();

/**
 * The tool definitions for a `maxEvents` (their descriptions name it), built
 * once: zod schemas take milliseconds to build, and the HTTP transport makes
 * a server per request.
 */
function toolsFor(maxEvents: number, readOnly: boolean): readonly ToolDef[] {
  const key = `${maxEvents}:${readOnly}`;
  let tools = built.get(key);
  if (!tools) built.set(key, (tools = [...readTools(maxEvents), ...(readOnly ? [] : writeTools())]));
  return tools;
}

/**
 * An MCP server over a store, bound to one tenant: the tools (list_sessions,
 * get_session, read_transcript, search_sessions, export_session, get_stats,
 * and unless `readOnly` create_session, append_message, fork_session,
 * archive_session) and each session's transcript as a resource. Both
 * transports use it: `sessiondb mcp` (stdio) and `/mcp` of the HTTP server
 * (one instance per request).
 */
export function createMcpServer(options: CreateMcpServerOptions): McpServer {
  const tenant = resolveTenant(options.tenant ?? DEFAULT_TENANT, options.store.limits);
  const ctx = { store: options.store, tenant, limits: resolveMcpLimits(options.limits), logger: options.logger };
  const server = new McpServer({ name: 'sessiondb', title: 'sessiondb', version: VERSION }, { instructions: INSTRUCTIONS });
  registerTools(server, ctx, toolsFor(ctx.limits.maxEvents, options.readOnly === true));
  registerTranscriptResource(server, ctx);
  return server;
}

import type { CallToolResult, McpServer, ToolAnnotations, ToolCallback } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { SessionStore } from '../core/store.js';
import type { SessionKey } from '../core/types.js';
import { toolError, type McpLogger } from './errors.js';
import type { McpLimits } from './limits.js';

/** What every tool works with: the store, the one tenant it may see, the result bounds. */
export interface ToolContext {
  store: SessionStore;
  tenant: string;
  limits: McpLimits;
  logger?: McpLogger;
}

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(args: z.output<I>): Promise<CallToolResult>;
}

/**
 * Registers a tool whose errors become MCP tool errors (`isError`) with the
 * API's messages, never a failed request or a crashed server.
 */
export function registerTool<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, ctx: ToolContext, name: string, spec: ToolSpec<I, O>): void {
  const callback = async (args: z.output<I>): Promise<CallToolResult> => {
    try {
      return await spec.run(args);
    } catch (err) {
      return toolError(err, ctx.logger);
    }
  };
  server.registerTool(
    name,
    { title: spec.title, description: spec.description, inputSchema: spec.input, outputSchema: spec.output, annotations: { openWorldHint: false, ...spec.annotations } },
    callback as ToolCallback<I>, // the SDK's conditional callback type does not resolve for a generic schema
  );
}

/** A result: its text blocks (for the model) and the same facts as structured content (for programs). */
export function result(text: string | string[], structured: Record<string, unknown>): CallToolResult {
  return { content: (Array.isArray(text) ? text : [text]).map((t) => ({ type: 'text' as const, text: t })), structuredContent: structured };
}

const name = (what: string) => z.string().min(1).describe(what);

/** The three names of a session, as every per-session tool takes them. */
export const sessionKeyShape = {
  appName: name('The app the session belongs to'),
  userId: name('The user the session belongs to (a user id is unique within its app)'),
  sessionId: name('The session id'),
};

export const expectVersionField = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe("Write only if the session is still at this version (the version get_session showed); otherwise nothing is written and the call fails with a conflict. Leave it out to write whatever the version");

/** The session a tool's arguments name, in the context's tenant. */
export function keyOf(ctx: ToolContext, args: { appName: string; userId: string; sessionId: string }): Required<SessionKey> {
  return { tenant: ctx.tenant, appName: args.appName, userId: args.userId, sessionId: args.sessionId };
}

/** `3 sessions`, `1 event`. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

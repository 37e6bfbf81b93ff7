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

/** One tool: its schemas and descriptions (built once, shared by every server instance) and what it does. */
export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** Left out in read-only mode. */
  writes: boolean;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(ctx: ToolContext, args: z.output<I>): Promise<CallToolResult>;
}

/** Declares a tool (typing `run`'s arguments from its input schema). */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef {
  return def as unknown as ToolDef;
}

/**
 * Registers tools on a server, bound to a context; errors become MCP tool
 * errors (`isError`) with the API's messages, never a failed request or a
 * crashed server.
 */
export function registerTools(server: McpServer, ctx: ToolContext, tools: readonly ToolDef[]): void {
  for (const tool of tools) {
    const callback = async (args: z.output<z.ZodObject>): Promise<CallToolResult> => {
      try {
        return await tool.run(ctx, args);
      } catch (err) {
        return toolError(err, ctx.logger);
      }
    };
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: withMemoizedJsonSchema(tool.input),
        outputSchema: withMemoizedJsonSchema(tool.output),
        annotations: { openWorldHint: false, ...tool.annotations },
      },
      callback as ToolCallback<z.ZodObject>, // the SDK's conditional callback type does not resolve for a schema known only as ZodObject
    );
  }
}

const memoized = new WeakMap<z.ZodObject, z.ZodObject>();

/**
 * The schema with its JSON Schema conversions done once. The HTTP transport
 * makes a server per request, and the SDK converts each tool's schemas again
 * on every instance: 10–35 ms for a tools/list of the ten tools (measured on
 * the shared 2-vCPU machine), a few ms per tools/call. Validation is zod's own.
 */
function withMemoizedJsonSchema(schema: z.ZodObject): z.ZodObject {
  let wrapped = memoized.get(schema);
  if (!wrapped) {
    const standard = schema['~standard'];
    const done = new Map<string, Record<string, unknown>>();
    const convert = (io: 'input' | 'output') => (options: { target: string }) => {
      const key = `${io}:${options.target}`;
      let json = done.get(key);
      if (!json) done.set(key, (json = standard.jsonSchema[io](options as Parameters<typeof standard.jsonSchema.input>[0])));
      return json;
    };
    // Only the standard-schema face is read by the SDK for tools (validate, jsonSchema).
    wrapped = { '~standard': { ...standard, jsonSchema: { input: convert('input'), output: convert('output') } } } as unknown as z.ZodObject;
    memoized.set(schema, wrapped);
  }
  return wrapped;
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

import { z } from 'zod';
import { keyListProblem } from '../encryption/keys.js';

/** Everything sessiondb can be configured with, after defaults. */
export const configSchema = z
  .object({
    /** The store URL (see openStore). */
    url: z.string().min(1).default('sqlite:./data/sessions.db'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        /** API keys, each bound to one tenant; give `sha256` (hex of the key) rather than `key` in files. */
        apiKeys: z
          .array(
            z
              .object({
                tenant: z.string().min(1),
                name: z.string().optional(),
                key: z.string().min(16).optional(),
                sha256: z.string().regex(/^[0-9a-f]{64}$/i).optional(),
                /** May act for any tenant (X-Sessiondb-Tenant) and call /v1/admin/*. */
                admin: z.boolean().optional(),
                /** May only read: every write of the API is refused (403) and MCP lists no tool that writes. */
                readOnly: z.boolean().optional(),
                rateLimitPerMinute: z.number().int().min(1).optional(),
              })
              .strict()
              .refine((k) => (k.key === undefined) !== (k.sha256 === undefined), 'give exactly one of key or sha256'),
          )
          .default([]),
        /** A token that may read /metrics (and nothing else) once API keys are configured; give `sha256` (hex of the token) rather than `key` in files. */
        metricsToken: z
          .object({ key: z.string().min(16).optional(), sha256: z.string().regex(/^[0-9a-f]{64}$/i).optional() })
          .strict()
          .refine((k) => (k.key === undefined) !== (k.sha256 === undefined), 'give exactly one of key or sha256')
          .optional(),
        corsOrigins: z.array(z.string()).default([]),
        /** Requests per minute per API key; a key's own rateLimitPerMinute overrides it. Off when absent. */
        rateLimitPerMinute: z.number().int().min(1).optional(),
        bodyLimitBytes: z.number().int().min(1024).default(2 * 1024 * 1024),
        /** On SIGTERM/SIGINT: how long in-flight requests get to finish. */
        shutdownGraceMs: z.number().int().min(0).default(10_000),
        /** Serve the web console at /ui/ (and redirect / there). */
        console: z.boolean().default(true),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8787, apiKeys: [], corsOrigins: [], bodyLimitBytes: 2 * 1024 * 1024, shutdownGraceMs: 10_000, console: true }),
    /** PostgreSQL pool bounds (added to a postgres:// URL that does not set them). */
    pool: z
      .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(1).optional() })
      .strict()
      .default({}),
    manager: z
      .object({
        autoSave: z.boolean().default(true),
        flushIntervalMs: z.number().int().min(0).default(5000),
        expiryHours: z.number().min(0).nullable().default(168),
        onExpire: z.enum(['mark', 'delete']).default('mark'),
        sweepIntervalMs: z.number().int().min(0).default(3_600_000),
        maxCachedSessions: z.number().int().min(0).default(1000),
        /** Creating a session beyond this many active ones fails (HTTP 503, code "capacity"); null: no limit. Seed 004's max_concurrent_sessions. */
        maxActiveSessions: z.number().int().min(1).nullable().default(null),
      })
      .strict()
      .default({ autoSave: true, flushIntervalMs: 5000, expiryHours: 168, onExpire: 'mark', sweepIntervalMs: 3_600_000, maxCachedSessions: 1000, maxActiveSessions: null }),
    /** Encryption at rest: on when keys are given. Give keys through SESSIONDB_ENCRYPTION_KEYS rather than in a file. */
    encryption: z
      .object({
        /** The first key seals what is written; every key opens. */
        keys: z
          .array(z.object({ id: z.string(), key: z.string() }).strict())
          .default([])
          .superRefine((keys, ctx) => {
            const problem = keys.length ? keyListProblem(keys) : null;
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
        /** Read values stored in plain text before encryption was turned on (until `sessiondb rekey` has sealed them). */
        acceptPlaintext: z.boolean().default(false),
      })
      .strict()
      .default({ keys: [], acceptPlaintext: false }),
    /** The MCP server (`sessiondb mcp` over stdio, `/mcp` of `sessiondb serve`). */
    mcp: z
      .object({
        /** List no tool that writes, for every caller. */
        readOnly: z.boolean().default(false),
        /** The most events one tool result or resource holds; beyond it, a cursor. */
        maxEvents: z.number().int().min(1).max(10_000).default(200),
        /** The most bytes one tool result or resource holds (text and structured content together). */
        maxBytes: z.number().int().min(4096).max(64 * 1024 * 1024).default(256 * 1024),
      })
      .strict()
      .default({ readOnly: false, maxEvents: 200, maxBytes: 256 * 1024 }),
    limits: z
      .object({
        maxNameLength: z.number().int().min(1).optional(),
        maxStateKeyLength: z.number().int().min(1).optional(),
        maxEventContentBytes: z.number().int().min(1).optional(),
        maxJsonBytes: z.number().int().min(1).optional(),
        maxEventsPerAppend: z.number().int().min(1).optional(),
        maxPageSize: z.number().int().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
/** What a file, the environment or flags may give: any part, nested as in `Config`. */
export type ConfigInput = z.input<typeof configSchema>;

import { z } from 'zod';

/**
 * Request shapes of the HTTP API. Each validates its input and is also the
 * source of the OpenAPI document (through `z.toJSONSchema`), so the two cannot
 * drift. Deep checks (names, sizes, limits) are the store's: its errors name
 * the field too.
 */
const json = z.record(z.string(), z.unknown());

export const createSessionBody = z
  .object({
    id: z.string().optional().describe('Generated (UUIDv7) when absent'),
    state: json.optional().describe('app:, user: and session keys; temp: keys are dropped'),
    metadata: json.optional(),
    model: z.string().nullable().optional(),
    ttlSeconds: z.number().positive().optional().describe('The session expires this many seconds from now'),
  })
  .strict();

export const patchSessionBody = z
  .object({
    metadata: json.optional().describe('Replaces the metadata object'),
    model: z.string().nullable().optional(),
    status: z.enum(['active', 'archived']).optional(),
    ttlSeconds: z.number().positive().nullable().optional().describe('null: never expires'),
    stateDelta: json.optional(),
  })
  .strict();

const event = z
  .object({
    id: z.string().optional(),
    timestamp: z.number().optional().describe('Epoch milliseconds; default now'),
    author: z.string(),
    role: z.enum(['system', 'user', 'assistant', 'tool']).optional(),
    invocationId: z.string().optional(),
    content: z.unknown().optional(),
    stateDelta: json.optional(),
    metadata: json.optional(),
    partial: z.boolean().optional(),
  })
  .strict();

export const appendBody = z.union([z.object({ events: z.array(event).min(1) }).strict(), event]);

export const fileBody = z
  .object({
    name: z.string(),
    uri: z.string().nullable().optional(),
    displayName: z.string().nullable().optional(),
    size: z.number().int().min(0).optional(),
    mimeType: z.string().nullable().optional(),
    uploadedAt: z.number().optional(),
    expiresAt: z.number().nullable().optional(),
    metadata: json.optional(),
    appName: z.string().nullable().optional(),
    userId: z.string().nullable().optional(),
    sessionId: z.string().nullable().optional(),
  })
  .strict();

const int = (what: string) => z.coerce.number().int().min(0).describe(what);

export const listQuery = z
  .object({
    limit: int('Sessions per page (default 50)').optional(),
    cursor: z.string().optional(),
    status: z.enum(['active', 'archived', 'expired']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .strict();

export const getSessionQuery = z
  .object({
    events: int('How many of the newest events (default 100)').optional(),
    afterTimestamp: z.coerce.number().optional().describe('Only events at or after this time (epoch ms)'),
  })
  .strict();

export const eventsQuery = z
  .object({
    afterSeq: int('Events after this seq (ascending)').optional(),
    beforeSeq: int('Events before this seq (descending)').optional(),
    limit: int('Events per page (default 100)').optional(),
    order: z.enum(['asc', 'desc']).optional(),
    cursor: z.string().optional(),
  })
  .strict();

export const exportQuery = z.object({ format: z.enum(['json', 'markdown', 'text']).default('json') }).strict();

export const filesQuery = z
  .object({ limit: int('Records per page').optional(), cursor: z.string().optional(), sessionId: z.string().optional() })
  .strict();

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
    metadata: json.optional().describe('Free-form; `title` is searched with the events'),
    model: z.string().nullable().optional().describe('The model the session talks to'),
    status: z.enum(['active', 'archived', 'expired']).optional().describe('Default "active"'),
    ttlSeconds: z.number().positive().optional().describe('The session expires this many seconds from now'),
    expiresAt: z.number().nullable().optional().describe('Absolute expiry (epoch ms); null: never. Not with ttlSeconds'),
    createdAt: z.number().optional().describe('For imports: the original creation time (epoch ms)'),
    updatedAt: z.number().optional().describe('For imports: the original update time (epoch ms)'),
  })
  .strict()
  .refine((b) => b.ttlSeconds === undefined || b.expiresAt === undefined, { message: 'give ttlSeconds or expiresAt, not both', path: ['expiresAt'] });

export const patchSessionBody = z
  .object({
    metadata: json.optional().describe('Replaces the metadata object'),
    model: z.string().nullable().optional().describe('The model the session talks to; null: none recorded'),
    status: z.enum(['active', 'archived', 'expired']).optional().describe('"active" also marks activity now (a restore)'),
    ttlSeconds: z.number().positive().nullable().optional().describe('null: never expires'),
    expiresAt: z.number().nullable().optional().describe('Absolute expiry (epoch ms); null: never. Not with ttlSeconds'),
    lastActivityAt: z.number().optional().describe('Marks activity at this time (epoch ms)'),
    stateDelta: json.optional().describe('Applied as an event\'s: app: and user: keys to their scopes, temp: keys dropped'),
  })
  .strict()
  .refine((b) => b.ttlSeconds === undefined || b.expiresAt === undefined, { message: 'give ttlSeconds or expiresAt, not both', path: ['expiresAt'] });

const event = z
  .object({
    id: z.string().optional().describe('Generated (UUIDv7) when absent; an id already stored is not stored again'),
    timestamp: z.number().optional().describe('Epoch milliseconds; default now'),
    author: z.string().describe('Who wrote it: "user", an agent\'s name, a tool'),
    role: z.enum(['system', 'user', 'assistant', 'tool']).optional(),
    invocationId: z.string().optional().describe('Groups the events of one model invocation (ADK)'),
    content: z.unknown().optional().describe('A string, or any JSON value (for example an array of content parts)'),
    stateDelta: json.optional().describe('State changes applied with the event: app: and user: keys to their scopes, temp: keys dropped, null stored as null'),
    metadata: json.optional(),
    partial: z.boolean().optional().describe('A streaming fragment: skipped, never stored'),
  })
  .strict()
  .describe('An event to append');

const eventList = z.object({ events: z.array(event).describe('Stored atomically, in this order') }).strict().describe('Several events to append at once');

/** One event, or `{ events: [...] }`. */
export const appendBody = z.union([eventList, event]);

/** The branch of `appendBody` a body means, so that errors name fields inside it (a union's error names none). */
export function appendBodyBranch(raw: unknown): z.ZodType {
  return raw !== null && typeof raw === 'object' && 'events' in raw ? eventList : event;
}

export const fileBody = z
  .object({
    name: z.string().describe('The file name'),
    uri: z.string().nullable().optional().describe('Where the bytes live'),
    displayName: z.string().nullable().optional(),
    size: z.number().int().min(0).optional().describe('Bytes (default 0)'),
    mimeType: z.string().nullable().optional(),
    uploadedAt: z.number().optional().describe('Epoch ms; default now'),
    expiresAt: z.number().nullable().optional().describe('Epoch ms after which a sweep deletes the record; null: never'),
    metadata: json.optional(),
    appName: z.string().nullable().optional().describe('With userId and sessionId: the session the file belongs to (it must exist; the record is deleted with it)'),
    userId: z.string().nullable().optional(),
    sessionId: z.string().nullable().optional(),
  })
  .strict();

const int = (what: string) => z.coerce.number().int().min(0).describe(what);

const status = z.enum(['active', 'archived', 'expired']);
const cursor = z.string().describe("The previous page's nextCursor");
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listQuery = z
  .object({
    limit: int('Sessions per page (default 50)').optional(),
    cursor: cursor.optional(),
    offset: int('Skip this many sessions first (costs O(offset); prefer cursor; not with cursor)').optional(),
    status: status.optional().describe('Only sessions with this status'),
    order: z.enum(['asc', 'desc']).optional().describe('By update time, then id (default asc)'),
  })
  .strict();

/** The tenant-wide listing: every filter is optional. */
export const tenantListQuery = listQuery
  .extend({ appName: z.string().optional().describe('Only sessions of this app'), userId: z.string().optional().describe('Only sessions of this user') })
  .strict();

export const countQuery = z
  .object({
    appName: z.string().optional().describe('Only sessions of this app'),
    userId: z.string().optional().describe('Only sessions of this user'),
    status: status.optional().describe('Only sessions with this status'),
  })
  .strict();

function eventsError(issue: { input?: unknown }): string {
  return `must be a number of events (0 or more), "all" or "none"; got ${JSON.stringify(issue.input)}`;
}

export const getSessionQuery = z
  .object({
    events: z
      .union([z.enum(['all', 'none']), z.coerce.number({ error: eventsError }).int({ error: eventsError }).min(0, { error: eventsError })], { error: eventsError })
      .optional()
      .describe('How many of the newest events: a number (default 100), "all", or "none" (no events field)'),
    afterTimestamp: z.coerce.number().optional().describe('Only events at or after this time (epoch ms)'),
  })
  .strict();

export const eventsQuery = z
  .object({
    afterSeq: int('Events after this seq (ascending)').optional(),
    beforeSeq: int('Events before this seq (descending)').optional(),
    limit: int('Events per page (default 100)').optional(),
    order: z.enum(['asc', 'desc']).optional().describe('By seq (default asc)'),
    cursor: cursor.optional(),
  })
  .strict();

export const exportQuery = z
  .object({
    format: z.enum(['json', 'markdown', 'text']).default('json').describe('json (loss-free, re-importable), markdown or text'),
    superseded: flag.optional().describe('Also the events rewinds superseded: a `superseded` array in JSON, a marked section after the history in Markdown and text'),
  })
  .strict();

export const filesQuery = z
  .object({
    limit: int('Records per page (default 50)').optional(),
    cursor: cursor.optional(),
    appName: z.string().optional().describe('Only records of this app'),
    userId: z.string().optional().describe('Only records of this user'),
    sessionId: z.string().optional().describe('Only records of this session'),
  })
  .strict();

/**
 * A whole session: `{ session, state, events }` as read for a copy, or a JSON
 * export as `GET …/export?format=json` returns it, envelope (`format`,
 * `version`) and shared state (`appState`, `userState`) included. The store
 * checks it deeply.
 */
export const snapshotBody = z
  .object({
    format: z.literal('sessiondb.session').optional().describe('A JSON export\'s format tag'),
    version: z.literal(1).optional().describe('A JSON export\'s format version'),
    session: json.describe('Every field of the session (as GET returns it, without state and events); its ids must match the URL'),
    state: json.describe("The session's own keys"),
    appState: json.optional().describe('app: keys, written after the session (as an export carries them)'),
    userState: json.optional().describe('user: keys, written after the session'),
    events: z.array(json).describe('The events with their ids, seqs 1..n and timestamps'),
    history: z.array(json).optional().describe("The session's log of state changes no event carried (as an export carries it); absent: the log starts from `state`"),
    superseded: z.array(json).optional().describe('Superseded events of an export made with ?superseded=true: accepted and not stored'),
  })
  .strict();

export const importQuery = z.object({ replace: flag.optional().describe('Replace the session if it exists') }).strict();

export const activityBody = z
  .object({
    durationMs: z.number().min(0).optional().describe('How long the request took'),
    at: z.number().optional().describe('When (epoch ms); default now'),
    count: z.number().int().min(1).optional().describe('How many requests this records (default 1)'),
  })
  .strict();

export const stateDeltaBody = json.describe('Keys to set; null values are stored as null');

export const updateKeysBody = z
  .object({
    delta: json.describe('app:, user: and session keys to set; a null value deletes its key; temp: keys are dropped'),
  })
  .strict();

export const scanQuery = z.object({ limit: int('Items per page (default 500)').optional(), cursor: cursor.optional() }).strict();

export const sweepBody = z
  .object({
    now: z.number().optional().describe('Expire what expired at or before this time (epoch ms); default now'),
    idleBefore: z.number().optional().describe('Also expire active sessions idle since this time or earlier'),
    mode: z.enum(['mark', 'delete']).optional().describe('What happens to expired sessions: mark them expired (default) or delete them; expired file records are always deleted'),
  })
  .strict();

const epochMs = (what: string) => z.coerce.number().describe(what);

/** `GET /v1/search`: the query and its filters; the tenant is the caller's. */
export const searchQuery = z
  .object({
    q: z.string().describe('The query: words (all must occur), "a phrase", -excluded, prefix* (at most 1,000 characters)'),
    appName: z.string().optional().describe('Only this app'),
    userId: z.string().optional().describe('Only this user'),
    sessionId: z.string().optional().describe('Only this session'),
    role: z.enum(['system', 'user', 'assistant', 'tool']).optional().describe('Only events with this role (no title hits)'),
    author: z.string().optional().describe('Only events by this author (no title hits)'),
    after: epochMs('Only events at or after this time (epoch ms; title hits: the session\'s updatedAt)').optional(),
    before: epochMs('Only events before this time (epoch ms)').optional(),
    status: status.optional().describe('Only sessions with this status'),
    limit: int('Hits per page (default 20)').optional(),
    cursor: cursor.optional().describe("The previous page's nextCursor, of the same search"),
  })
  .strict();

export const forkBody = z
  .object({
    newSessionId: z.string().optional().describe('The new session\'s id (default: a new UUIDv7)'),
    upToSeq: z.number().int().min(0).optional().describe('The last event the fork keeps (default: the last; 0: none)'),
    userId: z.string().optional().describe('Fork into another user of the same app (default: the same user)'),
  })
  .strict();

export const rewindBody = z
  .object({
    toSeq: z.number().int().min(0).describe('The seq the visible history ends at afterwards (0: no events)'),
    expectVersion: z.number().int().min(0).optional().describe('Rewind only if the session is at this version (or send If-Match)'),
  })
  .strict();

export const supersededQuery = z.object({ limit: int('Events per page (default 100)').optional(), cursor: cursor.optional() }).strict();

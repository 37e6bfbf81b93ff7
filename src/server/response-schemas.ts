import { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { MigrationStatus } from '../core/store.js';
import type {
  AppendResult, EventPage, FilePage, FileRecord, RewindResult, SearchHit, SearchPage, Session, SessionEvent, SessionKeyPage, SessionPage,
  SharedStatePage, StateChange, StoreStats, SupersededEvent, SupersededPage, SweepResult,
} from '../core/types.js';
import type { SessionExport } from '../transfer/session-export.js';
import * as ex from './api-examples.js';

/**
 * Response shapes of the HTTP API, for the OpenAPI document only: handlers
 * return the store's objects as they are, and a test checks every route's real
 * answer against these. The `z.ZodType<T>` annotations keep each shape in step
 * with the TypeScript type it documents.
 */

const json = z.record(z.string(), z.unknown());
const epochMs = (what: string) => z.number().describe(`${what} (epoch milliseconds)`);
const count = (what: string) => z.number().int().min(0).describe(what);
const nextCursor = z.string().nullable().describe('Pass it back as `cursor` for the next page; null on the last page');
const role = z.enum(['system', 'user', 'assistant', 'tool']);
const status = z.enum(['active', 'archived', 'expired']);

const eventFields = {
    id: z.string().describe('Unique within the session; appending an existing id again stores nothing'),
    seq: z.number().int().min(1).describe('1, 2, 3… per session, gapless: the order of the history'),
    timestamp: epochMs('When it happened'),
    author: z.string().describe('Who wrote it: "user", an agent\'s name, a tool'),
    role: role.optional(),
    invocationId: z.string().optional().describe('Groups the events of one model invocation (ADK)'),
    content: z.unknown().optional().describe('A string, or any JSON value (for example an array of content parts)'),
    stateDelta: json.optional().describe('The state changes this event carried (temp: keys removed)'),
    metadata: json.optional(),
};

export const sessionEvent: z.ZodType<SessionEvent> = z
  .object(eventFields)
  .describe('One entry of the append-only history of a session, as stored')
  .meta({ examples: [ex.userEvent] });

const sessionFields = {
  tenant: z.string(),
  appName: z.string(),
  userId: z.string(),
  id: z.string(),
  metadata: json.describe('Free-form; `title` is searched with the events'),
  model: z.string().nullable(),
  status,
  createdAt: epochMs('Creation time'),
  updatedAt: epochMs('Time of the last write; after an append, the timestamp of the last stored event'),
  lastActivityAt: epochMs('Last activity (idle sweeps look at it)'),
  expiresAt: z.number().nullable().describe('When the session counts as expired (epoch milliseconds); null: never'),
  eventCount: count('Stored events, which is also the seq of the newest one'),
  requestCount: count('Requests counted by …/activity'),
  requestMsTotal: z.number().min(0).describe('Milliseconds of the requests counted by …/activity'),
  version: z.number().int().min(1).describe('+1 on every write; the ETag, and what If-Match and expectVersion name'),
};

export const session: z.ZodType<Session> = z
  .object({
    ...sessionFields,
    state: json.describe('The merged view of the app (app:), user (user:) and session keys'),
    events: z.array(sessionEvent).optional().describe('Present when read with events, oldest first'),
  })
  .describe('A stored session')
  .meta({ examples: [ex.session] });

export const sessionPage: z.ZodType<SessionPage> = z
  .object({ sessions: z.array(session).describe('Without events'), nextCursor })
  .describe('A page of sessions');

export const sessionCount = z.object({ count: count('Sessions that match') }).describe('How many sessions match');

export const eventPage: z.ZodType<EventPage> = z.object({ events: z.array(sessionEvent), nextCursor }).describe('A page of events');

export const appendResult: z.ZodType<AppendResult> = z
  .object({
    events: z.array(sessionEvent).describe('The stored events, with their ids, seqs and timestamps (partial events are skipped)'),
    version: z.number().int().min(1).describe("The session's version after the append"),
  })
  .describe('What an append stored');

export const supersededEvent: z.ZodType<SupersededEvent> = z
  .object({
    ...eventFields,
    supersededAt: epochMs('When the rewind happened'),
    supersededBy: z.number().int().min(1).describe('The session version the rewind wrote: events rewound together share it'),
  })
  .describe('An event a rewind took out of the visible history, kept for audit')
  .meta({ examples: [ex.supersededEvent] });

export const supersededPage: z.ZodType<SupersededPage> = z.object({ events: z.array(supersededEvent), nextCursor }).describe('A page of superseded events');

export const stateChange: z.ZodType<StateChange> = z
  .object({
    atSeq: count("The session's eventCount when the change was made: it came after event atSeq"),
    kind: z.enum(['replace', 'merge']).describe('replace: the session\'s own state became `set`; merge: `set` and `unset` were applied'),
    set: json,
    unset: z.array(z.string()).describe('Keys deleted'),
  })
  .describe('A change to the session\'s own state that no event carried')
  .meta({ examples: [ex.stateChange] });

export const stateHistory = z.object({ changes: z.array(stateChange).describe('Oldest first') }).describe("The session's log of state changes no event carried");

export const rewindResult: z.ZodType<RewindResult> = z
  .object({
    session: session.describe('The session after the rewind (merged state, no events)'),
    superseded: count('How many events were superseded (0: toSeq was already the last seq and nothing was written)'),
  })
  .describe('What a rewind did');

export const sessionExport: z.ZodType<SessionExport> = z
  .object({
    format: z.literal('sessiondb.session'),
    version: z.literal(1),
    session: z.object(sessionFields).describe('Every field of the session but its state and events'),
    state: json.describe("The session's own keys"),
    appState: json.describe('The app: keys the session saw'),
    userState: json.describe('The user: keys the session saw'),
    events: z.array(sessionEvent),
    history: z.array(stateChange).optional().describe('The state-change log, so that a fork or rewind of the imported copy is exact'),
    superseded: z.array(supersededEvent).optional().describe('Only with superseded=true'),
  })
  .describe('A whole session, loss-free; PUT …/sessions/{session} takes it back');

export const searchHit: z.ZodType<SearchHit> = z
  .object({
    tenant: z.string(),
    appName: z.string(),
    userId: z.string(),
    sessionId: z.string(),
    field: z.enum(['content', 'title']).describe("What matched: an event's content, or the session's title (metadata.title)"),
    event: sessionEvent.nullable().describe('The matching event; null for a title hit'),
    snippet: z.string().describe('An excerpt of the matching text, each matched word wrapped in **'),
    score: z.number().describe('Relevance, higher is better; comparable within one search only'),
  })
  .describe('One search result')
  .meta({ examples: [ex.searchHit] });

export const searchPage: z.ZodType<SearchPage> = z.object({ hits: z.array(searchHit).describe('Best first'), nextCursor }).describe('A page of search hits');

export const stateObject = json.describe('State keys and their values');

const storeKind = z.string().describe('The store behind the API: sqlite, postgres, redis, mongodb, file, memory');

const storeStatsFields = {
  sessions: count('Sessions'),
  activeSessions: count('Active sessions'),
  archivedSessions: count('Archived sessions'),
  expiredSessions: count('Expired sessions'),
  events: count('Events'),
  stateKeys: count('State keys of every scope'),
  files: count('File records'),
  bytes: count('Storage size where the store can tell, else an estimate'),
  diskBytes: count("The database's size on disk (SQLite: main file and WAL; PostgreSQL: the store's tables); only in whole-store totals, and absent for stores without a database file").optional(),
};
const stats = z.object({ store: storeKind, ...storeStatsFields });
export const storeStats: z.ZodType<StoreStats & { store: string }> = stats.describe('Totals').meta({ examples: [ex.stats] });

export const legacyStorageStats = z
  .object({
    storage_type: storeKind,
    storage_path: z.string().nullable().describe('Where the database lives, as configured'),
    total_sessions: count("The tenant's sessions"),
    active_sessions: count("The tenant's active sessions"),
    expiration_hours: z.number().nullable().describe('The configured expiry, in hours; null: none'),
    auto_save: z.boolean(),
    file_size_bytes: count("The database's size on disk, which every tenant shares"),
  })
  .describe('Storage statistics in the shape older deployments read')
  .meta({ examples: [ex.legacyStorageStats] });

const limits: z.ZodType<Limits> = z.object({
  maxNameLength: count('Tenant, app name, user id, session id, event id, file id, author: characters'),
  maxStateKeyLength: count('A state key: characters'),
  maxEventContentBytes: count("One event's content: UTF-8 bytes"),
  maxJsonBytes: count('A metadata object, a state delta or an initial state, as JSON: bytes'),
  maxEventsPerAppend: count('Events in one append'),
  maxPageSize: count('The largest `limit` a page may ask for'),
});

const migrationStatus: z.ZodType<MigrationStatus> = z.object({
  current: count('The schema version of the database (0: empty)'),
  latest: count('The newest version this server knows'),
  pending: z.array(z.object({ version: z.number().int(), description: z.string() })).describe('Migrations not yet applied, oldest first'),
});

export const apiInfo = z
  .object({
    store: storeKind,
    limits: limits.describe('Input limits: over one, a request is refused and nothing changes'),
    schema: migrationStatus,
    tenant: z.string().describe('The tenant this caller acts for'),
    admin: z.boolean().describe('Whether the caller may call /v1/admin/* and act for any tenant'),
  })
  .describe('The store behind the API and who the caller acts as')
  .meta({ examples: [ex.info] });

export const fileRecord: z.ZodType<FileRecord> = z
  .object({
    tenant: z.string(),
    id: z.string(),
    name: z.string(),
    uri: z.string().nullable().describe('Where the bytes live'),
    displayName: z.string().nullable(),
    size: count('Bytes'),
    mimeType: z.string().nullable(),
    uploadedAt: epochMs('Upload time'),
    expiresAt: z.number().nullable().describe('When the record is deleted by a sweep (epoch milliseconds); null: never'),
    metadata: json,
    appName: z.string().nullable().describe('With userId and sessionId: the session the file belongs to (deleted with it)'),
    userId: z.string().nullable(),
    sessionId: z.string().nullable(),
  })
  .describe('A record of an uploaded file (the bytes live elsewhere, at uri)')
  .meta({ examples: [ex.fileRecord] });

export const filePage: z.ZodType<FilePage> = z.object({ files: z.array(fileRecord).describe('Newest first'), nextCursor }).describe('A page of file records');

export const sessionKeyPage: z.ZodType<SessionKeyPage> = z
  .object({
    keys: z.array(z.object({ tenant: z.string(), appName: z.string(), userId: z.string(), sessionId: z.string() })).describe('Ordered by tenant, app, user, id'),
    nextCursor,
  })
  .describe('A page of session keys of every tenant')
  .meta({ examples: [ex.sessionKeyPage] });

export const sharedStatePage: z.ZodType<SharedStatePage> = z
  .object({
    items: z.array(z.object({ tenant: z.string(), appName: z.string(), userId: z.string().optional().describe('Absent for app state'), state: json })),
    nextCursor,
  })
  .describe('A page of app or user states of every tenant')
  .meta({ examples: [ex.sharedStatePage] });

export const sweepResult: z.ZodType<SweepResult> = z
  .object({ sessions: count('Sessions expired (or deleted, in delete mode)'), files: count('File records deleted') })
  .describe('What a sweep did')
  .meta({ examples: [ex.sweepResult] });

export const healthStatus = z.object({ status: z.literal('ok') }).describe('The process is alive');
export const readyStatus = z.object({ status: z.literal('ready'), store: storeKind }).describe('The database answers');

/**
 * Every `error.code` the API answers, with its status. The store's codes
 * (`ErrorCode`) plus the two only the server produces.
 */
export const ERROR_CODES: Record<ErrorCode | 'method_not_allowed' | 'internal', { status: number; meaning: string }> = {
  invalid: { status: 400, meaning: 'bad input; details.fields (or details.field) names each bad field' },
  unauthorized: { status: 401, meaning: 'no API key, or not a valid one' },
  forbidden: { status: 403, meaning: 'the key may not act for that tenant, or the route needs an admin key' },
  not_found: { status: 404, meaning: 'no such session, file record or route' },
  method_not_allowed: { status: 405, meaning: 'the path takes other methods (see the Allow header)' },
  exists: { status: 409, meaning: 'the id is taken' },
  conflict: { status: 409, meaning: 'expectVersion did not match (412 when the request carried If-Match)' },
  too_large: { status: 413, meaning: 'the body, or a part of it, is over a limit (details: field, limit, actual, unit)' },
  rate_limited: { status: 429, meaning: 'over the rate limit; retry after Retry-After seconds' },
  unavailable: { status: 503, meaning: 'the database is busy or unreachable; retry after Retry-After seconds' },
  capacity: { status: 503, meaning: 'maxActiveSessions reached: no session can be created or restored now (details: limit, retryAfterSeconds; Retry-After)' },
  missing_dependency: { status: 500, meaning: "a driver package the server's store needs is not installed" },
  schema_mismatch: { status: 500, meaning: "the database's schema is of another version: run the migrations, or upgrade" },
  unsupported: { status: 501, meaning: 'the store cannot do this: search, when it encrypts what it stores' },
  undecryptable: { status: 500, meaning: 'a stored value cannot be decrypted (its key is not configured, or it was altered); the message names the record' },
  internal: { status: 500, meaning: 'an unexpected error, logged with the request id' },
};

const errorCodes = Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]];

export const errorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).describe(`What went wrong; branch on it, never on the message. ${errorCodes.map((c) => `\`${c}\` (${ERROR_CODES[c].status}): ${ERROR_CODES[c].meaning}`).join('; ')}.`),
      message: z.string().describe('For people: what was wrong and what to do; never holds secrets'),
      details: json.optional().describe('Machine-readable context: field, fields, limit, actual, expectedVersion, actualVersion…'),
    }),
  })
  .describe('Every error the API answers (4xx and 5xx) has this shape')
  .meta({ examples: [ex.notFound] });

export const markdownExport = z.string().describe('The session as a Markdown document: its title and facts, then a numbered heading per message with its speaker and time');
export const textExport = z.string().describe('The session as a plain-text transcript, one message per block with its time');

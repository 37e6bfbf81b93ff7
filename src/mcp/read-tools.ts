import { z } from 'zod';
import { SessionDbError, SessionNotFoundError, TooLargeError, ValidationError } from '../core/errors.js';
import { EVENT_ROLES, SESSION_STATUSES, type EventRole, type SessionEvent, type SessionStatus } from '../core/types.js';
import { contentText, formatTime, renderMarkdown, renderText, toSessionExport, EXPORT_FORMATS, type ExportFormat } from '../transfer/session-export.js';
import { byteLength, clip, largestFitting, resultBytes } from './bounds.js';
import { keyOf, plural, defineTool, result, sessionKeyShape, type ToolContext, type ToolDef } from './tool-kit.js';
import { transcriptInfoSchema, transcriptPage } from './transcript.js';
import { eventLine, eventView, eventViewSchema, hitLines, hitView, hitViewSchema, sessionSummarySchema, summarize, summaryLine, type HitView, type SessionSummary } from './views.js';

const READ = { readOnlyHint: true, idempotentHint: true } as const;
const LIST_MAX = 100;
const SEARCH_MAX = 50;
const cursorField = z.string().min(1).optional();

/**
 * The tools that only read: list_sessions, get_session, read_transcript,
 * search_sessions, export_session, get_stats. Their descriptions name
 * `maxEvents`, the most events one result holds.
 */
export function readTools(maxEvents: number): ToolDef[] {
  return [
    defineTool({
      name: 'list_sessions',
      writes: false,
      title: 'List sessions',
      description:
        'Lists stored chat sessions, newest update first: for each its app, user and session id (the three names every other tool takes), title, status, event count and version. ' +
        'Filter by app, user or status; page with the nextCursor the previous call returned.',
      input: z.object({
        appName: z.string().min(1).optional().describe('Only sessions of this app'),
        userId: z.string().min(1).optional().describe('Only sessions of this user (give appName too)'),
        status: z.enum(SESSION_STATUSES).optional().describe('Only sessions with this status'),
        order: z.enum(['desc', 'asc']).optional().describe('By last update: desc (newest first, the default) or asc'),
        limit: z.number().int().min(1).max(LIST_MAX).optional().describe(`Sessions per page (default 20, at most ${LIST_MAX})`),
        cursor: cursorField.describe('The nextCursor of the previous page, with the same filters and order'),
      }),
      output: z.object({ sessions: z.array(sessionSummarySchema), nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null at the end') }),
      annotations: READ,
      async run(ctx, args) {
        const { store, tenant } = ctx;
        if (args.userId !== undefined && args.appName === undefined) throw new ValidationError('userId', 'needs appName too', 'A user id is only unique within an app.');
        const query = { tenant, appName: args.appName, userId: args.userId, status: args.status as SessionStatus | undefined, order: args.order ?? 'desc', cursor: args.cursor };
        const render = (sessions: SessionSummary[], nextCursor: string | null) => {
          const lines = [sessions.length ? `${plural(sessions.length, 'session')} (${query.order === 'desc' ? 'newest' : 'oldest'} first):` : 'No sessions match.'];
          lines.push(...sessions.map((s) => `- ${summaryLine(s)}`));
          if (nextCursor) lines.push('', `More sessions follow: call list_sessions again with cursor ${JSON.stringify(nextCursor)} (and the same filters).`);
          return { text: lines.join('\n'), structured: { sessions, nextCursor } };
        };
        return fittedPage(
          ctx,
          args.limit ?? 20,
          async (limit) => {
            const page = await store.listSessions({ ...query, limit });
            return { items: page.sessions.map(summarize), nextCursor: page.nextCursor };
          },
          render,
        );
      },
    }),

    defineTool({
      name: 'get_session',
      writes: false,
      title: 'Get a session',
      description:
        'One session: its status, model, counters, version, metadata, merged state (app:, user: and session keys) and its newest events. ' +
        'For the whole conversation page by page, use read_transcript.',
      input: z.object({
        ...sessionKeyShape,
        lastEvents: z.number().int().min(0).optional().describe(`How many of the newest events to include (default 20, at most ${maxEvents})`),
      }),
      output: z.object({
        session: sessionSummarySchema.extend({
          lastActivityAt: z.string(),
          expiresAt: z.string().nullable(),
          requestCount: z.number().int(),
          requestMsTotal: z.number(),
          metadata: z.record(z.string(), z.unknown()).nullable().describe('null when too large for one result (see note)'),
          state: z.record(z.string(), z.unknown()).nullable().describe('The merged state; null when too large for one result (see stateKeys)'),
          stateKeys: z.array(z.string()).describe('The names of the state keys (the first ones, when their names alone would not fit)'),
        }),
        events: z.array(eventViewSchema).describe('The newest events, oldest first'),
        omittedEvents: z.number().int().describe('Asked-for events left out to keep within the result limits'),
      }),
      annotations: READ,
      async run(ctx, args) {
        const { store, limits } = ctx;
        const key = keyOf(ctx, args);
        const asked = args.lastEvents ?? 20;
        const wanted = Math.min(asked, limits.maxEvents, store.limits.maxPageSize);
        const session = await store.getSession(key, { lastEvents: wanted });
        if (!session) throw new SessionNotFoundError(key);
        const events = session.events ?? [];
        const notes: string[] = [];
        if (asked > wanted) notes.push(`lastEvents ${asked} is over what one result holds (${wanted}); showing the newest ${wanted}.`);
        // State and metadata are shown whole when they leave room for events; else only the key names.
        const stateText = JSON.stringify(session.state);
        const state = byteLength(stateText) <= limits.maxBytes / 8 ? session.state : null;
        if (!state) notes.push(`The state (${byteLength(stateText).toLocaleString('en-US')} bytes) is too large for one result: only its key names are shown.`);
        const metadataText = JSON.stringify(session.metadata);
        const metadata = byteLength(metadataText) <= limits.maxBytes / 16 ? session.metadata : null;
        if (!metadata) notes.push(`The metadata (${byteLength(metadataText).toLocaleString('en-US')} bytes) is too large for one result and is left out.`);
        const stateKeys: string[] = [];
        for (let room = limits.maxBytes / 16, i = 0, keys = Object.keys(session.state); i < keys.length && (room -= byteLength(keys[i]!) + 4) >= 0; i++) stateKeys.push(keys[i]!);
        const views = events.map((e) => eventView(e, Math.floor(limits.maxBytes / 16)));
        const render = (k: number) => {
          const shown = views.slice(views.length - k);
          const structured = {
            session: {
              ...summarize(session),
              lastActivityAt: new Date(session.lastActivityAt).toISOString(),
              expiresAt: session.expiresAt === null ? null : new Date(session.expiresAt).toISOString(),
              requestCount: session.requestCount,
              requestMsTotal: session.requestMsTotal,
              metadata,
              state,
              stateKeys,
            },
            events: shown,
            omittedEvents: views.length - k,
          };
          const s = structured.session;
          const lines = [
            `Session ${s.appName}/${s.userId}/${s.sessionId}${s.title ? ` — ${JSON.stringify(s.title)}` : ''}`,
            `status ${s.status} · model ${s.model ?? 'not recorded'} · version ${s.version} · ${plural(s.eventCount, 'event')} · ${plural(s.requestCount, 'request')} (${Math.round(s.requestMsTotal)} ms in all)`,
            `created ${formatTime(session.createdAt)} · updated ${formatTime(session.updatedAt)} · last activity ${formatTime(session.lastActivityAt)} · expires ${session.expiresAt === null ? 'never' : formatTime(session.expiresAt)}`,
            `metadata: ${metadata ? JSON.stringify(metadata) : '(too large, left out)'}`,
            `state: ${state ? JSON.stringify(state) : `(too large; keys: ${stateKeys.join(', ')})`}`,
            '',
            shown.length ? `The newest ${plural(shown.length, 'event')} of ${session.eventCount}:` : `No events shown (${session.eventCount} in the session).`,
            ...shown.map(eventLine),
          ];
          const left = k < views.length ? [`${plural(views.length - k, 'older event')} left out to keep within ${limits.maxBytes.toLocaleString('en-US')} bytes: read them with read_transcript.`] : [];
          const all = [...notes, ...left];
          return { text: [...lines, ...(all.length ? ['', ...all] : [])].join('\n'), structured };
        };
        const k = largestFitting(views.length, limits.maxBytes, (n) => {
          const r = render(n);
          return resultBytes(r.text, r.structured);
        });
        const r = render(k);
        return result(r.text, r.structured);
      },
    }),

    defineTool({
      name: 'read_transcript',
      writes: false,
      title: 'Read a transcript',
      description:
        "A session's conversation as Markdown, one section per message (who, when, what; tool calls one line each), by seq, a page at a time. " +
        'When the page is truncated it ends with a note; call again with afterSeq set to the nextAfterSeq it names to continue.',
      input: z.object({
        ...sessionKeyShape,
        afterSeq: z.number().int().min(0).optional().describe('Start after this seq (default 0: from the first message); the nextAfterSeq of the previous page'),
        limit: z.number().int().min(1).optional().describe(`At most this many events (default and ceiling: ${maxEvents})`),
      }),
      output: transcriptInfoSchema,
      annotations: READ,
      async run(ctx, args) {
        const { store, limits } = ctx;
        const page = await transcriptPage(store, keyOf(ctx, args), limits, {
          afterSeq: args.afterSeq,
          limit: args.limit,
          howToContinue: (next) => `Call read_transcript with afterSeq ${next} for the next page.`,
        });
        return result(page.markdown, page.info);
      },
    }),

    defineTool({
      name: 'search_sessions',
      writes: false,
      title: 'Search sessions',
      description:
        'Full-text search over the messages and titles of the stored sessions, best match first. Each hit names its session (appName, userId, sessionId) and seq, with a snippet whose matched words are between ** marks. ' +
        'Query language: words that must all occur, "an exact phrase", -excluded, prefix*. Then read a hit in context with read_transcript (afterSeq a little before its seq).',
      input: z.object({
        query: z.string().min(1).describe('Words (all must occur), "a phrase", -excluded, prefix*'),
        appName: z.string().min(1).optional().describe('Only this app'),
        userId: z.string().min(1).optional().describe('Only this user'),
        sessionId: z.string().min(1).optional().describe('Only this session'),
        role: z.enum(EVENT_ROLES).optional().describe('Only messages with this role (no title hits)'),
        status: z.enum(SESSION_STATUSES).optional().describe('Only sessions with this status'),
        after: z.string().optional().describe('Only messages at or after this time (ISO 8601, e.g. 2026-11-21 or 2026-11-21T09:30:00Z)'),
        before: z.string().optional().describe('Only messages before this time (ISO 8601)'),
        limit: z.number().int().min(1).max(SEARCH_MAX).optional().describe(`Hits per page (default 10, at most ${SEARCH_MAX})`),
        cursor: cursorField.describe('The nextCursor of the previous page of the same search'),
      }),
      output: z.object({ hits: z.array(hitViewSchema), nextCursor: z.string().nullable().describe('Pass as cursor (same query and filters) for more hits; null at the end') }),
      annotations: READ,
      async run(ctx, args) {
        const { store, tenant, limits } = ctx;
        const search = {
          query: args.query,
          tenant,
          appName: args.appName,
          userId: args.userId,
          sessionId: args.sessionId,
          role: args.role as EventRole | undefined,
          status: args.status as SessionStatus | undefined,
          after: timeArg('after', args.after),
          before: timeArg('before', args.before),
          cursor: args.cursor,
        };
        const render = (hits: HitView[], nextCursor: string | null) => {
          const lines = [hits.length ? `${plural(hits.length, 'hit')} for ${JSON.stringify(args.query)}, best first:` : `No hits for ${JSON.stringify(args.query)}.`];
          lines.push(...hits.map(hitLines));
          if (nextCursor) lines.push('', `More hits follow: call search_sessions again with the same query and filters and cursor ${JSON.stringify(nextCursor)}.`);
          return { text: lines.join('\n'), structured: { hits, nextCursor } };
        };
        return fittedPage(
          ctx,
          Math.min(args.limit ?? 10, limits.maxEvents),
          async (limit) => {
            try {
              const page = await store.searchEvents({ ...search, limit });
              return { items: page.hits.map(hitView), nextCursor: page.nextCursor };
            } catch (err) {
              // A query over its size limit is a bad argument, as the API answers it (400, not 413).
              if (err instanceof TooLargeError) throw new SessionDbError('invalid', err.message, err.details);
              throw err;
            }
          },
          render,
        );
      },
    }),

    defineTool({
      name: 'export_session',
      writes: false,
      title: 'Export a session',
      description:
        'A session in an export format: json (every field of the session and its events, the JSON `sessiondb export` writes and importSessionExport takes back), markdown (a document) or text (a plain transcript). ' +
        'A session larger than one result is exported in parts by seq: the result then says so and names the afterSeq of the next part.',
      input: z.object({
        ...sessionKeyShape,
        format: z.enum(EXPORT_FORMATS as [ExportFormat, ...ExportFormat[]]).describe('json | markdown | text'),
        afterSeq: z.number().int().min(0).optional().describe('For the next part of a large session: the nextAfterSeq the previous part named'),
      }),
      output: z.object({
        format: z.enum(EXPORT_FORMATS as [ExportFormat, ...ExportFormat[]]),
        complete: z.boolean().describe('The export holds the whole session (true), or one part of its events'),
        eventCount: z.number().int(),
        fromSeq: z.number().int().nullable(),
        toSeq: z.number().int().nullable(),
        nextAfterSeq: z.number().int().nullable().describe('Pass as afterSeq for the next part; null when this part ends the session'),
      }),
      annotations: READ,
      async run(ctx, args) {
        const { store, limits } = ctx;
        const key = keyOf(ctx, args);
        const afterSeq = args.afterSeq ?? 0;
        const session = await store.getSession(key, { withEvents: false });
        if (!session) throw new SessionNotFoundError(key);
        if (afterSeq > session.eventCount) throw new ValidationError('afterSeq', `is ${afterSeq}, past the session's last event (seq ${session.eventCount})`);
        const page = await store.readEvents(key, { afterSeq, limit: Math.min(limits.maxEvents, store.limits.maxPageSize) });
        if (!page) throw new SessionNotFoundError(key);
        const history = args.format === 'json' && afterSeq === 0 && page.events.length === session.eventCount ? await store.readStateHistory(key) : null;
        let readable: SessionEvent[] = []; // for markdown and text: set once the room for one message is known
        const render = (k: number) => {
          const events = page.events.slice(0, k);
          const toSeq = events.length ? events[events.length - 1]!.seq : null;
          const complete = afterSeq === 0 && k === session.eventCount;
          const info = { format: args.format, complete, eventCount: session.eventCount, fromSeq: events[0]?.seq ?? null, toSeq, nextAfterSeq: (toSeq ?? afterSeq) < session.eventCount ? (toSeq ?? afterSeq) : null };
          let body: string;
          if (args.format === 'json') body = JSON.stringify(toSessionExport(session, events, complete && history ? { history } : {}), null, 2) + '\n';
          else body = args.format === 'markdown' ? renderMarkdown(session, readable.slice(0, k)) : renderText(session, readable.slice(0, k));
          const text = [body];
          if (!complete) {
            text.push(
              `Part of the export: events ${info.fromSeq === null ? 'none' : `seq ${info.fromSeq}–${toSeq}`} of ${session.eventCount}` +
                (args.format === 'json' ? ' (not a whole export: it holds only these events).' : '.') +
                (info.nextAfterSeq !== null ? ` Call export_session again with afterSeq ${info.nextAfterSeq} for the next part.` : '') +
                ` One result holds at most ${plural(limits.maxEvents, 'event')} and ${limits.maxBytes.toLocaleString('en-US')} bytes.`,
            );
          }
          return { text, info };
        };
        const size = (n: number) => {
          const r = render(n);
          return resultBytes(r.text.join(''), r.info);
        };
        const bare = size(0);
        if (bare > limits.maxBytes) {
          throw new SessionDbError(
            'too_large',
            `The session's own fields (its state, metadata and title) alone take ${bare.toLocaleString('en-US')} bytes in this format, more than one MCP result may hold (${limits.maxBytes.toLocaleString('en-US')} bytes). ` +
              'Read it with get_session and read_transcript, or raise mcp.maxBytes where the server is configured.',
            { bytes: bare, limit: limits.maxBytes },
          );
        }
        // Markdown and text show a message's readable text; one too long for what the result leaves is cut (and says so).
        const clipAt = Math.max(256, Math.min(Math.floor(limits.maxBytes / 4), limits.maxBytes - bare - 400));
        readable = page.events.map((e) => {
          const text = contentText(e.content);
          return text !== null && byteLength(text) > clipAt ? { ...e, content: clip(text, clipAt) } : e;
        });
        const k = largestFitting(page.events.length, limits.maxBytes, size);
        if (k === 0 && page.events.length > 0) {
          const first = page.events[0]!;
          const bytes = size(1);
          throw new SessionDbError(
            'too_large',
            `Event seq ${first.seq} alone takes ${bytes.toLocaleString('en-US')} bytes ${args.format === 'json' ? 'as JSON' : 'in this format'}, more than one MCP result may hold (${limits.maxBytes.toLocaleString('en-US')} bytes). ` +
              (args.format === 'json' ? 'Export the session as markdown or text (a long message is cut there), or raise' : 'Raise') +
              ' mcp.maxBytes where the server is configured.',
            { field: 'afterSeq', seq: first.seq, bytes, limit: limits.maxBytes },
          );
        }
        const r = render(k);
        return result(r.text, r.info);
      },
    }),

    defineTool({
      name: 'get_stats',
      writes: false,
      title: 'Store statistics',
      description: 'Totals of the sessions this connection can see: sessions by status, events, state keys, file records and bytes stored.',
      input: z.object({}),
      output: z.object({
        store: z.string().describe('The kind of store: sqlite, postgres, redis, mongodb, file, memory, http'),
        sessions: z.number().int(),
        activeSessions: z.number().int(),
        archivedSessions: z.number().int(),
        expiredSessions: z.number().int(),
        events: z.number().int(),
        stateKeys: z.number().int(),
        files: z.number().int(),
        bytes: z.number().describe('Bytes stored (an estimate where the store cannot tell)'),
      }),
      annotations: READ,
      async run(ctx) {
        const { store, tenant } = ctx;
        const s = await store.stats({ tenant });
        const structured = {
          store: store.kind,
          sessions: s.sessions,
          activeSessions: s.activeSessions,
          archivedSessions: s.archivedSessions,
          expiredSessions: s.expiredSessions,
          events: s.events,
          stateKeys: s.stateKeys,
          files: s.files,
          bytes: s.bytes,
        };
        const text = [
          `store: ${store.kind}`,
          `sessions: ${s.sessions} (${s.activeSessions} active, ${s.archivedSessions} archived, ${s.expiredSessions} expired)`,
          `events: ${s.events}`,
          `state keys: ${s.stateKeys}`,
          `file records: ${s.files}`,
          `bytes: ${s.bytes}`,
        ].join('\n');
        return result(text, structured);
      },
    }),

  ];
}

/** One page of a listing whose cursor is opaque. */
interface Listing<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A page of a listing with an opaque cursor, cut to what fits in the result
 * limits. The store's cursor continues after the last item it returned, so
 * when fewer items fit, the page is read again asking for that many: its
 * cursor then continues exactly after the items shown.
 */
async function fittedPage<T>(ctx: ToolContext, limit: number, read: (limit: number) => Promise<Listing<T>>, render: (items: T[], nextCursor: string | null) => { text: string; structured: Record<string, unknown> }) {
  const max = ctx.limits.maxBytes;
  const size = (items: T[], cursor: string | null) => {
    const r = render(items, cursor);
    return resultBytes(r.text, r.structured);
  };
  let page = await read(limit);
  while (page.items.length > 1 && size(page.items, page.nextCursor) > max) {
    const stand_in = 'c'.repeat(Math.max(64, page.nextCursor?.length ?? 0) + 16); // the shorter page's cursor is not known before it is read
    const fit = largestFitting(page.items.length, max, (m) => size(page.items.slice(0, m), stand_in));
    page = await read(Math.max(1, Math.min(fit, page.items.length - 1)));
  }
  const r = render(page.items, page.nextCursor);
  return result(r.text, r.structured);
}

/** An ISO 8601 time argument as epoch ms; its field named when it is not one. */
function timeArg(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new ValidationError(field, `must be an ISO 8601 time such as 2026-11-21 or 2026-11-21T09:30:00Z, got ${JSON.stringify(value)}`);
  return ms;
}

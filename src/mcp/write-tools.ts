import { z } from 'zod';
import { SessionNotFoundError } from '../core/errors.js';
import { EVENT_ROLES, type EventRole, type JsonObject } from '../core/types.js';
import { forkSession } from '../transfer/fork.js';
import { expectVersionField, keyOf, plural, defineTool, result, sessionKeyShape, type ToolDef } from './tool-kit.js';
import { sessionSummarySchema, summarize, summaryLine } from './views.js';

const jsonObject = z.record(z.string(), z.unknown());

/** The tools that write: create_session, append_message, fork_session, archive_session. Left out in read-only mode. */
export function writeTools(): ToolDef[] {
  return [
    defineTool({
      name: 'create_session',
      writes: true,
      title: 'Create a session',
      description: 'Creates a new, empty session for a user of an app (with an optional title, initial state and metadata). The id is generated unless given.',
      input: z.object({
        appName: sessionKeyShape.appName,
        userId: sessionKeyShape.userId,
        sessionId: z.string().min(1).optional().describe('The new session id (default: a generated UUIDv7); it must not be taken'),
        title: z.string().min(1).optional().describe("A title, stored as metadata.title (it is searched with the messages)"),
        state: jsonObject.optional().describe('Initial state: app:-prefixed keys go to the app, user: keys to the user, other keys to the session; temp: keys are dropped'),
        metadata: jsonObject.optional().describe('Metadata to store with the session'),
        model: z.string().min(1).optional().describe('The model the conversation uses'),
      }),
      output: z.object({ session: sessionSummarySchema }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      async run(ctx, args) {
        const { store, tenant } = ctx;
        const metadata: JsonObject | undefined = args.title === undefined ? args.metadata : { ...args.metadata, title: args.title };
        const session = await store.createSession({ tenant, appName: args.appName, userId: args.userId, id: args.sessionId, state: args.state, metadata, model: args.model });
        const summary = summarize(session);
        return result(`Created session ${summaryLine(summary)}.`, { session: summary });
      },
    }),

    defineTool({
      name: 'append_message',
      writes: true,
      title: 'Append a message',
      description:
        'Adds one message to the end of a session\'s history (the next seq). Pass expectVersion (from get_session or a previous write) to append only if nobody wrote to the session since; ' +
        'on a conflict nothing is written: read the session again and decide.',
      input: z.object({
        ...sessionKeyShape,
        role: z.enum(EVENT_ROLES).describe('Who speaks: user, assistant, system or tool'),
        text: z.string().min(1).describe('The message text'),
        author: z.string().min(1).optional().describe('The author recorded with the message (default: the role)'),
        expectVersion: expectVersionField,
      }),
      output: z.object({
        seq: z.number().int().describe('The seq the message got'),
        eventId: z.string(),
        version: z.number().int().describe("The session's version after the append"),
      }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      async run(ctx, args) {
        const { store } = ctx;
        const key = keyOf(ctx, args);
        const { events, version } = await store.appendEvents(key, [{ author: args.author ?? args.role, role: args.role as EventRole, content: args.text }], {
          expectVersion: args.expectVersion,
        });
        const event = events[0]!;
        return result(`Appended seq ${event.seq} (event ${event.id}) to ${key.appName}/${key.userId}/${key.sessionId}; the session is now at version ${version}.`, {
          seq: event.seq,
          eventId: event.id,
          version,
        });
      },
    }),

    defineTool({
      name: 'fork_session',
      writes: true,
      title: 'Fork a session',
      description:
        "Starts a new session from a session's history: it holds events 1..upToSeq (default: all) and the session's own state as it was right after upToSeq; metadata.forkedFrom names the source. " +
        'The source is not changed. Use it to try another direction from an earlier point of a conversation.',
      input: z.object({
        ...sessionKeyShape,
        upToSeq: z.number().int().min(0).optional().describe('The last event the fork keeps (default: the last event; 0: none)'),
        newSessionId: z.string().min(1).optional().describe('The new session id (default: a generated UUIDv7)'),
        newUserId: z.string().min(1).optional().describe('Fork into another user of the same app (default: the same user)'),
      }),
      output: z.object({ session: sessionSummarySchema, forkedFrom: z.object({ sessionId: z.string(), seq: z.number().int() }) }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      async run(ctx, args) {
        const { store } = ctx;
        const key = keyOf(ctx, args);
        const session = await forkSession(store, key, { upToSeq: args.upToSeq, newSessionId: args.newSessionId, userId: args.newUserId });
        const summary = summarize(session);
        const forkedFrom = session.metadata['forkedFrom'] as { sessionId: string; seq: number };
        return result(
          `Forked ${key.appName}/${key.userId}/${key.sessionId} at seq ${forkedFrom.seq} into ${summary.appName}/${summary.userId}/${summary.sessionId} (${plural(summary.eventCount, 'event')}, version ${summary.version}).`,
          { session: summary, forkedFrom: { sessionId: forkedFrom.sessionId, seq: forkedFrom.seq } },
        );
      },
    }),

    defineTool({
      name: 'archive_session',
      writes: true,
      title: 'Archive a session',
      description: 'Marks a session archived: it stays readable and searchable, and listings can leave it out (status filter). An archived session is left as it is.',
      input: z.object({ ...sessionKeyShape, expectVersion: expectVersionField }),
      output: z.object({ session: sessionSummarySchema, changed: z.boolean().describe('False when it was archived already') }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      async run(ctx, args) {
        const { store } = ctx;
        const key = keyOf(ctx, args);
        const current = await store.getSession(key, { withEvents: false });
        if (!current) throw new SessionNotFoundError(key);
        const unchanged = current.status === 'archived' && (args.expectVersion === undefined || args.expectVersion === current.version);
        const session = unchanged ? current : await store.updateSession(key, { status: 'archived' }, { expectVersion: args.expectVersion });
        const summary = summarize(session);
        return result(unchanged ? `Already archived: ${summaryLine(summary)}.` : `Archived ${summaryLine(summary)}.`, { session: summary, changed: !unchanged });
      },
    }),
  ];
}

import { ResourceNotFoundError, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { SessionDbError, ValidationError } from '../core/errors.js';
import type { Session, SessionKey } from '../core/types.js';
import { callerMessage } from './errors.js';
import type { ToolContext } from './tool-kit.js';
import { transcriptPage } from './transcript.js';
import { titleOf } from './views.js';

export const TRANSCRIPT_TEMPLATE = 'sessiondb://sessions/{app}/{user}/{session}';
/** How many sessions `resources/list` names: the most recently updated. */
const LISTED = 100;
/** How many of the most recently updated sessions a completion looks through. */
const COMPLETION_SCAN = 500;

/** The URI of a session's transcript (each name percent-encoded). */
export function transcriptUri(s: { appName: string; userId: string; id: string }): string {
  return `sessiondb://sessions/${encodeURIComponent(s.appName)}/${encodeURIComponent(s.userId)}/${encodeURIComponent(s.id)}`;
}

/**
 * Each session's transcript as a Markdown resource at
 * `sessiondb://sessions/{app}/{user}/{session}`, listed (the most recently
 * updated) through a template whose three names complete by prefix.
 */
export function registerTranscriptResource(server: McpServer, ctx: ToolContext): void {
  const { store, tenant, limits } = ctx;
  const template = new ResourceTemplate(TRANSCRIPT_TEMPLATE, {
    list: async () => {
      const page = await store.listSessions({ tenant, order: 'desc', limit: Math.min(LISTED, store.limits.maxPageSize) });
      return {
        resources: page.sessions.map((s) => ({
          uri: transcriptUri(s),
          name: `${s.appName}/${s.userId}/${s.id}`,
          title: titleOf(s) ?? `Session ${s.id}`,
          description: `${s.status}, ${s.eventCount} events, updated ${new Date(s.updatedAt).toISOString()}`,
          mimeType: 'text/markdown',
        })),
      };
    },
    complete: {
      app: (prefix) => completeNames(ctx, {}, (s) => s.appName, prefix),
      user: (prefix, context) => completeNames(ctx, { appName: context?.arguments?.['app'] }, (s) => s.userId, prefix),
      session: (prefix, context) => completeNames(ctx, { appName: context?.arguments?.['app'], userId: context?.arguments?.['user'] }, (s) => s.id, prefix),
    },
  });
  server.registerResource(
    'session-transcript',
    template,
    {
      title: 'Session transcript',
      description: `A session's conversation as Markdown (its first ${limits.maxEvents} events at most; read_transcript pages through the rest). The list holds the ${LISTED} most recently updated sessions; list_sessions and search_sessions find the others.`,
      mimeType: 'text/markdown',
    },
    async (uri, variables) => {
      const key = keyFrom(tenant, variables);
      try {
        const page = await transcriptPage(store, key, limits, { howToContinue: (next) => `Read the rest with the read_transcript tool (afterSeq ${next}).` });
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: page.markdown }] };
      } catch (err) {
        if (err instanceof SessionDbError && err.code === 'not_found') throw new ResourceNotFoundError(uri.href, err.message);
        throw new Error(callerMessage(err, ctx.logger).message);
      }
    },
  );
}

function keyFrom(tenant: string, variables: Record<string, string | string[]>): Required<SessionKey> {
  const part = (name: string, field: string) => {
    const raw = variables[name];
    if (typeof raw !== 'string') throw new ValidationError(field, 'is missing from the URI');
    try {
      return decodeURIComponent(raw);
    } catch {
      throw new ValidationError(field, `is not valid percent-encoding in the URI: ${JSON.stringify(raw)}`);
    }
  };
  return { tenant, appName: part('app', 'appName'), userId: part('user', 'userId'), sessionId: part('session', 'sessionId') };
}

/**
 * Names that start with `prefix` among the most recently updated sessions
 * (at most `COMPLETION_SCAN` of them), sorted. Bounded work whatever the store
 * holds; an invalid filter (a name too long) completes to nothing.
 */
async function completeNames(ctx: ToolContext, filter: { appName?: string; userId?: string }, pick: (s: Session) => string, prefix: string): Promise<string[]> {
  if (filter.userId !== undefined && filter.appName === undefined) delete filter.userId;
  const found = new Set<string>();
  try {
    let cursor: string | null = null;
    for (let scanned = 0; scanned < COMPLETION_SCAN; ) {
      const page = await ctx.store.listSessions({ tenant: ctx.tenant, ...filter, order: 'desc', limit: Math.min(100, ctx.store.limits.maxPageSize), cursor });
      for (const s of page.sessions) {
        const name = pick(s);
        if (name.startsWith(prefix)) found.add(name);
      }
      scanned += page.sessions.length;
      if (!(cursor = page.nextCursor)) break;
    }
  } catch (err) {
    if (err instanceof SessionDbError && (err.code === 'invalid' || err.code === 'too_large')) return [];
    throw err;
  }
  return [...found].sort();
}

import { z } from 'zod';
import { SessionNotFoundError, ValidationError } from '../core/errors.js';
import type { SessionStore } from '../core/store.js';
import type { Session, SessionEvent, SessionKey } from '../core/types.js';
import { contentText, formatTime, speaker } from '../transfer/session-export.js';
import { clip, largestFitting, resultBytes } from './bounds.js';
import type { McpLimits } from './limits.js';
import { plural } from './tool-kit.js';
import { titleOf } from './views.js';

export const transcriptInfoSchema = z.object({
  appName: z.string(),
  userId: z.string(),
  sessionId: z.string(),
  eventCount: z.number().int(),
  version: z.number().int(),
  fromSeq: z.number().int().nullable().describe('The first seq of this page; null when no event follows afterSeq'),
  toSeq: z.number().int().nullable().describe('The last seq of this page'),
  truncated: z.boolean().describe('More events follow this page'),
  nextAfterSeq: z.number().int().nullable().describe('Pass as afterSeq to read the next page; null at the end'),
});
export type TranscriptInfo = z.infer<typeof transcriptInfoSchema>;

export interface TranscriptPage {
  markdown: string;
  info: TranscriptInfo;
}

export interface TranscriptRequest {
  /** Events after this seq (default 0: from the start). */
  afterSeq?: number;
  /** At most this many events (default and ceiling: `limits.maxEvents`). */
  limit?: number;
  /** The sentence that tells the reader how to get the next page, given its `afterSeq`. */
  howToContinue: (nextAfterSeq: number) => string;
}

/**
 * A page of a session's transcript as Markdown, by seq: events after
 * `afterSeq`, as many as fit in the limits (a message too long for one result
 * is cut, and says so). When more follow, the page ends with a note naming the
 * seq to continue after.
 */
export async function transcriptPage(store: SessionStore, key: Required<SessionKey>, limits: McpLimits, request: TranscriptRequest): Promise<TranscriptPage> {
  const afterSeq = request.afterSeq ?? 0;
  const session = await store.getSession(key, { withEvents: false });
  if (!session) throw new SessionNotFoundError(key);
  if (afterSeq > session.eventCount) {
    throw new ValidationError('afterSeq', `is ${afterSeq}, past the session's last event (seq ${session.eventCount})`);
  }
  const cap = Math.min(request.limit ?? limits.maxEvents, limits.maxEvents, store.limits.maxPageSize);
  const page = await store.readEvents(key, { afterSeq, limit: cap });
  if (!page) throw new SessionNotFoundError(key);
  const events = page.events;

  const render = (k: number, clipAt: number): TranscriptPage => {
    const shown = events.slice(0, k);
    const toSeq = shown.length ? shown[shown.length - 1]!.seq : null;
    const truncated = (toSeq ?? afterSeq) < session.eventCount;
    const info: TranscriptInfo = {
      appName: session.appName,
      userId: session.userId,
      sessionId: session.id,
      eventCount: session.eventCount,
      version: session.version,
      fromSeq: shown.length ? shown[0]!.seq : null,
      toSeq,
      truncated,
      nextAfterSeq: truncated ? (toSeq ?? afterSeq) : null,
    };
    const lines = header(session, info, afterSeq);
    for (const event of shown) lines.push(...section(event, clipAt));
    if (truncated) {
      lines.push(
        '---',
        '',
        `*Truncated: this page ends at seq ${toSeq ?? afterSeq} of ${session.eventCount} ` +
          `(one result holds at most ${plural(limits.maxEvents, 'event')} and ${limits.maxBytes.toLocaleString('en-US')} bytes). ${request.howToContinue(info.nextAfterSeq!)}*`,
        '',
      );
    }
    return { markdown: lines.join('\n'), info };
  };
  const size = (p: TranscriptPage) => resultBytes(p.markdown, p.info);
  // One message may take what the page leaves, so a page always advances by at least one event.
  const room = limits.maxBytes - size(render(0, 0)) - 400;
  const clipAt = Math.max(256, Math.min(Math.floor(limits.maxBytes / 2), room));
  const k = largestFitting(events.length, limits.maxBytes, (n) => size(render(n, clipAt)));
  return render(Math.max(k, Math.min(1, events.length)), clipAt);
}

function header(session: Session, info: TranscriptInfo, afterSeq: number): string[] {
  const range = info.fromSeq === null ? `none after seq ${afterSeq} (the session has ${session.eventCount})` : `seq ${info.fromSeq}–${info.toSeq} of ${session.eventCount}`;
  return [
    `# ${titleOf(session) ?? `Session ${session.id}`}`,
    '',
    `- **Session:** \`${session.id}\` (app \`${session.appName}\`, user \`${session.userId}\`)`,
    `- **Status:** ${session.status} · **Model:** ${session.model ?? 'not recorded'} · **Version:** ${session.version}`,
    `- **Created:** ${formatTime(session.createdAt)} · **Updated:** ${formatTime(session.updatedAt)}`,
    `- **Events:** ${range}`,
    '',
  ];
}

/** One message: `## seq 3 · Assistant · time`, then its text (cut at `clipAt` bytes). Events without text are left out, as in the exports. */
function section(event: SessionEvent, clipAt: number): string[] {
  const text = contentText(event.content);
  if (text === null || text === '') return [];
  return [`## seq ${event.seq} · ${speaker(event)} · ${formatTime(event.timestamp)}`, '', clip(text, clipAt), ''];
}

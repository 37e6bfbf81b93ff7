import { z } from 'zod';
import { SESSION_STATUSES, EVENT_ROLES, type SearchHit, type Session, type SessionEvent } from '../core/types.js';
import { contentText, formatTime, speaker } from '../transfer/session-export.js';
import { clip, shorten } from './bounds.js';

// What the tools show of sessions, events and hits: the fields a model reasons with, times as
// ISO 8601, titles and texts bounded. Schemas and values are made in one place so the outputs
// the SDK validates always match.

const TITLE_CHARS = 200;
const SNIPPET_CHARS = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

export const sessionSummarySchema = z.object({
  appName: z.string(),
  userId: z.string(),
  sessionId: z.string(),
  title: z.string().nullable().describe('metadata.title, when the session has one'),
  status: z.enum(SESSION_STATUSES),
  model: z.string().nullable(),
  eventCount: z.number().int().describe('Events in the history; also the seq of the newest one'),
  version: z.number().int().describe('Pass it back as expectVersion to write only if nothing changed since'),
  createdAt: z.string().describe('ISO 8601'),
  updatedAt: z.string().describe('ISO 8601'),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

/** A session's title: its `metadata.title` when that is a non-empty string. */
export function titleOf(session: Pick<Session, 'metadata'>): string | null {
  const title = session.metadata['title'];
  return typeof title === 'string' && title ? shorten(title, TITLE_CHARS) : null;
}

export function summarize(session: Session): SessionSummary {
  return {
    appName: session.appName,
    userId: session.userId,
    sessionId: session.id,
    title: titleOf(session),
    status: session.status,
    model: session.model,
    eventCount: session.eventCount,
    version: session.version,
    createdAt: iso(session.createdAt),
    updatedAt: iso(session.updatedAt),
  };
}

/** `shop/u1/s1 · "Refund" · active · 4 events · updated … · version 5` */
export function summaryLine(s: SessionSummary): string {
  return [
    `${s.appName}/${s.userId}/${s.sessionId}`,
    ...(s.title ? [JSON.stringify(s.title)] : []),
    s.status,
    `${s.eventCount} event${s.eventCount === 1 ? '' : 's'}`,
    `updated ${formatTime(Date.parse(s.updatedAt))}`,
    `version ${s.version}`,
  ].join(' · ');
}

export const eventViewSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  time: z.string().describe('ISO 8601'),
  author: z.string(),
  role: z.enum(EVENT_ROLES).optional(),
  text: z.string().nullable().describe('The readable text of the content (tool calls one line each); null when it has none'),
});
export type EventView = z.infer<typeof eventViewSchema>;

/** An event as the tools show it, its text cut at `maxTextBytes`. */
export function eventView(event: SessionEvent, maxTextBytes: number): EventView {
  const text = contentText(event.content);
  return {
    seq: event.seq,
    id: event.id,
    time: iso(event.timestamp),
    author: event.author,
    ...(event.role ? { role: event.role } : {}),
    text: text === null ? null : clip(text, maxTextBytes),
  };
}

/** `[seq 3] Assistant · 2026-11-21 09:31:04 UTC: text` (later lines indented). */
export function eventLine(view: EventView): string {
  const who = speaker(view);
  const [first, ...rest] = (view.text ?? '(no text)').split('\n');
  return [`[seq ${view.seq}] ${who} · ${formatTime(Date.parse(view.time))}: ${first}`, ...rest.map((line) => `    ${line}`)].join('\n');
}

export const hitViewSchema = z.object({
  appName: z.string(),
  userId: z.string(),
  sessionId: z.string(),
  field: z.enum(['content', 'title']).describe("What matched: an event's content or the session's title"),
  seq: z.number().int().nullable().describe('The matching event; null for a title hit'),
  author: z.string().nullable(),
  role: z.enum(EVENT_ROLES).optional(),
  time: z.string().nullable().describe('The event time (ISO 8601); null for a title hit'),
  snippet: z.string().describe('An excerpt with the matched words between ** marks'),
  score: z.number().describe('Relevance, higher is better (comparable within one search)'),
});
export type HitView = z.infer<typeof hitViewSchema>;

export function hitView(hit: SearchHit): HitView {
  const e = hit.event;
  return {
    appName: hit.appName,
    userId: hit.userId,
    sessionId: hit.sessionId,
    field: hit.field,
    seq: e?.seq ?? null,
    author: e?.author ?? null,
    ...(e?.role ? { role: e.role } : {}),
    time: e ? iso(e.timestamp) : null,
    snippet: shorten(hit.snippet, SNIPPET_CHARS),
    score: hit.score,
  };
}

/** Two lines per hit: where it is, then the snippet. */
export function hitLines(h: HitView, index: number): string {
  const where = `${h.appName}/${h.userId}/${h.sessionId}`;
  const head =
    h.seq === null
      ? `${where} · title`
      : `${where} · seq ${h.seq} · ${speaker({ author: h.author ?? '', role: h.role })} · ${formatTime(Date.parse(h.time!))}`;
  return `${index + 1}. ${head}\n   ${h.snippet.replace(/\n/g, ' ')}`;
}

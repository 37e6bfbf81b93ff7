/**
 * Search without an index: every candidate document is read, matched and
 * scored in memory with BM25 over the documents the filters admit. The stores
 * that have no full-text index (memory, JSON file, Redis without a search
 * module) search this way: O(stored events of the tenant) per search, which
 * their `indexedSearch: false` capability says.
 */
import type { EventRole, SearchHit, SearchPage, SessionEvent, SessionStatus } from '../types.js';
import { makeSnippet, matchTree } from './match.js';
import { nextSearchCursor, type PreparedSearch } from './prepare.js';
import { searchableText, wordsOf } from './text.js';

/** A session as the filters see it. */
export interface SearchSession {
  tenant: string;
  appName: string;
  userId: string;
  id: string;
  status: SessionStatus;
  updatedAt: number;
  title: string;
}

/** Whether a session passes the session filters of a search. */
export function sessionPasses(p: PreparedSearch, s: SearchSession): boolean {
  return (
    s.tenant === p.tenant &&
    (p.appName === undefined || s.appName === p.appName) &&
    (p.userId === undefined || s.userId === p.userId) &&
    (p.sessionId === undefined || s.id === p.sessionId) &&
    (p.status === undefined || s.status === p.status)
  );
}

/** Whether an event passes the event filters of a search. */
export function eventPasses(p: PreparedSearch, e: { role?: EventRole | null; author: string; timestamp: number }): boolean {
  return (
    (p.role === undefined || e.role === p.role) &&
    (p.author === undefined || e.author === p.author) &&
    (p.after === undefined || e.timestamp >= p.after) &&
    (p.before === undefined || e.timestamp < p.before)
  );
}

function titlePasses(p: PreparedSearch, s: SearchSession): boolean {
  return p.titles && s.title !== '' && (p.after === undefined || s.updatedAt >= p.after) && (p.before === undefined || s.updatedAt < p.before);
}

const K1 = 1.2;
const B = 0.75;

interface Candidate {
  session: SearchSession;
  event: SessionEvent | null;
  text: string;
  counts: number[];
  length: number;
}

/**
 * Collects the matches of one search over documents given session by session,
 * then ranks and pages them. Memory: the matching documents only.
 */
export class ScanSearch {
  private readonly candidates: Candidate[] = [];
  private readonly df: number[];
  private docs = 0;
  private totalLength = 0;

  constructor(private readonly p: PreparedSearch) {
    this.df = p.tree.must.map(() => 0);
  }

  /** Whether the session passes the filters (skip reading its events when not). */
  admits(session: SearchSession): boolean {
    return sessionPasses(this.p, session);
  }

  /** Offers a session (its title) and its events; call only for sessions `admits` accepted. */
  add(session: SearchSession, events: Iterable<SessionEvent>): void {
    if (titlePasses(this.p, session)) this.consider(session, null, session.title);
    for (const e of events) if (eventPasses(this.p, e)) this.consider(session, e, searchableText(e.content));
  }

  private consider(session: SearchSession, event: SessionEvent | null, text: string): void {
    const words = wordsOf(text);
    this.docs++;
    this.totalLength += words.length;
    const counts = matchTree(words, this.p.tree);
    if (!counts) return;
    counts.forEach((_, i) => this.df[i]!++);
    this.candidates.push({ session, event, text, counts, length: words.length });
  }

  /** The page the search asked for, best first (ties: newest first). */
  page(): SearchPage {
    const avg = this.docs ? this.totalLength / this.docs : 1;
    const idf = this.df.map((df) => Math.log(1 + (this.docs - df + 0.5) / (df + 0.5)));
    const scored = this.candidates.map((c) => {
      let score = 0;
      c.counts.forEach((tf, i) => {
        score += (idf[i]! * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * c.length) / (avg || 1)));
      });
      return { c, score, at: c.event?.timestamp ?? c.session.updatedAt };
    });
    scored.sort((a, b) => b.score - a.score || b.at - a.at || (a.c.event?.seq ?? 0) - (b.c.event?.seq ?? 0));
    const slice = scored.slice(this.p.offset, this.p.offset + this.p.limit);
    return {
      hits: slice.map(({ c, score }) => hitOf(this.p, c.session, c.event, c.text, score)),
      nextCursor: nextSearchCursor(this.p, scored.length > this.p.offset + this.p.limit),
    };
  }
}

/** A hit, with its snippet made from the matching text (used by every store). */
export function hitOf(p: PreparedSearch, s: Pick<SearchSession, 'tenant' | 'appName' | 'userId' | 'id'>, event: SessionEvent | null, text: string, score: number): SearchHit {
  return {
    tenant: s.tenant,
    appName: s.appName,
    userId: s.userId,
    sessionId: s.id,
    field: event ? 'content' : 'title',
    event,
    snippet: makeSnippet(text, wordsOf(text), p.tree),
    score: Math.round(score * 1e6) / 1e6,
  };
}

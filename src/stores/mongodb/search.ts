/**
 * `searchEvents` on MongoDB: the text indexes where the server has text search,
 * else a scan of the tenant's sessions and events with the core `ScanSearch`.
 *
 * The text path: `$text` over the per-tenant text index of the indexed words
 * (`text` on events, `titleText` on sessions), ranked by `textScore`, ties by
 * time (newest first) then seq. Every clause with whole words becomes a quoted
 * phrase in `$search` (`"refund" "late delivery"`): MongoDB then requires each
 * of them (a phrase is a must), finds candidates through the index by their
 * words, and never sees the user's query text, only normalized words. What
 * `$text` cannot say exactly is decided in JavaScript on every candidate, with
 * the core matcher over the event's words, so results are those of every other
 * store:
 * - a prefix (`refun*`) has no `$text` form: its whole words (those before the
 *   last of a phrase) go to `$search`, the prefix is checked on the candidates;
 *   a query whose every clause is a single-word prefix has nothing to look up
 *   and runs as a scan of the tenant (O(its events));
 * - MongoDB matches a phrase as a substring of the field (`"refund"` also finds
 *   "refunded"): a superset, narrowed here;
 * - exclusions (`-word`, `-"a phrase"`) are not sent: a negated phrase is a
 *   substring test there (it would drop "foxes" for `-fox`) and MongoDB's case
 *   folding can join words ours keeps apart (final sigma), so sending them could
 *   lose results; excluded documents are fetched and dropped here.
 * Candidates are fetched best first in growing batches until enough pass
 * (`offset + limit + 1`), so a search costs the index lookup of its words, a
 * top-k sort on the server, and the verification of a few more documents than
 * it returns (more when many candidates fail: prefixes, exclusions, filters).
 * Candidates whose session is gone (a delete in progress), whose seq is past the
 * session's eventCount (an uncommitted append, or a rewind being finished) or
 * whose session fails the filters are dropped the same way.
 */
import type { Document } from 'mongodb';
import { eventFromRow } from '../../core/rows.js';
import { matchTree } from '../../core/search/match.js';
import { nextSearchCursor, type PreparedSearch } from '../../core/search/prepare.js';
import type { SearchTree } from '../../core/search/query.js';
import { eventPasses, hitOf, ScanSearch, sessionPasses, type SearchSession } from '../../core/search/scan.js';
import { searchableText, sessionTitle, wordsOf } from '../../core/search/text.js';
import { parseStored } from '../../core/json.js';
import type { SearchPage, SessionEvent } from '../../core/types.js';
import { eventRowOfDoc, type EventDoc, type SessionDoc } from './documents.js';
import { errorCode, isTransientError } from './errors.js';
import { INDEX, type MongoCollections } from './schema.js';

/** How a store searches: `text` (the text indexes), `scan`, or `auto` (text where the server has it). */
export type MongoSearchMode = 'auto' | 'text' | 'scan';

/**
 * The `$search` string of a tree: each must clause's whole words as one quoted
 * phrase; null when there are none (every clause a one-word prefix).
 */
export function textSearchOf(tree: SearchTree): string | null {
  const phrases: string[] = [];
  for (const clause of tree.must) {
    const words = clause.prefix ? clause.words.slice(0, -1) : clause.words;
    if (words.length) phrases.push(`"${words.join(' ')}"`);
  }
  return phrases.length ? phrases.join(' ') : null;
}

/**
 * Whether the server answers `$text` over the events' text index: asked once
 * with a query that matches nothing. A server error (no text search, no such
 * index) means no; a network failure is thrown.
 */
export async function probeTextSearch(c: MongoCollections): Promise<{ text: boolean; why: string | null }> {
  try {
    await c.events.find({ tenant: '\u0000probe', $text: { $search: '"probe"' } }, { projection: { _id: 1 }, limit: 1 }).toArray();
    return { text: true, why: null };
  } catch (err) {
    if (errorCode(err) === undefined || isTransientError(err)) throw err;
    return { text: false, why: `${(err as Error).message} (code ${errorCode(err)})` };
  }
}

interface Ranked {
  session: SearchSession;
  event: SessionEvent | null;
  text: string;
  score: number;
  at: number;
  seq: number;
}

const byRank = (a: Ranked, b: Ranked) => b.score - a.score || b.at - a.at || a.seq - b.seq;

/** Fields of a session document a search reads (not its state or pending change). */
const SESSION_FIELDS = { state: 0, lastChange: 0, titleText: 0 } as const;

function searchSessionOf(d: SessionDoc, title = ''): SearchSession {
  return { tenant: d.tenant, appName: d.appName, userId: d.userId, id: d.id, status: d.status, updatedAt: d.updatedAt, title };
}

function titleOf(d: SessionDoc): string {
  return sessionTitle(parseStored(d.metadata) as Record<string, unknown> | undefined);
}

/** The session filters of a search as a query on sessions. */
function sessionFilter(p: PreparedSearch): Document {
  const f: Document = { tenant: p.tenant };
  if (p.appName !== undefined) f['appName'] = p.appName;
  if (p.userId !== undefined) f['userId'] = p.userId;
  if (p.sessionId !== undefined) f['id'] = p.sessionId;
  if (p.status !== undefined) f['status'] = p.status;
  return f;
}

function timeRange(p: PreparedSearch): Document | undefined {
  if (p.after === undefined && p.before === undefined) return undefined;
  return { ...(p.after !== undefined ? { $gte: p.after } : {}), ...(p.before !== undefined ? { $lt: p.before } : {}) };
}

/** The event filters of a search (role, author, time) as a query on events. */
function eventFilter(p: PreparedSearch): Document {
  const f: Document = {};
  if (p.role !== undefined) f['role'] = p.role;
  if (p.author !== undefined) f['author'] = p.author;
  const time = timeRange(p);
  if (time) f['timestamp'] = time;
  return f;
}

const MAX_SCOPE = 1000;

/** With session filters, the sids they admit (at most 1,000; null when more, or no filter: verified per hit instead). */
async function scopeSids(c: MongoCollections, p: PreparedSearch): Promise<string[] | null> {
  if (p.appName === undefined && p.userId === undefined && p.sessionId === undefined && p.status === undefined) return null;
  const docs = await c.sessions.find(sessionFilter(p), { projection: { sid: 1 }, limit: MAX_SCOPE + 1 }).toArray();
  return docs.length > MAX_SCOPE ? null : docs.map((d) => d.sid);
}

/**
 * Reads ranked candidates in growing batches (a top-k sort on the server each
 * time) and keeps those `verify` passes, until `want` passed or none are left.
 */
async function collect<T extends Document>(
  fetch: (skip: number, limit: number) => Promise<(T & { score: number })[]>,
  verify: (docs: (T & { score: number })[]) => Promise<Ranked[]>,
  want: number,
): Promise<Ranked[]> {
  const out: Ranked[] = [];
  let skip = 0;
  let batch = want + 16;
  for (;;) {
    const docs = await fetch(skip, batch);
    out.push(...(await verify(docs)));
    if (out.length >= want || docs.length < batch) return out;
    skip += batch;
    batch *= 4;
  }
}

/** A search through the text indexes; `search` is `textSearchOf(p.tree)`. */
export async function searchByText(c: MongoCollections, p: PreparedSearch, search: string): Promise<SearchPage> {
  const want = p.offset + p.limit + 1;
  const sids = await scopeSids(c, p);
  if (sids !== null && sids.length === 0) return { hits: [], nextCursor: null };
  const score = { $meta: 'textScore' } as const;

  const events = collect<EventDoc>(
    (skip, limit) =>
      c.events
        .find(
          { tenant: p.tenant, $text: { $search: search }, ...(sids ? { sid: { $in: sids } } : {}), ...eventFilter(p) },
          { projection: { text: 0, w: 0, fence: 0, score }, sort: { score, timestamp: -1, seq: 1, _id: 1 }, skip, limit, allowDiskUse: true },
        )
        .toArray() as Promise<(EventDoc & { score: number })[]>,
    async (docs) => {
      const owners = new Map<string, SessionDoc>();
      const wanted = [...new Set(docs.map((d) => d.sid))];
      if (wanted.length) {
        for (const s of await c.sessions.find({ sid: { $in: wanted } }, { projection: SESSION_FIELDS, hint: INDEX.sessionSid }).toArray()) owners.set(s.sid, s);
      }
      const out: Ranked[] = [];
      for (const d of docs) {
        const owner = owners.get(d.sid);
        if (!owner || d.seq > owner.eventCount) continue;
        const session = searchSessionOf(owner);
        if (!sessionPasses(p, session)) continue;
        const event = eventFromRow(eventRowOfDoc(d));
        if (!eventPasses(p, event)) continue;
        const text = searchableText(event.content);
        if (!matchTree(wordsOf(text), p.tree)) continue;
        out.push({ session, event, text, score: d.score, at: event.timestamp, seq: event.seq });
      }
      return out;
    },
    want,
  );

  const titles = !p.titles
    ? Promise.resolve([])
    : collect<SessionDoc>(
        (skip, limit) => {
          const time = timeRange(p);
          return c.sessions
            .find(
              { ...sessionFilter(p), $text: { $search: search }, ...(time ? { updatedAt: time } : {}) },
              { projection: { ...SESSION_FIELDS, score }, sort: { score, updatedAt: -1, _id: 1 }, skip, limit, allowDiskUse: true },
            )
            .toArray() as Promise<(SessionDoc & { score: number })[]>;
        },
        async (docs) => {
          const out: Ranked[] = [];
          for (const d of docs) {
            const title = titleOf(d);
            const session = searchSessionOf(d, title);
            if (!sessionPasses(p, session) || !matchTree(wordsOf(title), p.tree)) continue;
            out.push({ session, event: null, text: title, score: d.score, at: d.updatedAt, seq: 0 });
          }
          return out;
        },
        want,
      );

  const ranked = (await Promise.all([events, titles])).flat().sort(byRank);
  const page = ranked.slice(p.offset, p.offset + p.limit);
  return {
    hits: page.map((r) => hitOf(p, r.session, r.event, r.text, r.score)),
    nextCursor: nextSearchCursor(p, ranked.length > p.offset + p.limit),
  };
}

const SCAN_BATCH = 100;

/**
 * A search without a text index: the tenant's sessions that pass the session
 * filters (through the sessions' indexes), and their committed events that
 * pass the event filters, fed to the core `ScanSearch` (BM25 over what it
 * read). O(the tenant's events after the filters) per search; memory: one batch
 * of sessions and the matching documents.
 */
export async function searchByScan(c: MongoCollections, p: PreparedSearch): Promise<SearchPage> {
  const scan = new ScanSearch(p);
  const sessions = c.sessions.find(sessionFilter(p), { projection: SESSION_FIELDS, sort: { appName: 1, userId: 1, id: 1 }, hint: INDEX.sessionKey, batchSize: SCAN_BATCH });
  let batch: SessionDoc[] = [];
  const flush = async () => {
    const owners = new Map(batch.map((d) => [d.sid, d] as const));
    batch = [];
    const withEvents = [...owners.values()].filter((d) => d.eventCount > 0).map((d) => d.sid);
    if (withEvents.length) {
      // Sorted by sid then seq: each session's events arrive together and in order.
      const cursor = c.events.find({ sid: { $in: withEvents }, ...eventFilter(p) }, { projection: { text: 0, w: 0, fence: 0 }, sort: { sid: 1, seq: 1 }, hint: INDEX.eventSeq });
      let sid: string | null = null;
      let events: SessionEvent[] = [];
      const offer = () => {
        const owner = sid === null ? undefined : owners.get(sid);
        if (!owner) return;
        owners.delete(owner.sid);
        scan.add(searchSessionOf(owner, titleOf(owner)), events);
      };
      for await (const d of cursor) {
        if (d.sid !== sid) {
          offer();
          sid = d.sid;
          events = [];
        }
        if (d.seq <= (owners.get(d.sid)?.eventCount ?? 0)) events.push(eventFromRow(eventRowOfDoc(d)));
      }
      offer();
    }
    // Sessions without events (or none passing the event filters) still have their title.
    for (const d of owners.values()) scan.add(searchSessionOf(d, titleOf(d)), []);
  };
  for await (const d of sessions) {
    if (!scan.admits(searchSessionOf(d))) continue;
    batch.push(d);
    if (batch.length >= SCAN_BATCH) await flush();
  }
  if (batch.length) await flush();
  return scan.page();
}

/**
 * Event reads. Seqs are gapless, so a page or the last N events are a seq
 * range on the unique `(sid, seq)` index: O(N), whatever the history's length.
 * Only seqs up to the session's eventCount are read; anything above is an
 * append that has not committed.
 */
import { eventFromRow } from '../../core/rows.js';
import type { SessionEvent } from '../../core/types.js';
import { eventRowOfDoc, type SessionDoc } from './documents.js';
import { INDEX, type MongoCollections } from './schema.js';

/** The events with seqs `from`..`to`; not `complete` if some are missing (the session was replaced or deleted meanwhile). */
export async function eventsBySeq(c: MongoCollections, sid: string, from: number, to: number): Promise<{ events: SessionEvent[]; complete: boolean }> {
  const docs = await c.events.find({ sid, seq: { $gte: from, $lte: to } }, { sort: { seq: 1 }, hint: INDEX.eventSeq }).toArray();
  return { events: docs.map((d) => eventFromRow(eventRowOfDoc(d))), complete: docs.length === to - from + 1 };
}

/** The events a `getSession` asks for: the newest `lastEvents`, those at or after `afterTimestamp`, oldest first. */
export async function selectEvents(
  c: MongoCollections,
  doc: SessionDoc,
  read: { lastEvents: number | undefined; afterTimestamp: number | undefined },
): Promise<{ events: SessionEvent[]; complete: boolean }> {
  const count = doc.eventCount;
  if (read.afterTimestamp === undefined) {
    const n = Math.min(read.lastEvents ?? count, count);
    return n === 0 ? { events: [], complete: true } : eventsBySeq(c, doc.sid, count - n + 1, count);
  }
  if (read.lastEvents === 0) return { events: [], complete: true };
  const filter = { sid: doc.sid, seq: { $lte: count }, timestamp: { $gte: read.afterTimestamp } };
  if (read.lastEvents === undefined) {
    const docs = await c.events.find(filter, { sort: { seq: 1 } }).toArray();
    return { events: docs.map((d) => eventFromRow(eventRowOfDoc(d))), complete: true };
  }
  // Newest first along the seq index, stopping after N matches: O(N) when timestamps grow with seq.
  const docs = await c.events.find(filter, { sort: { seq: -1 }, hint: INDEX.eventSeq, limit: read.lastEvents }).toArray();
  return { events: docs.reverse().map((d) => eventFromRow(eventRowOfDoc(d))), complete: true };
}

/**
 * Migration 2's data step: events stored before search existed get their
 * tenant and indexed words, sessions their title words, so that the text
 * indexes (built after this) cover what is already stored; and each session
 * starts its state-change log with its current own state after its last event
 * (the changes before it were never recorded: a rewind to an earlier seq
 * rebuilds the state from event deltas alone). Resumable: it picks up only
 * documents still without the new fields (the log row is an upsert), so a
 * migration that stopped half way finishes on the next run. Events of no live
 * session are left as they are (nothing can find them).
 */
import type { AnyBulkWriteOperation } from 'mongodb';
import { importedStateChange } from '../../core/history.js';
import type { MigrateOptions } from '../../core/store.js';
import { contentTextOf, stateEntries, titleTextOf, type EventDoc, type SessionDoc } from './documents.js';
import type { StateLogDoc } from './history.js';
import type { MongoCollections } from './schema.js';

const BATCH = 500;
const REPORT_EVERY_MS = 250;

export async function backfillSearch(c: MongoCollections, options: MigrateOptions = {}): Promise<void> {
  const step = 'search index';
  const total = await c.events.countDocuments({ tenant: { $exists: false } });
  let done = 0;
  let reported = 0;
  const report = (final = false) => {
    const now = Date.now();
    if (!options.onProgress || (!final && now - reported < REPORT_EVERY_MS)) return;
    reported = now;
    options.onProgress({ step, done: Math.min(done, total), total });
  };
  report(true);
  let titles: AnyBulkWriteOperation<SessionDoc>[] = [];
  let logs: AnyBulkWriteOperation<StateLogDoc>[] = [];
  // Log rows before titles: a session with its title words is done, and is not visited again.
  const flushSessions = async () => {
    if (logs.length) await c.stateLog.bulkWrite(logs, { ordered: false });
    if (titles.length) await c.sessions.bulkWrite(titles, { ordered: false });
    titles = [];
    logs = [];
  };
  const sessions = c.sessions.find(
    { titleText: { $exists: false } },
    { projection: { _id: 1, sid: 1, tenant: 1, metadata: 1, state: 1, version: 1, eventCount: 1 }, batchSize: BATCH },
  );
  for await (const s of sessions) {
    const first = importedStateChange(stateEntries(s.state), s.eventCount);
    logs.push({ updateOne: { filter: { sid: s.sid, v: s.version, i: 0 }, update: { $setOnInsert: { atSeq: first.at_seq, change: first.change } }, upsert: true } });
    titles.push({ updateOne: { filter: { _id: s._id! }, update: { $set: { titleText: titleTextOf(s.metadata) } } } });
    let updates: AnyBulkWriteOperation<EventDoc>[] = [];
    const events = c.events.find({ sid: s.sid, tenant: { $exists: false } }, { projection: { _id: 1, content: 1 }, batchSize: BATCH });
    for await (const e of events) {
      const text = contentTextOf(e.content);
      updates.push({ updateOne: { filter: { _id: e._id! }, update: { $set: { tenant: s.tenant, ...(text ? { text } : {}) } } } });
      if (updates.length >= BATCH) {
        await c.events.bulkWrite(updates, { ordered: false });
        done += updates.length;
        updates = [];
        report();
      }
    }
    if (updates.length) {
      await c.events.bulkWrite(updates, { ordered: false });
      done += updates.length;
      report();
    }
    if (titles.length >= BATCH) await flushSessions();
  }
  await flushSessions();
  done = total;
  report(true);
}

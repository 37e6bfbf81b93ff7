/**
 * Migration 2's data step: events stored before search existed get their
 * tenant and indexed words, sessions their title words, so that the text
 * indexes (built after this) cover what is already stored. Resumable: it picks
 * up only documents still without the new fields, so a migration that stopped
 * half way finishes on the next run. Events of no live session are left as
 * they are (nothing can find them).
 */
import type { AnyBulkWriteOperation } from 'mongodb';
import type { MigrateOptions } from '../../core/store.js';
import { contentTextOf, titleTextOf, type EventDoc, type SessionDoc } from './documents.js';
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
  const sessions = c.sessions.find({}, { projection: { _id: 1, sid: 1, tenant: 1, metadata: 1, titleText: 1 }, batchSize: BATCH });
  for await (const s of sessions) {
    if (s.titleText === undefined) titles.push({ updateOne: { filter: { _id: s._id! }, update: { $set: { titleText: titleTextOf(s.metadata) } } } });
    if (titles.length >= BATCH) {
      await c.sessions.bulkWrite(titles, { ordered: false });
      titles = [];
    }
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
  }
  if (titles.length) await c.sessions.bulkWrite(titles, { ordered: false });
  done = total;
  report(true);
}

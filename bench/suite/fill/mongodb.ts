import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { APP_NAME } from '../payload.js';
import type { Filler, SessionRef } from '../systems/system.js';

const key = (ref: SessionRef) => ({ tenant: 'default', appName: APP_NAME, userId: ref.userId, id: ref.sessionId });
const BATCH = 10_000;

/** Bulk fills of MongoStore's collections (which the floor shares): copies of the first event, of the template session. */
export function sessiondbMongoFiller(db: Db): Filler {
  return {
    async fillEvents(ref: SessionRef, total: number) {
      const session = await db.collection('sessions').findOne(key(ref));
      const first = await db.collection('events').findOne({ sid: session!['sid'], seq: 1 }, { projection: { _id: 0 } });
      for (let from = 2; from <= total; from += BATCH) {
        const docs = [];
        for (let seq = from; seq < Math.min(total + 1, from + BATCH); seq++) docs.push({ ...first, seq, id: `${first!['id']}-${seq}`, timestamp: (first!['timestamp'] as number) + seq });
        await db.collection('events').insertMany(docs, { ordered: false });
      }
      const last = (first!['timestamp'] as number) + total;
      await db.collection('sessions').updateOne(key(ref), { $set: { eventCount: total, version: 1 + total, updatedAt: last, lastActivityAt: last } });
    },
    async fillSessions(template: SessionRef, total: number) {
      const t = await db.collection('sessions').findOne(key(template), { projection: { _id: 0 } });
      for (let from = 1; from < total; from += BATCH) {
        const docs = [];
        for (let k = from; k < Math.min(total, from + BATCH); k++) {
          docs.push({ ...t, id: `${template.sessionId}-${k}`, sid: randomUUID(), createdAt: (t!['createdAt'] as number) + k, updatedAt: (t!['updatedAt'] as number) + k, lastActivityAt: (t!['lastActivityAt'] as number) + k });
        }
        await db.collection('sessions').insertMany(docs, { ordered: false });
      }
    },
    async analyze() {
      // MongoDB's planner keeps no statistics to refresh.
    },
  };
}

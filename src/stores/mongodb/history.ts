/**
 * The state-change log and superseded events of the MongoDB store.
 *
 * `state_log` holds one document per change, `{ sid, v, i, atSeq, change }`:
 * (v, i) is the insertion order, v the version of the write that made it
 * (create: 1; an import: the imported version, i = 0, 1, …; a patch: the
 * version it committed). Rows are only ever inserted by an upsert that sets
 * nothing on an existing row, and a rewind *cuts* rows (`cut: by`) instead of
 * deleting them, so that a writer acting on a stale read can never bring a row
 * back; readers skip cut rows, and a session's rows go with its sid.
 *
 * What is atomic where, without transactions (standalone server): each step
 * below is one single-document write, the session document's update being the
 * commit point; with transactions every step is in the write's transaction.
 * - create / import: the log rows (and an import's events) are written first
 *   under the new sid, invisible until the session document names it.
 * - a patch with a state change: the commit sets `lastChange` on the session
 *   document together with the state, so the change is in the database the
 *   moment the patch is; its row is upserted right after. A writer dying in
 *   between leaves it in `lastChange`, which readers add to the rows, and the
 *   next patch upserts before replacing it.
 * - a rewind: the commit sets the rewound head (version, eventCount, own
 *   state), raises the fence and records a `rewinding` marker. The events past
 *   `toSeq` are then invisible (reads stop at eventCount) and are finished off
 *   by `finishRewind`: copied to `superseded_events`, deleted from `events`
 *   (which takes them out of the text index), and the log rows past `toSeq`
 *   cut. Every writer and history reader of the session that finds the marker
 *   finishes it first, so a rewinder that dies after its commit loses nothing.
 */
import type { ClientSession } from 'mongodb';
import type { StateChangeRow } from '../../core/history.js';
import type { EventRow, SupersededRow } from '../../core/rows.js';
import type { EventDoc, LastChange, RewindMarker } from './documents.js';
import { isDuplicateKey } from './errors.js';
import type { MongoCollections } from './schema.js';

/** One state change of one session incarnation. */
export interface StateLogDoc {
  sid: string;
  v: number;
  i: number;
  atSeq: number;
  /** JSON text, as `StateChangeRow.change`. */
  change: string;
  /** The version of the rewind that took it out of the history. */
  cut?: number;
}

/** An event a rewind superseded: the event's fields, its sid, and the rewind. */
export interface SupersededDoc extends Omit<EventDoc, 'w' | 'fence' | 'text' | 'tenant' | '_id'> {
  supersededAt: number;
  supersededBy: number;
}

/** The log documents of changes written together by the write that gave the session version `v`. */
export function logDocsOf(sid: string, v: number, rows: readonly StateChangeRow[]): StateLogDoc[] {
  return rows.map((row, i) => ({ sid, v, i, atSeq: row.at_seq, change: row.change }));
}

/** Writes the row of a committed change if it is not there yet (any number of writers may try). */
export async function upsertLogRow(c: MongoCollections, session: ClientSession | undefined, sid: string, change: LastChange): Promise<void> {
  try {
    await c.stateLog.updateOne(
      { sid, v: change.v, i: 0 },
      { $setOnInsert: { atSeq: change.atSeq, change: change.change } },
      { upsert: true, session },
    );
  } catch (err) {
    if (!isDuplicateKey(err)) throw err; // two writers upserted it at once: it is there
  }
}

/** The session's log in order: its rows not cut, and a committed `lastChange` whose row is not written yet. */
export async function readLog(
  c: MongoCollections,
  session: ClientSession | undefined,
  doc: { sid: string; lastChange?: LastChange | undefined },
): Promise<StateChangeRow[]> {
  const docs: Pick<StateLogDoc, 'v' | 'i' | 'atSeq' | 'change'>[] = await c.stateLog
    .find({ sid: doc.sid, cut: { $exists: false } }, { session, sort: { v: 1, i: 1 }, projection: { _id: 0, v: 1, i: 1, atSeq: 1, change: 1 } })
    .toArray();
  const last = doc.lastChange;
  if (last && !docs.some((d) => d.v === last.v && d.i === 0)) {
    const at = docs.findIndex((d) => d.v > last.v);
    docs.splice(at < 0 ? docs.length : at, 0, { v: last.v, i: 0, atSeq: last.atSeq, change: last.change });
  }
  return docs.map((d) => ({ at_seq: d.atSeq, change: d.change }));
}

/**
 * Finishes a committed rewind (idempotent; any number of writers may run it at
 * once): copies the superseded events, deletes them, cuts the log rows past
 * `toSeq`, then clears the marker. Events appended after the rewind carry the
 * raised fence and rows written after it a larger v, so neither is touched.
 */
export async function finishRewind(c: MongoCollections, session: ClientSession | undefined, sid: string, m: RewindMarker): Promise<void> {
  const range = { sid, seq: { $gt: m.toSeq, $lte: m.upTo }, fence: { $lt: m.fence } };
  const events = await c.events.find(range, { session, sort: { seq: 1 } }).toArray();
  if (events.length) {
    try {
      await c.superseded.bulkWrite(
        events.map((e) => ({
          updateOne: {
            filter: { sid, supersededBy: m.by, seq: e.seq },
            update: { $setOnInsert: supersededDocOf(e, m) },
            upsert: true,
          },
        })),
        { session, ordered: false },
      );
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another finisher inserted some of them at the same moment: they are there
    }
    // Only once every one is copied: a finisher that reads after this finds them copied already.
    await c.events.deleteMany(range, { session });
  }
  await c.stateLog.updateMany({ sid, v: { $lt: m.by }, atSeq: { $gt: m.toSeq }, cut: { $exists: false } }, { $set: { cut: m.by } }, { session });
  await c.sessions.updateOne({ sid, 'rewinding.by': m.by }, { $unset: { rewinding: '' } }, { session });
}

function supersededDocOf(e: EventDoc, m: RewindMarker): Omit<SupersededDoc, 'sid' | 'seq' | 'supersededBy'> {
  return {
    id: e.id,
    timestamp: e.timestamp,
    author: e.author,
    role: e.role,
    invocationId: e.invocationId,
    content: e.content,
    stateDelta: e.stateDelta,
    metadata: e.metadata,
    supersededAt: m.at,
  };
}

export function supersededRowOfDoc(d: SupersededDoc): SupersededRow {
  const row: EventRow = {
    id: d.id, seq: d.seq, timestamp: d.timestamp, author: d.author, role: d.role ?? null, invocation_id: d.invocationId ?? null,
    content: d.content ?? null, state_delta: d.stateDelta ?? null, metadata: d.metadata ?? null,
  };
  return { ...row, superseded_at: d.supersededAt, superseded_by: d.supersededBy };
}

/** Deletes everything a session incarnation had besides its document and events. */
export async function deleteHistory(c: MongoCollections, session: ClientSession | undefined, sid: string): Promise<void> {
  await c.stateLog.deleteMany({ sid }, { session });
  await c.superseded.deleteMany({ sid }, { session });
}

import type { DeltaAtSeq, StateChangeRow } from '../../core/history.js';
import type { JsonObject, SupersededEvent } from '../../core/types.js';
import { eventFromBody } from './codec.js';
import type { RedisConnection } from './connection.js';
import { keys } from './layout.js';

/** Seqs per HMGET when a rewind reads a session's events. */
const BATCH = 1000;
/** HMGETs of one rewind in flight at once. */
const IN_FLIGHT = 4;

/** What a rewind needs of the events: the deltas up to `toSeq` (for `stateAtSeq`) and the ids after it (to forget them). */
export interface RewindRead {
  deltas: DeltaAtSeq[];
  ids: string[];
}

/**
 * Reads events 1..`count` of a session in batches and keeps only what a
 * rewind to `toSeq` needs. Null when an event is missing: the session changed
 * while it was read (the rewind script would refuse the plan anyway).
 */
export async function readForRewind(conn: RedisConnection, user: string, sid: string, count: number, toSeq: number): Promise<RewindRead | null> {
  const ev = keys.events(user, sid);
  const out: RewindRead = { deltas: [], ids: [] };
  let missing = false;
  const starts: number[] = [];
  for (let from = 1; from <= count; from += BATCH) starts.push(from);
  const readBatch = async (from: number) => {
    const seqs: string[] = [];
    for (let s = from; s <= Math.min(count, from + BATCH - 1); s++) seqs.push(String(s));
    const bodies = await conn.send<(string | null)[]>(user, ['HMGET', ev, ...seqs]);
    return bodies.map((body, i) => {
      if (body === null) {
        missing = true;
        return null;
      }
      const parsed = JSON.parse(body) as { id: string; delta?: JsonObject };
      return { seq: from + i, id: parsed.id, delta: parsed.delta };
    });
  };
  for (let i = 0; i < starts.length && !missing; i += IN_FLIGHT) {
    const done = await Promise.all(starts.slice(i, i + IN_FLIGHT).map(readBatch));
    for (const batch of done) {
      for (const e of batch) {
        if (!e) continue;
        if (e.seq <= toSeq) out.deltas.push({ seq: e.seq, stateDelta: e.delta ?? null });
        else out.ids.push(e.id);
      }
    }
  }
  return missing ? null : out;
}

/** How many entries of a log (ordered by `at_seq`) a rewind to `toSeq` keeps: those at or before it. */
export function keptChanges(rows: readonly StateChangeRow[], toSeq: number): number {
  const cut = rows.findIndex((r) => r.at_seq > toSeq);
  return cut === -1 ? rows.length : cut;
}

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

/** Where a page of superseded events after (supersededBy, seq) starts, for ZRANGEBYLEX. */
export function supersededStart(after: readonly [number, number]): string {
  const [by, seq] = after;
  return by === 0 && seq === 0 ? '-' : `[${hex16(by)}${hex16(seq + 1)}`;
}

/** A member of the superseded set (see lua/history.ts) as the event it holds. */
export function supersededFromMember(member: string): SupersededEvent {
  const supersededBy = parseInt(member.slice(0, 16), 16);
  const seq = parseInt(member.slice(16, 32), 16);
  const nul = member.indexOf('\u0000', 32);
  return { ...eventFromBody(seq, member.slice(nul + 1)), supersededAt: Number(member.slice(32, nul)), supersededBy };
}

import type { SessionStore } from '../../core/store.js';
import type { SessionEvent, SessionKey } from '../../core/types.js';
import { readRecord, type CheckpointRecord, type HeadEntry, type WritesRecord } from './records.js';

/** A stored checkpoint and the records of the writes against it, oldest first. */
export interface FoundCheckpoint {
  record: CheckpointRecord;
  writes: WritesRecord[];
}

/** Seqs this close together are read in one request, the events between them read and dropped. */
const MAX_GAP = 8;
const FIRST_PAGE = 16;
const LARGEST_PAGE = 256;
const PAGE_BYTES = 16 * 1024 * 1024;

/**
 * The head checkpoint of a namespace and its writes, read by seq: one request
 * for the checkpoint and writes stored close after it (the usual case), one
 * more per distant group of writes. Null if the head does not list its writes
 * or what is stored at those seqs is not what the head says (the session was
 * changed by hand): the caller scans.
 */
export async function readHeadCheckpoint(store: SessionStore, key: SessionKey, head: HeadEntry): Promise<FoundCheckpoint | null> {
  if (head.writes === null) return null;
  const events = await readSeqs(store, key, [head.seq, ...head.writes]);
  const record = recordAt(events, head.seq);
  if (record?.kind !== 'checkpoint' || !sameCheckpoint(record, head.checkpoint_ns, head.checkpoint_id)) return null;
  const writes: WritesRecord[] = [];
  for (const seq of head.writes) {
    const write = recordAt(events, seq);
    if (write?.kind !== 'writes' || !sameCheckpoint(write, head.checkpoint_ns, head.checkpoint_id)) return null;
    writes.push(write);
  }
  return { record, writes };
}

/** A checkpoint by id, found by reading the thread from its newest event back (writes always follow their checkpoint). */
export async function findCheckpoint(store: SessionStore, key: SessionKey, ns: string, checkpointId: string): Promise<FoundCheckpoint | null> {
  const writes: WritesRecord[] = [];
  for await (const event of eventsNewestFirst(store, key)) {
    const record = readRecord(event);
    if (!record || !sameCheckpoint(record, ns, checkpointId)) continue;
    if (record.kind === 'writes') writes.push(record);
    else return { record, writes: writes.reverse() };
  }
  return null;
}

/**
 * Every checkpoint of a thread (of one namespace, or of all when `ns` is
 * undefined), newest first, each with its writes: one pass from the newest
 * event back, so a checkpoint's writes are all seen by the time it is reached.
 */
export async function* checkpointsNewestFirst(store: SessionStore, key: SessionKey, ns: string | undefined): AsyncGenerator<FoundCheckpoint> {
  const pending = new Map<string, WritesRecord[]>();
  for await (const event of eventsNewestFirst(store, key)) {
    const record = readRecord(event);
    if (!record || (ns !== undefined && record.checkpoint_ns !== ns)) continue;
    const id = `${record.checkpoint_ns}\u0000${record.checkpoint_id}`;
    if (record.kind === 'writes') {
      const list = pending.get(id);
      if (list) list.push(record);
      else pending.set(id, [record]);
      continue;
    }
    const writes = (pending.get(id) ?? []).reverse();
    pending.delete(id);
    yield { record, writes };
  }
}

/**
 * The thread's events from the newest back, in pages that grow while the
 * reader keeps asking (16, 32, … 256 events), but hold about
 * {@link PAGE_BYTES} at most once events turn out large (checkpoints can be
 * up to the store's event limit each).
 */
async function* eventsNewestFirst(store: SessionStore, key: SessionKey): AsyncGenerator<SessionEvent> {
  let cursor: string | null = null;
  let limit = Math.min(FIRST_PAGE, store.limits.maxPageSize);
  do {
    const page = await store.readEvents(key, cursor ? { order: 'desc', limit, cursor } : { order: 'desc', limit });
    if (!page) return;
    yield* page.events;
    cursor = page.nextCursor;
    const largest = Math.max(1, ...page.events.map(storedBytes));
    limit = Math.max(1, Math.min(limit * 2, LARGEST_PAGE, store.limits.maxPageSize, Math.floor(PAGE_BYTES / largest)));
  } while (cursor);
}

/** About how many bytes an event of the saver holds: its serialized data (the rest is small). */
function storedBytes(event: SessionEvent): number {
  const record = readRecord(event);
  if (!record) return 1024;
  if (record.kind === 'checkpoint') return record.checkpoint.data.length + record.metadata.data.length;
  return record.writes.reduce((sum, w) => sum + w.data.length, 0);
}

async function readSeqs(store: SessionStore, key: SessionKey, seqs: number[]): Promise<Map<number, SessionEvent>> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const seq of sorted) {
    const last = ranges.at(-1);
    if (last && seq - last[1] <= MAX_GAP && seq - last[0] < store.limits.maxPageSize) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  const pages = await Promise.all(ranges.map(([from, to]) => store.readEvents(key, { afterSeq: from - 1, limit: to - from + 1 })));
  const events = new Map<number, SessionEvent>();
  for (const page of pages) for (const event of page?.events ?? []) events.set(event.seq, event);
  return events;
}

function recordAt(events: Map<number, SessionEvent>, seq: number): ReturnType<typeof readRecord> {
  const event = events.get(seq);
  return event ? readRecord(event) : null;
}

function sameCheckpoint(record: { checkpoint_ns: string; checkpoint_id: string }, ns: string, checkpointId: string): boolean {
  return record.checkpoint_ns === ns && record.checkpoint_id === checkpointId;
}

/**
 * How a LangGraph thread is laid out in a sessiondb session.
 *
 * - A thread is one session: `{ tenant, appName, userId, sessionId: thread_id }`.
 *   Checkpoint namespaces (subgraphs) live inside it: every record names its
 *   `checkpoint_ns`, so deleting the session deletes the whole thread.
 * - A checkpoint is one event. Its id is the checkpoint id (with a digest of
 *   the namespace appended outside the root namespace), so putting the same
 *   checkpoint twice stores it once.
 * - One `putWrites` call is one event holding that task's writes. Its id is a
 *   digest of what it holds, so a retried call is stored once.
 * - The session's own state keeps, per namespace, a small head entry: the
 *   latest checkpoint's id and seq and the seqs of its writes. It is set by
 *   the same append that stores the event (a `stateDelta`), so it can never
 *   point at an event that is not there, and a rewind of the session (the
 *   console's, or `store.rewindSession`) takes the heads back with the events.
 *
 * Event content is `{ parts: [{ text }], langgraph: record }`: the `text` is a
 * readable line for the console, exports and search; the record holds the
 * serializer's output as base64, so any bytes round-trip exactly.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, SessionEvent } from '../../core/types.js';

/** The author of every event the saver writes. */
export const AUTHOR = 'langgraph';

/** What the serializer (`serde.dumpsTyped`) returned: its type tag and the bytes, base64-encoded. */
export interface StoredBytes {
  type: string;
  data: string;
}

export interface CheckpointRecord {
  kind: 'checkpoint';
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  checkpoint: StoredBytes;
  metadata: StoredBytes;
}

/** One write of a task: `idx` is its position, or LangGraph's negative index for special channels. */
export interface StoredWrite extends StoredBytes {
  channel: string;
  idx: number;
}

export interface WritesRecord {
  kind: 'writes';
  checkpoint_ns: string;
  checkpoint_id: string;
  task_id: string;
  task_path: string;
  writes: StoredWrite[];
}

export type ThreadRecord = CheckpointRecord | WritesRecord;

/** The head of one namespace, kept in the session's state. */
export interface HeadEntry {
  checkpoint_ns: string;
  checkpoint_id: string;
  /** Seq of the checkpoint's event. */
  seq: number;
  /**
   * Seqs of the events holding writes against it, in the order they were
   * stored; null once there are more than {@link MAX_LISTED_WRITES} (a wide
   * fan-out): readers then read back from the newest event to the checkpoint,
   * which is mostly those writes anyway.
   */
  writes: number[] | null;
}

/** Past this many write events, a head stops listing them (each write would rewrite a longer list). */
export const MAX_LISTED_WRITES = 128;

export function encodeBytes([type, bytes]: [string, Uint8Array]): StoredBytes {
  return { type, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

/** The stored bytes as a plain `Uint8Array` (not a `Buffer`), as the serializer gave them. */
export function decodeBytes(stored: StoredBytes): Uint8Array {
  return Uint8Array.from(Buffer.from(stored.data, 'base64'));
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, length);
}

/** Characters the namespace tag adds to a checkpoint's event id outside the root namespace. */
export const NAMESPACE_TAG_LENGTH = 17;

export function checkpointEventId(ns: string, checkpointId: string): string {
  return ns === '' ? checkpointId : `${checkpointId}@${digest(ns, NAMESPACE_TAG_LENGTH - 1)}`;
}

export function writesEventId(record: WritesRecord): string {
  const { checkpoint_ns, checkpoint_id, task_id, task_path, writes } = record;
  return `w:${digest(JSON.stringify([checkpoint_ns, checkpoint_id, task_id, task_path, writes]), 24)}`;
}

/** The state key of a namespace's head: readable when it fits, a digest of the namespace when it does not. */
export function headKey(ns: string, maxKeyLength: number): string {
  const key = ns === '' ? 'langgraph.head' : `langgraph.head:${ns}`;
  return key.length <= maxKeyLength ? key : `langgraph.head#${digest(ns, 24)}`;
}

export function readHead(state: JsonObject, ns: string, maxKeyLength: number): HeadEntry | null {
  const value = state[headKey(ns, maxKeyLength)];
  if (!isObject(value)) return null;
  const { checkpoint_ns, checkpoint_id, seq, writes } = value;
  if (checkpoint_ns !== ns || typeof checkpoint_id !== 'string' || !Number.isSafeInteger(seq)) return null;
  if (writes !== null && !(Array.isArray(writes) && writes.every((s) => Number.isSafeInteger(s)))) return null;
  return { checkpoint_ns, checkpoint_id, seq: seq as number, writes: writes as number[] | null };
}

export function eventContent(text: string, record: ThreadRecord): JsonObject {
  return { parts: [{ text }], langgraph: record };
}

/** The saver's record in an event, or null for an event the saver did not write. */
export function readRecord(event: SessionEvent): ThreadRecord | null {
  if (event.author !== AUTHOR || !isObject(event.content)) return null;
  const record = event.content['langgraph'];
  if (!isObject(record) || typeof record['checkpoint_ns'] !== 'string' || typeof record['checkpoint_id'] !== 'string') return null;
  if (record['kind'] === 'checkpoint') {
    const parent = record['parent_checkpoint_id'];
    if (!isStoredBytes(record['checkpoint']) || !isStoredBytes(record['metadata'])) return null;
    if (parent !== null && typeof parent !== 'string') return null;
    return record as unknown as CheckpointRecord;
  }
  if (record['kind'] === 'writes') {
    const writes = record['writes'];
    if (typeof record['task_id'] !== 'string' || typeof record['task_path'] !== 'string' || !Array.isArray(writes)) return null;
    if (!writes.every((w) => isStoredBytes(w) && typeof w['channel'] === 'string' && Number.isSafeInteger(w['idx']))) return null;
    return record as unknown as WritesRecord;
  }
  return null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStoredBytes(value: unknown): value is StoredBytes & JsonObject {
  return isObject(value) && typeof value['type'] === 'string' && typeof value['data'] === 'string';
}

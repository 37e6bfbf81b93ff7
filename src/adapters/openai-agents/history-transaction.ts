import { createHash } from 'node:crypto';
import type { AgentInputItem, SessionHistoryTransactionArgs } from '@openai/agents';
import { TooLargeError, ValidationError } from '../../core/errors.js';
import { describeType, isPlainObject } from '../../core/json.js';
import type { JsonObject, NewEvent } from '../../core/types.js';
import { ITEM_METADATA_KEY, itemToEvent } from './item-mapping.js';

/**
 * How `applyHistoryTransaction` stays atomic on a store that has no single
 * "rewind and append" write. The session's `metadata.openaiAgents` holds:
 * - `operations`: the `[operationId, digest]` of the most recent transactions
 *   applied (at most {@link MAX_RECORDED_OPERATIONS}), so a replay is recognised;
 * - `pending`: a transaction decided but not yet finished (an intent).
 *
 * A transaction first writes its intent (conditional on the version at which
 * its precondition was checked), then takes the steps — rewind the old
 * suffix, append the replacement, record the operation and drop the intent —
 * each conditional on the version it was decided at. Every write of
 * `SessiondbSession` (and every read) finishes a pending intent it finds
 * before doing anything else, so a process that dies half-way leaves work that
 * the next caller completes, and no caller sees or builds on a half-applied
 * transaction. Which step is next follows from the session's event count and
 * last event id alone ({@link nextStep}).
 */
export interface PendingTransaction {
  operationId: string;
  digest: string;
  /** The event count once the old suffix is gone. */
  base: number;
  /** The id of the event at seq `base` (null when `base` is 0). */
  baseId: string | null;
  /** Ids of the events of the suffix being replaced, oldest first. */
  remove: string[];
  /** The events to append, ids fixed. */
  add: NewEvent[];
}

/** What `metadata.openaiAgents` of a session holds. */
interface SessionAgentsMetadata {
  operations: [string, string][];
  pending?: PendingTransaction;
}

/** Applied operations remembered per session for replay detection: the most recent ones. */
export const MAX_RECORDED_OPERATIONS = 100;
const MAX_OPERATION_ID_LENGTH = 512;

/** A transaction checked and turned into what the store needs. */
export interface PreparedTransaction {
  operationId: string;
  /** Identifies the transaction's content: a replay must carry the same. */
  digest: string;
  /** Canonical forms of the expected suffix's items (empty for `append_items`). */
  expectedSuffix: string[];
  /** The events to append, ids from `newId`. */
  add: NewEvent[];
}

/**
 * Checks `applyHistoryTransaction`'s arguments (the SDK's shapes, nothing
 * more; at most `maxItems` new items: one append) and prepares the events. Throws `ValidationError` naming the field;
 * nothing is written before this passes.
 */
export function prepareTransaction(args: SessionHistoryTransactionArgs, newId: () => string, maxItems: number): PreparedTransaction {
  if (!isPlainObject(args)) throw new ValidationError('args', `must be { operationId, transaction }, got ${describeType(args)}`);
  const { operationId, transaction } = args as unknown as JsonObject;
  if (typeof operationId !== 'string' || operationId.trim() === '') {
    throw new ValidationError('operationId', 'must be a non-empty string that stays the same when the transaction is retried');
  }
  if (operationId.length > MAX_OPERATION_ID_LENGTH) throw new ValidationError('operationId', `must be at most ${MAX_OPERATION_ID_LENGTH} characters`);
  if (!isPlainObject(transaction)) throw new ValidationError('transaction', `must be an object, got ${describeType(transaction)}`);
  const type = transaction['type'];
  const expectKeys = (keys: string[]) => {
    const extra = Object.keys(transaction).filter((k) => !keys.includes(k));
    if (extra.length > 0) throw new ValidationError('transaction', `has fields a ${String(type)} transaction does not have: ${extra.join(', ')}`);
    for (const key of keys.slice(1)) {
      if (!Array.isArray(transaction[key])) throw new ValidationError(`transaction.${key}`, `must be an array of items, got ${describeType(transaction[key])}`);
    }
  };
  let expected: AgentInputItem[] = [];
  let replacement: AgentInputItem[];
  if (type === 'append_items') {
    expectKeys(['type', 'items']);
    replacement = transaction['items'] as AgentInputItem[];
  } else if (type === 'replace_suffix') {
    expectKeys(['type', 'expectedSuffix', 'replacement']);
    expected = transaction['expectedSuffix'] as AgentInputItem[];
    replacement = transaction['replacement'] as AgentInputItem[];
  } else {
    throw new ValidationError('transaction.type', `must be "append_items" or "replace_suffix", got ${JSON.stringify(type)}`);
  }
  const field = type === 'append_items' ? 'transaction.items' : 'transaction.replacement';
  if (replacement.length > maxItems) throw new TooLargeError(field, replacement.length, maxItems, 'items');
  const add = replacement.map((item, i) => itemToEvent(item, newId(), `${field}[${i}]`));
  expected.forEach((item, i) => itemToEvent(item, 'check', `transaction.expectedSuffix[${i}]`)); // the same rules as stored items
  const expectedSuffix = expected.map(canonicalItem);
  const digest = createHash('sha256')
    .update(canonicalItem({ type, expectedSuffix: expected, replacement } as unknown as AgentInputItem))
    .digest('base64url');
  return { operationId, digest, expectedSuffix, add };
}

/**
 * One text per structurally equal value: object keys sorted, `undefined`
 * properties left out, bytes tagged so they never equal a string.
 */
export function canonicalItem(value: unknown): string {
  if (value instanceof Uint8Array) return `b${JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'))}`;
  if (Array.isArray(value)) return `[${value.map(canonicalItem).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as JsonObject)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalItem(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The adapter's part of a session's metadata (empty when it has none). */
export function agentsMetadata(metadata: JsonObject): SessionAgentsMetadata {
  const own = metadata[ITEM_METADATA_KEY];
  if (!isPlainObject(own)) return { operations: [] };
  const operations = Array.isArray(own['operations']) ? (own['operations'] as [string, string][]) : [];
  const pending = isPlainObject(own['pending']) ? (own['pending'] as unknown as PendingTransaction) : undefined;
  return pending ? { operations, pending } : { operations };
}

/** The digest an operation was applied with, if it is remembered. */
export function appliedDigest(metadata: JsonObject, operationId: string): string | undefined {
  return agentsMetadata(metadata).operations.find(([id]) => id === operationId)?.[1];
}

/** The session's metadata with `pending` as its intent. */
export function withPending(metadata: JsonObject, pending: PendingTransaction): JsonObject {
  const own = agentsMetadata(metadata);
  return { ...metadata, [ITEM_METADATA_KEY]: { operations: own.operations, pending } as unknown as JsonObject };
}

/** The session's metadata once the pending intent is done (`applied`: its operation is recorded) or given up. */
export function withoutPending(metadata: JsonObject, applied: boolean): JsonObject {
  const own = agentsMetadata(metadata);
  let operations = own.operations;
  if (applied && own.pending) operations = [...operations, [own.pending.operationId, own.pending.digest] as [string, string]].slice(-MAX_RECORDED_OPERATIONS);
  return { ...metadata, [ITEM_METADATA_KEY]: { operations } as unknown as JsonObject };
}

/** What the session looks like at its end: enough to tell how far a pending transaction got. */
export interface SessionTail {
  eventCount: number;
  lastEventId: string | null;
}

/**
 * The next step of a pending transaction, from the end of the history:
 * `finalize` (its events are in place: record it), `append` (the old suffix is
 * gone), `rewind` (nothing done yet), or `abandon` (a writer that does not
 * know the protocol changed the history: give the intent up).
 */
export function nextStep(p: PendingTransaction, tail: SessionTail): 'rewind' | 'append' | 'finalize' | 'abandon' {
  const added = p.add.length;
  const removed = p.remove.length;
  if (added > 0 && tail.eventCount === p.base + added && tail.lastEventId === p.add[added - 1]!.id) return 'finalize';
  if (tail.eventCount === p.base && tail.lastEventId === p.baseId) return added > 0 ? 'append' : 'finalize';
  if (removed > 0 && tail.eventCount === p.base + removed && tail.lastEventId === p.remove[removed - 1]) return 'rewind';
  return 'abandon';
}

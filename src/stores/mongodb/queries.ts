/**
 * Filters, sorts and hints of the MongoDB store's pages. Every page is a
 * keyset page: a range on the first order field (tight index bounds) plus the
 * exact "after this position" condition, walked in the order of an index.
 */
import type { Document, Filter, Sort } from 'mongodb';
import type { ResolvedFileQuery, ResolvedSessionQuery } from '../../core/paging.js';
import type { ResolvedKey } from '../../core/validate.js';
import type { FileDoc, SessionDoc } from './documents.js';
import { INDEX } from './schema.js';

/** Documents strictly after `values` in the order of `fields`, ascending (`1`) or descending (`-1`). */
export function keysetAfter(fields: readonly string[], values: readonly unknown[], direction: 1 | -1): Document {
  const strict = direction === 1 ? '$gt' : '$lt';
  const from = direction === 1 ? '$gte' : '$lte';
  const or = fields.map((field, i) => {
    const clause: Document = {};
    for (let j = 0; j < i; j++) clause[fields[j]!] = values[j];
    clause[field] = { [strict]: values[i] };
    return clause;
  });
  return { [fields[0]!]: { [from]: values[0] }, $or: or };
}

export function sortBy(fields: readonly string[], direction: 1 | -1): Sort {
  return Object.fromEntries(fields.map((f) => [f, direction])) as Sort;
}

/** The filter naming one session by its key. */
export function sessionKeyFilter(k: ResolvedKey): Filter<SessionDoc> {
  return { tenant: k.tenant, appName: k.appName, userId: k.userId, id: k.sessionId };
}

/**
 * One incarnation of a session at one version: the filter of every conditional
 * write. It names the whole key (a shard key prefix, so a write on a sharded
 * cluster goes to one shard) and the incarnation (`sid`), so a write planned on a
 * session that was since replaced or re-created can never apply to the new one.
 */
export function sessionAt(k: ResolvedKey, sid: string, version: number): Filter<SessionDoc> {
  return { ...sessionKeyFilter(k), sid, version };
}

/** A session listing: its filter, its order (the listing's total order past what the scope fixes), and the index that has that order. */
export function sessionListing(q: ResolvedSessionQuery): { filter: Filter<SessionDoc>; sort: Sort; hint: string } {
  const filter: Document = { tenant: q.tenant };
  let fields: string[];
  let hint: string;
  if (q.userId !== undefined) {
    Object.assign(filter, { appName: q.appName, userId: q.userId });
    fields = ['updatedAt', 'id'];
    hint = INDEX.userOrder;
  } else if (q.appName !== undefined) {
    filter['appName'] = q.appName;
    fields = ['updatedAt', 'id', 'userId'];
    hint = INDEX.appOrder;
  } else {
    fields = ['updatedAt', 'id', 'appName', 'userId'];
    hint = INDEX.tenantOrder;
  }
  if (q.status !== undefined) filter['status'] = q.status;
  const direction = q.order === 'asc' ? 1 : -1;
  if (q.after) {
    const position: Record<string, unknown> = { updatedAt: q.after.updatedAt, id: q.after.id, appName: q.after.appName, userId: q.after.userId };
    Object.assign(filter, keysetAfter(fields, fields.map((f) => position[f]), direction));
  }
  return { filter: filter as Filter<SessionDoc>, sort: sortBy(fields, direction), hint };
}

/** The filter of a session count: a listing's filters without its position. */
export function sessionCountFilter(q: Pick<ResolvedSessionQuery, 'tenant' | 'appName' | 'userId' | 'status'>): Filter<SessionDoc> {
  const filter: Document = { tenant: q.tenant };
  if (q.appName !== undefined) filter['appName'] = q.appName;
  if (q.userId !== undefined) filter['userId'] = q.userId;
  if (q.status !== undefined) filter['status'] = q.status;
  return filter as Filter<SessionDoc>;
}

/** A file listing, newest upload first, then id descending. */
export function fileListing(q: ResolvedFileQuery): { filter: Filter<FileDoc>; sort: Sort } {
  const filter: Document = { tenant: q.tenant };
  if (q.appName !== undefined) filter['appName'] = q.appName;
  if (q.userId !== undefined) filter['userId'] = q.userId;
  if (q.sessionId !== undefined) filter['sessionId'] = q.sessionId;
  const fields = ['uploadedAt', 'id'];
  if (q.after) Object.assign(filter, keysetAfter(fields, [q.after.uploadedAt, q.after.id], -1));
  return { filter: filter as Filter<FileDoc>, sort: sortBy(fields, -1) };
}

/** The key fields of each whole-store scan, in scan order. */
export const SCAN_FIELDS = {
  sessions: ['tenant', 'appName', 'userId', 'id'],
  app: ['tenant', 'appName'],
  user: ['tenant', 'appName', 'userId'],
  files: ['tenant', 'id'],
} as const;

/** A scan page's filter: everything after the cursor's position, or everything. */
export function scanFilter(fields: readonly string[], after: readonly string[] | null): Document {
  return after ? keysetAfter(fields, after, 1) : {};
}

import { compareUtf8, decodeCursor, encodeCursor } from './cursor.js';
import { ValidationError } from './errors.js';
import type { Limits } from './limits.js';
import type { EventRange, FileQuery, ScanQuery, SessionCountQuery, SessionQuery } from './types.js';
import { checkName, checkOrder, checkPageLimit, checkStatus, resolveTenant } from './validate.js';

export const DEFAULT_EVENT_PAGE = 100;
export const DEFAULT_SESSION_PAGE = 50;

/** An event range reduced to one exclusive seq bound in the reading direction. */
export interface ResolvedEventRange {
  order: 'asc' | 'desc';
  /** asc: seq > bound; desc: seq < bound. */
  bound: number;
  limit: number;
}

export function resolveEventRange(range: EventRange | undefined, limits: Limits): ResolvedEventRange {
  const r = range ?? {};
  const order = checkOrder('order', r.order);
  const limit = checkPageLimit(r.limit, DEFAULT_EVENT_PAGE, limits);
  const seqBound = (field: string, value: unknown): number => {
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ValidationError(field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  let bound = order === 'asc' ? 0 : Number.MAX_SAFE_INTEGER;
  if (r.afterSeq !== undefined) {
    if (order === 'desc') throw new ValidationError('afterSeq', 'applies to ascending reads', 'Use beforeSeq with order "desc".');
    bound = seqBound('afterSeq', r.afterSeq);
  }
  if (r.beforeSeq !== undefined) {
    if (order === 'asc') throw new ValidationError('beforeSeq', 'applies to descending reads', 'Use afterSeq with order "asc", or set order "desc".');
    bound = seqBound('beforeSeq', r.beforeSeq);
  }
  if (r.cursor !== undefined && r.cursor !== null) bound = decodeCursor(`events-${order}`, r.cursor, ['number'])[0] as number;
  return { order, bound, limit };
}

export function eventCursor(order: 'asc' | 'desc', lastSeq: number): string {
  return encodeCursor(`events-${order}`, [lastSeq]);
}

/**
 * A session listing, validated. Sessions are ordered by (updatedAt, id, appName, userId),
 * a total order within a tenant; the cursor holds that position of the last item.
 */
export interface ResolvedSessionQuery {
  tenant: string;
  appName: string | undefined;
  userId: string | undefined;
  status: SessionQuery['status'];
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
  after: SessionPosition | null;
}

export interface SessionPosition {
  updatedAt: number;
  id: string;
  appName: string;
  userId: string;
}

export function resolveSessionQuery(query: SessionQuery, limits: Limits): ResolvedSessionQuery {
  const q = query ?? {};
  if (q.userId !== undefined && q.appName === undefined) {
    throw new ValidationError('appName', 'is required when userId is given', 'A user id is only unique within an app.');
  }
  const order = checkOrder('order', q.order);
  let after: SessionPosition | null = null;
  if (q.cursor !== undefined && q.cursor !== null) {
    const [updatedAt, id, appName, userId] = decodeCursor(`sessions-${order}`, q.cursor, ['number', 'string', 'string', 'string']);
    after = { updatedAt: updatedAt as number, id: id as string, appName: appName as string, userId: userId as string };
  }
  return {
    tenant: resolveTenant(q.tenant, limits),
    appName: q.appName === undefined ? undefined : checkName('appName', q.appName, limits),
    userId: q.userId === undefined ? undefined : checkName('userId', q.userId, limits),
    status: q.status === undefined ? undefined : checkStatus('status', q.status),
    order,
    limit: checkPageLimit(q.limit, DEFAULT_SESSION_PAGE, limits),
    offset: checkOffset(q.offset, after !== null),
    after,
  };
}

function checkOffset(value: unknown, withCursor: boolean): number {
  if (value === undefined || value === 0) return 0;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ValidationError('offset', `must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  if (withCursor) throw new ValidationError('offset', 'cannot be combined with cursor', 'Page with the cursor alone.');
  return value as number;
}

/** A session count, validated: the filters of a listing. */
export function resolveCountQuery(query: SessionCountQuery, limits: Limits): Pick<ResolvedSessionQuery, 'tenant' | 'appName' | 'userId' | 'status'> {
  const { tenant, appName, userId, status } = resolveSessionQuery({ tenant: query?.tenant, appName: query?.appName, userId: query?.userId, status: query?.status }, limits);
  return { tenant, appName, userId, status };
}

export function sessionCursor(order: 'asc' | 'desc', p: SessionPosition): string {
  return encodeCursor(`sessions-${order}`, [p.updatedAt, p.id, p.appName, p.userId]);
}

/** Checks `lastEvents` / `afterTimestamp` of a read. */
export function resolveReadOptions(o: { lastEvents?: number; afterTimestamp?: number; withEvents?: boolean } | undefined): {
  withEvents: boolean;
  lastEvents: number | undefined;
  afterTimestamp: number | undefined;
} {
  const opts = o ?? {};
  if (opts.lastEvents !== undefined && (!Number.isSafeInteger(opts.lastEvents) || opts.lastEvents < 0)) {
    throw new ValidationError('lastEvents', `must be a non-negative integer, got ${JSON.stringify(opts.lastEvents)}`);
  }
  if (opts.afterTimestamp !== undefined && (typeof opts.afterTimestamp !== 'number' || !Number.isFinite(opts.afterTimestamp))) {
    throw new ValidationError('afterTimestamp', `must be an epoch-milliseconds number, got ${JSON.stringify(opts.afterTimestamp)}`);
  }
  return {
    withEvents: opts.withEvents !== false,
    lastEvents: opts.lastEvents,
    afterTimestamp: opts.afterTimestamp,
  };
}

/** A file listing, validated. Files are listed newest upload first, then by id descending. */
export interface ResolvedFileQuery {
  tenant: string;
  appName: string | undefined;
  userId: string | undefined;
  sessionId: string | undefined;
  limit: number;
  after: FilePosition | null;
}

export interface FilePosition {
  uploadedAt: number;
  id: string;
}

export function resolveFileQuery(query: FileQuery, limits: Limits): ResolvedFileQuery {
  const q = query ?? {};
  let after: FilePosition | null = null;
  if (q.cursor !== undefined && q.cursor !== null) {
    const [uploadedAt, id] = decodeCursor('files', q.cursor, ['number', 'string']);
    after = { uploadedAt: uploadedAt as number, id: id as string };
  }
  return {
    tenant: resolveTenant(q.tenant, limits),
    appName: q.appName === undefined ? undefined : checkName('appName', q.appName, limits),
    userId: q.userId === undefined ? undefined : checkName('userId', q.userId, limits),
    sessionId: q.sessionId === undefined ? undefined : checkName('sessionId', q.sessionId, limits),
    limit: checkPageLimit(q.limit, DEFAULT_SESSION_PAGE, limits),
    after,
  };
}

/** Orders a file row against a position, ascending. */
export function compareFilePosition(row: { uploaded_at: number; id: string }, p: FilePosition): number {
  return row.uploaded_at - p.uploadedAt || compareUtf8(row.id, p.id);
}

export function fileCursor(row: { uploaded_at: number; id: string }): string {
  return encodeCursor('files', [row.uploaded_at, row.id]);
}

/** Which index a session listing walks and which filters it applies: the key of its SQL. */
export interface SessionListShape {
  scope: 'tenant' | 'app' | 'user';
  status: boolean;
  after: boolean;
  order: 'asc' | 'desc';
}

/**
 * The shape of a session listing and its SQL parameters in order: filters,
 * then the cursor position (only the order columns the scope does not fix),
 * then limit + 1 (to learn whether a next page exists) and the offset.
 */
export function sessionListing(q: ResolvedSessionQuery): { shape: SessionListShape; params: (string | number)[] } {
  const scope = q.userId !== undefined ? 'user' : q.appName !== undefined ? 'app' : 'tenant';
  const params: (string | number)[] = [q.tenant];
  if (scope !== 'tenant') params.push(q.appName!);
  if (scope === 'user') params.push(q.userId!);
  if (q.status !== undefined) params.push(q.status);
  if (q.after) {
    params.push(q.after.updatedAt, q.after.id);
    if (scope === 'app') params.push(q.after.userId);
    if (scope === 'tenant') params.push(q.after.appName, q.after.userId);
  }
  params.push(q.limit + 1, q.offset);
  return { shape: { scope, status: q.status !== undefined, after: q.after !== null, order: q.order }, params };
}

export interface FileListShape {
  app: boolean;
  user: boolean;
  session: boolean;
  after: boolean;
}

/** The shape of a file listing and its SQL parameters in order (filters, cursor, limit + 1). */
export function fileListing(q: ResolvedFileQuery): { shape: FileListShape; params: (string | number)[] } {
  const shape = { app: q.appName !== undefined, user: q.userId !== undefined, session: q.sessionId !== undefined, after: q.after !== null };
  const params: (string | number)[] = [q.tenant];
  if (shape.app) params.push(q.appName!);
  if (shape.user) params.push(q.userId!);
  if (shape.session) params.push(q.sessionId!);
  if (q.after) params.push(q.after.uploadedAt, q.after.id);
  params.push(q.limit + 1);
  return { shape, params };
}

/** The listing position of a session row. */
export function positionOf(row: { updated_at: number; id: string; app_name: string; user_id: string }): SessionPosition {
  return { updatedAt: row.updated_at, id: row.id, appName: row.app_name, userId: row.user_id };
}

/** The total order of session listings, ascending: updatedAt, then id, app name, user id (bytewise). */
export function comparePosition(a: SessionPosition, b: SessionPosition): number {
  return a.updatedAt - b.updatedAt || compareUtf8(a.id, b.id) || compareUtf8(a.appName, b.appName) || compareUtf8(a.userId, b.userId);
}

export const DEFAULT_SCAN_PAGE = 500;

/** A validated scan: its limit and the position (a tuple of names) to continue after. */
export function resolveScan(kind: string, width: number, query: ScanQuery | undefined, limits: Limits): { limit: number; after: string[] | null } {
  const q = query ?? {};
  const after =
    q.cursor === undefined || q.cursor === null ? null : (decodeCursor(`scan-${kind}`, q.cursor, Array.from({ length: width }, () => 'string' as const)) as string[]);
  return { limit: checkPageLimit(q.limit, DEFAULT_SCAN_PAGE, limits), after };
}

export function scanCursor(kind: string, position: string[]): string {
  return encodeCursor(`scan-${kind}`, position);
}

/** Bytewise order of name tuples. */
export function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = compareUtf8(a[i] ?? '', b[i] ?? '');
    if (c) return c;
  }
  return 0;
}

/** Sorts, skips past `after` and pages an in-memory list (the memory and file stores). */
export function pageInMemory<T>(items: T[], keyOf: (item: T) => string[], kind: string, scan: { limit: number; after: string[] | null }): { page: T[]; nextCursor: string | null } {
  const sorted = items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => compareTuples(a.key, b.key));
  const rest = scan.after ? sorted.filter((x) => compareTuples(x.key, scan.after!) > 0) : sorted;
  const page = rest.slice(0, scan.limit);
  return { page: page.map((x) => x.item), nextCursor: rest.length > scan.limit ? scanCursor(kind, page[page.length - 1]!.key) : null };
}

/** Whether a session row passes the filters of a listing or count. */
export function matchesSessionFilter(
  row: { tenant: string; app_name: string; user_id: string; status: string },
  q: Pick<ResolvedSessionQuery, 'tenant' | 'appName' | 'userId' | 'status'>,
): boolean {
  return (
    row.tenant === q.tenant &&
    (q.appName === undefined || row.app_name === q.appName) &&
    (q.userId === undefined || row.user_id === q.userId) &&
    (q.status === undefined || row.status === q.status)
  );
}

/**
 * A page of a session listing over rows held in memory (the memory and file
 * stores): filters, the listing's total order, the cursor or offset, and the
 * next cursor. O(n log n) in the matching rows.
 */
export function pageSessionRows<R extends { tenant: string; app_name: string; user_id: string; id: string; status: string; updated_at: number }>(
  rows: Iterable<R>,
  q: ResolvedSessionQuery,
): { page: R[]; nextCursor: string | null } {
  const sign = q.order === 'asc' ? 1 : -1;
  const matches: R[] = [];
  for (const row of rows) {
    if (!matchesSessionFilter(row, q)) continue;
    if (q.after && sign * comparePosition(positionOf(row), q.after) <= 0) continue;
    matches.push(row);
  }
  matches.sort((a, b) => sign * comparePosition(positionOf(a), positionOf(b)));
  const page = matches.slice(q.offset, q.offset + q.limit);
  const last = page[page.length - 1];
  return { page, nextCursor: matches.length > q.offset + q.limit && last ? sessionCursor(q.order, positionOf(last)) : null };
}

/** A page of a file listing (newest upload first) over rows held in memory. */
export function pageFileRows<R extends { tenant: string; id: string; uploaded_at: number; app_name: string | null; user_id: string | null; session_id: string | null }>(
  rows: Iterable<R>,
  q: ResolvedFileQuery,
): { page: R[]; nextCursor: string | null } {
  const matches: R[] = [];
  for (const f of rows) {
    if (f.tenant !== q.tenant) continue;
    if (q.appName !== undefined && f.app_name !== q.appName) continue;
    if (q.userId !== undefined && f.user_id !== q.userId) continue;
    if (q.sessionId !== undefined && f.session_id !== q.sessionId) continue;
    if (q.after !== null && compareFilePosition(f, q.after) >= 0) continue;
    matches.push(f);
  }
  matches.sort((a, b) => -compareFilePosition(a, { uploadedAt: b.uploaded_at, id: b.id }));
  const page = matches.slice(0, q.limit);
  const last = page[page.length - 1];
  return { page, nextCursor: matches.length > q.limit && last ? fileCursor(last) : null };
}

/**
 * The seqs an event page covers, given how many events the session has (seqs
 * are gapless, so a page is a seq range): `from`..`to` inclusive, read in
 * `order`; `more` tells whether events lie beyond the page.
 */
export function eventPageSeqs(r: ResolvedEventRange, eventCount: number): { from: number; to: number; more: boolean } {
  if (r.order === 'asc') {
    const from = Math.min(r.bound, eventCount) + 1;
    const to = Math.min(from + r.limit - 1, eventCount);
    return { from, to, more: to < eventCount };
  }
  const to = Math.min(r.bound - 1, eventCount);
  const from = Math.max(1, to - r.limit + 1);
  return { from, to, more: from > 1 };
}

import { createHash } from 'node:crypto';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ValidationError } from '../errors.js';
import { requirePlainObject } from '../json.js';
import type { Limits } from '../limits.js';
import { EVENT_ROLES, type EventRole, type SearchQuery, type SessionStatus } from '../types.js';
import { checkName, checkPageLimit, checkStatus, checkTime, resolveTenant } from '../validate.js';
import { parseSearchQuery, treeKey, type SearchTree } from './query.js';

export const DEFAULT_SEARCH_PAGE = 20;
/** Hits past this rank are not paged to: a search that needs them should be narrower. */
export const MAX_SEARCH_OFFSET = 10_000;

/** A validated search: the parsed query, its filters and the page it asks for. */
export interface PreparedSearch {
  tree: SearchTree;
  tenant: string;
  appName: string | undefined;
  userId: string | undefined;
  sessionId: string | undefined;
  role: EventRole | undefined;
  author: string | undefined;
  after: number | undefined;
  before: number | undefined;
  status: SessionStatus | undefined;
  /** Title hits are possible (no role or author filter). */
  titles: boolean;
  limit: number;
  /** Hits to skip (from the cursor). */
  offset: number;
  /** Names this search (query and filters) in its cursors. */
  fingerprint: string;
}

const FIELDS = new Set(['query', 'tenant', 'appName', 'userId', 'sessionId', 'role', 'author', 'after', 'before', 'status', 'limit', 'cursor']);

export function prepareSearch(q: SearchQuery, limits: Limits): PreparedSearch {
  requirePlainObject('search', q);
  for (const field of Object.keys(q)) {
    if (!FIELDS.has(field)) throw new ValidationError(`search.${field}`, 'is not a search field', `Fields: ${[...FIELDS].join(', ')}.`);
  }
  const opt = <T>(value: T | undefined | null, check: (v: T) => T): T | undefined => (value === undefined || value === null ? undefined : check(value));
  const role = opt(q.role, (r) => {
    if (!EVENT_ROLES.includes(r)) throw new ValidationError('role', `must be one of ${EVENT_ROLES.join(', ')}, got ${JSON.stringify(r)}`);
    return r;
  });
  const prepared: Omit<PreparedSearch, 'offset' | 'fingerprint'> = {
    tree: parseSearchQuery('query', q.query),
    tenant: resolveTenant(q.tenant, limits),
    appName: opt(q.appName, (v) => checkName('appName', v, limits)),
    userId: opt(q.userId, (v) => checkName('userId', v, limits)),
    sessionId: opt(q.sessionId, (v) => checkName('sessionId', v, limits)),
    role,
    author: opt(q.author, (v) => checkName('author', v, limits)),
    after: opt(q.after, (v) => checkTime('after', v)),
    before: opt(q.before, (v) => checkTime('before', v)),
    status: opt(q.status, (v) => checkStatus('status', v)),
    titles: q.role == null && q.author == null,
    limit: checkPageLimit(q.limit, DEFAULT_SEARCH_PAGE, limits),
  };
  const { tree, limit, ...filters } = prepared;
  const fingerprint = createHash('sha256').update(treeKey(tree) + '\u0000' + JSON.stringify(filters)).digest('base64url').slice(0, 12);
  let offset = 0;
  if (q.cursor !== undefined && q.cursor !== null) {
    const [at, of] = decodeCursor('search', q.cursor, ['number', 'string']) as [number, string];
    if (of !== fingerprint || !Number.isSafeInteger(at) || at < 0) {
      throw new ValidationError('cursor', 'belongs to another search', 'Pass the nextCursor back with the same query and filters, or omit it to start over.');
    }
    offset = at;
  }
  if (offset > MAX_SEARCH_OFFSET) throw new ValidationError('cursor', 'is past the last page a search returns', 'Narrow the search instead.');
  return { ...prepared, offset, fingerprint };
}

/**
 * The cursor of the page after one that held `got` hits, or null when it was
 * the last. Stores fetch `limit + 1` hits to know whether another page exists.
 */
export function nextSearchCursor(p: PreparedSearch, more: boolean): string | null {
  const next = p.offset + p.limit;
  return more && next <= MAX_SEARCH_OFFSET ? encodeCursor('search', [next, p.fingerprint]) : null;
}

/**
 * Which filters a search uses: SQL stores build one statement per shape (and
 * cache it), binding only the filters present.
 */
export interface SearchShape {
  app: boolean;
  user: boolean;
  session: boolean;
  status: boolean;
  role: boolean;
  author: boolean;
  after: boolean;
  before: boolean;
  titles: boolean;
}

export function searchShape(p: PreparedSearch): SearchShape {
  return {
    app: p.appName !== undefined,
    user: p.userId !== undefined,
    session: p.sessionId !== undefined,
    status: p.status !== undefined,
    role: p.role !== undefined,
    author: p.author !== undefined,
    after: p.after !== undefined,
    before: p.before !== undefined,
    titles: p.titles,
  };
}


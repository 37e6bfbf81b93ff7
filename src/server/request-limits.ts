import { SessionDbError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { MAX_QUERY_LENGTH } from '../core/search/query.js';

/** The store's name for each path parameter, as its errors name the field. */
const PARAM_FIELDS: Record<string, string> = { app: 'appName', user: 'userId', session: 'sessionId', id: 'id' };
const QUERY_NAMES = ['appName', 'userId', 'sessionId'] as const;

/**
 * Checks the names in a request's path and query, its page size and a search
 * query's length (`q`, named `query` as the store names it), against
 * the store's limits before the store sees them. The store would refuse them as
 * `too_large`, which HTTP answers with 413 — a status about bodies; a URL over
 * a limit is a bad request (400 `invalid`). `details` carries the field, the
 * limit and the actual size, as a store's `too_large` does, so that a client
 * can rebuild the store's error.
 */
export function checkRequestLimits(params: Record<string, string>, query: Record<string, unknown>, limits: Limits): void {
  for (const [name, value] of Object.entries(params)) {
    if (value.length > limits.maxNameLength) {
      const field = PARAM_FIELDS[name] ?? name;
      throw overLimit(field, `the :${name} segment of the path`, value.length, limits.maxNameLength, 'characters', `Use a ${field} of at most ${limits.maxNameLength} characters.`);
    }
  }
  for (const name of QUERY_NAMES) {
    const value = query[name];
    if (typeof value === 'string' && value.length > limits.maxNameLength) {
      throw overLimit(name, `the ${name} query parameter`, value.length, limits.maxNameLength, 'characters', `Use a ${name} of at most ${limits.maxNameLength} characters.`);
    }
  }
  const q = query['q'];
  if (typeof q === 'string' && q.length > MAX_QUERY_LENGTH) {
    throw overLimit('query', 'the q query parameter', q.length, MAX_QUERY_LENGTH, 'characters', `Search with at most ${MAX_QUERY_LENGTH} characters.`);
  }
  const limit = query['limit'];
  if (typeof limit === 'number' && limit > limits.maxPageSize) {
    throw overLimit('limit', 'the limit query parameter', limit, limits.maxPageSize, 'items', `Ask for at most ${limits.maxPageSize} and follow nextCursor for the rest.`);
  }
}

function overLimit(field: string, where: string, actual: number, limit: number, unit: string, hint: string): SessionDbError {
  return new SessionDbError('invalid', `Invalid ${field} (${where}): ${actual} ${unit}, over the limit of ${limit} ${unit}. ${hint}`, { field, limit, actual, unit });
}

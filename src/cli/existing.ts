import { resolve } from 'node:path';
import { SessionDbError } from '../core/errors.js';
import '../stores/open-store.js'; // registers the built-in backends
import { backendForUrl } from '../stores/registry.js';

/**
 * Throws "no database at PATH" when `url` names a database that does not exist
 * and whose opening would create an empty one (a SQLite file, a JSON file store
 * directory: each backend says, through `exists`). Commands that only read (or
 * only tidy) call it first.
 */
export function requireExistingDatabase(url: string, namedBy: string): void {
  const backend = backendForUrl(url);
  const location = backend.parse(url.trim()) as { kind: string; path?: string; dir?: string };
  if (!backend.exists || backend.exists(location)) return;
  const missing = resolve(location.path ?? location.dir ?? url);
  throw new SessionDbError(
    'not_found',
    `no database at ${missing} (named by ${namedBy}). ` +
      'Check the path; to start a new database there, run "sessiondb migrate" with the same URL.',
    { path: missing },
  );
}

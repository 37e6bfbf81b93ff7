import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SessionDbError } from '../core/errors.js';
import { parseStoreUrl } from '../stores/open-store.js';

/**
 * Throws "no database at PATH" when `url` names a SQLite file or a JSON file
 * store directory that does not exist. Commands that only read (or only tidy)
 * call it first, because opening either store creates an empty one.
 */
export function requireExistingDatabase(url: string, namedBy: string): void {
  const location = parseStoreUrl(url);
  let missing: string | null = null;
  if (location.kind === 'sqlite' && location.path !== ':memory:' && !existsSync(location.path)) missing = location.path;
  if (location.kind === 'file' && !existsSync(location.dir)) missing = location.dir;
  if (missing === null) return;
  throw new SessionDbError(
    'not_found',
    `no database at ${resolve(missing)} (named by ${namedBy}). ` +
      'Check the path; to start a new database there, run "sessiondb migrate" with the same URL.',
    { path: resolve(missing) },
  );
}

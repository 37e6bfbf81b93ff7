// Google ADK's DatabaseSessionService comes from test/adk-database, a package of its own (npm test
// installs it), so that the project's install does not compile sqlite3 for @mikro-orm/sqlite.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = join(import.meta.dirname, 'adk-database');

export type AdkDatabaseModule = Pick<typeof import('@google/adk'), 'createEvent' | 'DatabaseSessionService'>;

/** Why ADK's DatabaseSessionService cannot be used (test/adk-database not installed), or null. In CI this fails instead of skipping. */
export function adkDatabaseUnavailableReason(): string | null {
  const needed = ['@google/adk', '@mikro-orm/sqlite', '@mikro-orm/postgresql'];
  if (needed.every((name) => existsSync(join(dir, 'node_modules', name, 'package.json')))) return null;
  const reason = 'test/adk-database is not installed (npm test installs it; or: npm ci --prefix test/adk-database)';
  if (process.env['CI']) throw new Error(`${reason}; CI requires it`);
  return reason;
}

/** ADK's `DatabaseSessionService` and `createEvent`, from test/adk-database. */
export async function loadAdkDatabase(): Promise<AdkDatabaseModule> {
  return (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as AdkDatabaseModule;
}

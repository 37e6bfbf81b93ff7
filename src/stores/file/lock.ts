import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '../../core/errors.js';

export const LOCK_FILE = 'sessiondb.lock';

/**
 * Takes the directory for this process: a lock file created exclusively. A
 * lock left by a process of this machine that no longer runs is taken over; a
 * live holder makes the open fail at once, naming it.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, mine, { flag: 'wx' });
      return async () => {
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
    } catch {
      // unreadable: a lock being written right now, or garbage; treat as held
    }
    if (attempt === 0 && holder.host === hostname() && typeof holder.pid === 'number' && !isRunning(holder.pid)) {
      await rm(path, { force: true }); // stale: its process is gone
      continue;
    }
    throw new UnavailableError(
      `The sessions directory ${dir} is in use by process ${holder.pid ?? '?'} on ${holder.host ?? '?'} (lock file ${path}). ` +
        'The JSON file store allows one process at a time; use SQLite or PostgreSQL to share sessions between processes, ' +
        'or delete the lock file if that process is gone.',
    );
  }
  throw new UnavailableError(`Could not take the lock file ${path}.`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import type { ClientSession, MongoClient, WriteConcernSettings } from 'mongodb';
import { hasLabel } from './errors.js';

/**
 * Runs `work` in one multi-document transaction and commits it. The whole
 * transaction runs again on `TransientTransactionError` (a write conflict, an
 * election); the commit alone is retried on `UnknownTransactionCommitResult`
 * (committing twice is safe). Gives up, with the last error, at `deadline`.
 */
export async function inTransaction<T>(
  client: MongoClient,
  work: (session: ClientSession) => Promise<T>,
  options: { deadline: number; writeConcern: WriteConcernSettings },
): Promise<T> {
  const session = client.startSession();
  try {
    for (let attempt = 0; ; attempt++) {
      session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: options.writeConcern, readPreference: 'primary' });
      let result: T;
      try {
        result = await work(session);
      } catch (err) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        if (hasLabel(err, 'TransientTransactionError') && Date.now() < options.deadline) {
          await backoff(attempt);
          continue;
        }
        throw err;
      }
      const committed = await commit(session, options.deadline);
      if (committed) return result;
      await backoff(attempt);
    }
  } finally {
    await session.endSession().catch(() => undefined);
  }
}

/** Commits; true when done, false when the whole transaction must run again. */
async function commit(session: ClientSession, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      await session.commitTransaction();
      return true;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      if (hasLabel(err, 'UnknownTransactionCommitResult')) continue;
      if (hasLabel(err, 'TransientTransactionError')) return false;
      throw err;
    }
  }
}

/** A short randomized pause, growing with the attempt (at most ~100 ms). */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 ** Math.min(attempt, 7));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import type { Db, Document } from 'mongodb';
import { errorCode } from './errors.js';

/**
 * What the store is talking to: a standalone server (no transactions), a
 * replica-set member, or a mongos in front of a sharded cluster.
 */
export type MongoTopology = 'standalone' | 'replicaSet' | 'sharded';

const COMMAND_NOT_FOUND = 59;

/** Asks the server (`hello`; `isMaster` on a 4.4 server older than 4.4.2): a set name means a replica set, `msg: "isdbgrid"` a mongos. */
export async function detectTopology(db: Db): Promise<MongoTopology> {
  let hello: Document;
  try {
    hello = await db.admin().command({ hello: 1 });
  } catch (err) {
    if (errorCode(err) !== COMMAND_NOT_FOUND) throw err;
    hello = await db.admin().command({ isMaster: 1 });
  }
  if (hello['msg'] === 'isdbgrid') return 'sharded';
  if (typeof hello['setName'] === 'string') return 'replicaSet';
  return 'standalone';
}

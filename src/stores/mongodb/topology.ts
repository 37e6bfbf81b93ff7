import type { Db } from 'mongodb';

/**
 * What the store is talking to: a standalone server (no transactions), a
 * replica-set member, or a mongos in front of a sharded cluster.
 */
export type MongoTopology = 'standalone' | 'replicaSet' | 'sharded';

/** Asks the server (`hello`): a set name means a replica set, `msg: "isdbgrid"` a mongos. */
export async function detectTopology(db: Db): Promise<MongoTopology> {
  const hello = await db.admin().command({ hello: 1 });
  if (hello['msg'] === 'isdbgrid') return 'sharded';
  if (typeof hello['setName'] === 'string') return 'replicaSet';
  return 'standalone';
}

/**
 * Connecting: the driver (loaded here, on first use), the client and its
 * options, the database with its read and write concerns, the topology, and
 * how writes run (in a transaction or not).
 */
import type { MongoClient, MongoClientOptions, ReadConcernLevel, WriteConcernSettings } from 'mongodb';
import type { Clock } from '../../core/clock.js';
import { loadDriver } from '../../core/driver.js';
import { ValidationError } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import type { Logger } from '../../core/logger.js';
import { redactSecrets } from '../../core/redact.js';
import { MongoAppender, type WriteRunner } from './append.js';
import { mongoCollections, type MongoCollections } from './schema.js';
import type { MongoSearchMode } from './search.js';
import { detectTopology, type MongoTopology } from './topology.js';
import { inTransaction } from './transaction.js';

export interface MongoStoreOptions {
  /** `mongodb://host:27017/db` or `mongodb+srv://…` (driver options as query parameters). Either this or `client`. */
  url?: string;
  /** A connected or unconnected `MongoClient` you own; the store uses it and does not close it. */
  client?: MongoClient;
  /** The database. Default: the URL's path, else `sessiondb`. */
  database?: string;
  /** Prepended to every collection name, e.g. `sdb_`. Default none. */
  collectionPrefix?: string;
  /**
   * One multi-document transaction per write. Default: on where the server
   * has them (a replica set or a sharded cluster, asked with `hello`), off on
   * a standalone server, where the store keeps its standalone write order.
   */
  transactions?: boolean;
  /** Default `{ w: 'majority' }`, unless the URL sets `w`. */
  writeConcern?: WriteConcernSettings;
  /** Read concern of reads outside transactions. Default `majority`, unless the URL sets `readConcernLevel`. */
  readConcern?: ReadConcernLevel;
  /** Connection pool bounds (driver defaults 0 and 100), unless the URL sets them. */
  minPoolSize?: number;
  maxPoolSize?: number;
  /** How long a call waits for a usable server before failing `unavailable`. Default 10,000 ms, unless the URL sets it. */
  serverSelectionTimeoutMs?: number;
  /**
   * How long events above a session's eventCount may hold the seqs an append
   * wants before the append takes their writer for dead and discards them.
   * Only crashed (or stalled) writers leave such events. Default 2,000 ms.
   */
  pendingTimeoutMs?: number;
  /** How long a write keeps retrying contention and transient errors before failing `unavailable`. Default 30,000 ms. */
  retryTimeoutMs?: number;
  /**
   * How `searchEvents` finds matches: `text` (MongoDB's text indexes), `scan`
   * (read the tenant's events; for servers without text search), or `auto`
   * (default: `text` where the server answers `$text`, else `scan`, decided once
   * per store when it first checks the schema).
   */
  search?: MongoSearchMode;
  limits?: Partial<Limits>;
  clock?: Clock;
  logger?: Logger;
}

/** What the store found when it connected. */
export interface MongoConnectionInfo {
  topology: MongoTopology;
  /** Whether each write is one multi-document transaction. */
  transactions: boolean;
  database: string;
}

/** A connected store's handles. */
export interface MongoConnection extends MongoConnectionInfo {
  client: MongoClient;
  c: MongoCollections;
  run: WriteRunner;
  appender: MongoAppender;
}

/** Connects (throwing driver errors as they are; the store translates them). */
export async function openConnection(o: MongoStoreOptions, env: { clock: Clock; logger: Logger; where: string }): Promise<MongoConnection> {
  const driver = await loadDriver('mongodb', 'The MongoDB store', () => import('mongodb'));
  const given = urlOptionNames(o.url);
  const clientOptions: MongoClientOptions = {};
  if (!given.has('serverselectiontimeoutms')) clientOptions.serverSelectionTimeoutMS = o.serverSelectionTimeoutMs ?? 10_000;
  if (o.minPoolSize !== undefined && !given.has('minpoolsize')) clientOptions.minPoolSize = o.minPoolSize;
  if (o.maxPoolSize !== undefined && !given.has('maxpoolsize')) clientOptions.maxPoolSize = o.maxPoolSize;
  const client = o.client ?? new driver.MongoClient(o.url!, clientOptions);
  try {
    await client.connect();
    const database = o.database ?? databaseFromUrl(o.url) ?? 'sessiondb';
    const writeConcern: WriteConcernSettings = o.writeConcern ?? (given.has('w') || (o.client && client.writeConcern) ? {} : { w: 'majority' });
    const readConcern = o.readConcern ?? (given.has('readconcernlevel') || (o.client && client.readConcern) ? undefined : 'majority');
    const db = client.db(database, {
      ...(Object.keys(writeConcern).length ? { writeConcern } : {}),
      ...(readConcern ? { readConcern: new driver.ReadConcern(readConcern) } : {}),
    });
    const topology = await detectTopology(db);
    const transactions = o.transactions ?? topology !== 'standalone';
    if (transactions && topology === 'standalone') {
      throw new ValidationError('transactions', `cannot be on: MongoDB at ${env.where} is a standalone server`, 'Transactions need a replica set or a sharded cluster; leave the option unset.');
    }
    const c = mongoCollections(db, o.collectionPrefix ?? '');
    const retryTimeoutMs = o.retryTimeoutMs ?? 30_000;
    const txnWriteConcern = Object.keys(writeConcern).length ? writeConcern : (client.writeConcern ?? { w: 'majority' });
    const run: WriteRunner = transactions
      ? (work) => inTransaction(client, (session) => work(session), { deadline: Date.now() + retryTimeoutMs, writeConcern: txnWriteConcern })
      : (work) => work(undefined);
    const appender = new MongoAppender(c, env.clock, env.logger, { pendingTimeoutMs: o.pendingTimeoutMs ?? 2000, retryTimeoutMs });
    return { client, c, run, appender, topology, transactions, database };
  } catch (err) {
    if (!o.client) await client.close().catch(() => undefined);
    throw err;
  }
}

/** The host list of a connection string, without credentials or options (for messages). */
export function describeHosts(url: string): string {
  const m = /^([a-z+]+:\/\/)(?:[^@/?]*@)?([^/?]*)/i.exec(url);
  return m ? redactSecrets(`${m[1]}${m[2]}`) : 'the configured server';
}

/** The database named by a connection string's path, if any. */
export function databaseFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const m = /^[a-z+]+:\/\/[^/?]*\/([^?]*)/i.exec(url);
  return m && m[1] ? decodeURIComponent(m[1]) : undefined;
}

/** The names of the options a connection string sets, lower-cased (the driver's options are case-insensitive). */
function urlOptionNames(url: string | undefined): Set<string> {
  const q = url?.indexOf('?') ?? -1;
  if (!url || q < 0) return new Set();
  return new Set([...new URLSearchParams(url.slice(q + 1)).keys()].map((name) => name.toLowerCase()));
}

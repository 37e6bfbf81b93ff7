import { ValidationError } from '../../core/errors.js';

/** One Redis server address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where the Redis store connects, and how it behaves; everything a store URL can say. */
export interface RedisConnectionOptions {
  /** The server, or the seed nodes of a cluster (the rest of the cluster is discovered). */
  nodes: RedisNode[];
  /** A Redis Cluster (`redis+cluster://`) rather than one server. */
  cluster: boolean;
  /** TLS (`rediss://`). */
  tls: boolean;
  username?: string;
  password?: string;
  /** The logical database of a single server (`/0`). Clusters have only database 0. */
  database?: number;
  /** Prepended to every key, so that several stores can share a server. Default `sessiondb:`. */
  prefix?: string;
  /** How long to wait for a connection before failing `unavailable`. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** How long one command may take before failing `unavailable`. Default 10,000 ms. */
  commandTimeoutMs?: number;
  /**
   * After each write, wait until this many replicas acknowledged it (Redis `WAIT`);
   * fewer within `waitTimeoutMs` fails the call `unavailable`. Default 0 (no wait).
   */
  waitReplicas?: number;
  /** How long `waitReplicas` waits. Default 1,000 ms. */
  waitTimeoutMs?: number;
}

const SCHEMES = /^(rediss?)(\+cluster)?:\/\//i;
const INTEGER_PARAMS = ['connectTimeoutMs', 'commandTimeoutMs', 'waitReplicas', 'waitTimeoutMs'] as const;
const EXAMPLE = 'Examples: redis://127.0.0.1:6379/0, rediss://user:password@host:6380, redis+cluster://host1:7001,host2:7002?prefix=app1:';

/** True for the URL schemes of the Redis store. */
export function isRedisUrl(url: string): boolean {
  return SCHEMES.test(url.trim());
}

/**
 * Parses a Redis store URL without connecting:
 * `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS),
 * `redis+cluster://host1:7001,host2:7002` (Redis Cluster; `rediss+cluster://` with TLS),
 * with the query parameters `prefix`, `connectTimeoutMs`, `commandTimeoutMs`,
 * `waitReplicas` and `waitTimeoutMs`. Errors never repeat the password.
 */
export function parseRedisUrl(url: string): RedisConnectionOptions {
  const text = typeof url === 'string' ? url.trim() : '';
  const scheme = SCHEMES.exec(text);
  if (!scheme) throw new ValidationError('url', 'is not a redis://, rediss:// or redis+cluster:// URL', EXAMPLE);
  const out: RedisConnectionOptions = { nodes: [], cluster: scheme[2] !== undefined, tls: scheme[1]!.toLowerCase() === 'rediss' };
  let rest = text.slice(scheme[0].length);
  const q = rest.indexOf('?');
  const query = q < 0 ? '' : rest.slice(q + 1);
  if (q >= 0) rest = rest.slice(0, q);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
    if (user) out.username = user;
    if (colon >= 0) out.password = decode(userinfo.slice(colon + 1), 'password');
  }
  const slash = rest.indexOf('/');
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  out.nodes = hosts.split(',').map(parseNode);
  if (!out.cluster && out.nodes.length > 1) {
    throw new ValidationError('url', 'names several hosts', 'Several hosts are the seed nodes of a cluster: use redis+cluster://.');
  }
  if (path !== '') {
    const db = Number(path);
    if (!/^\d+$/.test(path) || !Number.isSafeInteger(db)) throw new ValidationError('url database', `must be a number such as /0, got "/${path}"`);
    if (out.cluster && db !== 0) throw new ValidationError('url database', 'a Redis Cluster has only database 0');
    if (!out.cluster) out.database = db;
  }
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'prefix') {
      out.prefix = checkPrefix(value);
    } else if ((INTEGER_PARAMS as readonly string[]).includes(name)) {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new ValidationError(`url parameter "${name}"`, `must be a non-negative integer, got "${value}"`);
      out[name as (typeof INTEGER_PARAMS)[number]] = n;
    } else {
      throw new ValidationError(`url parameter "${name}"`, 'is not a Redis store option', `Known: prefix, ${INTEGER_PARAMS.join(', ')}.`);
    }
  }
  return out;
}

/**
 * Checks a key prefix. Braces are refused: a `{` in the prefix would become
 * the hash tag of every key and put the whole store in one cluster slot.
 */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new ValidationError('prefix', 'must be a string');
  if (prefix.length > 200) throw new ValidationError('prefix', `is ${prefix.length} characters, the limit is 200`);
  if (/[{}]/.test(prefix)) throw new ValidationError('prefix', 'must not contain "{" or "}"', 'Braces are Redis Cluster hash tags; the store sets its own.');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(prefix)) throw new ValidationError('prefix', 'contains a control character');
  return prefix;
}

function parseNode(text: string): RedisNode {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new ValidationError('url host', `"${text}" is not host or host:port`, EXAMPLE);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : decode(m[1]!, 'host');
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (port < 1 || port > 65535) throw new ValidationError('url port', `must be between 1 and 65535, got ${port}`);
  return { host, port };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Never echo the text: it may be the password.
    throw new ValidationError(`url ${what}`, 'is not correctly percent-encoded', 'Percent-encode special characters, e.g. %40 for @.');
  }
}

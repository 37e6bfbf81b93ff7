import { loadDriver } from '../../core/driver.js';
import { StoreClosedError, UnavailableError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { redactSecrets } from '../../core/redact.js';
import { isNoScript, translateRedisError } from './errors.js';
import type { LuaScript } from './scripts.js';
import type { RedisConnectionOptions, RedisNode } from './url.js';

/** The parts of a node-redis client the store uses. */
interface NodeClient {
  sendCommand<T>(args: readonly string[]): Promise<T>;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error' | 'ready', listener: (err?: Error) => void): unknown;
}

/** The parts of a node-redis cluster client the store uses. */
interface ClusterClient {
  sendCommand<T>(firstKey: string | undefined, isReadonly: boolean | undefined, args: readonly string[]): Promise<T>;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (err?: Error) => void): unknown;
  readonly masters: readonly { host: string; port: number }[];
  nodeClient(node: { host: string; port: number }): Promise<NodeClient>;
}

/** A command not answered in time (an `unavailable` error like the others). */
class DeadlineError extends UnavailableError {}

type Handle = { cluster: false; client: NodeClient } | { cluster: true; client: ClusterClient };

export interface ConnectionSettings extends Pick<RedisConnectionOptions, 'nodes' | 'cluster' | 'tls' | 'username' | 'password' | 'database'> {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  logger: Logger;
}

/** The result of a command sent to every master. */
export interface NodeReply<T> {
  node: string;
  reply?: T;
  error?: unknown;
}

/**
 * One server or one cluster, connected on first use. Calls never hang: a
 * connection that is not ready within `connectTimeoutMs` and a command not
 * answered within `commandTimeoutMs` fail `unavailable`; while the server is
 * away, commands fail at once (no offline queue) and the client keeps
 * reconnecting in the background.
 */
export class RedisConnection {
  /** host:port of the server or of the first seed node, without credentials. */
  readonly where: string;
  private handle: Promise<Handle> | null = null;
  private loadingDriver: Promise<typeof import('redis')> | null = null;
  private driverLoaded = false;
  /** The client of the latest connection attempt, ready or not. */
  private current: { handle: Handle; ready: boolean } | null = null;
  private closed = false;
  private errorLogged = false;
  private lastDrop = 0;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly onConnect: (everyMaster: <T>(args: readonly string[]) => Promise<NodeReply<T>[]>) => Promise<void>,
  ) {
    this.where = describeNodes(settings.nodes, settings.cluster);
  }

  get isCluster(): boolean {
    return this.settings.cluster;
  }

  /** Sends one command; on a cluster, to the master of `routingKey`'s slot. */
  async send<T>(routingKey: string, args: readonly string[]): Promise<T> {
    const handle = await this.connected();
    try {
      return await this.raw<T>(handle, routingKey, args);
    } catch (err) {
      throw this.failed(handle, err);
    }
  }

  /** Runs a script in the slot of `keys[0]` by its SHA-1, sending it whole if the server lacks it (after a restart or failover). */
  async run<T>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T> {
    const handle = await this.connected();
    const tail = [String(keys.length), ...keys, ...args];
    try {
      try {
        return await this.raw<T>(handle, keys[0]!, ['EVALSHA', script.sha, ...tail]);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return await this.raw<T>(handle, keys[0]!, ['EVAL', script.source, ...tail]);
      }
    } catch (err) {
      throw this.failed(handle, err);
    }
  }

  /** Sends a command without a key to every master (one server: to it). */
  async onEveryMaster<T>(args: readonly string[]): Promise<NodeReply<T>[]> {
    const handle = await this.connected();
    return this.everyMaster(handle, args);
  }

  /** Sends a command to one master, named by host:port as `onEveryMaster` reports it. */
  async sendToNode<T>(node: string, args: readonly string[]): Promise<T> {
    const handle = await this.connected();
    try {
      if (!handle.cluster) return await this.deadline(handle, handle.client.sendCommand<T>(args));
      const master = handle.client.masters.find((m) => `${m.host}:${m.port}` === node);
      if (!master) throw new UnavailableError(`Redis at ${this.where}: ${node} is no longer a master. Retry.`);
      return await this.deadline(handle, handle.client.nodeClient(master).then((c) => c.sendCommand<T>(args)));
    } catch (err) {
      throw this.failed(handle, err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.current;
    this.current = null;
    this.handle = null;
    if (!client) return;
    if (!client.ready) {
      client.handle.client.destroy(); // still connecting: nothing to finish
      return;
    }
    try {
      await client.handle.client.close();
    } catch {
      client.handle.client.destroy();
    }
  }

  private raw<T>(handle: Handle, routingKey: string, args: readonly string[]): Promise<T> {
    // WAIT outliving the deadline means slow replicas, not a broken connection: keep the client.
    return this.deadline(handle, handle.cluster ? handle.client.sendCommand<T>(routingKey, false, args) : handle.client.sendCommand<T>(args), args[0] !== 'WAIT');
  }

  /**
   * Fails a command not answered within commandTimeoutMs. (The driver's own
   * timeout covers only the wait before a command is written.) On one server
   * the connection is then dropped and the next call connects afresh, so a
   * connection whose peer vanished without a word does not linger.
   */
  private deadline<T>(handle: Handle, reply: Promise<T>, dropOnTimeout = true): Promise<T> {
    const ms = this.settings.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DeadlineError(`Redis at ${this.where} is unavailable: no answer within ${ms} ms. Retry later (appends with the same event ids are not stored twice).`));
        if (dropOnTimeout) this.drop(handle);
      }, ms);
      reply.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /**
   * Translates a driver error. A connection-class failure on a cluster also
   * replaces the cluster client (at most once a second), so that the next call
   * discovers the topology afresh: after a failover the driver would otherwise
   * keep waiting on the dead master.
   */
  private failed(handle: Handle, err: unknown): unknown {
    if (err instanceof DeadlineError) return err; // the deadline already decided about the client
    const translated = translateRedisError(err, this.where);
    if (handle.cluster && translated instanceof UnavailableError) this.drop(handle);
    return translated;
  }

  /** Forgets a client (the next call connects afresh): on one server after a timeout, on a cluster after an outage (rate-limited). */
  private drop(handle: Handle): void {
    if (handle.cluster) {
      if (Date.now() - this.lastDrop < 1000) return;
      this.lastDrop = Date.now();
    }
    const current = this.handle;
    if (!current) return;
    void current.then(
      (h) => {
        if (h !== handle || this.handle !== current) return;
        this.handle = null;
        this.current = null;
        h.client.destroy();
      },
      () => undefined,
    );
  }

  private async everyMaster<T>(handle: Handle, args: readonly string[]): Promise<NodeReply<T>[]> {
    if (!handle.cluster) {
      try {
        return [{ node: this.where, reply: await this.deadline(handle, handle.client.sendCommand<T>(args)) }];
      } catch (error) {
        return [{ node: this.where, error }];
      }
    }
    return Promise.all(
      handle.client.masters.map(async (m) => {
        const node = `${m.host}:${m.port}`;
        try {
          return { node, reply: await this.deadline(handle, handle.client.nodeClient(m).then((c) => c.sendCommand<T>(args))) };
        } catch (error) {
          return { node, error };
        }
      }),
    );
  }

  private connected(): Promise<Handle> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (!this.handle) {
      const opening = this.open();
      this.handle = opening;
      opening.catch(() => {
        if (this.handle === opening) this.handle = null;
      });
    }
    const ms = this.settings.connectTimeoutMs;
    const handle = this.handle;
    const wait = () => new Promise<Handle>((resolve, reject) => {
      const timer = setTimeout(() => reject(new UnavailableError(`Redis at ${this.where} is unavailable: no connection within ${ms} ms. Retry later.`)), ms);
      timer.unref?.();
      handle.then(
        (h) => {
          clearTimeout(timer);
          resolve(h);
        },
        (err) => {
          clearTimeout(timer);
          reject(translateRedisError(err, this.where));
        },
      );
    });
    // The deadline bounds connecting, not importing the driver (over a second on a busy machine).
    return this.driverLoaded ? wait() : this.driver().then(wait);
  }

  /** The driver's module, imported once. */
  private driver(): Promise<typeof import('redis')> {
    if (!this.loadingDriver) {
      const loading = loadDriver('redis', 'The Redis store', () => import('redis'));
      loading.then(
        () => (this.driverLoaded = true),
        () => {
          if (this.loadingDriver === loading) this.loadingDriver = null;
        },
      );
      this.loadingDriver = loading;
    }
    return this.loadingDriver;
  }

  private async open(): Promise<Handle> {
    const redis = await this.driver();
    const s = this.settings;
    const socket = {
      connectTimeout: s.connectTimeoutMs,
      // Keep trying in the background; calls in the meantime fail fast.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 1000),
      ...(s.tls ? { tls: true as const } : {}),
    };
    const common = {
      username: s.username,
      password: s.password,
      disableOfflineQueue: true,
      disableClientInfo: true,
      maintNotifications: 'disabled' as const,
    };
    const onError = (err?: Error) => {
      // The client reports every failed reconnection; say it once per outage.
      if (this.errorLogged || this.closed) return;
      this.errorLogged = true;
      s.logger.warn('sessiondb: Redis connection error', { where: this.where, error: redactSecrets(String(err?.message ?? err)) });
    };
    let handle: Handle;
    if (!s.cluster) {
      const node = s.nodes[0]!;
      const client = redis.createClient({
        ...common,
        socket: { ...socket, host: node.host, port: node.port },
        database: s.database,
        RESP: 2,
        commandOptions: { timeout: s.commandTimeoutMs },
      }) as unknown as NodeClient;
      client.on('error', onError);
      client.on('ready', () => {
        this.errorLogged = false;
      });
      handle = { cluster: false, client };
    } else {
      const client = redis.createCluster({
        rootNodes: s.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
        defaults: { ...common, socket },
        RESP: 2,
        commandOptions: { timeout: s.commandTimeoutMs },
        // Connect to a node when a command needs it: a dead master must not hold up discovery.
        minimizeConnections: true,
        topologyRefreshOnReconnectionAttemptStrategy: 200,
      }) as unknown as ClusterClient;
      client.on('error', onError);
      handle = { cluster: true, client };
    }
    const current = { handle, ready: false };
    this.current = current;
    try {
      await handle.client.connect();
    } catch (err) {
      handle.client.destroy();
      if (this.current === current) this.current = null;
      throw err;
    }
    current.ready = true;
    if (this.closed) {
      handle.client.destroy();
      throw new StoreClosedError();
    }
    this.errorLogged = false;
    const h = handle;
    await this.onConnect(<T,>(args: readonly string[]) => this.everyMaster<T>(h, args)).catch(() => undefined);
    return handle;
  }
}

/** host:port of a server or cluster, without credentials, for messages. */
export function describeNodes(nodes: readonly RedisNode[], cluster: boolean): string {
  const first = nodes[0];
  const text = first ? `${first.host.includes(':') ? `[${first.host}]` : first.host}:${first.port}` : 'nowhere';
  return cluster ? `cluster ${text}${nodes.length > 1 ? ` (+${nodes.length - 1} seed nodes)` : ''}` : text;
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { SessionDbError, ValidationError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { resolveLimits } from '../core/limits.js';
import type { SessionStore } from '../core/store.js';
import { encryptStore } from '../encryption/encrypted-store.js';
import { splitKeyList } from '../encryption/keys.js';
import { sealedLimits } from '../encryption/limits.js';
import { redactSecrets } from '../core/redact.js';
import type { OpenStoreOptions } from '../stores/open-store.js';
import { openStore, parseStoreUrl } from '../stores/open-store.js';
import { backendForUrl, backendNamed, storeBackends } from '../stores/registry.js';
import { SessionManager } from '../manager/session-manager.js';
import { configSchema, type Config } from './schema.js';

/** The config files looked for in the working directory, in this order. */
export const CONFIG_FILES = ['sessiondb.config.yaml', 'sessiondb.config.yml', 'sessiondb.config.toml', 'sessiondb.config.json'] as const;

type Layer = { source: string; values: Record<string, unknown> };

export interface LoadConfigOptions {
  /** Where to look for the config file and `.env`. Default: the working directory. */
  cwd?: string;
  /** The environment. Default `process.env`; a `.env` file in `cwd` fills in what it lacks. */
  env?: Record<string, string | undefined>;
  /** A config file to read instead of looking for one (`--config`). */
  configPath?: string;
  /** Values that win over everything (CLI flags), nested as in the config file. */
  flags?: Record<string, unknown>;
  /** Read `<cwd>/.env`. Default true. */
  dotEnv?: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** Where values came from, in priority order (lowest first): file, variables, flags. */
  sources: string[];
}

/**
 * Builds the configuration from, lowest priority first: defaults, a config
 * file, environment variables (and `.env`), then flags. Every value is checked
 * by one schema; an error names where the bad value came from (file and key,
 * or variable) and what is wrong.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = { ...(options.dotEnv === false ? {} : await readDotEnv(cwd)), ...(options.env ?? process.env) };
  const layers: Layer[] = [];
  const envConfigPath = env['SESSIONDB_CONFIG']?.trim() || undefined;
  const file = await readConfigFile(cwd, options.configPath ?? envConfigPath, options.configPath ? '--config' : 'environment variable SESSIONDB_CONFIG');
  if (file) layers.push(file);
  layers.push(...envLayers(env));
  if (options.flags && Object.keys(options.flags).length) layers.push({ source: 'command-line flags', values: options.flags });

  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const layer of layers) mergeInto(merged, layer.values, layer.source, origin, '');
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw configError(parsed.error, origin);
  checkStoreUrl(parsed.data.url, origin.get('url'));
  return { config: parsed.data, sources: layers.map((l) => l.source) };
}

/** The store URL a config names, with the pool bounds added where its backend takes them and the URL does not set them. */
export function storeUrlFromConfig(config: Config): string {
  const backend = backendForUrl(config.url);
  return backend.withPool ? backend.withPool(config.url, config.pool) : config.url;
}

/**
 * Opens (and migrates) the store a config names; with encryption keys
 * configured, wrapped in an `EncryptedStore` (the store underneath then takes
 * the limits sealed values need, the wrapper checks the configured ones).
 */
export async function openStoreFromConfig(config: Config, options: OpenStoreOptions = {}): Promise<SessionStore> {
  const encrypted = config.encryption.keys.length > 0;
  const store = await openStore(storeUrlFromConfig(config), { limits: encrypted ? sealedLimits(config.limits) : config.limits, ...options });
  return encryptedFromConfig(config, store);
}

/** `store` wrapped as the config's encryption settings say (as it is when no keys are configured). */
export function encryptedFromConfig(config: Config, store: SessionStore): SessionStore {
  const { keys, acceptPlaintext } = config.encryption;
  if (!keys.length) return store;
  return encryptStore(store, { keys, acceptPlaintext, limits: resolveLimits(config.limits) });
}

/** A `SessionManager` as the config describes it, on its store (opened and migrated); call `startup()` next. */
export async function createFromConfig(config: Config, options: OpenStoreOptions = {}): Promise<SessionManager> {
  const store = await openStoreFromConfig(config, options);
  return new SessionManager({ store, ...config.manager, clock: options.clock, logger: options.logger });
}

// ---- sources

async function readDotEnv(cwd: string): Promise<Record<string, string>> {
  const path = join(cwd, '.env');
  if (!existsSync(path)) return {};
  try {
    return parseEnv(await readFile(path, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new ValidationError(path, `cannot be read (${(err as Error).message})`);
  }
}

async function readConfigFile(cwd: string, explicit: string | undefined, explicitSource: string): Promise<Layer | null> {
  let path: string | undefined;
  if (explicit) {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ValidationError(explicitSource, `names ${path}, which does not exist`);
  } else {
    path = CONFIG_FILES.map((name) => join(cwd, name)).find((p) => existsSync(p));
  }
  if (!path) return null;
  const text = await readFile(path, 'utf8');
  let values: unknown;
  try {
    if (/\.ya?ml$/i.test(path)) values = parseYaml(text);
    else if (/\.toml$/i.test(path)) values = parseToml(text);
    else if (/\.json$/i.test(path)) values = JSON.parse(text);
    else throw new Error('use a .yaml, .yml, .toml or .json file');
  } catch (err) {
    throw new ValidationError(path, `cannot be parsed (${(err as Error).message.split('\n')[0]})`);
  }
  if (values === null || values === undefined) values = {};
  if (!isPlainObject(values)) throw new ValidationError(path, 'must hold a mapping of settings at its top level');
  return { source: path, values: fromStorageSection(values, path) };
}

/**
 * The seeds' `storage:` section — `backend`, `connection_string` or `database_path`,
 * `min_pool_size`, `max_pool_size`, and `options` (the backend's URL parameters) —
 * as `url` and `pool`. A `url` or `pool` given beside it wins.
 */
function fromStorageSection(values: Record<string, unknown>, path: string): Record<string, unknown> {
  const { storage, ...rest } = values;
  if (storage === undefined) return values;
  if (!isPlainObject(storage)) throw new ValidationError(`${path}: key storage`, 'must be a mapping (backend, connection_string, options)');
  const text = (key: string) => (storage[key] === undefined || storage[key] === null ? undefined : String(storage[key]));
  const backend = backendNamed(text('backend') ?? '');
  if (!backend?.urlFromSettings) {
    const names = storeBackends().filter((b) => b.urlFromSettings).map((b) => b.name);
    throw new ValidationError(`${path}: key storage.backend`, `must be one of ${names.join(', ')}, got "${text('backend') ?? ''}"`);
  }
  let url = backend.urlFromSettings({ connectionString: text('connection_string'), path: text('database_path') });
  if (isPlainObject(storage['options'])) {
    const params = new URLSearchParams(Object.entries(storage['options']).map(([k, v]): [string, string] => [k, String(v)]));
    if ([...params].length) url += (url.includes('?') ? '&' : '?') + params.toString();
  }
  const pool = { ...(storage['min_pool_size'] === undefined ? {} : { min: storage['min_pool_size'] }), ...(storage['max_pool_size'] === undefined ? {} : { max: storage['max_pool_size'] }) };
  return { url, ...rest, pool: { ...pool, ...(isPlainObject(rest['pool']) ? rest['pool'] : {}) } };
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** The environment variables sessiondb reads, including the names of the systems it replaces. */
function envLayers(env: Record<string, string | undefined>): Layer[] {
  const layers: Layer[] = [];
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const num = (name: string, what: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new ValidationError(`environment variable ${name}`, `must be ${what}, got "${v}"`);
    return n;
  };
  const bool = (name: string): boolean | undefined => {
    const v = get(name)?.toLowerCase();
    if (v === undefined) return undefined;
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    throw new ValidationError(`environment variable ${name}`, `must be true or false, got "${get(name)}"`);
  };
  const push = (source: string, values: Record<string, unknown>) => layers.push({ source: `environment variable ${source}`, values });

  const url = urlFromEnv(get, bool);
  if (url) push(url.source, { url: url.url });
  const port = num('SESSIONDB_PORT', 'a port number');
  if (port !== undefined) push('SESSIONDB_PORT', { server: { port } });
  const host = get('SESSIONDB_HOST');
  if (host !== undefined) push('SESSIONDB_HOST', { server: { host } });
  const apiKeys = get('SESSIONDB_API_KEYS');
  if (apiKeys !== undefined) push('SESSIONDB_API_KEYS', { server: { apiKeys: parseApiKeysVariable(apiKeys) } });
  const mcpReadOnly = bool('SESSIONDB_MCP_READ_ONLY');
  if (mcpReadOnly !== undefined) push('SESSIONDB_MCP_READ_ONLY', { mcp: { readOnly: mcpReadOnly } });
  const maxEvents = num('SESSIONDB_MCP_MAX_EVENTS', 'a number of events');
  if (maxEvents !== undefined) push('SESSIONDB_MCP_MAX_EVENTS', { mcp: { maxEvents } });
  const maxBytes = num('SESSIONDB_MCP_MAX_BYTES', 'a number of bytes');
  if (maxBytes !== undefined) push('SESSIONDB_MCP_MAX_BYTES', { mcp: { maxBytes } });
  const min = num('STORAGE_MIN_POOL_SIZE', 'a number of connections');
  if (min !== undefined) push('STORAGE_MIN_POOL_SIZE', { pool: { min } });
  const max = num('STORAGE_MAX_POOL_SIZE', 'a number of connections');
  if (max !== undefined) push('STORAGE_MAX_POOL_SIZE', { pool: { max } });
  const keys = get('SESSIONDB_ENCRYPTION_KEYS');
  if (keys !== undefined) push('SESSIONDB_ENCRYPTION_KEYS', { encryption: { keys: splitKeyList(keys, 'environment variable SESSIONDB_ENCRYPTION_KEYS') } });
  const acceptPlaintext = bool('SESSIONDB_ENCRYPTION_ACCEPT_PLAINTEXT');
  if (acceptPlaintext !== undefined) push('SESSIONDB_ENCRYPTION_ACCEPT_PLAINTEXT', { encryption: { acceptPlaintext } });
  const autoSave = bool('STORAGE_AUTO_SAVE');
  if (autoSave !== undefined) push('STORAGE_AUTO_SAVE', { manager: { autoSave } });
  for (const name of ['MAX_CONCURRENT_SESSIONS', 'SESSIONDB_MAX_ACTIVE_SESSIONS']) {
    // Later wins: sessiondb's own name over seed 004's max_concurrent_sessions.
    const limit = num(name, 'a whole number of sessions');
    if (limit !== undefined) push(name, { manager: { maxActiveSessions: limit } });
  }
  for (const name of ['SESSION_EXPIRATION_HOURS', 'STORAGE_EXPIRY_HOURS']) {
    // Later wins: STORAGE_EXPIRY_HOURS over SESSION_EXPIRATION_HOURS.
    const hours = num(name, 'a number of hours');
    if (hours !== undefined) push(name, { manager: { expiryHours: hours } });
  }
  return layers;
}

/**
 * `SESSIONDB_API_KEYS`: the `server.apiKeys` list as JSON, e.g.
 * `[{"tenant":"acme","sha256":"<hex>"},{"tenant":"ops","sha256":"<hex>","admin":true}]`.
 * The schema checks each entry; the value itself never appears in an error.
 */
function parseApiKeysVariable(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError(
      'environment variable SESSIONDB_API_KEYS',
      'is not valid JSON; give a list such as [{"tenant":"acme","sha256":"<sha-256 of the key in hex>"}]',
    );
  }
  if (!Array.isArray(value)) throw new ValidationError('environment variable SESSIONDB_API_KEYS', 'must be a JSON list of keys ([{"tenant":…,"sha256":…}, …])');
  return value;
}

/**
 * The store URL from the variables, most specific first: SESSIONDB_URL; then
 * STORAGE_BACKEND with STORAGE_CONNECTION_STRING or STORAGE_DATABASE_PATH;
 * DATABASE_URL; DATABASE_PATH; SESSION_PERSISTENCE_ENABLED=false (memory);
 * SESSION_STORAGE_TYPE / SESSION_STORAGE_PATH.
 */
function urlFromEnv(get: (name: string) => string | undefined, bool: (name: string) => boolean | undefined): { url: string; source: string } | null {
  const explicit = get('SESSIONDB_URL');
  if (explicit) return { url: explicit, source: 'SESSIONDB_URL' };
  const backend = get('STORAGE_BACKEND')?.toLowerCase();
  if (backend) {
    const cs = get('STORAGE_CONNECTION_STRING');
    const path = get('STORAGE_DATABASE_PATH');
    const source = 'STORAGE_BACKEND';
    const named = backendNamed(backend);
    if (!named?.urlFromSettings) {
      const names = storeBackends().filter((b) => b.urlFromSettings).map((b) => b.name);
      throw new ValidationError('environment variable STORAGE_BACKEND', `must be one of ${names.join(', ')}, got "${get('STORAGE_BACKEND')}"`);
    }
    return { url: named.urlFromSettings({ connectionString: cs, path }), source };
  }
  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl) {
    const url = /^[a-z][a-z0-9+.-]*:/i.test(databaseUrl) && !/^[a-z]:[\\/]/i.test(databaseUrl) ? databaseUrl : `sqlite:${databaseUrl}`;
    return { url, source: 'DATABASE_URL' };
  }
  const databasePath = get('DATABASE_PATH');
  if (databasePath) return { url: `sqlite:${databasePath}`, source: 'DATABASE_PATH' };
  if (bool('SESSION_PERSISTENCE_ENABLED') === false) return { url: 'memory:', source: 'SESSION_PERSISTENCE_ENABLED' };
  const type = get('SESSION_STORAGE_TYPE')?.toLowerCase();
  const path = get('SESSION_STORAGE_PATH');
  if (type !== undefined && type !== 'file' && type !== 'sqlite') {
    throw new ValidationError('environment variable SESSION_STORAGE_TYPE', `must be file or sqlite, got "${get('SESSION_STORAGE_TYPE')}"`);
  }
  if (type || path) {
    const where = path ?? (type === 'sqlite' ? './data/sessions.db' : './data/sessions');
    const source = path ? 'SESSION_STORAGE_PATH' : 'SESSION_STORAGE_TYPE';
    if (/\.db$/i.test(where)) return { url: `sqlite:${where}`, source };
    return { url: type === 'sqlite' ? `sqlite:${join(where, 'sessions.db')}` : `file:${where}`, source };
  }
  return null;
}

// ---- merging and errors

function mergeInto(target: Record<string, unknown>, values: Record<string, unknown>, source: string, origin: Map<string, string>, prefix: string): void {
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && (target[key] === undefined || isPlainObject(target[key]))) {
      const child = (target[key] as Record<string, unknown> | undefined) ?? {};
      Object.defineProperty(target, key, { value: child, enumerable: true, writable: true, configurable: true });
      origin.set(path, source);
      mergeInto(child, value, source, origin, path);
    } else {
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      origin.set(path, source);
    }
  }
}

/** The store URL is checked here (scheme and parameters), so that an error names where it came from. */
function checkStoreUrl(url: string, source: string | undefined): void {
  try {
    parseStoreUrl(url);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const rest = err.message.replace(/^Invalid [^:]*: /, '').replace(/\.$/, '');
    const problem = err.field === 'url' ? rest : `${err.field} ${rest}`;
    throw new ValidationError(describeSource(source, 'url'), redactSecrets(problem));
  }
}

/** Where a setting came from, as an error names it: a file and key, a variable, or a flag. */
function describeSource(source: string | undefined, path: string): string {
  if (source?.startsWith('environment variable')) {
    const entry = /^server\.apiKeys\.(\d+)(?:\.(.+))?$/.exec(path); // SESSIONDB_API_KEYS carries a list
    return entry ? `${source}: entry ${entry[1]}${entry[2] ? `, field ${entry[2]}` : ''}` : source;
  }
  if (source === 'command-line flags') return path === 'url' ? '--db' : `command-line flag for ${path}`;
  return `${source ?? 'configuration'}: key ${path}`;
}

/** One error for every problem the schema found (not just the first), each naming its source and key. */
function configError(error: z.ZodError, origin: Map<string, string>): SessionDbError {
  const problems: { where: string; problem: string }[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    const paths = issue.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys ?? []).map((k) => [base, k].filter(Boolean).join('.')) : [base];
    for (const path of paths) {
      let source = origin.get(path);
      for (let p = path; !source && p.includes('.'); ) source = origin.get((p = p.slice(0, p.lastIndexOf('.'))));
      const problem = issue.code === 'unrecognized_keys' ? 'is not a setting sessiondb knows' : redactSecrets(issue.message);
      problems.push({ where: describeSource(source, path), problem });
    }
  }
  const hint = 'See "Configuration" in the README for every setting.';
  if (problems.length === 1) return new ValidationError(problems[0]!.where, problems[0]!.problem, hint);
  return new SessionDbError(
    'invalid',
    `Invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${p.where}: ${p.problem}`).join('\n')}\n${hint}`,
    { field: problems[0]!.where, problems },
  );
}

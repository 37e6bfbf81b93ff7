import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactConfig, redactStoreUrl, redactText } from '../src/config/redact.js';
import { loadConfig, SessionDbError, storeUrlFromConfig } from '../src/index.js';
import { tempDir } from './helpers.js';

const root = tempDir('config');
let n = 0;
/** A fresh working directory with the given files. */
function cwdWith(files: Record<string, string> = {}): string {
  const dir = join(root, `c${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const load = (cwd: string, env: Record<string, string> = {}, extra: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ cwd, env, ...extra });
const url = async (env: Record<string, string>) => (await load(cwdWith(), env)).config.url;

describe('loadConfig', () => {
  it('has defaults: SQLite in ./data, 127.0.0.1:8787, a week of idle time', async () => {
    const { config, sources } = await load(cwdWith());
    expect(config.url).toBe('sqlite:./data/sessions.db');
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8787, apiKeys: [], bodyLimitBytes: 2 * 1024 * 1024 });
    expect(config.manager).toMatchObject({ autoSave: true, expiryHours: 168, onExpire: 'mark' });
    expect(sources).toEqual([]);
  });

  it('reads sessiondb.config.yaml, .toml or .json from the working directory, or --config', async () => {
    const yaml = await load(cwdWith({ 'sessiondb.config.yaml': 'url: "file:./s"\nserver:\n  port: 9000\nmanager:\n  expiryHours: 24\n' }));
    expect(yaml.config).toMatchObject({ url: 'file:./s', server: { port: 9000, host: '127.0.0.1' }, manager: { expiryHours: 24 } });
    const toml = await load(cwdWith({ 'sessiondb.config.toml': 'url = "memory:"\n[manager]\nonExpire = "delete"\n' }));
    expect(toml.config).toMatchObject({ url: 'memory:', manager: { onExpire: 'delete' } });
    const json = await load(cwdWith({ 'sessiondb.config.json': '{"pool": {"max": 4}}' }));
    expect(json.config.pool).toEqual({ max: 4 });
    const dir = cwdWith({ 'other.yml': 'url: "memory:"' });
    expect((await load(dir, {}, { configPath: 'other.yml' })).config.url).toBe('memory:');
  });

  it('priority: flags over variables over the file over defaults', async () => {
    const dir = cwdWith({ 'sessiondb.config.yaml': 'url: "memory:"\nserver: { port: 1111, host: "0.0.0.0" }\n' });
    const { config, sources } = await load(dir, { SESSIONDB_PORT: '2222' }, { flags: { server: { port: 3333 } } });
    expect(config.server).toMatchObject({ port: 3333, host: '0.0.0.0' });
    expect(sources).toEqual([join(dir, 'sessiondb.config.yaml'), 'environment variable SESSIONDB_PORT', 'command-line flags']);
    expect((await load(dir, { SESSIONDB_URL: 'sqlite:./e.db' })).config.url).toBe('sqlite:./e.db');
  });

  it('reads .env in the working directory; real variables win over it', async () => {
    const dir = cwdWith({ '.env': 'SESSIONDB_URL=sqlite:./from-dotenv.db\nSESSIONDB_PORT=4444\n' });
    expect((await load(dir)).config).toMatchObject({ url: 'sqlite:./from-dotenv.db', server: { port: 4444 } });
    expect((await load(dir, { SESSIONDB_PORT: '5555' })).config.server.port).toBe(5555);
  });

  it('understands the variables of the systems it replaces', async () => {
    expect(await url({ STORAGE_BACKEND: 'sqlite', STORAGE_DATABASE_PATH: '/var/s.db' })).toBe('sqlite:/var/s.db');
    expect(await url({ STORAGE_BACKEND: 'postgres', STORAGE_CONNECTION_STRING: 'postgres://a@h/db' })).toBe('postgres://a@h/db');
    expect(await url({ STORAGE_BACKEND: 'file', STORAGE_DATABASE_PATH: './sessions' })).toBe('file:./sessions');
    expect(await url({ STORAGE_BACKEND: 'redis', STORAGE_CONNECTION_STRING: 'redis://h:6379/2' })).toBe('redis://h:6379/2');
    expect(await url({ DATABASE_URL: 'postgres://a@h/db' })).toBe('postgres://a@h/db');
    expect(await url({ DATABASE_URL: './x.db' })).toBe('sqlite:./x.db');
    expect(await url({ DATABASE_PATH: './y.db' })).toBe('sqlite:./y.db');
    expect(await url({ SESSION_PERSISTENCE_ENABLED: 'false' })).toBe('memory:');
    expect(await url({ SESSION_STORAGE_TYPE: 'file', SESSION_STORAGE_PATH: './sess' })).toBe('file:./sess');
    expect(await url({ SESSION_STORAGE_TYPE: 'sqlite', SESSION_STORAGE_PATH: './sess' })).toBe('sqlite:sess/sessions.db');
    expect(await url({ SESSION_STORAGE_PATH: './one.db' })).toBe('sqlite:./one.db');
    const { config } = await load(cwdWith(), {
      STORAGE_BACKEND: 'postgres', STORAGE_CONNECTION_STRING: 'postgres://a@h/db', STORAGE_MIN_POOL_SIZE: '2', STORAGE_MAX_POOL_SIZE: '20',
      STORAGE_AUTO_SAVE: 'false', STORAGE_EXPIRY_HOURS: '12', SESSIONDB_HOST: '0.0.0.0',
    });
    expect(config).toMatchObject({ pool: { min: 2, max: 20 }, manager: { autoSave: false, expiryHours: 12 }, server: { host: '0.0.0.0' } });
    expect(storeUrlFromConfig(config)).toBe('postgres://a@h/db?min=2&max=20');
    expect((await load(cwdWith(), { SESSION_EXPIRATION_HOURS: '6' })).config.manager.expiryHours).toBe(6);
  });

  it('errors name the source and what is wrong', async () => {
    const bad = async (p: Promise<unknown>, pattern: RegExp) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SessionDbError);
      expect((err as SessionDbError).code).toBe('invalid');
      expect((err as Error).message).toMatch(pattern);
    };
    await bad(load(cwdWith({ 'sessiondb.config.yaml': 'manager:\n  expiryHours: soon\n' })), /sessiondb\.config\.yaml: key manager\.expiryHours/);
    await bad(load(cwdWith({ 'sessiondb.config.yaml': 'manager:\n  expiryHour: 3\n' })), /key manager\.expiryHour.*not a setting/);
    await bad(load(cwdWith({ 'sessiondb.config.toml': 'url = \n' })), /sessiondb\.config\.toml.*cannot be parsed/);
    await bad(load(cwdWith(), { SESSIONDB_PORT: 'eighty' }), /environment variable SESSIONDB_PORT/);
    await bad(load(cwdWith(), { SESSIONDB_PORT: '70000' }), /environment variable SESSIONDB_PORT/);
    await bad(load(cwdWith(), { STORAGE_AUTO_SAVE: 'maybe' }), /STORAGE_AUTO_SAVE.*true or false/);
    await bad(load(cwdWith(), { STORAGE_BACKEND: 'oracle' }), /STORAGE_BACKEND.*must be one of file, .*memory, .*postgres, .*sqlite/);
    await bad(load(cwdWith(), { STORAGE_BACKEND: 'postgres' }), /STORAGE_CONNECTION_STRING.*required/);
    await bad(load(cwdWith(), {}, { configPath: 'nope.yaml' }), /--config.*does not exist/);
  });

  it('a config file with several problems reports every one, each with its key', async () => {
    const dir = cwdWith({ 'sessiondb.config.yaml': 'manager:\n  expiryHour: 3\n  onExpire: never\nserver:\n  prot: 80\n  port: -1\ncolour: blue\n' });
    const err = (await load(dir).catch((e: unknown) => e)) as SessionDbError;
    expect(err).toBeInstanceOf(SessionDbError);
    expect(err.code).toBe('invalid');
    const file = join(dir, 'sessiondb.config.yaml');
    expect(err.message).toMatch(/^Invalid configuration \(5 problems\):/);
    for (const key of ['manager.expiryHour', 'manager.onExpire', 'server.prot', 'server.port', 'colour']) expect(err.message).toContain(`${file}: key ${key}: `);
  });

  it('SESSIONDB_API_KEYS gives the API keys as JSON; a bad entry is named by index and field, and no key appears in the error', async () => {
    const keys = [{ tenant: 'acme', sha256: 'a'.repeat(64) }, { tenant: 'ops', key: 'an-admin-key-long-enough', admin: true }];
    const { config, sources } = await load(cwdWith(), { SESSIONDB_API_KEYS: JSON.stringify(keys) });
    expect(config.server.apiKeys).toEqual(keys);
    expect(sources).toContain('environment variable SESSIONDB_API_KEYS');
    const short = load(cwdWith(), { SESSIONDB_API_KEYS: JSON.stringify([{ tenant: 'a', key: 'short-secret' }]) });
    await expect(short).rejects.toThrow(/SESSIONDB_API_KEYS: entry 0, field key: .*16 characters/);
    await expect(short).rejects.not.toThrow(/short-secret/);
    await expect(load(cwdWith(), { SESSIONDB_API_KEYS: '{tenant: acme}' })).rejects.toThrow(/SESSIONDB_API_KEYS: is not valid JSON/);
    await expect(load(cwdWith(), { SESSIONDB_API_KEYS: '{"tenant":"acme"}' })).rejects.toThrow(/SESSIONDB_API_KEYS: must be a JSON list/);
  });

  it('SESSIONDB_CONFIG names the config file; --config wins over it; a missing file is named with its source', async () => {
    const dir = cwdWith({ 'elsewhere.yaml': 'server:\n  port: 9100\n', 'flag.yaml': 'server:\n  port: 9200\n' });
    expect((await load(dir, { SESSIONDB_CONFIG: 'elsewhere.yaml' })).config.server.port).toBe(9100);
    expect((await load(dir, { SESSIONDB_CONFIG: 'elsewhere.yaml' }, { configPath: 'flag.yaml' })).config.server.port).toBe(9200);
    await expect(load(dir, { SESSIONDB_CONFIG: 'nope.yaml' })).rejects.toThrow(/environment variable SESSIONDB_CONFIG: names .*nope\.yaml, which does not exist/);
  });

  it('an unsupported store URL is refused when the configuration is loaded, naming where it came from', async () => {
    const bad = async (p: Promise<unknown>, pattern: RegExp) => expect(((await p.catch((e: unknown) => e)) as Error).message).toMatch(pattern);
    await bad(load(cwdWith({ 'sessiondb.config.yaml': 'url: "mysql://a:pw@h/db"\n' })), /sessiondb\.config\.yaml: key url: uses the scheme "mysql:".*Supported:/);
    await bad(load(cwdWith(), { SESSIONDB_URL: 'oracle://x' }), /environment variable SESSIONDB_URL: uses the scheme "oracle:"/);
    await bad(load(cwdWith(), {}, { flags: { url: 'sqlite:./x.db?journal=off' } }), /--db: .*"journal".*not a SQLite option/);
  });
});

describe('redactConfig, redactStoreUrl and redactText', () => {
  it('mask secret settings wherever they are, shorten digests, and redact passwords in URLs and their parameters', () => {
    const printed = redactConfig({
      url: `postgres://u:pw1@h/db?password=pw2&migrationUrl=${encodeURIComponent('postgres://o:pw3@h/db')}`,
      server: { apiKeys: [{ tenant: 't', key: 'k'.repeat(20) }, { tenant: 'u', sha256: 'f'.repeat(64) }], metricsToken: 'tok', port: 1 },
      notes: ['redis://:pw4@cache:6379'],
    });
    expect(JSON.stringify(printed)).not.toMatch(/pw1|pw2|pw3|pw4|kkkk|tok"|ffffffffff/);
    expect(printed.server).toEqual({ apiKeys: [{ tenant: 't', key: '***' }, { tenant: 'u', sha256: 'ffffffff…' }], metricsToken: '***', port: 1 });
    expect(redactStoreUrl('sqlite:./data/sessions.db?synchronous=full')).toBe('sqlite:./data/sessions.db?synchronous=full');
    const message = redactText(`cannot reach postgres://a:pw5@h/db?migrationUrl=${encodeURIComponent('postgres://b:pw6@h/db')} failed; password=pw7`);
    expect(message).toMatch(/^cannot reach postgres:\/\/a:\*\*\*@h\/db\?migrationUrl=\S+ failed; password=\*\*\*$/);
    expect(message).not.toMatch(/pw5|pw6|pw7/);
  });
});

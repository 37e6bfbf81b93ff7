/**
 * Encryption at rest as users run it, through the built package: `sessiondb
 * serve` with SESSIONDB_ENCRYPTION_KEYS seals what the HTTP API writes and
 * refuses search with 501; `sessiondb rekey` killed midway (SIGKILL) and run
 * again finishes; no key ever reaches the output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encryptStore, HttpStore, sealedLimits, SqliteStore } from '../dist/index.js';
import { startServer, tempDir } from './helpers.js';
import { runExample } from './readme-helpers.js';

const dir = tempDir('encryption-cli');
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const A = `a1:${randomBytes(32).toString('base64')}`;
const B = `b2:${randomBytes(32).toString('base64')}`;
const keyOf = (pair: string) => ({ id: pair.slice(0, pair.indexOf(':')), key: pair.slice(pair.indexOf(':') + 1) });

function cli(args: string[], keys?: string) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...(keys ? { SESSIONDB_ENCRYPTION_KEYS: keys } : {}) },
  });
}

const bytesOf = (path: string) => Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));

describe('sessiondb with SESSIONDB_ENCRYPTION_KEYS', () => {
  it('serve: the HTTP API reads and writes as ever, the database holds no plain text, search answers 501 unsupported', async () => {
    const path = join(dir, 'served.db');
    const server = await startServer(['--db', `sqlite:${path}`], { SESSIONDB_ENCRYPTION_KEYS: A });
    try {
      const client = new HttpStore({ url: server.url });
      await client.migrate();
      const k = { appName: 'chat', userId: 'ada', sessionId: 'visible-session' };
      await client.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, metadata: { title: 'capybaratitle' }, state: { 'user:city': 'lisbonstate' } });
      await client.appendEvents(k, [{ author: 'user', content: 'my flamingosecret', stateDelta: { step: 'gazelledelta' } }]);
      const read = await client.getSession(k);
      expect(read?.events?.[0]?.content).toBe('my flamingosecret');
      expect(read?.state).toEqual({ 'user:city': 'lisbonstate', step: 'gazelledelta' });
      expect(read?.metadata).toEqual({ title: 'capybaratitle' });
      const search = await fetch(`${server.url}/v1/search?q=flamingosecret`);
      expect(search.status).toBe(501);
      expect(await search.json()).toMatchObject({ error: { code: 'unsupported' } });
      await expect(client.searchEvents({ query: 'flamingosecret' })).rejects.toMatchObject({ code: 'unsupported' });
      const bytes = bytesOf(path);
      expect(bytes.includes('visible-session')).toBe(true);
      for (const word of ['capybaratitle', 'lisbonstate', 'flamingosecret', 'gazelledelta']) expect(bytes.includes(word), word).toBe(false);
      expect(server.output()).toContain('on, sealing with key \\"a1\\"');
      expect(server.output()).not.toContain(keyOf(A).key);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
  });

  it('config shows key ids, never keys; a bad key is named by id with exit 1; rekey without keys says what to set', () => {
    const shown = cli(['config', '--db', `sqlite:${join(dir, 'c.db')}`], `${B},${A}`);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('"id": "b2"');
    for (const pair of [A, B]) expect(shown.stdout + shown.stderr).not.toContain(keyOf(pair).key);
    const short = `bad:${randomBytes(16).toString('base64')}`;
    const bad = cli(['ls', '--db', `sqlite:${join(dir, 'c.db')}`], `${A},${short}`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/SESSIONDB_ENCRYPTION_KEYS: key "bad" is 16 bytes once decoded; AES-256 needs 32/);
    expect(bad.stderr).not.toContain(keyOf(short).key);
    const none = cli(['rekey', '--db', `sqlite:${join(dir, 'served.db')}`]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/rekey needs the encryption keys: set SESSIONDB_ENCRYPTION_KEYS/);
  });

  it('rekey killed with SIGKILL midway, then run again, finishes; then the old key can go', async () => {
    const path = join(dir, 'rotate.db');
    const SESSIONS = 250;
    const writer = encryptStore(new SqliteStore({ path, limits: sealedLimits() }), { keys: [keyOf(A)] });
    await writer.migrate();
    for (let i = 0; i < SESSIONS; i++) {
      const k = { appName: 'app', userId: `u${i % 7}`, sessionId: `s${i}` };
      await writer.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, metadata: { n: i }, state: { i } });
      await writer.appendEvents(k, [{ author: 'user', content: `message ${i}` }, { author: 'agent', content: { parts: [{ text: `answer ${i}` }] } }]);
    }
    await writer.close();

    // Kill it once some sessions, but not all, are under the new key.
    const underB = () => {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM sessions WHERE metadata LIKE '%sdb:v1:b2:%'`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const child = spawn(process.execPath, [bin, 'rekey', '--db', `sqlite:${path}`], { env: { PATH: process.env['PATH'] ?? '', SESSIONDB_ENCRYPTION_KEYS: `${B},${A}` }, stdio: 'ignore' });
    let killedAt = 0;
    while (child.exitCode === null) {
      const n = underB();
      if (n >= 1) {
        child.kill('SIGKILL');
        killedAt = n;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    expect(child.signalCode, 'rekey finished before it could be killed; make the database larger').toBe('SIGKILL');
    expect(underB()).toBeLessThan(SESSIONS);

    const rerun = cli(['rekey', '--db', `sqlite:${path}`, '--json'], `${B},${A}`);
    expect(rerun.status, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout) as { sessions: number; currentSessions: number; events: number; kept: unknown[] };
    expect(summary.currentSessions).toBeGreaterThanOrEqual(killedAt);
    expect(summary.sessions + summary.currentSessions).toBe(SESSIONS);
    expect(summary.kept).toEqual([]);
    expect(underB()).toBe(SESSIONS);

    const reader = encryptStore(new SqliteStore({ path, limits: sealedLimits() }), { keys: [keyOf(B)] });
    for (let i = 0; i < SESSIONS; i++) {
      const s = await reader.getSession({ appName: 'app', userId: `u${i % 7}`, sessionId: `s${i}` });
      expect(s?.events?.map((e) => e.content)).toEqual([`message ${i}`, { parts: [{ text: `answer ${i}` }] }]);
      expect(s).toMatchObject({ metadata: { n: i }, state: { i } });
    }
    await reader.close();
    const shown = cli(['show', 'app', 'u3', 's3', '--db', `sqlite:${path}`], B);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('message 3');
  });

  it('README example: encryption at rest', () => {
    runExample('encryption', [['./data/encrypted.db', join(dir, 'readme.db')]]);
  });
});

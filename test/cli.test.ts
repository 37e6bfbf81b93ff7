// The built `sessiondb` binary, spawned against SQLite files, the file store and the local PostgreSQL.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openStore, SqliteStore, type SessionStore } from '../src/index.js';
import { adkDatabaseUnavailableReason, loadAdkDatabase } from './adk-database-helpers.js';
import { startServer, tempDir } from './helpers.js';
import { adminQuery, dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const work = tempDir('cli');
const pgUnavailable = await pgUnavailableReason();
const adkUnavailable = adkDatabaseUnavailableReason();
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

/** Runs the binary in the temp directory with a clean environment. */
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A store with a few sessions, events, shared state and file records. */
async function seed(url: string, sessions = 12): Promise<void> {
  const store = await openStore(url);
  for (let i = 0; i < sessions; i++) {
    const k = { appName: i % 2 ? 'shop' : 'help', userId: `u${i % 3}`, sessionId: `s${i}` };
    await store.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, state: { n: i, 'app:v': 1, 'user:u': i }, metadata: { title: `T${i}` } });
    await store.appendEvents(k, Array.from({ length: 3 }, (_, j) => ({ author: j % 2 ? 'bot' : 'user', role: j % 2 ? ('assistant' as const) : ('user' as const), content: `m${i}-${j}` })));
  }
  await store.putFile({ id: 'f1', name: 'a.pdf', appName: 'help', userId: 'u0', sessionId: 's0' });
  await store.putFile({ tenant: 'other', id: 'f2', name: 'b.pdf' });
  await store.close();
}

const sqlite = (name: string) => `sqlite:${join(work, name)}`;

describe('sessiondb CLI', () => {
  it('--help and --version answer with exit 0; each command has help with an example', () => {
    expect(cli(['--help'])).toMatchObject({ code: 0 });
    expect(cli(['--version']).out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const cmd of ['migrate', 'stats', 'ls', 'show', 'export', 'search', 'fork', 'rewind', 'prune', 'vacuum', 'dump', 'load', 'backup', 'restore', 'copy', 'import-adk', 'serve', 'config', 'mcp']) {
      const r = cli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toMatch(/Example/);
    }
  }, 120_000);

  it('bad usage exits 2 with a message', () => {
    for (const args of [
      ['bogus'], ['ls', '--user', 'u1'], ['export', 'a'], ['ls', '--limit', 'zero'], ['ls', '--status', 'gone'], ['copy', '--from', 'memory:'],
      ['export', 'a', 'b', 'c', '--format', 'pdf'], ['ls', '--limit', '100000', '--db', 'memory:'], ['copy', '--from', 'memory:', '--to', 'memory:', '--batch', '100000'],
      ['search'], ['search', 'x', '--role', 'robot'], ['search', 'x', '--limit', '0'], ['search', 'x', '--limit', '100000', '--db', 'memory:'],
      ['search', 'x', '--after', 'someday'], ['search', '-excluded', '--db', 'memory:'], ['search', 'x'.repeat(1001), '--db', 'memory:'], ['search', '"', '--db', 'memory:'],
      ['fork', 'a', 'b'], ['fork', 'a', 'b', 'c', '--to-seq', 'x'], ['fork', 'a', 'b', 'c', '--to-seq', '-1'],
      ['rewind', 'a', 'b', 'c'], ['rewind', 'a', 'b', 'c', '--to-seq', '1.5'], ['rewind', 'a', 'b', 'c', '--to-seq', '1', '--expect-version', 'v3'],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/error/);
    }
  }, 120_000);

  it('migrate, migrate --status, stats, ls, show, export, prune, vacuum on a SQLite file', async () => {
    const db = sqlite('main.db');
    expect(cli(['migrate', '--db', db])).toMatchObject({ code: 0 });
    expect(cli(['migrate', '--status', '--db', db]).out).toMatch(/sqlite: schema version (\d+) of \1; up to date/);
    await seed(db);
    const stats = JSON.parse(cli(['stats', '--json', '--db', db]).out);
    expect(stats).toMatchObject({ store: 'sqlite', sessions: 12, events: 36 });
    const first = cli(['ls', '--app', 'shop', '--limit', '2', '--db', db]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/SESSION/);
    const cursor = /--cursor (\S+)/.exec(first.out)![1]!;
    const second = JSON.parse(cli(['ls', '--app', 'shop', '--limit', '2', '--cursor', cursor, '--json', '--db', db]).out);
    expect(second.sessions).toHaveLength(2);
    const show = cli(['show', 'help', 'u0', 's0', '--db', db]);
    expect(show.out).toMatch(/User: m0-0/);
    expect(cli(['show', 'help', 'u0', 'nope', '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/No session/) });
    expect(JSON.parse(cli(['export', 'help', 'u0', 's0', '--db', db]).out)).toMatchObject({ format: 'sessiondb.session' });
    const mdPath = join(work, 's0.md');
    expect(cli(['export', 'help', 'u0', 's0', '--format', 'markdown', '--out', mdPath, '--db', db]).code).toBe(0);
    expect(readFileSync(mdPath, 'utf8')).toMatch(/^# T0/);
    expect(JSON.parse(cli(['prune', '--older-than-hours', '0', '--mode', 'mark', '--json', '--db', db]).out)).toMatchObject({ mode: 'mark', sessions: 12 });
    expect(JSON.parse(cli(['stats', '--json', '--db', db]).out).expiredSessions).toBe(12);
    expect(cli(['vacuum', '--db', db]).out).toMatch(/sqlite: vacuumed/);
  });

  it('search, fork, rewind and export --superseded on a file store', async () => {
    const db = `file:${join(work, 'search-store')}`;
    const store = await openStore(db);
    const key = { appName: 'shop', userId: 'u1', sessionId: 's1' };
    await store.createSession({ appName: 'shop', userId: 'u1', id: 's1', state: { step: 0 }, metadata: { title: 'Refund for order 1042' } });
    await store.appendEvents(key, [
      { id: 'e1', author: 'user', role: 'user', timestamp: Date.UTC(2026, 10, 21, 9, 31), content: 'Where is my parcel?', stateDelta: { step: 1 } },
      { id: 'e2', author: 'support_agent', role: 'assistant', timestamp: Date.UTC(2026, 10, 21, 9, 32), content: 'Your refund was approved.', stateDelta: { step: 2 } },
      { id: 'e3', author: 'user', role: 'user', timestamp: Date.UTC(2026, 10, 21, 9, 33), content: 'And the refund amount?', stateDelta: { step: 3 } },
    ]);
    await store.createSession({ tenant: 'other', appName: 'shop', userId: 'u1', id: 's1' });
    await store.appendEvents({ ...key, tenant: 'other' }, [{ author: 'user', content: 'a refund in another tenant' }]);
    await store.close();

    const all = JSON.parse(cli(['search', 'refund', '--json', '--db', db]).out);
    expect(all.hits.map((h: { event: { id: string } | null }) => h.event?.id ?? 'title').sort()).toEqual(['e2', 'e3', 'title']);
    const human = cli(['search', 'refund', '--role', 'user', '--app', 'shop', '--user', 'u1', '--session', 's1', '--db', db]);
    expect(human).toMatchObject({ code: 0, err: '' });
    expect(human.out).toBe('shop/u1/s1 · seq 3 · user · 2026-11-21 09:33:00 UTC\n  And the **refund** amount?\n'); // not a terminal: the marks stay
    expect(cli(['search', 'refund', '--author', 'support_agent', '--db', db]).out).toMatch(/^shop\/u1\/s1 · seq 2 · support_agent \(assistant\) · /);
    expect(cli(['search', 'refund', '--before', '2026-11-21T09:33:00Z', '--after', String(Date.UTC(2026, 10, 21, 9, 32)), '--role', 'assistant', '--db', db]).out).toMatch(/seq 2/);
    expect(cli(['search', 'order', '--db', db]).out).toBe('shop/u1/s1 · title\n  Refund for **order** 1042\n');
    expect(cli(['search', 'refund', '--tenant', 'other', '--json', '--db', db]).out).toMatch(/another tenant/);
    expect(cli(['search', 'walrus', '--db', db]).out).toBe('no hits\n');
    const first = cli(['search', 'refund', '--limit', '2', '--db', db]);
    const cursor = /--cursor (\S+)/.exec(first.out)![1]!;
    expect(JSON.parse(cli(['search', 'refund', '--limit', '2', '--cursor', cursor, '--json', '--db', db]).out).hits).toHaveLength(1);
    expect(cli(['search', 'other', '--limit', '2', '--cursor', cursor, '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/cursor/) });

    expect(cli(['fork', 'shop', 'u1', 's1', '--to-seq', '2', '--new-id', 'f1', '--db', db]).out).toBe('forked shop/u1/s1 up to seq 2 into shop/u1/f1 (2 events)\n');
    const other = JSON.parse(cli(['fork', 'shop', 'u1', 's1', '--to-user', 'u2', '--json', '--db', db]).out);
    expect(other).toMatchObject({ userId: 'u2', eventCount: 3, state: { step: 3 }, metadata: { forkedFrom: { sessionId: 's1', seq: 3 } } });
    expect(cli(['fork', 'shop', 'u1', 's1', '--new-id', 'f1', '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/already exists/) });
    expect(cli(['fork', 'shop', 'u1', 'nope', '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/not found/) });
    expect(cli(['fork', 'shop', 'u1', 's1', '--to-seq', '9', '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/upToSeq/) });

    const version = JSON.parse(cli(['export', 'shop', 'u1', 's1', '--db', db]).out).session.version;
    expect(cli(['rewind', 'shop', 'u1', 's1', '--to-seq', '1', '--expect-version', String(version - 1), '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/conflict/i) });
    expect(cli(['rewind', 'shop', 'u1', 's1', '--to-seq', '1', '--expect-version', String(version), '--db', db]).out).toMatch(
      new RegExp(`^rewound shop/u1/s1 to seq 1: 2 events superseded \\(version ${version + 1}, at \\d{4}-`),
    );
    expect(cli(['rewind', 'shop', 'u1', 's1', '--to-seq', '1', '--db', db]).out).toBe(`shop/u1/s1 already ends at seq 1: nothing superseded (version ${version + 1})\n`);
    expect(JSON.parse(cli(['rewind', 'shop', 'u1', 's1', '--to-seq', '1', '--json', '--db', db]).out)).toMatchObject({ superseded: 0, session: { eventCount: 1, state: { step: 1 } } });
    expect(cli(['rewind', 'shop', 'u1', 's1', '--to-seq', '5', '--db', db])).toMatchObject({ code: 1, err: expect.stringMatching(/toSeq/) });
    expect(cli(['search', 'refund', '--session', 's1', '--json', '--db', db]).out).not.toMatch(/"e[23]"/); // rewound events are not found

    expect(cli(['export', 'shop', 'u1', 's1', '--format', 'text', '--db', db]).out).not.toContain('refund');
    const text = cli(['export', 'shop', 'u1', 's1', '--format', 'text', '--superseded', '--db', db]).out;
    expect(text).toMatch(/--- Superseded \(rewound .* to seq 1; 2 events, not part of the conversation\) ---\n\[2026-11-21 09:32:00 UTC\] Assistant: Your refund was approved\./);
    const json = JSON.parse(cli(['export', 'shop', 'u1', 's1', '--superseded', '--db', db]).out);
    expect(json.superseded.map((e: { id: string }) => e.id)).toEqual(['e2', 'e3']);
    expect(json.history).toEqual([{ atSeq: 0, kind: 'replace', set: { step: 0 }, unset: [] }]);
  }, 120_000);

  it('migrate of a database written before the search index builds it, printing its progress on stderr', async () => {
    const path = join(work, 'pre-search.db');
    // Schema 3, as sessiondb wrote it before the search index, with 12,000 events.
    const old = new SqliteStore({ path });
    await (old as unknown as { migrate(o: object): Promise<void> }).migrate({ toVersion: 3 });
    await old.close();
    const raw = new Database(path);
    raw.exec(`INSERT INTO sessions (tenant, app_name, user_id, id, metadata, created_at, updated_at, last_activity_at, event_count, version)
      VALUES ('default', 'a', 'u', 'big', '{}', 1, 1, 1, 12000, 2)`);
    const insert = raw.prepare(`INSERT INTO events (session_pk, seq, id, timestamp, author, content) VALUES (1, ?, ?, ?, 'user', ?)`);
    raw.transaction(() => {
      for (let i = 1; i <= 12_000; i++) insert.run(i, `e${i}`, i, JSON.stringify(i === 777 ? 'the pangolin escaped' : `routine message ${i}`));
    })();
    raw.close();
    const r = cli(['migrate', '--db', `sqlite:${path}`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/up to date/);
    const lines = r.err.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^search index: \d+\/\d+ \(\d+%\)$/);
    expect(lines.at(-1)).toBe('search index: 12000/12000 (100%)');
    expect(JSON.parse(cli(['search', 'pangolin', '--json', '--db', `sqlite:${path}`]).out).hits.map((h: { event: { id: string } }) => h.event.id)).toEqual(['e777']);
    expect(cli(['migrate', '--db', `sqlite:${path}`]).err).toBe(''); // nothing left to build
  }, 120_000);

  it('migrate shows a long step\'s progress, throttled: the first report, at most one a second, and the last', async () => {
    const { migrationProgress } = await import('../src/cli/progress.js');
    let now = 0;
    const lines: string[] = [];
    const report = migrationProgress({ stream: { write: (s: string) => lines.push(s) } as never, now: () => now });
    for (let done = 0; done <= 1_000_000; done += 50_000) {
      report({ step: 'search index', done, total: 1_000_000 });
      now += 300;
    }
    report({ step: 'search index', done: 1_000_000, total: 1_000_000 }); // reported twice: printed once
    expect(lines).toEqual([
      'search index: 0/1000000 (0%)\n',
      'search index: 200000/1000000 (20%)\n',
      'search index: 400000/1000000 (40%)\n',
      'search index: 600000/1000000 (60%)\n',
      'search index: 800000/1000000 (80%)\n',
      'search index: 1000000/1000000 (100%)\n',
    ]);
  });

  it('dump and load round-trip; load refuses a truncated or foreign file', async () => {
    const db = sqlite('dump-src.db');
    await seed(db);
    const file = join(work, 'all.jsonl');
    expect(cli(['dump', '--out', file, '--db', db]).code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'sessiondb.dump', version: 1 });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'end', counts: { sessions: 12, events: 36, files: 2 } });
    const target = `file:${join(work, 'loaded')}`;
    expect(JSON.parse(cli(['load', '--in', file, '--json', '--db', target]).out)).toMatchObject({ sessions: 12, skippedSessions: 0, files: 2 });
    expect(JSON.parse(cli(['load', '--in', file, '--json', '--db', target]).out)).toMatchObject({ sessions: 0, skippedSessions: 12 });
    expect(cli(['copy', '--from', db, '--to', target, '--verify']).out).toMatch(/verified: 12 sessions and 36 events match/);
    writeFileSync(join(work, 'cut.jsonl'), lines.slice(0, 5).join('\n') + '\n');
    expect(cli(['load', '--in', join(work, 'cut.jsonl'), '--db', sqlite('cut.db')])).toMatchObject({ code: 1, err: expect.stringMatching(/cut off/) });
    writeFileSync(join(work, 'foreign.jsonl'), '{"hello":1}\n');
    expect(cli(['load', '--in', join(work, 'foreign.jsonl'), '--db', sqlite('cut.db')])).toMatchObject({ code: 1, err: expect.stringMatching(/not a sessiondb dump/) });
  });

  it('backup writes a dump and a SQLite copy; restore takes either back', async () => {
    const db = sqlite('backup-src.db');
    await seed(db);
    const dir = join(work, 'backups');
    const r = JSON.parse(cli(['backup', '--dir', dir, '--json', '--db', db]).out);
    expect(existsSync(r.dump)).toBe(true);
    expect(existsSync(r.database)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([r.database.split('/').pop(), r.dump.split('/').pop()].sort());
    expect(JSON.parse(cli(['restore', r.dump, '--json', '--db', sqlite('restored1.db')]).out)).toMatchObject({ sessions: 12 });
    expect(JSON.parse(cli(['restore', r.database, '--json', '--db', `file:${join(work, 'restored2')}`]).out)).toMatchObject({ sessions: 12, events: 36 });
    expect(cli(['copy', '--from', sqlite('restored1.db'), '--to', `file:${join(work, 'restored2')}`, '--verify']).code).toBe(0);
  });

  it('copy --verify exits 1 and names a session that differs', async () => {
    const src = sqlite('verify-src.db');
    const dst = sqlite('verify-dst.db');
    await seed(src, 4);
    expect(cli(['copy', '--from', src, '--to', dst, '--json']).code).toBe(0);
    const store: SessionStore = await openStore(dst);
    await store.appendEvents({ appName: 'help', userId: 'u2', sessionId: 's2' }, [{ author: 'intruder', content: 'x' }]);
    await store.close();
    const r = cli(['copy', '--from', src, '--to', dst, '--verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/verify FAILED:\n {2}session default\/help\/u2\/s2: differs/);
  });

  it('an unreachable database or an unsupported URL is exit 1, with the password redacted', () => {
    const r = cli(['stats', '--db', 'postgres://app:hunter2-secret@127.0.0.1:1/x?connectTimeoutMs=500']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unavailable|ECONNREFUSED/);
    expect(r.err).not.toContain('hunter2-secret');
    expect(cli(['stats', '--db', 'mysql://x'])).toMatchObject({ code: 1, err: expect.stringMatching(/does not support/) });
  });

  it('commands that only read fail with "no database at PATH" (exit 1) and create nothing when the database does not exist', () => {
    const missingFile = join(work, 'nothing-here', 'sessions.db');
    const missingDir = join(work, 'no-such-dir');
    for (const db of [`sqlite:${missingFile}`, `file:${missingDir}`]) {
      for (const args of [
        ['migrate', '--status'], ['stats'], ['ls'], ['show', 'a', 'u', 's'], ['export', 'a', 'u', 's'], ['prune'], ['vacuum'],
        ['search', 'x'], ['fork', 'a', 'u', 's'], ['rewind', 'a', 'u', 's', '--to-seq', '0'],
        ['dump', '--out', join(work, 'never.jsonl')], ['backup', '--dir', join(work, 'never-backups')],
      ]) {
        const r = cli([...args, '--db', db]);
        expect(r.code, `${args.join(' ')} ${db}`).toBe(1);
        expect(r.err, `${args.join(' ')} ${db}`).toContain(`no database at ${db.startsWith('sqlite:') ? missingFile : missingDir}`);
      }
    }
    expect(cli(['copy', '--from', `sqlite:${missingFile}`, '--to', sqlite('never.db')])).toMatchObject({ code: 1, err: expect.stringContaining(`no database at ${missingFile}`) });
    expect(cli(['restore', missingFile, '--db', sqlite('never.db')])).toMatchObject({ code: 1, err: expect.stringContaining(`no database at ${missingFile}`) });
    expect(cli(['load', '--in', join(work, 'never.jsonl'), '--db', sqlite('never.db')])).toMatchObject({ code: 1, err: expect.stringContaining(`no dump at ${join(work, 'never.jsonl')}`) });
    for (const path of [join(work, 'nothing-here'), missingDir, join(work, 'never.jsonl'), join(work, 'never-backups'), join(work, 'never.db')]) expect(existsSync(path), path).toBe(false);
    // A new database is still made by the commands that write.
    expect(cli(['migrate', '--db', `sqlite:${missingFile}`]).code).toBe(0);
    expect(cli(['ls', '--db', `sqlite:${missingFile}`])).toMatchObject({ code: 0, out: 'no sessions\n' });
  }, 120_000);

  it('load shows its progress as copy and dump do (plain lines when not on a terminal; nothing with --json)', async () => {
    const db = sqlite('progress-src.db');
    await seed(db);
    const file = join(work, 'progress.jsonl');
    expect(cli(['dump', '--out', file, '--db', db]).err).toMatch(/^dump: \d+\/12 sessions/m);
    const load = cli(['load', '--in', file, '--db', sqlite('progress-dst.db')]);
    expect(load.code).toBe(0);
    expect(load.err).toMatch(/^load: 12\/12 sessions, 36 events/m);
    expect(cli(['load', '--in', file, '--json', '--db', sqlite('progress-dst2.db')]).err).toBe('');
    expect(cli(['restore', file, '--db', sqlite('progress-dst3.db')]).err).toMatch(/^load: 12\/12 sessions/m);
  });

  it('config prints the configuration with API keys and passwords redacted', () => {
    const apiKey = 'sk-live-0123456789abcdef';
    const sha = 'ab'.repeat(32);
    const migrationUrl = encodeURIComponent('postgres://owner:migr4tion-pw@db:5432/app');
    writeFileSync(
      join(work, 'secret.yaml'),
      [
        `url: "postgres://app:s3cret-pw@db:5432/app?schema=s&migrationUrl=${migrationUrl}"`,
        'server:',
        '  apiKeys:',
        `    - { tenant: acme, key: "${apiKey}" }`,
        `    - { tenant: beta, sha256: "${sha}", admin: true }`,
      ].join('\n') + '\n',
    );
    const r = cli(['config', '--config', join(work, 'secret.yaml')]);
    expect(r.code).toBe(0);
    for (const secret of [apiKey, 's3cret-pw', 'migr4tion-pw', sha]) expect(r.out).not.toContain(secret);
    const printed = JSON.parse(r.out);
    expect(printed.server.apiKeys).toEqual([{ tenant: 'acme', key: '***' }, { tenant: 'beta', sha256: 'abababab…', admin: true }]);
    expect(printed.url).toMatch(/^postgres:\/\/app:\*\*\*@db:5432\/app\?/);
    expect(decodeURIComponent(printed.url)).toContain('postgres://owner:***@db:5432/app');
  });

  it('config with an unsupported store URL exits 1 naming where the URL came from and the supported schemes', () => {
    const flag = cli(['config', '--db', 'mysql://u:p@h/db']);
    expect(flag.code).toBe(1);
    expect(flag.err).toMatch(/--db: uses the scheme "mysql:".*Supported: .*memory:, .*sqlite:/);
    writeFileSync(join(work, 'mysql.yaml'), 'url: "mysql://u:p@h/db"\n');
    expect(cli(['config', '--config', join(work, 'mysql.yaml')])).toMatchObject({ code: 1, err: expect.stringMatching(/mysql\.yaml: key url: uses the scheme "mysql:"/) });
  });

  it('import-adk names the file it could not find, and says what it expected of a database that is not ADK\'s', async () => {
    const missing = join(work, 'no-adk.db');
    const r = cli(['import-adk', '--from', `sqlite://${missing}`, '--db', 'memory:']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`No ADK database at ${missing}`);
    const ours = join(work, 'not-adk.db');
    await seed(`sqlite:${ours}`, 1);
    const other = cli(['import-adk', '--from', `sqlite://${ours}`, '--db', 'memory:']);
    expect(other.code).toBe(1);
    expect(other.err).toContain(`${ours} is not a Google ADK DatabaseSessionService database`);
    expect(other.err).toMatch(/table sessions has no column state.*no table app_states/);
    expect(other.err).toMatch(/Expected the tables ADK creates: sessions \(app_name, user_id, id, state/);
  });

  it('reads its store from the environment and a config file', async () => {
    const db = join(work, 'from-env.db');
    await seed(`sqlite:${db}`, 2);
    expect(JSON.parse(cli(['stats', '--json'], { DATABASE_PATH: db }).out).sessions).toBe(2);
    writeFileSync(join(work, 'cfg.yaml'), `url: "sqlite:${db}"\n`);
    expect(JSON.parse(cli(['stats', '--json', '--config', join(work, 'cfg.yaml')]).out).sessions).toBe(2);
    expect(cli(['stats', '--json'], { SESSIONDB_PORT: 'x' })).toMatchObject({ code: 1, err: expect.stringMatching(/SESSIONDB_PORT/) });
  });

  describe.skipIf(pgUnavailable !== null)(`with PostgreSQL${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`, () => {
    it('copies SQLite → PostgreSQL → file store and verifies clean; migrate and vacuum work', async () => {
      const schema = uniqueSchema('cli');
      schemas.push(schema);
      const pg = `${PG_URL}?schema=${schema}`;
      const src = sqlite('pg-src.db');
      await seed(src, 30);
      expect(cli(['migrate', '--db', pg]).out).toMatch(/postgres: schema version (\d+) of \1; up to date/);
      const one = JSON.parse(cli(['copy', '--from', src, '--to', pg, '--verify', '--json']).out);
      expect(one).toMatchObject({ sessions: 30, events: 90, files: 2, verify: { ok: true } });
      const back = `file:${join(work, 'from-pg')}`;
      expect(JSON.parse(cli(['copy', '--from', pg, '--to', back, '--verify', '--json']).out)).toMatchObject({ sessions: 30, verify: { ok: true } });
      expect(JSON.parse(cli(['copy', '--from', pg, '--to', back, '--json']).out)).toMatchObject({ sessions: 0, skippedSessions: 30 });
      expect(cli(['vacuum', '--db', pg]).out).toMatch(/postgres: vacuumed/);
      expect(JSON.parse(cli(['stats', '--json', '--db', pg]).out)).toMatchObject({ sessions: 30, events: 90 });
    }, 60_000);

    it('migrate --status on a fresh schema lists the pending migrations (exit 1) and creates nothing', async () => {
      const schema = uniqueSchema('status');
      schemas.push(schema);
      const r = cli(['migrate', '--status', '--db', `${PG_URL}?schema=${schema}`]);
      expect(r.err).toBe('');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^postgres: schema version 0 of (\d+); pending: 1 \(/);
      expect((await adminQuery('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0);
    });

    it('serve logs the store URL and answers its storage path with every password redacted', async () => {
      const schema = uniqueSchema('serve');
      schemas.push(schema);
      const migrationUrl = encodeURIComponent(PG_URL.replace('postgres@', 'postgres:migr4tion-pw@'));
      // Trust authentication: the passwords are accepted and ignored.
      const url = `${PG_URL.replace('postgres@', 'postgres:s3cret-pw@')}?schema=${schema}&migrationUrl=${migrationUrl}`;
      const server = await startServer(['--db', url]);
      try {
        const stats = (await (await fetch(`${server.url}/sessions/storage/stats`)).json()) as { storage_path: string };
        expect(stats.storage_path).toMatch(/^postgres:\/\/postgres:\*\*\*@/);
        expect(server.output()).toMatch(/"msg":"store opened"/);
        for (const secret of ['s3cret-pw', 'migr4tion-pw']) {
          expect(stats.storage_path).not.toContain(secret);
          expect(server.output()).not.toContain(secret);
        }
      } finally {
        server.child.kill('SIGTERM');
        await new Promise((r) => server.child.once('exit', r));
      }
    });
  });

  it.skipIf(adkUnavailable !== null)(`import-adk copies an ADK database${adkUnavailable ? ` (skipped: ${adkUnavailable})` : ''}`, async () => {
    const { DatabaseSessionService, createEvent } = await loadAdkDatabase();
    const adkPath = join(work, 'adk.db');
    const adk = new DatabaseSessionService(`sqlite://${adkPath}`);
    const s = await adk.createSession({ appName: 'a', userId: 'u', state: { 'app:x': 1 } });
    await adk.appendEvent({ session: s, event: createEvent({ author: 'user', content: { role: 'user', parts: [{ text: 'hi' }] } }) });
    await (adk as unknown as { orm?: { close(): Promise<void> } }).orm?.close();
    const r = JSON.parse(cli(['import-adk', '--from', `sqlite://${adkPath}`, '--json', '--db', sqlite('from-adk.db')]).out);
    expect(r).toMatchObject({ sessions: 1, events: 1, appStates: 1 });
  }, 60_000);
});

#!/usr/bin/env node
/**
 * The `sessiondb` command. Exit codes: 0 success, 1 failure, 2 bad usage.
 * Every command takes `--db URL` and `--config PATH`; without them the store
 * comes from the environment or a config file (see the README, "Configuration").
 */
import '../client/registration.js'; // --db http://… reaches a sessiondb server
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { encryptedFromConfig, loadConfig, openStoreFromConfig, storeUrlFromConfig } from '../config/load.js';
import { redactConfig, redactText } from '../config/redact.js';
import type { Config } from '../config/schema.js';
import { SessionDbError } from '../core/errors.js';
import { resolveLimits, type Limits } from '../core/limits.js';
import { parseSearchQuery } from '../core/search/query.js';
import type { SessionStore } from '../core/store.js';
import { EVENT_ROLES, SESSION_STATUSES, type EventRole, type SessionStatus } from '../core/types.js';
import { openStore } from '../stores/open-store.js';
import { copyStore, verifyCopy } from '../transfer/copy.js';
import { backupStore, dumpStore, loadStore } from '../transfer/dump.js';
import { forkSession } from '../transfer/fork.js';
import { exportSession, EXPORT_FORMATS, formatTime, type ExportFormat } from '../transfer/session-export.js';
import { requireExistingDatabase } from './existing.js';
import { rekeyCommand } from './rekey.js';
import { dumpTotals, migrationProgress, progress } from './progress.js';
import { renderHits } from './search-output.js';

/** A usage error found after parsing (a bad combination of options): exit code 2. */
class UsageError extends Error {}

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : text + '\n');

export interface Common {
  db?: string;
  config?: string;
}

async function config(opts: Common): Promise<Config> {
  return (await loadConfig({ configPath: opts.config, flags: opts.db ? { url: opts.db } : {} })).config;
}

export interface StoreUse {
  /** Run `migrate()` on open (default true). */
  migrate?: boolean;
  /** Fail with "no database at PATH" rather than create an empty SQLite file or file-store directory. */
  mustExist?: boolean;
  /** Checks of flags against the configuration, run before the store is opened. */
  check?(config: Config): void;
}

/** Opens the configured store, runs `work`, closes it. */
export async function withStore<T>(opts: Common, work: (store: SessionStore, config: Config) => Promise<T>, use: StoreUse = {}): Promise<T> {
  const cfg = await config(opts);
  use.check?.(cfg);
  if (use.mustExist) requireExistingDatabase(storeUrlFromConfig(cfg), opts.db ? '--db' : 'the configuration');
  const store = await openStoreFromConfig(cfg, { migrate: use.migrate ?? true });
  try {
    return await work(store, cfg);
  } finally {
    await store.close();
  }
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

/** A time given as epoch milliseconds or as an ISO 8601 date (`2026-11-21`, `2026-11-21T09:30:00Z`). */
function timeArg(name: string) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} must be a time (ISO 8601 such as 2026-11-21T09:30:00Z, or epoch milliseconds), got "${value}"`);
    return n;
  };
}

/** `--limit`/`--batch` above the largest page the store serves is bad usage (exit 2), not a failure. */
function checkPageSize(flag: string, value: number | undefined, limits: Partial<Limits>): void {
  const max = resolveLimits(limits).maxPageSize;
  if (value !== undefined && value > max) throw new UsageError(`${flag} must be at most ${max} (limits.maxPageSize), got ${value}`);
}

/** Fails with a clear message when a file the command reads does not exist. */
function requireFile(path: string, what: string, flag: string): void {
  if (!existsSync(path)) throw new SessionDbError('not_found', `no ${what} at ${resolve(path)} (from ${flag})`);
}

/** Sessions `loadStore` skipped so far: its progress counts carry them, though typed as plain dump counts. */
const skipped = (counts: object): number => (counts as { skippedSessions?: number }).skippedSessions ?? 0;

/** `loadStore` with a progress display; the total comes from the dump's end record. */
async function loadWithProgress(store: SessionStore, path: string, options: { replace: boolean; json: boolean }) {
  const bar = progress('load', await dumpTotals(path), { json: options.json });
  try {
    return await loadStore(store, path, { replace: options.replace, onProgress: (c) => bar.update(c.sessions + skipped(c), { events: c.events }) });
  } finally {
    bar.stop();
  }
}

/** `copyStore` with a progress display. */
async function copyWithProgress(from: SessionStore, to: SessionStore, options: { json: boolean; batchSize?: number; concurrency?: number }) {
  const bar = progress('copy', (await from.stats()).sessions, { json: options.json });
  try {
    return await copyStore(from, to, { batchSize: options.batchSize, concurrency: options.concurrency, onProgress: (p) => bar.update(p.sessions, { events: p.events }) });
  } finally {
    bar.stop();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function buildProgram(): Command {
  const program = new Command()
    .name('sessiondb')
    .description('Keep LLM chat and agent sessions: inspect, export, prune, copy, back up and restore a sessiondb store.')
    .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const common = (cmd: Command) =>
    cmd
      .option('--db <url>', 'store URL (sqlite:FILE, postgres://…, file:DIR, memory:); default from config or SESSIONDB_URL')
      .option('--config <path>', 'config file (default: sessiondb.config.{yaml,yml,toml,json} in the working directory)');

  common(program.command('migrate'))
    .description('create or upgrade the schema (safe to run again; run it over a direct connection, not a pooler); a long step, such as building the search index over stored events, shows its progress on stderr')
    .option('--status', 'only show the schema version and pending migrations')
    .addHelpText('after', '\nExamples:\n  sessiondb migrate --db sqlite:./data/sessions.db\n  sessiondb migrate --status --db postgres://app@db:5432/app')
    .action(async (opts) => {
      await withStore(
        opts,
        async (store) => {
          if (!opts.status) await store.migrate({ onProgress: migrationProgress() });
          const s = await store.migrationStatus();
          out(
            `${store.kind}: schema version ${s.current} of ${s.latest}` +
              (s.pending.length ? `; pending: ${s.pending.map((m) => `${m.version} (${m.description})`).join(', ')}` : '; up to date'),
          );
          if (opts.status && s.pending.length) process.exitCode = 1;
        },
        { migrate: false, mustExist: !!opts.status },
      );
    });

  common(program.command('stats'))
    .description('totals: sessions by status, events, state keys, file records, storage bytes')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  sessiondb stats --json')
    .action(async (opts) => {
      await withStore(opts, async (store) => {
        const s = await store.stats(opts.tenant ? { tenant: opts.tenant } : {});
        if (opts.json) return out(JSON.stringify({ store: store.kind, ...s }));
        out(
          table([
            ['store', store.kind],
            ['sessions', `${s.sessions} (${s.activeSessions} active, ${s.archivedSessions} archived, ${s.expiredSessions} expired)`],
            ['events', String(s.events)],
            ['state keys', String(s.stateKeys)],
            ['file records', String(s.files)],
            ['bytes', String(s.bytes)],
          ]),
        );
      }, { mustExist: true });
    });

  common(program.command('ls'))
    .description('list sessions, most recently updated last (add --desc for newest first)')
    .option('--tenant <tenant>', 'tenant (default "default")')
    .option('--app <app>', 'only this app')
    .option('--user <user>', 'only this user (needs --app)')
    .addOption(new Option('--status <status>', 'only this status').choices(SESSION_STATUSES))
    .option('--desc', 'newest first')
    .option('--limit <n>', 'sessions per page (default 50)', positiveInt('--limit'))
    .option('--cursor <cursor>', 'the cursor printed after the previous page')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  sessiondb ls --app shop --user u1\n  sessiondb ls --status archived --desc --limit 20')
    .action(async (opts) => {
      if (opts.user && !opts.app) throw new UsageError('--user needs --app (a user id is only unique within an app)');
      await withStore(opts, async (store) => {
        const page = await store.listSessions({
          tenant: opts.tenant,
          appName: opts.app,
          userId: opts.user,
          status: opts.status as SessionStatus | undefined,
          order: opts.desc ? 'desc' : 'asc',
          limit: opts.limit,
          cursor: opts.cursor,
        });
        if (opts.json) return out(JSON.stringify(page));
        if (!page.sessions.length) return out('no sessions');
        out(
          table([
            ['UPDATED', 'APP', 'USER', 'SESSION', 'STATUS', 'EVENTS'],
            ...page.sessions.map((s) => [new Date(s.updatedAt).toISOString(), s.appName, s.userId, s.id, s.status, String(s.eventCount)]),
          ]),
        );
        if (page.nextCursor) out(`\nmore: --cursor ${page.nextCursor}`);
      }, { mustExist: true, check: (cfg) => checkPageSize('--limit', opts.limit, cfg.limits) });
    });

  common(program.command('show'))
    .description('print the transcript of one session')
    .argument('<app>')
    .argument('<user>')
    .argument('<session>')
    .option('--tenant <tenant>', 'tenant (default "default")')
    .addHelpText('after', '\nExample:\n  sessiondb show shop u1 s1')
    .action(async (app, user, session, opts) => {
      await withStore(opts, async (store) => {
        const text = await exportSession(store, { tenant: opts.tenant, appName: app, userId: user, sessionId: session }, 'text');
        if (text === null) throw new SessionDbError('not_found', `No session ${app}/${user}/${session}.`);
        out(text);
      }, { mustExist: true });
    });

  common(program.command('export'))
    .description('export one session as JSON (complete), Markdown or text')
    .argument('<app>')
    .argument('<user>')
    .argument('<session>')
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('json'))
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--tenant <tenant>', 'tenant (default "default")')
    .option('--superseded', 'also the events rewinds superseded (JSON: a "superseded" array; Markdown and text: a marked section after the history)')
    .addHelpText('after', '\nExamples:\n  sessiondb export shop u1 s1 --format markdown --out s1.md\n  sessiondb export shop u1 s1 --format text --superseded')
    .action(async (app, user, session, opts) => {
      await withStore(opts, async (store) => {
        const key = { tenant: opts.tenant, appName: app, userId: user, sessionId: session };
        const text = await exportSession(store, key, opts.format as ExportFormat, { includeSuperseded: !!opts.superseded });
        if (text === null) throw new SessionDbError('not_found', `No session ${app}/${user}/${session}.`);
        if (opts.out) {
          await writeFile(opts.out, text);
          process.stderr.write(`wrote ${opts.out} (${Buffer.byteLength(text)} bytes)\n`);
        } else out(text);
      }, { mustExist: true });
    });

  common(program.command('search'))
    .description('full-text search over event content and session titles, best first')
    .argument('<query>', 'words (all must occur), "a phrase", -excluded, prefix*')
    .option('--tenant <tenant>', 'tenant (default "default")')
    .option('--app <app>', 'only this app')
    .option('--user <user>', 'only this user')
    .option('--session <session>', 'only this session')
    .addOption(new Option('--role <role>', 'only events with this role (no title hits)').choices(EVENT_ROLES))
    .option('--author <author>', 'only events by this author (no title hits)')
    .addOption(new Option('--status <status>', 'only sessions with this status').choices(SESSION_STATUSES))
    .option('--after <time>', 'only events at or after this time (ISO 8601 or epoch ms)', timeArg('--after'))
    .option('--before <time>', 'only events before this time (ISO 8601 or epoch ms)', timeArg('--before'))
    .option('--limit <n>', 'hits per page (default 20)', positiveInt('--limit'))
    .option('--cursor <cursor>', 'the cursor printed after the previous page (same query and filters)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  sessiondb search "refund policy" --app shop\n  sessiondb search \'"order 1042" -cancelled\' --role assistant --limit 5 --json')
    .action(async (query, opts) => {
      try {
        parseSearchQuery('query', query); // a query no store can run is bad usage, found before any store is opened
      } catch (err) {
        if (err instanceof SessionDbError) throw new UsageError(err.message);
        throw err;
      }
      await withStore(opts, async (store) => {
        const page = await store.searchEvents({
          query,
          tenant: opts.tenant,
          appName: opts.app,
          userId: opts.user,
          sessionId: opts.session,
          role: opts.role as EventRole | undefined,
          author: opts.author,
          status: opts.status as SessionStatus | undefined,
          after: opts.after,
          before: opts.before,
          limit: opts.limit,
          cursor: opts.cursor,
        });
        if (opts.json) return out(JSON.stringify(page));
        if (!page.hits.length) return out('no hits');
        out(renderHits(page.hits, { bold: !!process.stdout.isTTY && !process.env['NO_COLOR'] }));
        if (page.nextCursor) out(`\nmore: --cursor ${page.nextCursor}`);
      }, { mustExist: true, check: (cfg) => checkPageSize('--limit', opts.limit, cfg.limits) });
    });

  common(program.command('fork'))
    .description("copy a session's events up to a seq, with its state exactly as it was then, into a new session (the source is not changed)")
    .argument('<app>')
    .argument('<user>')
    .argument('<session>')
    .option('--to-seq <n>', 'the last event the fork keeps (default: the last; 0: none)', nonNegativeInt('--to-seq'))
    .option('--new-id <id>', "the new session's id (default: a new UUIDv7)")
    .option('--to-user <user>', 'fork into another user of the same app')
    .option('--tenant <tenant>', 'tenant (default "default")')
    .option('--json', 'print the new session as JSON')
    .addHelpText('after', '\nExamples:\n  sessiondb fork shop u1 s1 --to-seq 4 --new-id s1-retry\n  sessiondb fork shop u1 s1 --to-user u2 --json')
    .action(async (app, user, session, opts) => {
      await withStore(opts, async (store) => {
        const fork = await forkSession(store, { tenant: opts.tenant, appName: app, userId: user, sessionId: session }, { upToSeq: opts.toSeq, newSessionId: opts.newId, userId: opts.toUser });
        if (opts.json) return out(JSON.stringify(fork));
        out(`forked ${app}/${user}/${session} up to seq ${fork.eventCount} into ${fork.appName}/${fork.userId}/${fork.id} (${fork.eventCount} events)`);
      }, { mustExist: true });
    });

  common(program.command('rewind'))
    .description('end a session\'s visible history at a seq again: later events are kept as superseded (see export --superseded), its own state goes back to what it was then')
    .argument('<app>')
    .argument('<user>')
    .argument('<session>')
    .requiredOption('--to-seq <n>', 'the seq the history ends at afterwards (0: no events)', nonNegativeInt('--to-seq'))
    .option('--expect-version <v>', 'rewind only if the session is at this version (else exit 1, nothing changed)', nonNegativeInt('--expect-version'))
    .option('--tenant <tenant>', 'tenant (default "default")')
    .option('--json', 'print { session, superseded } as JSON')
    .addHelpText('after', '\nExample:\n  sessiondb rewind shop u1 s1 --to-seq 4 --expect-version 9')
    .action(async (app, user, session, opts) => {
      await withStore(opts, async (store) => {
        const r = await store.rewindSession({ tenant: opts.tenant, appName: app, userId: user, sessionId: session }, { toSeq: opts.toSeq }, { expectVersion: opts.expectVersion });
        if (opts.json) return out(JSON.stringify(r));
        const name = `${app}/${user}/${session}`;
        out(
          r.superseded
            ? `rewound ${name} to seq ${opts.toSeq}: ${r.superseded} event${r.superseded === 1 ? '' : 's'} superseded (version ${r.session.version}, at ${formatTime(r.session.updatedAt)})`
            : `${name} already ends at seq ${opts.toSeq}: nothing superseded (version ${r.session.version})`,
        );
      }, { mustExist: true });
    });

  common(program.command('prune'))
    .description('expire idle sessions (and those past their expiry time) and delete expired file records')
    .option('--older-than-hours <hours>', 'idle time (default: the configured expiryHours)', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--older-than-hours must be a non-negative number, got "${v}"`);
      return n;
    })
    .addOption(new Option('--mode <mode>', 'mark them expired, or delete them (default: the configured onExpire)').choices(['mark', 'delete'] as const))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  sessiondb prune --older-than-hours 720 --mode delete')
    .action(async (opts) => {
      await withStore(opts, async (store, cfg) => {
        const hours = opts.olderThanHours ?? cfg.manager.expiryHours;
        const now = Date.now();
        const mode = opts.mode ?? cfg.manager.onExpire;
        const r = await store.sweepExpired({ now, idleBefore: hours === null ? undefined : now - hours * 3_600_000, mode });
        out(opts.json ? JSON.stringify({ mode, ...r }) : `${mode === 'delete' ? 'deleted' : 'marked expired'}: ${r.sessions} sessions; deleted ${r.files} expired file records`);
      }, { mustExist: true });
    });

  common(program.command('vacuum'))
    .description('reclaim space (SQLite: VACUUM and WAL truncation; PostgreSQL: VACUUM ANALYZE of the tables)')
    .addHelpText('after', '\nExample:\n  sessiondb vacuum --db sqlite:./data/sessions.db')
    .action(async (opts) => {
      await withStore(opts, async (store) => {
        if (!store.vacuum) return out(`${store.kind}: nothing to vacuum`);
        await store.vacuum();
        out(`${store.kind}: vacuumed`);
      }, { mustExist: true });
    });

  common(program.command('dump'))
    .description('write everything to a JSON Lines file (versioned; streams, any size)')
    .requiredOption('--out <file>', 'the dump file to write')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  sessiondb dump --out sessions.jsonl')
    .action(async (opts) => {
      await withStore(opts, async (store) => {
        const total = (await store.stats()).sessions;
        const bar = progress('dump', total, { json: !!opts.json });
        const counts = await dumpStore(store, opts.out, { onProgress: (c) => bar.update(c.sessions, { events: c.events }) });
        bar.stop();
        out(opts.json ? JSON.stringify({ file: opts.out, ...counts }) : `dumped ${counts.sessions} sessions, ${counts.events} events, ${counts.appStates + counts.userStates} shared states, ${counts.files} file records to ${opts.out}`);
      }, { mustExist: true });
    });

  common(program.command('load'))
    .description('load a dump (sessions that exist are skipped, or replaced with --replace)')
    .requiredOption('--in <file>', 'the dump file to read')
    .option('--replace', 'replace sessions that already exist')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  sessiondb load --in sessions.jsonl --db postgres://app@db:5432/app')
    .action(async (opts) => {
      requireFile(opts.in, 'dump', '--in');
      await withStore(opts, async (store) => {
        const counts = await loadWithProgress(store, opts.in, { replace: !!opts.replace, json: !!opts.json });
        out(opts.json ? JSON.stringify(counts) : `loaded ${counts.sessions} sessions (${counts.skippedSessions} already there), ${counts.events} events, ${counts.appStates + counts.userStates} shared states, ${counts.files} file records`);
      });
    });

  common(program.command('backup'))
    .description('a timestamped dump in a directory (and, for SQLite, an online copy of the database file)')
    .requiredOption('--dir <dir>', 'where to write the backup')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  sessiondb backup --dir ./backups')
    .action(async (opts) => {
      await withStore(opts, async (store) => {
        const r = await backupStore(store, opts.dir);
        out(opts.json ? JSON.stringify(r) : `backup: ${r.dump}${r.database ? ` and ${r.database}` : ''} (${r.counts.sessions} sessions, ${r.counts.events} events)`);
      }, { mustExist: true });
    });

  common(program.command('restore'))
    .description('restore from a backup: a .jsonl dump, or a SQLite .db copy')
    .argument('<file>')
    .option('--replace', 'replace sessions that already exist')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  sessiondb restore ./backups/sessiondb-20261121-093000Z.jsonl\n  sessiondb restore ./backups/sessiondb-20261121-093000Z.db --db postgres://app@db/app')
    .action(async (file, opts) => {
      const fromDatabase = /\.(db|sqlite3?)$/i.test(file);
      if (fromDatabase) requireExistingDatabase(`sqlite:${file}`, 'the file to restore');
      else requireFile(file, 'dump', 'the file to restore');
      await withStore(opts, async (store, cfg) => {
        if (fromDatabase) {
          // A backup of an encrypted database holds sealed values: read it with the same keys.
          const source = encryptedFromConfig(cfg, await openStore(`sqlite:${file}`, { migrate: false }));
          try {
            const r = await copyWithProgress(source, store, { json: !!opts.json });
            out(opts.json ? JSON.stringify(r) : `restored ${r.sessions} sessions (${r.skippedSessions} already there), ${r.events} events from ${file}`);
          } finally {
            await source.close();
          }
        } else {
          const r = await loadWithProgress(store, file, { replace: !!opts.replace, json: !!opts.json });
          out(opts.json ? JSON.stringify(r) : `restored ${r.sessions} sessions (${r.skippedSessions} already there), ${r.events} events from ${file}`);
        }
      });
    });

  program
    .command('copy')
    .description('copy every session, event, state and file record from one store to another; safe to run again after an interruption')
    .requiredOption('--from <url>', 'source store URL')
    .requiredOption('--to <url>', 'destination store URL (migrated first)')
    .option('--verify', 'then compare counts and per-session checksums; exit 1 naming any session that differs')
    .option('--batch <n>', 'sessions per page read (default 500)', positiveInt('--batch'))
    .option('--concurrency <n>', 'sessions copied at once (default 8)', positiveInt('--concurrency'))
    .option('--json', 'print the summary as JSON (no progress output)')
    .addHelpText('after', '\nExample:\n  sessiondb copy --from sqlite:./data/sessions.db --to postgres://app@db:5432/app --verify')
    .action(async (opts) => {
      checkPageSize('--batch', opts.batch, {});
      requireExistingDatabase(opts.from, '--from');
      const from = await openStore(opts.from, { migrate: false });
      try {
        const to = await openStore(opts.to);
        try {
          const summary = await copyWithProgress(from, to, { json: !!opts.json, batchSize: opts.batch, concurrency: opts.concurrency });
          const result: Record<string, unknown> = { ...summary };
          if (opts.verify) result['verify'] = await verifyCopy(from, to, { batchSize: opts.batch, concurrency: opts.concurrency });
          if (opts.json) out(JSON.stringify(result));
          else {
            out(
              `copied ${summary.sessions} sessions (${summary.skippedSessions} already there), ${summary.events} events, ` +
                `${summary.stateRows} state rows, ${summary.files} file records in ${summary.seconds.toFixed(1)} s`,
            );
            const v = result['verify'] as Awaited<ReturnType<typeof verifyCopy>> | undefined;
            if (v) {
              out(v.ok ? `verified: ${v.sessions.source} sessions and ${v.events.source} events match` : `verify FAILED:\n  ${v.differences.slice(0, 50).join('\n  ')}${v.differences.length > 50 ? `\n  … and ${v.differences.length - 50} more` : ''}`);
            }
          }
          if (opts.verify && !(result['verify'] as { ok: boolean }).ok) process.exitCode = 1;
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });

  common(program.command('import-adk'))
    .description("copy a Google ADK DatabaseSessionService database (SQLite or PostgreSQL) into this store; safe to run again")
    .requiredOption('--from <url>', "ADK's database URL, e.g. sqlite://./adk.db or postgres://…")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  sessiondb import-adk --from sqlite://./adk_sessions.db --db sqlite:./data/sessions.db')
    .action(async (opts) => {
      let importAdkDatabase: typeof import('../adapters/adk/import-adk.js').importAdkDatabase;
      try {
        ({ importAdkDatabase } = await import('../adapters/adk/import-adk.js'));
      } catch (err) {
        throw new SessionDbError('missing_dependency', `import-adk needs the "@google/adk" package: npm install @google/adk (${(err as Error).message})`);
      }
      await withStore(opts, async (store) => {
        const r = await importAdkDatabase(opts.from, store);
        out(opts.json ? JSON.stringify(r) : `imported ${r.sessions} sessions (${r.resumedSessions} resumed), ${r.events} events, ${r.appStates} app states, ${r.userStates} user states`);
      });
    });

  rekeyCommand(common(program.command('rekey')), withStore);

  common(program.command('serve'))
    .description('run the HTTP API and the web console (default: SQLite in ./data, http://127.0.0.1:8787, console at /ui/)')
    .option('--port <port>', 'port (default 8787; 0 picks a free one)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0-65535, got "${v}"`);
      return n;
    })
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--insecure', 'allow listening beyond loopback without API keys')
    .option('--no-console', 'do not serve the web console at /ui/')
    .addHelpText('after', '\nExample:\n  sessiondb serve --db sqlite:./data/sessions.db --port 8787')
    .action(async (opts) => {
      const flags: Record<string, unknown> = {};
      if (opts.db) flags['url'] = opts.db;
      const server: Record<string, unknown> = {};
      if (opts.port !== undefined) server['port'] = opts.port;
      if (opts.host) server['host'] = opts.host;
      if (opts.console === false) server['console'] = false;
      if (Object.keys(server).length) flags['server'] = server;
      const { config: cfg } = await loadConfig({ configPath: opts.config, flags });
      const { startServer } = await import('../server/serve.js');
      const running = await startServer(cfg, { insecure: !!opts.insecure });
      // The handlers go in before the line that tells a supervisor the server is up: a SIGTERM sent
      // the moment it reads that line must stop the server gracefully, not kill it.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => void running.stop().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      process.stdout.write(`sessiondb listening on ${running.url}\n`);
      await stopped;
    });

  common(program.command('mcp'))
    .description(
      'serve the stored sessions to an MCP client (a desktop assistant, an IDE, an agent) over stdio: tools to list, search, read and continue them, ' +
        'and each transcript as a resource. Standard output carries only the protocol; logs go to stderr',
    )
    .option('--tenant <tenant>', 'the tenant the tools see (default "default")')
    .option('--read-only', 'leave out every tool that writes (create_session, append_message, fork_session, archive_session)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  sessiondb mcp --db sqlite:./data/sessions.db --read-only',
        '  sessiondb mcp --db postgres://app@db:5432/app --tenant acme',
        '',
        'In an MCP client\'s configuration (e.g. a desktop assistant\'s mcpServers):',
        '  {',
        '    "mcpServers": {',
        '      "sessiondb": {',
        '        "command": "npx",',
        '        "args": ["sessiondb", "mcp", "--db", "sqlite:/home/me/data/sessions.db", "--read-only"]',
        '      }',
        '    }',
        '  }',
      ].join('\n'),
    )
    .action(async (opts) => {
      const flags: Record<string, unknown> = {};
      if (opts.db) flags['url'] = opts.db;
      if (opts.readOnly) flags['mcp'] = { readOnly: true };
      const { config: cfg } = await loadConfig({ configPath: opts.config, flags });
      // Read-only, an empty new database would have nothing to read: refuse a path that does not exist, as ls does.
      if (cfg.mcp.readOnly) requireExistingDatabase(storeUrlFromConfig(cfg), opts.db ? '--db' : 'the configuration');
      const { runMcpStdio } = await import('../mcp/stdio.js');
      await runMcpStdio(cfg, { tenant: opts.tenant });
    });

  program
    .command('config')
    .description('print the configuration in effect (API keys and passwords redacted) and where it came from')
    .option('--config <path>', 'config file')
    .option('--db <url>', 'store URL')
    .addHelpText('after', '\nExamples:\n  sessiondb config\n  sessiondb config --config ./sessiondb.config.yaml --db postgres://app:secret@db:5432/app')
    .action(async (opts) => {
      const loaded = await loadConfig({ configPath: opts.config, flags: opts.db ? { url: opts.db } : {} });
      out(JSON.stringify(redactConfig({ ...loaded.config, url: storeUrlFromConfig(loaded.config), sources: loaded.sources }), null, 2));
    });

  return program;
}

/** Runs the command line `argv` (without the node and script paths); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n(run with --help for usage)\n`);
      return 2;
    }
    const message = err instanceof SessionDbError ? err.message : `${(err as Error).message ?? err}`;
    process.stderr.write(`error: ${redactText(message)}\n`);
    return 1;
  }
}

// `node dist/cli/main.js …` runs the command too (the package's bin is bin.js). Compared by
// real path, so a symlinked or relative argv[1] still counts; importing this module runs nothing.
if (isMainModule(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

function isMainModule(argv1: string | undefined): boolean {
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

import type { Plan } from './config.js';
import type { SearchPlan, SearchResult } from './search/run.js';
import type { MachineInfo, Versions } from './machine.js';
import type { Measurement } from './run.js';
import { FLUSH_OFF_SETTING } from './systems/postgres.js';
import type { Backend, SystemKind, Variant } from './systems/system.js';

export interface TargetCheck {
  target: string;
  measured: string;
  /** Null when the figures were not measured (a backend left out with --only, or a failed workload). */
  pass: boolean | null;
}

const check = (ratio: number, ok: (x: number) => boolean): boolean | null => (Number.isFinite(ratio) ? ok(ratio) : null);

/** Everything one run produced: bench/results/latest.json. */
export interface SuiteResult {
  suite: 'sessiondb bench';
  mode: Plan['mode'];
  startedAt: string;
  durationSeconds: number;
  command: string;
  machine: MachineInfo;
  versions: Versions;
  notes: string[];
  plan: Plan;
  measurements: Measurement[];
  /** Absent when PostgreSQL was left out (--only sqlite). */
  flushOff?: FlushOffSection;
  /** The search benchmark (bench/suite/search); absent when left out by --only. */
  search?: { plan: SearchPlan; results: SearchResult[] };
  targets: TargetCheck[];
}

export const FLUSH_OFF_TITLE = 'PostgreSQL, commit flush off for every system (software overhead only)';

/**
 * Workload 1 on PostgreSQL with synchronous_commit = off for all four systems:
 * what each system's software costs once no commit waits for the disk. Its
 * measurements are those with `variant: 'flush-off'`.
 */
export interface FlushOffSection {
  title: typeof FLUSH_OFF_TITLE;
  /** Always false: a crash can lose the last acknowledged commits. Not the configuration the targets are checked on. */
  durable: false;
  setting: typeof FLUSH_OFF_SETTING;
  /** What each system's own connection reported for synchronous_commit before the rounds. */
  synchronousCommit: Record<string, string>;
  note: string;
  /** Per system: flush-off rate and ratios, next to the standard (durable) run's. */
  systems: {
    system: SystemKind;
    label: string;
    opsPerSec: number | null;
    vsFloor: number | null;
    vsAdk: number | null;
    durableOpsPerSec: number | null;
    durableVsFloor: number | null;
    durableVsAdk: number | null;
  }[];
}

const BACKEND_TITLES: Record<Backend, string> = {
  sqlite: 'SQLite: a file in a temporary directory, WAL, synchronous=NORMAL',
  postgres: 'PostgreSQL: the local server, one connection per writer (8)',
  mongodb: 'MongoDB: the server at MONGODB_URL, up to one connection per writer (8), write concern majority',
  redis: 'Redis: the local server with its own persistence settings, one connection',
};

function find(ms: readonly Measurement[], backend: Backend, workload: string, system: SystemKind, variant: Variant = 'standard'): Measurement | undefined {
  return ms.find((m) => m.backend === backend && m.variant === variant && m.workload === workload && m.system === system);
}

const rate = (m: Measurement | undefined) => m?.median?.opsPerSec ?? NaN;
const percent = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
const times = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x` : 'n/a');
/** A ratio with one decimal, for the targets (49.6x must not print as 50x next to a FAIL). */
const times1 = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}x` : 'n/a');
const finite = (x: number) => (Number.isFinite(x) ? x : null);
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** One Markdown table per backend: every workload and system, medians of rounds, ratios to the floor and to ADK. */
export function markdownTables(measurements: readonly Measurement[]): string {
  const lines: string[] = [];
  for (const backend of ['sqlite', 'postgres', 'redis', 'mongodb'] as const) {
    const rows = measurements.filter((m) => m.backend === backend && m.variant === 'standard');
    if (rows.length === 0) continue;
    lines.push(`### ${BACKEND_TITLES[backend]}`, '');
    lines.push('| workload | system | calls/round | ops/s | p50 ms | p99 ms | vs floor | vs ADK |');
    lines.push('|---|---|--:|--:|--:|--:|--:|--:|');
    for (const m of rows) {
      const cells = m.median
        ? [
            Math.round(m.median.opsPerSec).toLocaleString('en-US'),
            ms(m.median.p50Ms),
            ms(m.median.p99Ms),
            percent(m.median.opsPerSec / rate(find(rows, backend, m.workload, 'floor'))),
            times(m.median.opsPerSec / rate(find(rows, backend, m.workload, 'adk'))),
          ]
        : [`n/a: ${m.error ?? 'not run'}`, '', '', '', ''];
      lines.push(`| ${m.title} | ${m.label} | ${m.iterations.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const FLUSH_OFF_NOTE =
  'NOT the durable configuration: synchronous_commit = off for all four systems (ALTER DATABASE on the two fresh databases this section uses; ' +
  "each system's connection reported off before the rounds), so no commit waits for its WAL flush, and a server crash can lose the last commits " +
  'acknowledged (no corruption). Durability is equal across the systems (none), so the ratios show software overhead and round trips only. ' +
  'The durable figures, and the targets, are those of the table above.';

/** The flush-off section of latest.json; null when it did not run. */
export function flushOffSection(measurements: readonly Measurement[], synchronousCommit: Record<string, string> | undefined): FlushOffSection | null {
  const rows = measurements.filter((m) => m.variant === 'flush-off' && m.workload === 'append-sequential');
  if (rows.length === 0 || !synchronousCommit) return null;
  const off = (kind: SystemKind) => rate(find(measurements, 'postgres', 'append-sequential', kind, 'flush-off'));
  const durable = (kind: SystemKind) => rate(find(measurements, 'postgres', 'append-sequential', kind));
  return {
    title: FLUSH_OFF_TITLE,
    durable: false,
    setting: FLUSH_OFF_SETTING,
    synchronousCommit,
    note: FLUSH_OFF_NOTE,
    systems: rows.map((m) => ({
      system: m.system,
      label: m.label,
      opsPerSec: finite(off(m.system)),
      vsFloor: finite(off(m.system) / off('floor')),
      vsAdk: finite(off(m.system) / off('adk')),
      durableOpsPerSec: finite(durable(m.system)),
      durableVsFloor: finite(durable(m.system) / durable('floor')),
      durableVsAdk: finite(durable(m.system) / durable('adk')),
    })),
  };
}

/** The flush-off section as Markdown: its table, with the durable run's rates and ratios beside it. */
export function flushOffMarkdown(measurements: readonly Measurement[], section: FlushOffSection | null, plan: Plan): string {
  if (!section) return '';
  const lines = [`### ${section.title}`, '', `${section.note} Workload 1 only; medians of ${plan.flushOff.rounds} rounds after a warm-up round.`, ''];
  lines.push('| workload | system | calls/round | ops/s | p50 ms | p99 ms | vs floor | vs ADK | durable: ops/s | durable: vs floor | durable: vs ADK |');
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of section.systems) {
    const m = find(measurements, 'postgres', 'append-sequential', s.system, 'flush-off')!;
    const cells = m.median
      ? [Math.round(m.median.opsPerSec).toLocaleString('en-US'), ms(m.median.p50Ms), ms(m.median.p99Ms), percent(s.vsFloor ?? NaN), times(s.vsAdk ?? NaN)]
      : [`n/a: ${m.error ?? 'not run'}`, '', '', '', ''];
    const durable = [s.durableOpsPerSec === null ? 'n/a' : Math.round(s.durableOpsPerSec).toLocaleString('en-US'), percent(s.durableVsFloor ?? NaN), times(s.durableVsAdk ?? NaN)];
    lines.push(`| ${m.title} | ${m.label} | ${m.iterations.toLocaleString('en-US')} | ${[...cells, ...durable].join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The issue's targets, each with its measured figure. */
export function checkTargets(measurements: readonly Measurement[], plan: Plan): TargetCheck[] {
  const out: TargetCheck[] = [];
  const appendTargets = [
    { backend: 'sqlite', name: 'SQLite', floor: 0.6, adk: 50 },
    { backend: 'postgres', name: 'PostgreSQL', floor: 0.8, adk: 10 },
  ] as const;
  for (const t of appendTargets) {
    const store = rate(find(measurements, t.backend, 'append-sequential', 'store'));
    const floor = rate(find(measurements, t.backend, 'append-sequential', 'floor'));
    const service = rate(find(measurements, t.backend, 'append-sequential', 'adk-service'));
    const adk = rate(find(measurements, t.backend, 'append-sequential', 'adk'));
    out.push({ target: `${t.name} appends: ${t.name === 'SQLite' ? 'SqliteStore' : 'PostgresStore'} >= ${t.floor * 100} % of the raw floor`, measured: percent(store / floor), pass: check(store / floor, (x) => x >= t.floor) });
    // The floor's own ratio to ADK is the ceiling of this one; on PostgreSQL, with every commit's
    // flush taken out for all four systems, the flush-off section shows the software's ratio.
    let measured = `${times1(service / adk)} (the raw floor itself: ${times1(floor / adk)}`;
    if (t.backend === 'postgres') {
      const off = (kind: SystemKind) => rate(find(measurements, 'postgres', 'append-sequential', kind, 'flush-off'));
      if (Number.isFinite(off('adk-service') / off('adk'))) {
        measured += `; commit flush off for every system, not durable: ${times1(off('adk-service') / off('adk'))}, the floor ${times1(off('floor') / off('adk'))}`;
      }
    }
    out.push({ target: `${t.name} appends: AdkSessionService >= ${t.adk}x ADK's DatabaseSessionService`, measured: `${measured})`, pass: check(service / adk, (x) => x >= t.adk) });
  }
  for (const workload of ['append-sequential', 'append-concurrent'] as const) {
    const ratio = rate(find(measurements, 'redis', workload, 'store')) / rate(find(measurements, 'redis', workload, 'floor'));
    const what = workload === 'append-sequential' ? 'one awaited append at a time' : `${plan.concurrent.writers} concurrent writers`;
    out.push({ target: `Redis appends (${what}): RedisStore >= 80 % of the raw floor`, measured: percent(ratio), pass: check(ratio, (x) => x >= 0.8) });
  }
  const [smallest, largest] = [Math.min(...plan.lastSizes), Math.max(...plan.lastSizes)];
  const scaling = [['sqlite', 'SQLite', 'SqliteStore'], ['postgres', 'PostgreSQL', 'PostgresStore'], ['redis', 'Redis', 'RedisStore'], ['mongodb', 'MongoDB', 'MongoStore']] as const;
  for (const [backend, name, label] of scaling) {
    // MongoDB runs only with MONGODB_URL: without it its checks are left out, not reported n/a.
    if (backend === 'mongodb' && !measurements.some((m) => m.backend === 'mongodb')) continue;
    const p50 = (workload: string) => find(measurements, backend, workload, 'store')?.median?.p50Ms ?? NaN;
    const reads = p50(`read-last-${largest}`) / p50(`read-last-${smallest}`);
    out.push({
      target: `${name}: ${label} last-${plan.lastN} read at ${largest.toLocaleString('en-US')} events within 2x of at ${smallest}`,
      measured: `${times(reads)} (p50 ${ms(p50(`read-last-${largest}`))} vs ${ms(p50(`read-last-${smallest}`))} ms)`,
      pass: check(reads, (x) => x <= 2),
    });
    const pages = p50('list-deep') / p50('list-first');
    out.push({
      target: `${name}: ${label} list page ${plan.listing.deepPage} (cursor) within 2x of the first page`,
      measured: `${times(pages)} (p50 ${ms(p50('list-deep'))} vs ${ms(p50('list-first'))} ms)`,
      pass: check(pages, (x) => x <= 2),
    });
  }
  return out;
}

export function targetLines(targets: readonly TargetCheck[]): string {
  return ['Targets:', ...targets.map((t) => `- ${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.measured}`)].join('\n');
}

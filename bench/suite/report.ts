import type { Plan } from './config.js';
import type { MachineInfo, Versions } from './machine.js';
import type { Measurement } from './run.js';
import type { Backend, SystemKind } from './systems/system.js';

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
  targets: TargetCheck[];
}

const BACKEND_TITLES: Record<Backend, string> = {
  sqlite: 'SQLite: a file in a temporary directory, WAL, synchronous=NORMAL',
  postgres: 'PostgreSQL: the local server, one connection per writer (8)',
};

function find(ms: readonly Measurement[], backend: Backend, workload: string, system: SystemKind): Measurement | undefined {
  return ms.find((m) => m.backend === backend && m.workload === workload && m.system === system);
}

const rate = (m: Measurement | undefined) => m?.median?.opsPerSec ?? NaN;
const percent = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
const times = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x` : 'n/a');
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** One Markdown table per backend: every workload and system, medians of rounds, ratios to the floor and to ADK. */
export function markdownTables(measurements: readonly Measurement[]): string {
  const lines: string[] = [];
  for (const backend of ['sqlite', 'postgres'] as const) {
    const rows = measurements.filter((m) => m.backend === backend);
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
    out.push({ target: `${t.name} appends: AdkSessionService >= ${t.adk}x ADK's DatabaseSessionService`, measured: times(service / adk), pass: check(service / adk, (x) => x >= t.adk) });
  }
  const [smallest, largest] = [Math.min(...plan.lastSizes), Math.max(...plan.lastSizes)];
  for (const [backend, name, label] of [['sqlite', 'SQLite', 'SqliteStore'], ['postgres', 'PostgreSQL', 'PostgresStore']] as const) {
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

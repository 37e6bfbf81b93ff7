import { BaseSessionService } from '@google/adk';
import { AdkSessionService } from '../../src/adapters/adk/index.js';
import type { Plan } from './config.js';
import { medianOfRounds, type RoundResult } from './stats.js';
import type { Arena, Backend, SystemKind, Variant } from './systems/system.js';
import { prepareReadFixtures, readWorkloads, writeWorkloads, type ReadFixtures, type Workload } from './workloads.js';

/** Every round of one workload on one system, and their medians. */
export interface Measurement {
  backend: Backend;
  /** `flush-off`: PostgreSQL with synchronous_commit = off for every system; not durable (see Variant). */
  variant: Variant;
  workload: string;
  title: string;
  system: SystemKind;
  label: string;
  /** Calls per round (ADK's own service runs fewer). */
  iterations: number;
  rounds: RoundResult[];
  median: RoundResult | null;
  /** Set when the system failed this workload; no figures then. */
  error?: string;
}

/** Fails unless sessiondb's sources and the suite load the same copy of ADK (see anchors.ts). */
export function checkOneAdk(): void {
  if (Object.getPrototypeOf(AdkSessionService.prototype) !== BaseSessionService.prototype) {
    throw new Error('sessiondb and the suite loaded different copies of @google/adk: pinAnchors() did not take effect');
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `xs` rotated left by `n`, so that each round runs the systems in a different order. */
const rotated = <T>(xs: readonly T[], n: number): T[] => xs.map((_, i) => xs[(i + n) % xs.length]!);

/**
 * Runs the workloads on the arena's systems in rounds: a warm-up round, then
 * `plan.rounds` measured ones, each running every workload on every system,
 * the systems in a rotated order, so that drifts in the machine hit all alike.
 */
async function runRounds(arena: Arena, plan: Plan, workloads: Workload[], fixtures: Map<SystemKind, ReadFixtures>, out: Map<string, Measurement>): Promise<void> {
  for (let round = -1; round < plan.rounds; round++) {
    const warmUp = round < 0;
    log(`${arenaName(arena)}: ${warmUp ? 'warm-up' : `round ${round + 1}/${plan.rounds}`}`);
    for (const workload of workloads) {
      for (const { system } of rotated(arena.contenders, Math.max(0, round))) {
        const m = out.get(`${workload.id}|${system.kind}`)!;
        if (m.error) continue;
        try {
          const r = await workload.run(system, { plan, tag: warmUp ? 'warm' : `r${round}`, warmUp, fixtures: fixtures.get(system.kind) });
          if (!warmUp) m.rounds.push(r);
          log(`  ${workload.id.padEnd(18)} ${system.label.padEnd(28)} ${Math.round(r.opsPerSec).toString().padStart(7)}/s  p50 ${r.p50Ms.toFixed(3)} ms`);
        } catch (err) {
          m.error = (err as Error).message.split('\n')[0]!;
          log(`  ${workload.id.padEnd(18)} ${system.label.padEnd(28)} FAILED: ${m.error}`);
        }
      }
    }
    if (warmUp) {
      // A deployment's autovacuum would have analyzed the tables the warm-up just grew from nothing.
      for (const c of arena.contenders) await c.filler.analyze();
    }
  }
}

const arenaName = (arena: Arena) => (arena.variant === 'standard' ? arena.backend : `${arena.backend} (${arena.variant})`);

/** One empty measurement per (workload, system) of the arena. */
function measurementsFor(arena: Arena, plan: Plan, workloads: Workload[]): Map<string, Measurement> {
  const out = new Map<string, Measurement>();
  for (const workload of workloads) {
    for (const { system } of arena.contenders) {
      out.set(`${workload.id}|${system.kind}`, {
        backend: arena.backend,
        variant: arena.variant,
        workload: workload.id,
        title: workload.title,
        system: system.kind,
        label: system.label,
        iterations: workload.iterations(system, plan),
        rounds: [],
        median: null,
      });
    }
  }
  return out;
}

const withMedians = (out: Map<string, Measurement>): Measurement[] =>
  [...out.values()].map((m) => ({ ...m, median: m.rounds.length > 0 && !m.error ? medianOfRounds(m.rounds) : null }));

/**
 * Runs every workload on every system of the arena; returns one measurement per (workload, system).
 * A flush-off arena runs the sequential appends only, in `plan.flushOff`'s rounds and counts.
 */
export async function runArena(arena: Arena, plan: Plan): Promise<Measurement[]> {
  if (arena.variant === 'flush-off') {
    const flushPlan: Plan = { ...plan, rounds: plan.flushOff.rounds, sequentialAppends: plan.flushOff.sequentialAppends };
    const appends = writeWorkloads(flushPlan).filter((w) => w.id === 'append-sequential');
    const out = measurementsFor(arena, flushPlan, appends);
    await runRounds(arena, flushPlan, appends, new Map(), out);
    return withMedians(out);
  }
  const writes = writeWorkloads(plan);
  const reads = readWorkloads(plan);
  const out = measurementsFor(arena, plan, [...writes, ...reads]);
  await runRounds(arena, plan, writes, new Map(), out);

  log(`${arenaName(arena)}: filling the read workloads' sessions`);
  const fixtures = new Map<SystemKind, ReadFixtures>();
  for (const c of arena.contenders) {
    const t0 = performance.now();
    fixtures.set(c.system.kind, await prepareReadFixtures(c, plan));
    log(`  ${c.system.label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  await runRounds(arena, plan, reads, fixtures, out);
  return withMedians(out);
}

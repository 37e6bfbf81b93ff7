/** The value at quantile `q` (0..1) of `xs`, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** One system's result in one round of one workload. */
export interface RoundResult {
  /** Operations per second over the whole timed loop (all writers together). */
  opsPerSec: number;
  /** Latency of one call, milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Operations timed. */
  ops: number;
}

/** Times `ops` calls recorded by `timeCalls`: a rate over `elapsedMs` plus latency quantiles. */
export function summarize(latenciesMs: readonly number[], elapsedMs: number): RoundResult {
  return {
    opsPerSec: latenciesMs.length / (elapsedMs / 1000),
    p50Ms: quantile(latenciesMs, 0.5),
    p99Ms: quantile(latenciesMs, 0.99),
    ops: latenciesMs.length,
  };
}

/** The median of each figure over rounds. */
export function medianOfRounds(rounds: readonly RoundResult[]): RoundResult {
  return {
    opsPerSec: median(rounds.map((r) => r.opsPerSec)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    ops: median(rounds.map((r) => r.ops)),
  };
}

/** Runs `call` for i = 0..count-1 one after another, awaiting each; returns each call's latency. */
export async function timeSequential(count: number, call: (i: number) => Promise<unknown>): Promise<{ latenciesMs: number[]; elapsedMs: number }> {
  const latenciesMs: number[] = new Array(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await call(i);
    latenciesMs[i] = performance.now() - t0;
  }
  return { latenciesMs, elapsedMs: performance.now() - start };
}

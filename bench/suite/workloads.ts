import type { Count, Plan } from './config.js';
import { summarize, timeSequential, type RoundResult } from './stats.js';
import type { Contender, PagePosition, SessionRef, System } from './systems/system.js';

/** Sessions the read workloads use, filled once per system before the read rounds. */
export interface ReadFixtures {
  /** A session per size of `plan.lastSizes`. */
  bySize: Map<number, SessionRef>;
  whole: SessionRef;
  listUser: string;
  firstPage: PagePosition;
  deepPage: PagePosition;
}

export interface RoundContext {
  plan: Plan;
  /** A name for this round, unique within the run (session ids are built from it). */
  tag: string;
  /** Warm-up rounds run fewer iterations (see `scaled`). */
  warmUp: boolean;
  fixtures: ReadFixtures | undefined;
}

export interface Workload {
  id: string;
  title: string;
  /** How many calls `system` makes per round, for the report. */
  iterations(system: System, plan: Plan): number;
  run(system: System, ctx: RoundContext): Promise<RoundResult>;
}

const countFor = (count: Count, system: System) => (system.slow ? count.slow : count.fast);
/**
 * Warm-up rounds run a tenth of the calls, but at least 200 (or all of them):
 * ADK's service keeps getting faster over its first couple of hundred calls
 * (MikroORM's code paths warming up), and a short warm-up would understate it.
 */
const scaled = (n: number, ctx: RoundContext) => (ctx.warmUp ? Math.min(n, Math.max(200, Math.ceil(n / 10))) : n);
const fmt = (n: number) => n.toLocaleString('en-US');

function expectCount(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: expected ${want}, got ${got}`);
}

function fixturesOf(ctx: RoundContext): ReadFixtures {
  if (!ctx.fixtures) throw new Error('read workload without fixtures');
  return ctx.fixtures;
}

/** Times `count` sequential reads; `read` returns how many items came back, which must be `want`. */
async function timedReads(what: string, count: number, want: number, read: () => Promise<number>): Promise<RoundResult> {
  expectCount(what, await read(), want); // one untimed read: plans and caches for this session
  const { latenciesMs, elapsedMs } = await timeSequential(count, async () => expectCount(what, await read(), want));
  return summarize(latenciesMs, elapsedMs);
}

function sequentialAppends(plan: Plan): Workload {
  return {
    id: 'append-sequential',
    title: `append ${fmt(plan.sequentialAppends.fast)} events one at a time to one session`,
    iterations: (system) => countFor(plan.sequentialAppends, system),
    async run(system, ctx) {
      const n = scaled(countFor(plan.sequentialAppends, system), ctx);
      const ref = { userId: 'writer', sessionId: `seq-${ctx.tag}` };
      await system.createSession(ref);
      const events = Array.from({ length: n }, (_, i) => system.prepareEvent(i));
      const { latenciesMs, elapsedMs } = await timeSequential(n, (i) => system.append(ref, events[i]));
      return summarize(latenciesMs, elapsedMs);
    },
  };
}

function concurrentAppends(plan: Plan): Workload {
  const { writers, sessions, eventsPerSession } = plan.concurrent;
  return {
    id: 'append-concurrent',
    title: `${writers} concurrent writers, ${sessions} sessions x ${fmt(eventsPerSession.fast)} events`,
    iterations: (system) => sessions * countFor(eventsPerSession, system),
    async run(system, ctx) {
      const perSession = scaled(countFor(eventsPerSession, system), ctx);
      const refs = Array.from({ length: sessions }, (_, s) => ({ userId: 'writers', sessionId: `conc-${ctx.tag}-${s}` }));
      for (const ref of refs) await system.createSession(ref);
      const events = refs.map(() => Array.from({ length: perSession }, (_, i) => system.prepareEvent(i)));
      const latenciesMs: number[] = [];
      let next = 0;
      // Each writer takes the next unwritten session and appends its events one awaited call at a time.
      const writer = async () => {
        for (let s = next++; s < refs.length; s = next++) {
          for (const event of events[s]!) {
            const t0 = performance.now();
            await system.append(refs[s]!, event);
            latenciesMs.push(performance.now() - t0);
          }
        }
      };
      const start = performance.now();
      await Promise.all(Array.from({ length: writers }, writer));
      return summarize(latenciesMs, performance.now() - start);
    },
  };
}

function lastEvents(plan: Plan, size: number): Workload {
  return {
    id: `read-last-${size}`,
    title: `read the last ${plan.lastN} events of a ${fmt(size)}-event session`,
    iterations: (system) => countFor(plan.reads, system),
    run(system, ctx) {
      const ref = fixturesOf(ctx).bySize.get(size)!;
      return timedReads(`last ${plan.lastN} of ${size}`, scaled(countFor(plan.reads, system), ctx), plan.lastN, () => system.readLast(ref, plan.lastN));
    },
  };
}

function wholeSession(plan: Plan): Workload {
  return {
    id: 'read-whole',
    title: `read a whole ${fmt(plan.wholeSession)}-event session`,
    iterations: (system) => countFor(plan.reads, system),
    run(system, ctx) {
      const ref = fixturesOf(ctx).whole;
      return timedReads('whole session', scaled(countFor(plan.reads, system), ctx), plan.wholeSession, () => system.readAll(ref));
    },
  };
}

function listPage(plan: Plan, which: 'first' | 'deep'): Workload {
  const { sessions, pageSize, deepPage } = plan.listing;
  return {
    id: `list-${which}`,
    title: `list ${pageSize} of ${fmt(sessions)} sessions, ${which === 'first' ? 'first page' : `page ${deepPage}`}`,
    iterations: (system) => countFor(plan.reads, system),
    run(system, ctx) {
      const f = fixturesOf(ctx);
      const at = which === 'first' ? f.firstPage : f.deepPage;
      return timedReads(`list ${which}`, scaled(countFor(plan.reads, system), ctx), pageSize, () => system.listPage(f.listUser, pageSize, at));
    },
  };
}

function creates(plan: Plan): Workload {
  return {
    id: 'create',
    title: `create ${fmt(plan.creates.fast)} sessions`,
    iterations: (system) => countFor(plan.creates, system),
    async run(system, ctx) {
      const n = scaled(countFor(plan.creates, system), ctx);
      const { latenciesMs, elapsedMs } = await timeSequential(n, (i) => system.createSession({ userId: 'creator', sessionId: `new-${ctx.tag}-${i}` }));
      return summarize(latenciesMs, elapsedMs);
    },
  };
}

/** Workloads that write: they need nothing but a migrated system, and run first. */
export function writeWorkloads(plan: Plan): Workload[] {
  return [sequentialAppends(plan), concurrentAppends(plan), creates(plan)];
}

/** Workloads that read the fixtures of `prepareReadFixtures`. */
export function readWorkloads(plan: Plan): Workload[] {
  return [...plan.lastSizes.map((size) => lastEvents(plan, size)), wholeSession(plan), listPage(plan, 'first'), listPage(plan, 'deep')];
}

/**
 * Creates the read workloads' sessions: each through the system's API with one
 * event (or, for the listing, one session), then bulk-copied in SQL to size.
 */
export async function prepareReadFixtures({ system, filler }: Contender, plan: Plan): Promise<ReadFixtures> {
  const withEvents = async (sessionId: string, total: number) => {
    const ref = { userId: 'reader', sessionId };
    await system.createSession(ref);
    await system.append(ref, system.prepareEvent(0));
    if (total > 1) await filler.fillEvents(ref, total);
    return ref;
  };
  const bySize = new Map<number, SessionRef>();
  for (const size of plan.lastSizes) bySize.set(size, await withEvents(`last-${size}`, size));
  const whole = await withEvents('whole', plan.wholeSession);
  const listUser = 'lister';
  const template = { userId: listUser, sessionId: 'listed' };
  await system.createSession(template);
  await filler.fillSessions(template, plan.listing.sessions);
  await filler.analyze();
  return {
    bySize,
    whole,
    listUser,
    firstPage: await system.seekPage(listUser, plan.listing.pageSize, 1),
    deepPage: await system.seekPage(listUser, plan.listing.pageSize, plan.listing.deepPage),
  };
}

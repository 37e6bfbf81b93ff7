/**
 * The conformance suite every sessiondb store passes, exported so that any
 * store (ours or yours) can run it under any test runner with `describe`/`it`.
 *
 * @example
 * import { describe, it } from 'vitest';
 * import { runConformanceSuite } from 'sessiondb/testing';
 * import { SqliteStore } from 'sessiondb/sqlite';
 *
 * runConformanceSuite({ describe, it }, {
 *   name: 'SqliteStore',
 *   async create() { const s = new SqliteStore({ path: ':memory:' }); await s.migrate(); return s; },
 * });
 */
import { eventCases } from './cases/events.js';
import { fileCases } from './cases/files.js';
import { historyCases } from './cases/history.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { listingCases } from './cases/listing.js';
import { scanCases } from './cases/scans.js';
import { searchCases } from './cases/search.js';
import { sessionCases } from './cases/sessions.js';
import { stateCases } from './cases/state.js';
import { validationCases } from './cases/validation.js';
import { capabilitiesOf } from '../core/store.js';
import { makeContext, type ConformanceCase, type ConformanceHarness } from './harness.js';

export type { CaseContext, ConformanceCase, ConformanceHarness } from './harness.js';
export { rejectsWith } from './harness.js';
export { runAppendWorker, spawnAppendWorker } from './processes.js';

/** Every conformance case, grouped by `group`. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...sessionCases,
  ...eventCases,
  ...stateCases,
  ...listingCases,
  ...validationCases,
  ...fileCases,
  ...scanCases,
  ...lifecycleCases,
  ...searchCases,
  ...historyCases,
];

/** The parts of a test runner the suite uses (vitest, jest and mocha fit). */
export interface TestRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeoutMs?: number): void;
  /** Used for cases the harness cannot run (reported as skipped, by name). */
  skip?(name: string, body: () => Promise<void>): void;
}

/**
 * Registers one test per conformance case. Each case gets a fresh store from
 * `harness.create()`, disposed of afterwards.
 */
export function runConformanceSuite(runner: TestRunner, harness: ConformanceHarness, options: { timeoutMs?: number } = {}): void {
  const timeout = options.timeoutMs ?? 60_000;
  runner.describe(`conformance: ${harness.name}`, () => {
    const groups = new Map<string, ConformanceCase[]>();
    for (const c of conformanceCases) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
    for (const [group, cases] of groups) {
      runner.describe(group, () => {
        for (const c of cases) {
          const body = async () => {
            const store = await harness.create();
            try {
              await c.run(makeContext(store, harness));
            } finally {
              await (harness.destroy ? harness.destroy(store) : store.close());
            }
          };
          const runnable =
            c.needs === undefined || (c.needs === 'sharedUrl' ? harness.sharedUrl !== undefined : capabilitiesOf({ capabilities: harness.capabilities })[c.needs]);
          if (runnable) runner.it(c.name, body, timeout);
          else if (runner.skip) runner.skip(`${c.name} (needs ${c.needs === 'sharedUrl' ? 'a store shared between processes' : `the "${c.needs}" capability`})`, body);
        }
      });
    }
  });
}

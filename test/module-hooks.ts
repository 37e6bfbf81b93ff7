import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');

/** What a snippet printed, and every module URL the loader resolved while it ran. */
export interface RecordedRun {
  stdout: string;
  stderr: string;
  status: number | null;
  /** Resolved URLs in order, with the snippet's own `mark(text)` lines among them. */
  resolved: string[];
}

/**
 * Runs an ES module snippet in a new Node process inside the repo (so that
 * `sessiondb` resolves to the built package) under a resolve hook that records
 * every module it resolves — ESM leaves no trace in `require.cache` — and
 * refuses, as not installed, every specifier `refuse` matches. The snippet may
 * call `mark(text)` to put a line of its own into the record.
 */
export function runRecordingModules(code: string, options: { refuse?: RegExp } = {}): RecordedRun {
  const dir = mkdtempSync(join(tmpdir(), 'sessiondb-loads-'));
  try {
    const log = join(dir, 'resolved.txt');
    writeFileSync(log, '');
    const refuse = options.refuse ? `new RegExp(${JSON.stringify(options.refuse.source)}, ${JSON.stringify(options.refuse.flags)})` : 'null';
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
const refuse = ${refuse};
export async function resolve(specifier, context, next) {
  if (refuse && refuse.test(specifier)) throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`,
    );
    const run = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `
        import { register } from 'node:module';
        import { appendFileSync } from 'node:fs';
        register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});
        const mark = (text) => appendFileSync(${JSON.stringify(log)}, text + '\\n');
        ${code}`],
      { cwd: root, encoding: 'utf8' },
    );
    return { stdout: run.stdout, stderr: run.stderr, status: run.status, resolved: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

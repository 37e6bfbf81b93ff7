import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..');
const work = tempDir('readme');

/** The code block that follows `<!-- readme-example: NAME -->` in the README. */
export function readmeExample(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const marker = `<!-- readme-example: ${name} -->`;
  const start = readme.indexOf(marker);
  if (start < 0) throw new Error(`README has no ${marker}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block) throw new Error(`no ts block after ${marker}`);
  return block[1]!;
}

/**
 * Runs a README example against the built package (it imports `sessiondb`)
 * and checks that it prints, line by line, what its `console.log(…); // …`
 * comments say. `replace` rewrites parts of the code first (ports, URLs).
 */
export function runExample(name: string, replace: [string, string][] = []): void {
  let code = readmeExample(name);
  for (const [from, to] of replace) code = code.replaceAll(from, to);
  const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
  expect(expected.length).toBeGreaterThan(0);
  // Inside the repo so that `import 'sessiondb'` resolves to this package (self-reference to dist).
  const dir = join(root, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-${name}-${process.pid}.ts`);
  writeFileSync(file, code);
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, file], { cwd: work, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.trim().split('\n')).toEqual(expected);
}

/** The example names that some test file runs with `runExample('NAME'`. */
export function testedExamples(): string[] {
  const dir = import.meta.dirname;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/runExample\('([\w-]+)'/g)].map((m) => m[1]!));
}

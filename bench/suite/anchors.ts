import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BENCH_DIR = join(import.meta.dirname, '..');

/** The benchmark's anchors: the packages it measures sessiondb against, pinned by bench/package.json. */
export const ANCHORS = ['@google/adk', '@mikro-orm/core', '@mikro-orm/sqlite', '@mikro-orm/postgresql', '@mikro-orm/reflection', 'better-sqlite3', 'pg', 'redis'] as const;

/**
 * Makes every import of an anchor, from sessiondb's sources as well as from the
 * suite, resolve to bench/node_modules (see anchors-hook.mjs), so that all
 * systems run the same driver builds. Call it before anything imports an anchor.
 */
export function pinAnchors(): void {
  register('./anchors-hook.mjs', import.meta.url, {
    data: { benchPackageUrl: pathToFileURL(join(BENCH_DIR, 'package.json')).href, anchors: ANCHORS },
  });
}

/** The installed version of a package of bench/node_modules. */
export function anchorVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

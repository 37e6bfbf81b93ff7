// The README's setup notes against the repository: what the install compiles, and every system
// package the tests use, with its install command.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Packages of a lockfile that run an install script and carry native sources (a binding.gyp): the ones node-gyp compiles. */
function compiled(dir: string): string[] {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, meta]) => meta.hasInstallScript && existsSync(join(dir, path, 'binding.gyp')))
    .map(([path]) => path.replace(/^.*node_modules\//, ''));
}

describe('README setup notes', () => {
  it('npm install compiles better-sqlite3 only; test/adk-database compiles sqlite3 only', () => {
    expect(compiled(root)).toEqual(['better-sqlite3']);
    if (existsSync(join(root, 'test/adk-database/node_modules'))) expect(compiled(join(root, 'test/adk-database'))).toEqual(['sqlite3']);
    expect(readme).toMatch(/`npm install` compiles one native module, \*\*better-sqlite3\*\*/);
    expect(readme).toMatch(/it compiles \*\*sqlite3\*\*/);
  });

  it('names every system package the tests use, with its install command, and npm_config_nodedir', () => {
    for (const pkg of ['python3 make g++', 'postgresql', 'pgbouncer', 'redis-server']) expect(readme).toContain(`apt-get install -y ${pkg}`);
    expect(readme).toContain('export npm_config_nodedir=/usr');
  });

  it('says that users installing from the registry get no devDependencies', () => {
    expect(readme).toMatch(/install `sessiondb` from the registry[^.]*never\s+get its devDependencies/);
  });
});

// Installs this test package (npm test runs it first) unless its pinned versions are already
// installed. A failed install does not stop the tests: the ones that need it are then skipped
// by name (and fail under CI=1).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const { dependencies } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

if (!Object.entries(dependencies).every(([name, version]) => installedVersion(name) === version)) {
  process.stderr.write(
    'Installing test/adk-database (Google ADK DatabaseSessionService with MikroORM\'s SQLite and PostgreSQL drivers, for the import-adk tests); ' +
      'sqlite3 compiles from source, which takes a minute or two.\n',
  );
  const env = { ...process.env };
  // node-gyp needs Node's headers; a system Node (as on Debian) keeps them under /usr.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit', env });
  if (r.status !== 0) process.stderr.write('test/adk-database could not be installed; the tests that need it will say so.\n');
}

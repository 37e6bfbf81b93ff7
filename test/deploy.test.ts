// The Docker image's steps, run as plain commands on this machine (no Docker engine runs here):
// the Dockerfile's production install (deploy/install.sh on the packed package), then its final
// stage's ENV, CMD and HEALTHCHECK. Parsed from the Dockerfile itself, so that the file cannot rot
// without this test failing. better-sqlite3's compile is skipped here (npm_config_ignore_scripts)
// and its binary copied from the repo's own install, which `npm ci` compiled from the same version.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { freePort } from './pg-helpers.js';

const root = join(import.meta.dirname, '..');
const work = tempDir('deploy');
const app = join(work, 'app');
const data = join(work, 'data');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

interface Stage {
  from: string;
  name: string | null;
  lines: string[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const out: Stage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1]!, name: from[2] ?? null, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** A JSON-array (exec form) instruction's argument list. */
const execForm = (line: string, instruction: string) => JSON.parse(line.slice(instruction.length).trim()) as string[];

const all = stages(dockerfile);
const final = all.at(-1)!;
const instruction = (name: string) => final.lines.filter((l) => l.toUpperCase().startsWith(`${name} `));
const finalEnv = Object.fromEntries(instruction('ENV').map((l) => /^ENV\s+(\w+)=(\S*)$/.exec(l)!.slice(1, 3) as [string, string]));
const cmd = execForm(instruction('CMD')[0]!, 'CMD');
const healthcheck = execForm(/CMD\s+(\[.*\])$/.exec(instruction('HEALTHCHECK')[0]!)![1]!, '');

const apiKey = 'deploy-test-key-0123456789';
let server: ChildProcess | null = null;
let port = 0;
let serverOutput = '';

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^npm_(package|lifecycle)_/i.test(e[0])));
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...clean, ...env }, timeout: 180_000 });
}

/** The image's environment as its final stage sets it, with /data moved into the test's temp dir and a free port. */
function imageEnv(extra: Record<string, string>): Record<string, string> {
  const env = { ...finalEnv, SESSIONDB_URL: finalEnv['SESSIONDB_URL']!.replace('/data/', `${data}/`), SESSIONDB_PORT: String(port), ...extra };
  return { PATH: process.env['PATH'] ?? '', HOME: work, ...env };
}

beforeAll(async () => {
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], root);
  expect(pack.status, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout) as { filename: string }[];
  mkdirSync(app);
  mkdirSync(data);
  const install = run('sh', [join(root, 'deploy', 'install.sh'), join(work, info!.filename)], app, {
    npm_config_ignore_scripts: 'true',
    npm_config_prefer_offline: 'true',
  });
  expect(install.status, install.stderr).toBe(0);
  const binary = join('build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
  copyFileSync(join(root, 'node_modules', 'better-sqlite3', binary), join(app, 'node_modules', 'better-sqlite3', binary));
  port = await freePort();
}, 240_000);

afterAll(() => {
  server?.kill('SIGTERM');
});

describe('the Dockerfile', () => {
  it('is multi-stage; the final stage runs as the non-root node user, keeps data in the /data volume and checks /healthz', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.every((s) => s.from.startsWith('node:20'))).toBe(true);
    expect(final.lines).toContain('USER node');
    expect(final.lines.some((l) => /^VOLUME\s+\["\/data"\]$/.test(l))).toBe(true);
    expect(finalEnv).toMatchObject({ NODE_ENV: 'production', SESSIONDB_HOST: '0.0.0.0', SESSIONDB_URL: 'sqlite:/data/sessions.db' });
    expect(healthcheck.join(' ')).toContain('/healthz');
    // The runtime stage compiles and installs nothing: it copies the install stage's /app.
    expect(final.lines.filter((l) => /^RUN\b/.test(l) && /npm|apt-get/.test(l))).toEqual([]);
  });

  it('installs production dependencies only: no devDependency of the repo is in the image', () => {
    const installed = new Set(run('npm', ['ls', '--all', '--parseable', '--omit=dev'], app).stdout.split('\n').map((p) => p.split('node_modules/').at(-1)!));
    const dev = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    const required = new Set(['better-sqlite3', 'pg', 'redis']); // the image's drivers (devDependencies of the repo, dependencies of the image)
    expect(dev.filter((d) => !required.has(d) && installed.has(d))).toEqual([]);
    expect(existsSync(join(app, 'node_modules', 'sessiondb', 'dist', 'cli', 'bin.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false);
  });

  it('without API keys the image refuses to listen on 0.0.0.0, saying how to configure keys', () => {
    const r = run(cmd[0]!, cmd.slice(1), app, imageEnv({}));
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/Refusing to listen on 0\.0\.0\.0 without API keys/);
  });

  it('with SESSIONDB_API_KEYS its CMD serves, /healthz answers, and its HEALTHCHECK command exits 0', async () => {
    const keys = JSON.stringify([{ tenant: 'acme', key: apiKey }]);
    server = spawn(cmd[0]!, cmd.slice(1), { cwd: app, env: imageEnv({ SESSIONDB_API_KEYS: keys }), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the server did not answer /healthz: ${serverOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const check = run(healthcheck[0]!, healthcheck.slice(1), app, imageEnv({}));
    expect(check.status, check.stderr).toBe(0);
    const created = await fetch(`${base}/v1/apps/a/users/u/sessions`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: '{}' });
    expect(created.status).toBe(201);
    expect((await fetch(`${base}/v1/sessions`)).status).toBe(401);
    expect(existsSync(join(data, 'sessions.db'))).toBe(true);
    expect(serverOutput).not.toContain(apiKey);
  }, 60_000);

  it('the HEALTHCHECK command exits non-zero when nothing answers', async () => {
    const check = run(healthcheck[0]!, healthcheck.slice(1), app, imageEnv({ SESSIONDB_PORT: String(await freePort()) }));
    expect(check.status).toBe(1);
  });
});

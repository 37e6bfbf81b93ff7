// The package as a user gets it: `npm pack`, the tarball installed into a new project outside the
// repo, the command run through `npx sessiondb`. Dependencies come from the local npm cache
// (--prefer-offline); better-sqlite3 is linked from the repo instead of compiled again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..');
const work = tempDir('package-install');
const project = join(work, 'project');
const installed = join(project, 'node_modules', 'sessiondb');
let packedFiles: string[] = [];

/** The environment without what `npm test` adds (npm_package_*, npm_lifecycle_*…), so npm acts as in a user's shell. */
function userEnv(): Record<string, string> {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_nodedir']);
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && (!/^npm_/i.test(e[0]) || keep.has(e[0])) && e[0] !== 'INIT_CWD'),
  );
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...userEnv(), ...env }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `npx sessiondb …` exactly as the README writes it; npm_config_yes=false keeps npx from fetching a package if the bin were missing. */
const npx = (...args: string[]) => run('npx', ['sessiondb', ...args], project, { npm_config_yes: 'false' });

beforeAll(() => {
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], root);
  expect(pack.code, pack.err).toBe(0);
  const [info] = JSON.parse(pack.out) as { filename: string; files: { path: string }[] }[];
  packedFiles = info!.files.map((f) => f.path);
  writeFileSync(join(work, 'package.json'), '{}'); // keeps npm from looking further up for a project
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  const install = run('npm', ['install', join(work, info!.filename), '--prefer-offline', '--no-audit', '--no-fund'], project);
  expect(install.code, install.err).toBe(0);
  symlinkSync(join(root, 'node_modules', 'better-sqlite3'), join(project, 'node_modules', 'better-sqlite3'), 'dir');
}, 120_000);

describe('the packed package, installed in a new project', () => {
  it('npx sessiondb --version prints the version', () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(npx('--version')).toMatchObject({ code: 0, out: `${version}\n` });
  });

  it('npx sessiondb migrate and ls work on the JSON file store and on SQLite', () => {
    expect(npx('migrate', '--db', 'file:./data/sessions')).toMatchObject({ code: 0, out: expect.stringMatching(/^file: schema version/) });
    expect(npx('ls', '--db', 'file:./data/sessions')).toMatchObject({ code: 0, out: 'no sessions\n' });
    expect(npx('migrate', '--db', 'sqlite:./data/sessions.db')).toMatchObject({ code: 0, out: expect.stringMatching(/^sqlite: schema version (\d+) of \1; up to date/) });
    expect(npx('ls', '--json', '--db', 'sqlite:./data/sessions.db')).toMatchObject({ code: 0, out: '{"sessions":[],"nextCursor":null}\n' });
  });

  it('bad usage through npx exits 2 with a message', () => {
    const r = npx('ls', '--limit', 'zero', '--db', 'file:./data/sessions');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--limit must be/);
  });

  it('every source map shipped points at files the package ships', () => {
    const maps = packedFiles.filter((f) => f.endsWith('.map'));
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = resolve(dirname(join(installed, map)), source);
        if (!existsSync(target)) missing.push(`${map} -> ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('npx sessiondb mcp serves MCP over stdio to the SDK client', async () => {
    const transport = new StdioClientTransport({ command: 'npx', args: ['sessiondb', 'mcp', '--db', 'sqlite:./data/mcp.db'], cwd: project, env: { ...userEnv(), npm_config_yes: 'false' }, stderr: 'pipe' });
    const client = new Client({ name: 'package-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools).toHaveLength(10);
      const created = await client.callTool({ name: 'create_session', arguments: { appName: 'shop', userId: 'u1', sessionId: 'from-npx', title: 'Installed' } });
      expect(created.structuredContent).toMatchObject({ session: { sessionId: 'from-npx', title: 'Installed' } });
      const listed = await client.callTool({ name: 'list_sessions', arguments: {} });
      expect(listed.structuredContent).toMatchObject({ sessions: [{ appName: 'shop', userId: 'u1', sessionId: 'from-npx' }], nextCursor: null });
    } finally {
      await client.close();
    }
  }, 60_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { spawnAppendWorker } from '../src/testing/index.js';
import type { SessionStore } from '../src/core/store.js';

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sessiondb-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a TypeScript file in a new Node process (through tsx) and returns its stdout. */
export function runTs(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited ${code}: ${err}`))));
  });
}

/**
 * Starts an appender (events `<label>-<i>`) and, once `killAfter` appends were
 * acknowledged, calls `kill` (default: SIGKILL the appender; pass one that kills
 * the database server instead). Resolves with every acknowledged seq once the
 * appender has ended after the kill.
 */
export function appendThenKill(
  url: string,
  key: { appName: string; userId: string; sessionId: string },
  killAfter: number,
  label: string,
  kill: (appender: ChildProcess) => void = (appender) => appender.kill('SIGKILL'),
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawnAppendWorker(url, key, 1_000_000, label, { acks: true });
    const acked: number[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!; // an incomplete line is not an acknowledgement
      for (const line of lines) if (line.trim()) acked.push(Number(line));
      if (acked.length >= killAfter && !killed) {
        killed = true;
        kill(child);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (killed) resolve(acked);
      else reject(new Error(`appender ended before the kill (code ${code}): ${stderr}`));
    });
  });
}

/** Starts `sessiondb serve` on a free port; resolves with its URL once it listens. */
export function startServer(args: string[], env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'), 'serve', '--port', '0', ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /sessiondb listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

/** A store that records the name of every contract call made on it (calls still reach the store). */
export function recordingStore(store: SessionStore): { store: SessionStore; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        calls.push(prop);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

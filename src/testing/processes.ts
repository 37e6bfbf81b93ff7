import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SessionKey } from '../core/types.js';

/**
 * Starts the append worker in a new OS process. From compiled code it runs
 * the .js file; from TypeScript sources (this repo's tests) it runs the .ts
 * file through tsx.
 */
export function spawnAppendWorker(url: string, key: SessionKey, count: number, label: string, options: { acks?: boolean } = {}): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const worker = fileURLToPath(new URL(fromSource ? './append-worker.ts' : './append-worker.js', import.meta.url));
  const args = [...(fromSource ? ['--import', 'tsx'] : []), worker, url, JSON.stringify(key), String(count), label];
  if (options.acks) args.push('--acks');
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the append worker to completion; rejects with its stderr if it fails. */
export function runAppendWorker(url: string, key: SessionKey, count: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAppendWorker(url, key, count, label);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && stdout.includes('done')) resolve();
      else reject(new Error(`append worker ${label} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

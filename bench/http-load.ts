/**
 * The HTTP server under load, measured with Debian's `wrk`: a real
 * `sessiondb serve` process on a SQLite file, 50 connections.
 *  - append: POST one event (~300 bytes of text and a state delta) to one of 100 sessions;
 *  - read: GET a session with its 20 events.
 * Then (unless --quick) a long mixed run, sampling the server's resident memory
 * every 10 s to see whether it stays flat.
 *
 *   npm run bench:http [-- --quick | -- --duration 30 --soak 300]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const duration = flag('--duration', quick ? 10 : 30);
const soak = quick ? 0 : flag('--soak', 300);
const CONNECTIONS = 50;
const THREADS = 2;

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (err) {
  if ((err as { code?: string }).code === 'ENOENT') {
    console.error('wrk is not installed: apt-get install wrk');
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sessiondb-http-load-'));
// The server's log goes to a file: this script blocks in wrk between samples, and a pipe it
// does not read would fill and make the server hold its log lines in memory.
const logFile = join(dir, 'server.log');
const server = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'), 'serve', '--port', '0', '--db', `sqlite:${join(dir, 'sessions.db')}`], {
  stdio: ['ignore', openSync(logFile, 'w'), 'inherit'],
});
const url = await (async () => {
  for (let i = 0; i < 200; i++) {
    const m = /"url":"(http:[^"]+)"/.exec(readFileSync(logFile, 'utf8'));
    if (m) return m[1]!;
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the server did not start within 10 s');
})();

const post = (path: string, body: unknown) =>
  fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => {
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
  });
const sessions = '/v1/apps/bench/users/u/sessions';
for (let i = 0; i < 100; i++) await post(sessions, { id: `s${i}` });
await post(sessions, { id: 'reader' });
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);
await post(`${sessions}/reader/events`, { events: Array.from({ length: 20 }, (_, i) => ({ author: i % 2 ? 'assistant' : 'user', content: text, stateDelta: { turn: i } })) });

function rssMb(): number {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function wrk(name: string, seconds: number, extra: string[], target: string) {
  const out = execFileSync('wrk', ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--latency', ...extra, target], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const p50 = /\s50%\s+([\d.]+\w+)/.exec(out)?.[1];
  const p99 = /\s99%\s+([\d.]+\w+)/.exec(out)?.[1];
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const socketErrors = /Socket errors: ([^\n]+)/.exec(out)?.[1] ?? 'none';
  console.log(`| ${name} | ${Math.round(rps).toLocaleString('en-US')} | ${p50} | ${p99} | ${errors} | ${socketErrors} |`);
  return rps;
}

console.log(`sessiondb serve on SQLite, wrk -t${THREADS} -c${CONNECTIONS}, ${duration} s per run; Node ${process.version}\n`);
console.log('| workload | requests/s | p50 | p99 | non-2xx | socket errors |');
console.log('|---|---|---|---|---|---|');
wrk('warm-up (append)', 3, ['-s', join(import.meta.dirname, 'http', 'append.lua')], url);
wrk('append 1 event', duration, ['-s', join(import.meta.dirname, 'http', 'append.lua')], url);
wrk('read session + 20 events', duration, [], `${url}${sessions}/reader?events=20`);

if (soak > 0) {
  console.log(`\nSoak: ${soak} s alternating 10 s of appends and 10 s of reads; server RSS every 10 s (MB):`);
  const samples: number[] = [rssMb()];
  for (let t = 0; t < soak; t += 10) {
    if ((t / 10) % 2 === 0) execFileSync('wrk', ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', '10s', '-s', join(import.meta.dirname, 'http', 'append.lua'), url]);
    else execFileSync('wrk', ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', '10s', `${url}${sessions}/reader?events=20`]);
    samples.push(rssMb());
  }
  console.log(samples.map((m) => m.toFixed(0)).join(' '));
  const firstMinute = Math.max(...samples.slice(0, 7));
  const lastMinute = Math.max(...samples.slice(-6));
  console.log(`max RSS in the first minute ${firstMinute.toFixed(0)} MB, in the last minute ${lastMinute.toFixed(0)} MB (${lastMinute <= firstMinute * 1.1 ? 'flat' : 'GROWING'})`);
}

// Once more on failure: after the soak the client's pooled connection may be one the server already closed as idle.
const stats = () => fetch(`${url}/v1/stats`);
const totals = (await (await stats().catch(stats)).json()) as { sessions: number; events: number; bytes: number };
console.log(`\nstored at the end: ${totals.events.toLocaleString('en-US')} events in ${totals.sessions} sessions, ${(totals.bytes / 1e6).toFixed(0)} MB`);

server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
rmSync(dir, { recursive: true, force: true });

// How the server serves the web console's files: types, caching, the single-page fallback,
// missing assets, path traversal, compression, the security headers, and turning it off.
import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/server/app.js';
import { CONSOLE_CSP } from '../src/server/ui.js';
import { MemoryStore } from '../src/stores/memory/index.js';
import { startServer, tempDir } from './helpers.js';
import { runExample } from './readme-helpers.js';

const dir = tempDir('ui-files');
const INDEX = '<!doctype html><html lang="en"><head><script type="module" src="/ui/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;
mkdirSync(join(dir, 'assets'), { recursive: true });
writeFileSync(join(dir, 'index.html'), INDEX);
writeFileSync(join(dir, 'assets', 'index-abc123.js'), SCRIPT);
writeFileSync(join(dir, 'assets', 'index-def456.css'), 'body{color:#111}');
writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
writeFileSync(join(dir, '..', 'secret.txt'), 'outside the console folder');

const store = new MemoryStore();
const app = createApp({ store, consoleDir: dir });
const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

describe('the web console under /ui/', () => {
  it('redirects / and /ui to /ui/', async () => {
    for (const path of ['/', '/ui']) {
      const res = await get(path);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/ui/');
    }
  });

  it('serves index.html at /ui/ with the security headers and no caching', async () => {
    const res = await get('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toBe(INDEX);
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const js = await get('/ui/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe(SCRIPT);
    const css = await get('/ui/assets/index-def456.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const svg = await get('/ui/favicon.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers page paths with index.html (the app routes them), and 404 for missing assets', async () => {
    for (const path of ['/ui/search?q=teapot', '/ui/files', '/ui/sessions/shop/u1/s.with.dots']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
    for (const path of ['/ui/assets/index-gone.js', '/ui/assets/', '/ui/robots.txt']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(await res.text()).not.toContain('<html');
    }
  });

  it('refuses paths that climb out of the folder, however they are spelled', async () => {
    const { url, close } = await listen();
    try {
      for (const path of ['/ui/../secret.txt', '/ui/assets/../../secret.txt', '/ui/%2e%2e/secret.txt', '/ui/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/ui/..%5csecret.txt', '/ui/%00', '/ui/%E0%A4%A']) {
        const res = await rawGet(url, path);
        expect(res.body, path).not.toContain('outside the console folder');
        expect(res.status, path).toBe(404);
      }
    } finally {
      await close();
    }
  });

  it('compresses text with brotli or gzip when the browser takes it', async () => {
    const br = await get('/ui/assets/index-abc123.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(SCRIPT.length / 4);
    expect(brotliDecompressSync(brBytes).toString()).toBe(SCRIPT);
    const gz = await get('/ui/assets/index-abc123.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(SCRIPT);
    const refused = await get('/ui/assets/index-abc123.js', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers.get('content-encoding')).toBeNull();
    expect(await refused.text()).toBe(SCRIPT);
  });

  it('answers HEAD like GET without a body, and 405 with Allow for other methods', async () => {
    const head = await app.request('/ui/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const post = await app.request('/ui/files', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('says how to build it when dist/ui is missing', async () => {
    const unbuilt = createApp({ store, consoleDir: join(dir, 'nowhere') });
    const res = await unbuilt.request('/ui/');
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build/);
  });

  it('is off with console: false: /, /ui and /ui/* are 404 and the API is unchanged', async () => {
    const off = createApp({ store, consoleDir: dir, console: false });
    for (const path of ['/', '/ui', '/ui/', '/ui/assets/index-abc123.js']) expect((await off.request(path)).status, path).toBe(404);
    expect((await off.request('/v1/info')).status).toBe(200);
  });

  it('counts console requests under bounded route labels in /metrics', async () => {
    await get('/ui/sessions/a/b/c');
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/route="\/ui\/\*"/);
    expect(metrics).not.toMatch(/route="\/ui\/sessions/);
  });
});

describe('sessiondb serve and the console', () => {
  const data = tempDir('ui-serve');
  let servers: Awaited<ReturnType<typeof startServer>>[] = [];
  beforeAll(async () => {
    servers = await Promise.all([
      startServer(['--db', `sqlite:${join(data, 'on.db')}`]),
      startServer(['--db', `sqlite:${join(data, 'off.db')}`, '--no-console']),
    ]);
  });
  afterAll(() => servers.forEach((s) => s.child.kill('SIGTERM')));

  it('serves the built console by default, and not with --no-console', async () => {
    const [on, off] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const page = await fetch(`${on.url}/ui/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script type="module" crossorigin src="(\/ui\/assets\/[^"]+\.js)"><\/script>/.exec(html);
    expect(script, html).not.toBeNull();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const js = await fetch(`${on.url}${script![1]}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(on.output()).toContain(`"console":"${on.url}/ui/"`);
    expect((await fetch(`${off.url}/ui/`)).status).toBe(404);
    expect(off.output()).toContain('"console":"off"');
  });
});

describe('README', () => {
  it('the console example runs against the built package and prints what its comments say', () => runExample('console'), 30_000);
});

/** The app on a real socket, for requests whose path no client library would normalise. */
async function listen(): Promise<{ url: string; close: () => Promise<void> }> {
  const { serve } = await import('@hono/node-server');
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((r) => server.close(() => r())) }),
    );
  });
}

function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

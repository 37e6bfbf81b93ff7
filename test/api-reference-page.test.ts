// The /docs page: the files the build copies and the server serves (types, caching, compression,
// nothing else reachable), the page of a server running without them, and swagger-ui in real
// Chromium against a spawned `sessiondb serve`: operations, parameters and response schemas,
// "Try it out" with and without API keys, no request leaving 127.0.0.1, the CSP, accessibility.
import { type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';
import { apiReference } from '../src/server/api-reference.js';
import { createApp } from '../src/server/index.js';
import { buildRoutes } from '../src/server/routes.js';
import { chromiumUnavailableReason, launchChromium, recordOutsideRequests, seriousAccessibilityViolations, type AxeViolation } from './browser.js';
import { startServer, tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..');
const built = join(root, 'dist', 'api-reference');
const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const dir = tempDir('api-reference');
const chromiumMissing = chromiumUnavailableReason();
const KEY = 'docs-test-key-0123456789';

let keyed: { url: string; child: ChildProcess };
let browser: Browser | undefined;

beforeAll(async () => {
  writeFileSync(join(dir, 'keyed.yaml'), `url: "sqlite:${join(dir, 'keyed.db')}"\nserver:\n  apiKeys:\n    - { tenant: acme, key: "${KEY}" }\n`);
  [keyed, browser] = await Promise.all([
    startServer(['--config', join(dir, 'keyed.yaml')]),
    chromiumMissing ? undefined : launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  keyed?.child.kill('SIGTERM');
});

/** A GET (or other method) with the path sent exactly as given and no decompression, as a crafted client would. */
function raw(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const assetUrls = (html: string) => [...html.matchAll(/(?:href|src)="(docs\/assets\/[^"]+)"/g)].map((m) => `/${m[1]!.replace(/&amp;/g, '&')}`);

describe('the files of /docs', () => {
  it('the build copies only what the page loads, with swagger-ui\'s licence, notice and bundled licences, byte for byte', () => {
    const manifest = JSON.parse(readFileSync(join(built, 'manifest.json'), 'utf8')) as { swaggerUi: string; files: Record<string, { sha256: string }> };
    const names = ['docs.css', 'docs.js', 'swagger-ui-LICENSE', 'swagger-ui-NOTICE', 'swagger-ui-bundle.js', 'swagger-ui-bundle.js.LICENSE.txt', 'swagger-ui.css'];
    expect(readdirSync(built).sort()).toEqual([...names, 'manifest.json'].sort());
    expect(Object.keys(manifest.files).sort()).toEqual(names);
    expect(manifest.swaggerUi).toBe(JSON.parse(readFileSync(join(swaggerUi, 'package.json'), 'utf8')).version);
    for (const [name, from] of [['swagger-ui-bundle.js', 'swagger-ui-bundle.js'], ['swagger-ui-bundle.js.LICENSE.txt', 'swagger-ui-bundle.js.LICENSE.txt'], ['swagger-ui.css', 'swagger-ui.css'], ['swagger-ui-LICENSE', 'LICENSE'], ['swagger-ui-NOTICE', 'NOTICE']]) {
      expect(readFileSync(join(built, name!)).equals(readFileSync(join(swaggerUi, from!))), name).toBe(true);
    }
    for (const name of names) expect(createHash('sha256').update(readFileSync(join(built, name))).digest('hex'), name).toBe(manifest.files[name]!.sha256);
    expect(readFileSync(join(built, 'swagger-ui-LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    const bytes = names.reduce((n, name) => n + statSync(join(built, name)).size, 0);
    const packageBytes = readdirSync(swaggerUi).reduce((n, name) => n + statSync(join(swaggerUi, name)).size, 0);
    expect(bytes).toBeLessThan(2_100_000);
    expect(bytes).toBeLessThan(packageBytes / 4);
  });

  it('/docs/assets serves each with its type, a year of caching under the page\'s ?v=, gzip when asked, and nothing else', async () => {
    const page = await raw(keyed.url, '/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    const html = page.body.toString();
    const urls = assetUrls(html);
    expect(urls.map((u) => u.replace(/\?v=[0-9a-f]{16}$/, ''))).toEqual(
      expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/docs.css', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/docs.js', '/docs/assets/swagger-ui-LICENSE', '/docs/assets/swagger-ui-NOTICE', '/docs/assets/swagger-ui-bundle.js.LICENSE.txt']),
    );
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
    for (const url of urls) {
      const name = url.slice('/docs/assets/'.length).split('?')[0]!;
      const file = readFileSync(join(built, name));
      const zipped = await raw(keyed.url, url, { 'accept-encoding': 'gzip, deflate' });
      expect(zipped.status, url).toBe(200);
      expect(zipped.headers['content-type'], url).toBe(types[name.split('.').pop()!] ?? 'text/plain; charset=utf-8');
      expect(zipped.headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
      expect(zipped.headers['x-content-type-options'], url).toBe('nosniff');
      expect(zipped.headers['content-encoding'], url).toBe('gzip');
      expect(zipped.headers['vary'], url).toMatch(/accept-encoding/i);
      expect(gunzipSync(zipped.body).equals(file), url).toBe(true);
      const plain = await raw(keyed.url, url);
      expect(plain.headers['content-encoding'], url).toBeUndefined();
      expect(plain.body.equals(file), url).toBe(true);
    }
    const init = readFileSync(join(built, 'docs.js'), 'utf8');
    expect(init).toMatch(/validatorUrl: null/); // else swagger-ui sends the document to validator.swagger.io (for a non-local URL, so the page test cannot see it)
    expect(init).toMatch(/queryConfigEnabled: false/); // else ?url= in the address bar could load another document
    const unversioned = await raw(keyed.url, '/docs/assets/docs.js');
    expect(unversioned.status).toBe(200);
    expect(unversioned.headers['cache-control']).toBe('no-cache'); // a URL no page names may change with the next build
    expect((await raw(keyed.url, '/docs/assets/docs.js?v=0000000000000000')).headers['cache-control']).toBe('no-cache');

    const secret = readFileSync(join(root, 'package.json'));
    for (const path of [
      '/docs/assets/manifest.json', '/docs/assets/../../package.json', '/docs/assets/..%2F..%2Fpackage.json', '/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/docs/assets/..%5c..%5cpackage.json', '/docs/assets/%2fetc%2fpasswd', '/docs/assets/constructor', '/docs/assets/__proto__', '/docs/assets/', '/docs/assets/docs.js%00.css',
    ]) {
      const res = await raw(keyed.url, path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body.toString()).error.code, path).toBe('not_found');
      expect(res.body.includes(secret.subarray(0, 40)), path).toBe(false);
    }
    const post = await raw(keyed.url, '/docs/assets/docs.js', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');

    const doc = await raw(keyed.url, '/openapi.json', { 'accept-encoding': 'gzip' });
    expect(doc.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(doc.body).toString())).toEqual(JSON.parse((await raw(keyed.url, '/openapi.json')).body.toString()));
  });

  it('without the built files (running from the sources), /docs says how to build them and lists the routes, and allows no script', async () => {
    const routes = buildRoutes({ store: new MemoryStore(), clock: { now: () => Date.now() } });
    const fromEmpty = apiReference(routes, dir).page();
    const res = await createApp({ store: new MemoryStore() }).fetch(new Request('http://test/docs')); // src/api-reference does not exist
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toBe(fromEmpty.body);
    expect(html).toMatch(/not built/);
    expect(html).toContain('<code>npm run build</code>');
    expect(html).toContain('<a href="openapi.json">/openapi.json</a>');
    for (const route of routes) expect(html).toContain(`<code>${route.path}</code>`);
    expect(html).not.toMatch(/<script/i);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'/);
    const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    const asset = await createApp({ store: new MemoryStore() }).fetch(new Request('http://test/docs/assets/docs.js'));
    expect(asset.status).toBe(404);
    expect(((await asset.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

/** A fresh context that records requests leaving the server and CSP violations. */
async function watchedPage(origin: string): Promise<{ context: BrowserContext; page: Page; outside: string[]; cspViolations: () => Promise<string[]> }> {
  const context = await browser!.newContext();
  await context.addInitScript(() => {
    const seen: string[] = [];
    const page = globalThis as unknown as { __csp: string[]; document: { addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void } };
    page.__csp = seen;
    page.document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const outside = await recordOutsideRequests(context, origin);
  const page = await context.newPage();
  return { context, page, outside, cspViolations: () => page.evaluate(() => (globalThis as unknown as { __csp: string[] }).__csp) };
}

/**
 * axe's serious violations, split into those in our markup (outside swagger-ui's root) and
 * those in swagger-ui's. Of swagger-ui's, the kinds docs.css and docs.js fix are ours too.
 */
async function accessibility(page: Page): Promise<{ ours: AxeViolation[]; swaggerUi: AxeViolation[] }> {
  const violations = await seriousAccessibilityViolations(page);
  const inside = await page.evaluate(
    (targets) => {
      const { document } = globalThis as unknown as { document: { querySelector(selector: string): { closest(selector: string): unknown } | null } };
      return targets.map((list) => list.every((t) => document.querySelector(t)?.closest('#swagger-ui') != null));
    },
    violations.map((v) => v.targets),
  );
  return { ours: violations.filter((_, i) => !inside[i]), swaggerUi: violations.filter((_, i) => inside[i]) };
}

/** The same check on one part of a page that `accessibility` already ran on (axe is loaded), such as a dialog over it. */
async function partViolations(page: Page, selector: string): Promise<{ ours: AxeViolation[]; swaggerUi: AxeViolation[] }> {
  const violations = await page.evaluate(async (include) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run({ include: [include] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, selector);
  return { ours: [], swaggerUi: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical') };
}

const FIXED_BY_US = ['color-contrast', 'nested-interactive', 'select-name', 'button-name', 'scrollable-region-focusable', 'label-content-name-mismatch'];

function expectAccessible(found: { ours: AxeViolation[]; swaggerUi: AxeViolation[] }, state: string): void {
  expect(found.ours, state).toEqual([]);
  expect(found.swaggerUi.filter((v) => FIXED_BY_US.includes(v.id)), state).toEqual([]);
  if (found.swaggerUi.length) console.info(`axe, swagger-ui's own markup (${state}):`, JSON.stringify(found.swaggerUi.map((v) => ({ id: v.id, impact: v.impact, nodes: v.targets.length }))));
}

const operationsOf = (doc: { paths: Record<string, Record<string, unknown>> }) => Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);

describe('/docs in Chromium', () => {
  // One page load for the whole walk through: swagger-ui renders 41 operations, which on a busy
  // 2-core machine takes seconds, so the steps share it.
  it.skipIf(chromiumMissing)(
    `against a server with API keys: every operation by tag; one expands to its parameters and response schema; Execute on GET /v1/sessions ` +
      `is 401, then 200 with the key typed into Authorize sent as a bearer token; nothing leaves 127.0.0.1; the CSP holds${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`,
    async () => {
      const created = await fetch(`${keyed.url}/v1/apps/shop/users/u1/sessions`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: '{"id":"acme-session"}',
      });
      expect(created.status).toBe(201);
      const { context, page, outside, cspViolations } = await watchedPage(keyed.url);
      const transferred = new Map<string, number>();
      page.on('requestfinished', async (req) => {
        const sizes = await req.sizes();
        transferred.set(req.url(), sizes.responseBodySize + sizes.responseHeadersSize);
      });

      // The page, its policy, every operation under its tag, and what the first load weighs.
      const docs = await page.goto(`${keyed.url}/docs`);
      expect(docs!.headers()['content-security-policy']).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      await page.locator('.opblock').first().waitFor();
      await page.waitForLoadState('networkidle');
      const doc = (await (await fetch(`${keyed.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      expect(await page.locator('.opblock').count()).toBe(operationsOf(doc));
      expect(await page.locator('.opblock-tag').evaluateAll((tags) => tags.map((t) => t.getAttribute('data-tag')))).toEqual(
        ['sessions', 'events', 'state', 'search and history', 'files', 'admin', 'health'],
      );
      const weight = [...transferred.values()].reduce((a, b) => a + b, 0);
      console.info(`/docs first load: ${transferred.size} requests, ${weight} bytes transferred`, Object.fromEntries([...transferred].map(([u, b]) => [new URL(u).pathname, b])));
      expect(weight).toBeLessThan(600_000);

      // An operation expanded: its parameters, described, and its response schema.
      const getSession = page.locator('#operations-sessions-getSession');
      await getSession.locator('.opblock-summary-control').click();
      const rows = getSession.locator('tr[data-param-name]');
      await rows.first().waitFor();
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-param-name')))).toEqual(['app', 'user', 'session', 'events', 'afterTimestamp', 'X-Sessiondb-Tenant']);
      expect(await getSession.locator('tr[data-param-name="events"]').innerText()).toMatch(/How many of the newest events/);
      const ok = getSession.locator('.responses-table tr.response[data-code="200"]');
      expect(await ok.innerText()).toContain('"eventCount": 2'); // the response example
      await ok.locator('[data-name="model"]').click();
      await expect.poll(() => ok.innerText()).toMatch(/A stored session[\s\S]*eventCount[\s\S]*version/);
      expect(await getSession.locator('.responses-table tr.response').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-code')))).toEqual(
        ['200', '400', '401', '403', '404', '429', '500', '503'],
      );

      // Try it out without a key: the server's 401.
      const list = page.locator('#operations-sessions-listSessions');
      await list.locator('.opblock-summary-control').click();
      await list.locator('.try-out__btn').click();
      await list.locator('button.execute').click();
      const status = () => list.locator('.live-responses-table tr.response .response-col_status').first().innerText();
      await expect.poll(status, { timeout: 10_000 }).toBe('401');
      expectAccessible(await accessibility(page), 'the list, an operation expanded, another executed');

      // Authorize with the key, then Execute again: the key goes out, the tenant's sessions come back.
      await page.locator('.auth-wrapper .btn.authorize').click();
      const dialog = page.locator('.modal-ux');
      await dialog.waitFor();
      expectAccessible(await partViolations(page, '.modal-ux'), 'the Authorize dialog');
      const bearer = dialog.locator('.auth-container').filter({ hasText: 'bearerAuth' });
      await bearer.locator('input').fill(KEY);
      await bearer.locator('button[type="submit"]').click();
      await bearer.getByText('Authorized').first().waitFor();
      await dialog.locator('button.btn-done').first().click();
      const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/sessions');
      await list.locator('button.execute').click();
      expect((await sent).headers()['authorization']).toBe(`Bearer ${KEY}`);
      await expect.poll(status, { timeout: 10_000 }).toBe('200');
      const body = await list.locator('.live-responses-table tr.response .response-col_description').first().innerText();
      expect(body).toContain('"id": "acme-session"');
      expect(body).toContain('"tenant": "acme"');

      expect(outside).toEqual([]);
      expect(await cspViolations()).toEqual([]);
      await context.close();
    },
  );

  it.skipIf(chromiumMissing)(
    `the page of a server without the built files has no serious accessibility violation and breaks none of its CSP${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`,
    async () => {
      const server = serve({ fetch: createApp({ store: new MemoryStore() }).fetch, hostname: '127.0.0.1', port: 0 });
      await new Promise((resolve) => server.once('listening', resolve));
      const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      try {
        const { context, page, outside, cspViolations } = await watchedPage(origin);
        await page.goto(`${origin}/docs`);
        expect(await page.locator('h1').innerText()).toBe('sessiondb API reference');
        expect(await page.locator('table tbody tr').count()).toBeGreaterThan(30);
        const font = await page.evaluate(() => {
          const window = globalThis as unknown as { document: { body: unknown }; getComputedStyle(element: unknown): { fontFamily: string } };
          return window.getComputedStyle(window.document.body).fontFamily;
        });
        expect(font).toMatch(/system-ui/); // the inline style, allowed by its hash
        expect(await accessibility(page)).toEqual({ ours: [], swaggerUi: [] });
        expect(outside).toEqual([]);
        expect(await cspViolations()).toEqual([]);
        await context.close();
      } finally {
        server.close();
      }
    },
  );
});

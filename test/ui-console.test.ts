// The web console end to end: Debian's Chromium (playwright-core) against `sessiondb serve`
// (the built CLI) on temporary SQLite files, with data written through the HTTP API.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumUnavailableReason, launchChromium, recordOutsideRequests, seriousAccessibilityViolations } from './browser.js';
import { startServer, tempDir } from './helpers.js';
import { apiCall, CONVERSATIONS, longSession, olderSessions, seedSession, XSS_PAYLOADS, type SeedSession } from './ui-helpers.js';

const reason = chromiumUnavailableReason();
const test = (name: string, fn: () => Promise<void>, timeout?: number) => it.skipIf(reason)(reason ? `${name} (skipped: ${reason})` : name, fn, timeout);

const dir = tempDir('ui-console');
const shots = tempDir('ui-shots');
const ACME_KEY = 'acme-console-key-0001';
const GLOBEX_KEY = 'globex-console-key-0002';
const ADMIN_KEY = 'ops-admin-console-key-0003';
const VIEWPORT = { width: 1280, height: 860 };

type Server = Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let open: Server; // no keys (loopback): the console just opens
let keyed: Server; // API keys configured
let doomed: Server; // stopped mid-test
let context: BrowserContext;
let outside: string[];
/** Script errors of any page, checked by the last test. */
const pageErrors: string[] = [];

const S = (id: string) => CONVERSATIONS.find((c) => c.id === id)!;
const sessionUrl = (s: Pick<SeedSession, 'appName' | 'userId' | 'id'>, seq?: number) =>
  `/ui/sessions/${encodeURIComponent(s.appName)}/${encodeURIComponent(s.userId)}/${encodeURIComponent(s.id)}${seq ? `?seq=${seq}` : ''}`;
const apiPath = (s: Pick<SeedSession, 'appName' | 'userId' | 'id'>) => `/v1/apps/${s.appName}/users/${s.userId}/sessions/${s.id}`;

const REWIND: SeedSession = {
  appName: 'support-bot',
  userId: 'margaret',
  id: 'rewind-me',
  title: 'Shipping address change',
  startedMinutesAgo: 60 * 70,
  events: Array.from({ length: 6 }, (_, i) => ({ author: i % 2 ? 'agent' : 'user', role: i % 2 ? ('assistant' as const) : ('user' as const), content: `Step ${i + 1} of the address change`, stateDelta: { step: i + 1 } })),
};

beforeAll(async () => {
  if (reason) return;
  const config = join(dir, 'keys.yaml');
  writeFileSync(
    config,
    [
      `url: "sqlite:${join(dir, 'keyed.db')}"`,
      'server:',
      '  apiKeys:',
      `    - { tenant: acme, key: "${ACME_KEY}" }`,
      `    - { tenant: globex, key: "${GLOBEX_KEY}" }`,
      `    - { tenant: ops, key: "${ADMIN_KEY}", admin: true }`,
      '',
    ].join('\n'),
  );
  [browser, open, keyed, doomed] = await Promise.all([
    launchChromium(),
    startServer(['--db', `sqlite:${join(dir, 'open.db')}`]),
    startServer(['--config', config]),
    startServer(['--db', `sqlite:${join(dir, 'doomed.db')}`]),
  ]);

  const seeds: Promise<unknown>[] = [...CONVERSATIONS, longSession('long-thread', 120), REWIND].map((s) => seedSession(open.url, s));
  // Older sessions of one app, for paging (55: a page of 50 and one of 5).
  for (const s of olderSessions(55)) seeds.push(seedSession(open.url, s));
  const now = Date.now();
  seeds.push(
    apiCall(open.url, 'POST', '/v1/files', {
      name: 'receipt-A-1042.pdf', displayName: 'Receipt for order A-1042', mimeType: 'application/pdf', size: 48_213, uri: 'gs://support-uploads/receipt-A-1042.pdf', expiresAt: now + 7 * 86_400_000,
    }),
    apiCall(open.url, 'POST', '/v1/files', { name: 'old-export.json', mimeType: 'application/json', size: 912, uri: 'javascript:alert("uri")', expiresAt: now - 3_600_000 }),
  );
  // Markup in every field a person reads, in its own tenant (the keyless caller may name one).
  const lab = { 'x-sessiondb-tenant': 'lab' };
  seeds.push(
    seedSession(
      open.url,
      {
        appName: 'xss-lab',
        userId: '<b>mallory</b>',
        id: 'payloads',
        title: XSS_PAYLOADS[0],
        model: '<img src=x onerror=alert(1)>',
        state: { '<script>k</script>': XSS_PAYLOADS[1] },
        startedMinutesAgo: 3,
        events: [
          ...XSS_PAYLOADS.map((p) => ({ author: 'user', role: 'user' as const, content: p })),
          { author: '<img src=x onerror=alert(2)>', role: 'assistant', content: { parts: [{ text: XSS_PAYLOADS[1] }, { functionCall: { name: '<svg onload=alert(3)>', args: { html: XSS_PAYLOADS[0] } } }] }, stateDelta: { note: XSS_PAYLOADS[2] } },
        ],
      },
      lab,
    ),
  );
  const keyedSeeds = [
    seedSession(keyed.url, { appName: 'billing', userId: 'acme-user', id: 'acme-invoice', title: 'Acme: invoice question', startedMinutesAgo: 5, events: [{ author: 'user', role: 'user', content: 'Where is invoice 7?' }] }, { authorization: `Bearer ${ACME_KEY}` }),
    seedSession(keyed.url, { appName: 'billing', userId: 'globex-user', id: 'globex-refund', title: 'Globex: refund question', startedMinutesAgo: 5, events: [{ author: 'user', role: 'user', content: 'Refund please' }] }, { authorization: `Bearer ${GLOBEX_KEY}` }),
  ];
  await Promise.all([...seeds, ...keyedSeeds]);

  context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  outside = await recordOutsideRequests(context, open.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of [open, keyed, doomed]) s?.child.kill('SIGTERM');
});

/** A fresh tab (of the shared context by default); its script errors are collected. */
async function newPage(ctx: BrowserContext = context): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
  return page;
}

/** Takes a screenshot into the temporary folder (and into docs/screenshots with SESSIONDB_UPDATE_SCREENSHOTS=1). */
async function screenshot(page: Page, name: 'sessions' | 'session' | 'search'): Promise<void> {
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  const png = readFileSync(file);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.length).toBeGreaterThan(20_000);
  if (process.env['SESSIONDB_UPDATE_SCREENSHOTS'] === '1') {
    const target = join(import.meta.dirname, '..', 'docs', 'screenshots');
    mkdirSync(target, { recursive: true });
    copyFileSync(file, join(target, `${name}.png`));
  }
}

async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
  const violations = await seriousAccessibilityViolations(page);
  expect(violations, `${what}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

/**
 * Presses Tab (Shift+Tab with `back`) until the focused element matches the
 * CSS `selector` (and has the text `text`, when given), then checks that it
 * shows its focus; fails after `max` presses.
 */
async function tabTo(page: Page, selector: string, options: { text?: string; back?: boolean; max?: number } = {}): Promise<void> {
  for (let i = 0; i < (options.max ?? 80); i++) {
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
    const reached = await inPage<boolean>(
      page,
      `(() => { const el = document.activeElement; return !!el && el.matches(${JSON.stringify(selector)}) && (${JSON.stringify(options.text ?? null)} === null || el.textContent.trim() === ${JSON.stringify(options.text ?? null)}); })()`,
    );
    if (reached) {
      // What has focus must show it: an outline (the console's focus ring).
      const outline = await inPage<{ style: string; width: number }>(
        page,
        '(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()',
      );
      expect(outline.style, `focus ring of ${selector}`).not.toBe('none');
      expect(outline.width, `focus ring of ${selector}`).toBeGreaterThanOrEqual(2);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector} ${options.text ?? ''}`);
}

/** Evaluates an expression in the page (a string: this file is type-checked without the DOM's types). */
function inPage<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

const rows = (page: Page) => page.locator('table.sessions tbody tr');

describe('the web console in Chromium', () => {
  test('serves the page with its Content-Security-Policy, and the browser blocks an inline script', async () => {
    const page = await newPage();
    const response = await page.goto(`${open.url}/`);
    expect(page.url()).toBe(`${open.url}/ui/`);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response!.headers()['x-content-type-options']).toBe('nosniff');
    await expect.poll(() => rows(page).count()).toBeGreaterThan(0);
    const outcome = await inPage<{ ran: string | null; violations: string[] }>(
      page,
      `(async () => {
        const violations = [];
        document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
        const script = document.createElement('script');
        script.textContent = 'window.__inline = "ran"';
        document.body.append(script);
        const holder = document.createElement('div');
        holder.innerHTML = '<img src="/ui/favicon.svg" onload="window.__inline = 1">';
        document.body.append(holder);
        await new Promise((r) => setTimeout(r, 300));
        holder.remove();
        return { ran: window.__inline ?? null, violations };
      })()`,
    );
    expect(outcome.ran).toBeNull();
    expect(outcome.violations).toContain('script-src-elem');
    expect(outcome.violations).toContain('script-src-attr');
    await page.close();
  });

  test('lists the sessions with title, app, user, status, model, events and last activity, and the totals', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/ui/`);
    await expect.poll(() => rows(page).count()).toBe(50);
    const first = (await rows(page).first().locator('td').allInnerTexts()).map((t) => t.trim());
    expect(first[0]).toContain('Refund for a cracked teapot');
    expect(first[0]).toContain('refund-teapot');
    expect(first.slice(1, 6)).toEqual(['support-bot', 'ada', 'active', 'gemini-2.5-flash', '8']);
    expect(first[6]).toMatch(/min ago$/);
    const totals = page.getByRole('definition').first();
    expect(await totals.innerText()).toBe(String(CONVERSATIONS.length + 2 + 55)); // + the long one, the rewind one, the older ones
    await screenshot(page, 'sessions');
    await expectNoSeriousViolations(page, 'sessions');
    await page.close();
  });

  test('filters by app, user and status, and pages by cursor forward and back', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/ui/`);
    await page.getByLabel('App', { exact: true }).fill('travel-planner');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('app=travel-planner');
    await expect.poll(() => rows(page).count()).toBe(2);
    expect(await rows(page).locator('td:nth-child(2)').allInnerTexts()).toEqual(['travel-planner', 'travel-planner']);
    await page.getByLabel('User', { exact: true }).fill('grace');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows(page).count()).toBe(1);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Status').selectOption('archived');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows(page).locator('td:first-child a').allInnerTexts()).toEqual(['Password reset loop']);

    await page.goto(`${open.url}/ui/?app=shop-assistant`);
    await expect.poll(() => rows(page).count()).toBe(50);
    const ids = () => rows(page).locator('td:first-child .sub').allInnerTexts();
    const firstPage = await ids();
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => rows(page).count()).toBe(5);
    expect(await page.locator('.pager-page').innerText()).toBe('Page 2');
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    const secondPage = await ids();
    expect(new Set([...firstPage, ...secondPage]).size).toBe(55);
    expect(await rows(page).locator('td:nth-child(2)').allInnerTexts()).toEqual(Array(5).fill('shop-assistant'));
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(ids).toEqual(firstPage);
    expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);
    await page.goBack(); // the browser's history holds the pages too
    await expect.poll(() => rows(page).count()).toBe(5);
    await page.close();
  });

  test('searches from the box and opens a hit at its event, scrolled to and highlighted', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/ui/`);
    await page.getByRole('searchbox', { name: 'Search every conversation' }).fill('teapot');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.hit').count()).toBeGreaterThan(2);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Search results for “teapot”');
    const marks = await page.locator('.snippet mark').allInnerTexts();
    expect(marks.length).toBeGreaterThan(2);
    for (const m of marks) expect(m.toLowerCase()).toBe('teapot');
    expect((await page.locator('.snippet').allInnerTexts()).join(' ')).not.toContain('**');
    await screenshot(page, 'search');
    await expectNoSeriousViolations(page, 'search results');

    await page.getByRole('link', { name: 'refund-teapot · event #8' }).click();
    await expect.poll(() => page.url()).toBe(`${open.url}${sessionUrl(S('refund-teapot'), 8)}`);
    const target = page.locator('#event-8');
    await expect.poll(() => target.getAttribute('class')).toContain('target');
    await expect.poll(() => inPage(page, 'document.activeElement?.id')).toBe('event-8');
    expect(await target.isVisible()).toBe(true);
    const box = (await target.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeLessThan(VIEWPORT.height);
    await page.close();
  });

  test('reads a transcript: roles, authors and times; a tool call expands to pretty-printed arguments; state deltas and scopes', async () => {
    const page = await newPage();
    await page.goto(`${open.url}${sessionUrl(S('refund-teapot'))}`);
    const call = page.locator('#event-2 details.tool-call');
    await expect.poll(() => call.locator('summary').innerText()).toBe('Tool call lookup_order · call-1');
    expect(await page.locator('#event-2 h3').innerText()).toBe('#2 Assistant · support_agent');
    expect(await page.locator('#event-2 time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    const args = call.locator('pre');
    expect(await args.isVisible()).toBe(false);
    await call.locator('summary').click();
    expect(await args.isVisible()).toBe(true);
    expect(await args.innerText()).toBe(JSON.stringify({ orderId: 'A-1042', include: ['items', 'shipping'] }, null, 2));
    await page.locator('#event-3 details.tool-result summary').click();
    expect(await page.locator('#event-3 details.tool-result pre').innerText()).toContain('"name": "Cast-iron teapot"');

    const delta = page.getByRole('region', { name: 'State delta of event #1' });
    const cells = (texts: string[]) => texts.map((row) => row.split('\t').map((cell) => cell.trim()));
    expect(cells(await delta.locator('tbody tr').allInnerTexts())).toEqual([['user:name', 'user', '"Ada"'], ['order_id', 'session', '"A-1042"']]);
    const state = page.getByRole('table', { name: 'Merged state of the session' });
    const scopes = Object.fromEntries((await state.locator('tbody tr').allInnerTexts()).map((r) => r.split('\t').slice(0, 2)));
    expect(scopes).toEqual({ 'app:refund_window_days': 'app', 'user:name': 'user', 'user:open_refunds': 'user', order_id: 'session', order_status: 'session', refund_id: 'session' });
    await screenshot(page, 'session');
    await expectNoSeriousViolations(page, 'a session');

    // OpenAI items: a function call whose arguments were JSON text; temp: keys never stored.
    await page.goto(`${open.url}${sessionUrl(S('lisbon-weekend'))}`);
    await page.locator('#event-2 details.tool-call summary').click();
    expect(await page.locator('#event-2 details.tool-call pre').innerText()).toBe('{\n  "city": "Lisbon",\n  "month": "December"\n}');
    expect(await page.locator('body').innerText()).not.toContain('temp:draft');
    await page.close();
  });

  test('exports JSON, Markdown and text as downloads named after the session', async () => {
    const page = await newPage();
    await page.goto(`${open.url}${sessionUrl(S('refund-teapot'))}`);
    const download = async (label: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label, exact: true }).click()]);
      return { name: file.suggestedFilename(), text: readFileSync((await file.path())!, 'utf8') };
    };
    const json = await download('JSON');
    expect(json.name).toBe('refund-teapot.json');
    const data = JSON.parse(json.text) as { format: string; session: { id: string }; events: unknown[] };
    expect([data.format, data.session.id, data.events.length]).toEqual(['sessiondb.session', 'refund-teapot', 8]);
    const md = await download('Markdown');
    expect(md.name).toBe('refund-teapot.md');
    expect(md.text).toMatch(/^# Refund for a cracked teapot\n/);
    expect(md.text).toContain('my teapot arrived with a crack');
    const txt = await download('text');
    expect(txt.name).toBe('refund-teapot.txt');
    expect(txt.text).toContain('A refund please.');
    await page.close();
  });

  test('archives and restores a session', async () => {
    const page = await newPage();
    const kyoto = S('kyoto-autumn');
    await page.goto(`${open.url}${sessionUrl(kyoto)}`);
    await page.getByRole('button', { name: 'Archive' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Session archived.');
    await expect.poll(() => page.locator('.session-head .status').innerText()).toBe('archived');
    expect((await apiCall<{ status: string }>(open.url, 'GET', apiPath(kyoto))).status).toBe('archived');
    await page.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Session restored: it is active again.');
    await expect.poll(() => page.locator('.session-head .status').innerText()).toBe('active');
    expect((await apiCall<{ status: string }>(open.url, 'GET', apiPath(kyoto))).status).toBe('active');
    await page.close();
  });

  test('forks at an event: the new session exists and holds the events up to it', async () => {
    const page = await newPage();
    const lisbon = S('lisbon-weekend');
    await page.goto(`${open.url}${sessionUrl(lisbon)}`);
    await page.getByRole('button', { name: 'Fork here (event #3)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Fork at event #3?' });
    await dialog.getByLabel('New session id (optional)').fill('lisbon-fork');
    await dialog.getByRole('button', { name: 'Fork' }).click();
    await expect.poll(() => page.url()).toBe(`${open.url}${sessionUrl({ ...lisbon, id: 'lisbon-fork' })}`);
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Forked from lisbon-weekend at event #3: this is the new session.');
    await expect.poll(() => page.locator('.range').innerText()).toBe('Showing events #1–#3 of 3');
    const fork = await apiCall<{ eventCount: number; metadata: { forkedFrom: unknown } }>(open.url, 'GET', `/v1/apps/travel-planner/users/grace/sessions/lisbon-fork?events=none`);
    expect(fork.eventCount).toBe(3);
    expect(fork.metadata.forkedFrom).toEqual({ sessionId: 'lisbon-weekend', seq: 3 });
    await page.close();
  });

  test('rewinds to an event after a confirmation that says what happens, and tells how many events were superseded', async () => {
    const page = await newPage();
    await page.goto(`${open.url}${sessionUrl(REWIND)}`);
    await page.getByRole('button', { name: 'Rewind here (event #4)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rewind to event #4?' });
    expect(await dialog.innerText()).toContain('The 2 events after #4 (#5–#6) leave the visible history');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await apiCall<{ eventCount: number }>(open.url, 'GET', `${apiPath(REWIND)}?events=none`)).eventCount).toBe(6);

    await page.getByRole('button', { name: 'Rewind here (event #4)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rewind' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Rewound to event #4: 2 events superseded (kept for audit, no longer in the history).');
    await expect.poll(() => page.locator('.range').innerText()).toBe('Showing events #1–#4 of 4');
    expect((await apiCall<{ eventCount: number; state: { step: number } }>(open.url, 'GET', `${apiPath(REWIND)}?events=none`))).toMatchObject({ eventCount: 4, state: { step: 4 } });
    expect((await apiCall<{ events: unknown[] }>(open.url, 'GET', `${apiPath(REWIND)}/superseded`)).events).toHaveLength(2);
    await page.close();
  });

  test('deletes a session only after confirming', async () => {
    const page = await newPage();
    const flaky = S('flaky-test-triage');
    await page.goto(`${open.url}${sessionUrl(flaky)}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this session?' });
    expect(await dialog.innerText()).toContain('cannot be undone');
    await expectNoSeriousViolations(page, 'the delete dialog');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await apiCall<{ id: string }>(open.url, 'GET', `${apiPath(flaky)}?events=none`)).id).toBe(flaky.id);

    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete session' }).click();
    await expect.poll(() => page.url()).toBe(`${open.url}/ui/`);
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Deleted session flaky-test-triage.');
    await expect(apiCall(open.url, 'GET', apiPath(flaky))).rejects.toThrow(/404/);
    await page.close();
  });

  test('opens a long session a page at a time, around the event a link names', async () => {
    const page = await newPage();
    const eventRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/apps/')) eventRequests.push(r.url().replace(open.url, ''));
    });
    const long = { appName: 'support-bot', userId: 'linus', id: 'long-thread' };
    await page.goto(`${open.url}${sessionUrl(long, 100)}`);
    await expect.poll(() => page.locator('.range').innerText()).toBe('Showing events #90–#120 of 120');
    await expect.poll(() => inPage(page, 'document.activeElement?.id')).toBe('event-100');
    expect(eventRequests).toEqual([`${apiPath(long)}?events=none`, `${apiPath(long)}/events?afterSeq=89&limit=50`]);
    await page.getByRole('button', { name: 'Show 50 earlier events' }).click();
    await expect.poll(() => page.locator('.range').innerText()).toBe('Showing events #40–#120 of 120');

    await page.goto(`${open.url}${sessionUrl(long)}`);
    await expect.poll(() => page.locator('.range').innerText()).toBe('Showing events #1–#50 of 120');
    expect(await page.locator('article.event').count()).toBe(50);
    await page.getByRole('button', { name: 'Show 50 later events' }).click();
    await expect.poll(() => page.locator('.range').innerText()).toBe('Showing events #1–#100 of 120');
    await page.getByLabel('Go to event #').fill('117');
    await page.keyboard.press('Enter');
    await expect.poll(() => inPage(page, 'document.activeElement?.id')).toBe('event-117');
    await page.close();
  });

  test("shows the API's errors, and a server that does not answer with a way to retry", async () => {
    const page = await newPage();
    await page.goto(`${open.url}/ui/sessions/nope/nobody/missing`);
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.innerText()).toContain('Not found');
    expect(await alert.innerText()).toContain('missing'); // the API's message names the session
    expect(await alert.innerText()).toContain('Error code: not_found');
    await page.goto(`${open.url}/ui/search?q=${encodeURIComponent('"'.repeat(3) + 'x'.repeat(1001))}`);
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('Error code: invalid');
    await page.close();

    const other = await browser.newContext({ viewport: VIEWPORT });
    const elsewhere = await recordOutsideRequests(other, doomed.url);
    const downPage = await newPage(other);
    await downPage.goto(`${doomed.url}/ui/`);
    await expect.poll(() => downPage.getByRole('heading', { level: 1 }).innerText()).toBe('Sessions');
    const exited = new Promise((resolve) => doomed.child.once('exit', resolve));
    doomed.child.kill('SIGTERM');
    await exited;
    await downPage.getByRole('link', { name: 'Files' }).click();
    await expect.poll(() => downPage.getByRole('alert').innerText()).toContain('Cannot reach the server');
    expect(await downPage.getByRole('button', { name: 'Retry' }).isVisible()).toBe(true);
    expect(elsewhere).toEqual([]);
    await other.close();
  });

  test('renders message content as text: <script> and onerror payloads stay inert', async () => {
    const page = await newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${open.url}/ui/`);
    await page.getByLabel('Tenant', { exact: true }).fill('lab');
    await page.getByRole('button', { name: 'Switch' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Now acting for tenant lab.');
    await expect.poll(() => rows(page).locator('td:first-child a').allInnerTexts()).toEqual([XSS_PAYLOADS[0]]);
    expect(await rows(page).locator('td').nth(2).innerText()).toBe('<b>mallory</b>');
    await rows(page).locator('td:first-child a').click();
    await expect.poll(() => page.locator('article.event').count()).toBe(XSS_PAYLOADS.length + 1);
    for (const [i, p] of XSS_PAYLOADS.entries()) expect(await page.locator(`#event-${i + 1} .text`).innerText()).toBe(p);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(XSS_PAYLOADS[0]);
    await page.locator('details.tool-call summary').click();
    expect(await page.locator('details.tool-call').innerText()).toContain('<svg onload=alert(3)>');
    expect(await page.locator('body').innerText()).toContain('<script>k</script>');

    await page.getByRole('searchbox').fill('onerror');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.hit').count()).toBeGreaterThan(0);
    expect((await page.locator('.snippet').allInnerTexts()).join('\n')).toContain('img src=x onerror="window.__xss');

    await page.goto(`${open.url}/ui/files`);
    await expect.poll(() => page.locator('.empty').innerText()).toBe('No file records.'); // files are per tenant: lab has none
    await inPage(page, "sessionStorage.removeItem('sessiondb.tenant')");
    await page.reload();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    expect(await page.locator('body').innerText()).toContain('javascript:alert("uri")');
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);

    await page.waitForTimeout(300); // an image error handler would have run by now
    const ran = await inPage(page, "({ xss: window.__xss ?? null, injected: document.querySelectorAll('body script, body iframe, body img, body svg[onload]').length })");
    expect(ran).toEqual({ xss: null, injected: 0 });
    expect(dialogs).toEqual([]);
    await page.close();
  });

  test('the files page lists the records with their expiry', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/ui/files`);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    const cells = await page.locator('tbody tr').allInnerTexts();
    expect(cells.join('\n')).toContain('Receipt for order A-1042');
    expect(cells.find((c) => c.includes('old-export.json'))).toContain('expired');
    expect(cells.find((c) => c.includes('Receipt'))).toMatch(/\(in \d+ days\)/);
    await expectNoSeriousViolations(page, 'files');
    await page.close();
  });

  test('every main action works from the keyboard alone, with a visible focus ring', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/ui/`);
    await expect.poll(() => rows(page).count()).toBeGreaterThan(0);
    await page.keyboard.press('Tab'); // the skip link comes first
    expect(await inPage(page, 'document.activeElement?.textContent')).toBe('Skip to content');
    await tabTo(page, '#search-q');
    await page.keyboard.type('lookup');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.hit').count()).toBeGreaterThan(0);
    await tabTo(page, 'a.hit-link');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('/ui/sessions/support-bot/ada/refund-teapot?seq=');
    await expect.poll(() => inPage(page, 'document.activeElement?.id')).toMatch(/^event-\d+$/);
    await tabTo(page, 'details.tool-call summary');
    await page.keyboard.press('Enter');
    expect(await page.locator('details.tool-call[open]').count()).toBe(1);

    await tabTo(page, 'button', { text: 'Markdown', back: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe('refund-teapot.md');
    await tabTo(page, 'button', { text: 'Archive' });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Session archived.');
    await expect.poll(() => inPage(page, 'document.activeElement?.textContent')).toBe('Restore'); // the same button, still focused
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Session restored: it is active again.');
    await tabTo(page, 'button', { text: 'Delete' });
    await page.keyboard.press('Enter');
    await expect.poll(() => inPage(page, 'document.activeElement?.textContent')).toBe('Cancel'); // the safe choice
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => inPage(page, 'document.activeElement?.textContent')).toBe('Delete');
    await tabTo(page, 'button', { text: 'Fork here (event #2)' });
    await page.keyboard.press('Enter');
    await expect.poll(() => inPage(page, 'document.activeElement?.textContent')).toBe('Cancel');
    await page.keyboard.press('Shift+Tab'); // from Cancel back to the id field
    await page.keyboard.type('teapot-fork');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toBe(`${open.url}${sessionUrl({ ...S('refund-teapot'), id: 'teapot-fork' })}`);
    await expect.poll(() => inPage(page, 'document.activeElement?.tagName')).toBe('H1'); // a new page puts focus at its top
    await tabTo(page, 'a', { text: 'Files', back: true });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Files');
    await page.close();
  });

  test('asks for an API key once per tab when the server has keys: a wrong key gets a clear message, the right one the list', async () => {
    const ctx = await browser.newContext({ viewport: VIEWPORT });
    const elsewhere = await recordOutsideRequests(ctx, keyed.url);
    const page = await newPage(ctx);
    const sent: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/sessions')) sent.push(r.headers()['authorization']);
    });
    await page.goto(`${keyed.url}/ui/`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Enter an API key');
    await expectNoSeriousViolations(page, 'the key prompt');
    await page.getByLabel('API key', { exact: true }).fill('not-the-key-000000000');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toBe('That API key was not accepted by the server. Check it and try again.');
    expect(await page.getByLabel('API key', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    sent.length = 0; // the console's start asked without a key (and was refused); from here on it has one
    await page.getByLabel('API key', { exact: true }).fill(ACME_KEY);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await expect.poll(() => rows(page).locator('td:first-child a').allInnerTexts()).toEqual(['Acme: invoice question']);
    expect(sent.every((h) => h === `Bearer ${ACME_KEY}`) && sent.length > 0).toBe(true);
    expect(await page.locator('.tenant-name').innerText()).toBe('Tenant: acme');
    expect(await page.getByLabel('Tenant', { exact: true }).count()).toBe(0); // a tenant key cannot pick another tenant

    await page.reload(); // the key stays with the tab
    await expect.poll(() => rows(page).count()).toBe(1);
    const secondTab = await newPage(ctx);
    await secondTab.goto(`${keyed.url}/ui/`);
    await expect.poll(() => secondTab.getByRole('heading', { level: 1 }).innerText()).toBe('Enter an API key');
    expect(await inPage(secondTab, 'localStorage.length')).toBe(0);

    await page.getByRole('button', { name: 'Forget key' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Enter an API key');
    expect(await inPage(page, "sessionStorage.getItem('sessiondb.apiKey')")).toBeNull();
    expect(elsewhere).toEqual([]);
    await ctx.close();
  });

  test('an admin key picks the tenant, sent as X-Sessiondb-Tenant', async () => {
    const ctx = await browser.newContext({ viewport: VIEWPORT });
    const page = await newPage(ctx);
    const tenants: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/sessions')) tenants.push(r.headers()['x-sessiondb-tenant']);
    });
    await page.goto(`${keyed.url}/ui/`);
    await page.getByLabel('API key', { exact: true }).fill(ADMIN_KEY);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.empty').innerText()).toBe('No sessions yet.'); // the admin key's own tenant, ops
    await page.getByLabel('Tenant', { exact: true }).fill('globex');
    await page.getByRole('button', { name: 'Switch' }).click();
    await expect.poll(() => rows(page).locator('td:first-child a').allInnerTexts()).toEqual(['Globex: refund question']);
    expect(tenants[tenants.length - 1]).toBe('globex');
    expect(await page.locator('footer').innerText()).toContain('tenant globex');
    await ctx.close();
  });

  test('no request left 127.0.0.1, and no page had a script error', async () => {
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); override with SESSIONDB_CHROMIUM. */
export const CHROMIUM = process.env['SESSIONDB_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser tests cannot run, or null when they can. In CI a missing Chromium fails instead of skipping. */
export function chromiumUnavailableReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env['CI']) throw new Error(`${reason}; CI requires it (.ci/run installs it)`);
  return reason;
}


/**
 * Starts Debian's Chromium headless (Playwright gives it a fresh empty
 * profile), with the flags this machine's closed network needs: without them
 * Chromium keeps trying to reach its own services.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic',
    ],
  });
}

/**
 * Records every request the context makes that does not go to `origin`
 * (for example `http://127.0.0.1:4321`); the test asserts the list stays empty.
 * Requests to other hosts are aborted so that nothing leaves the machine.
 */
export async function recordOutsideRequests(context: BrowserContext, origin: string): Promise<string[]> {
  const outside: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url === origin || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  return outside;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One accessibility problem axe-core found. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2 A/AA rules) on the page and returns the serious and
 * critical violations. axe is evaluated through the DevTools protocol, which
 * the page's Content-Security-Policy does not restrict.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

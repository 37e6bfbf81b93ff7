import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import type { Env } from './routes.js';

/**
 * What the console's pages may load: their own scripts, styles and images
 * only. No inline script or style, nothing from another origin, no plugins,
 * no framing.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.map', '.txt', '.svg']);

/** Vite puts content-hashed names under assets/: a name never changes its bytes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

type Bytes = Uint8Array<ArrayBuffer>;

interface ConsoleFile {
  body: Bytes;
  type: string;
  immutable: boolean;
  compressible: boolean;
  gzip?: Bytes;
  br?: Bytes;
}

/**
 * Where `npm run build` puts the console: `dist/ui`, next to `dist/server`.
 * From the TypeScript sources (tests, tsx) that is `../../dist/ui`.
 */
export function defaultConsoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, '..', 'ui');
  return existsSync(join(built, 'index.html')) ? built : join(here, '..', '..', 'dist', 'ui');
}

/** Every file under `dir`, by its path relative to it with `/` separators. Read once, kept in memory (the console is small). */
function readTree(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const rel = relative(dir, path).split(sep).join('/');
        const ext = extname(name).toLowerCase();
        files.set(rel, {
          body: new Uint8Array(readFileSync(path)),
          type: TYPES[ext] ?? 'application/octet-stream',
          immutable: rel.startsWith('assets/'),
          compressible: COMPRESSIBLE.has(ext),
        });
      }
    }
  };
  walk(dir);
  return files;
}

/**
 * The console's path below `/ui/` as a file name, or null when it cannot name
 * a file: a segment that is empty, `.` or `..`, or that holds a separator or
 * NUL once decoded (`%2e%2e`, `%2f`, `%5c`). Serving only from the map of
 * files read at start-up already keeps every request inside the folder; this
 * refuses such paths outright instead of answering them with the page.
 */
function fileName(rawPath: string): string | null {
  const segments = rawPath.split('/');
  const names: string[] = [];
  for (const [i, segment] of segments.entries()) {
    if (segment === '' && i === segments.length - 1) break; // a trailing slash
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return null;
    }
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return null;
    names.push(name);
  }
  return names.join('/');
}

/** Whether a request may be for a page of the single-page app (anything but an asset or a file at the top). */
function isPagePath(name: string): boolean {
  if (name === 'assets' || name.startsWith('assets/')) return false;
  return name.includes('/') || !extname(name);
}

/** The codings an Accept-Encoding header takes (q above 0). */
function acceptedCodings(header: string): Set<string> {
  const codings = new Set<string>();
  for (const item of header.split(',')) {
    const [coding, ...params] = item.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (coding && !(q && Number(q.slice(2)) === 0)) codings.add(coding);
  }
  return codings;
}

function encodingFor(file: ConsoleFile, accept: string | undefined): 'br' | 'gzip' | null {
  if (!file.compressible || file.body.length < 1024 || !accept) return null;
  const codings = acceptedCodings(accept);
  return codings.has('br') ? 'br' : codings.has('gzip') ? 'gzip' : null;
}

/** The file compressed, once (on first request: start-up pays nothing for a console nobody opens). */
function compressed(file: ConsoleFile, encoding: 'br' | 'gzip'): Bytes {
  if (encoding === 'br') {
    file.br ??= new Uint8Array(brotliCompressSync(file.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: file.body.length } }));
    return file.br;
  }
  file.gzip ??= new Uint8Array(gzipSync(file.body, { level: 9 }));
  return file.gzip;
}

/**
 * Mounts the web console: `/` and `/ui` redirect to `/ui/`; `/ui/*` answers
 * the built files from `dir` (hashed assets cached for good, brotli or gzip
 * when the browser takes it) and, for any other page path, the app's
 * `index.html`, whose script routes it. Missing assets are 404. Every answer
 * carries the console's Content-Security-Policy.
 */
export function mountConsole(app: Hono<Env>, dir: string = defaultConsoleDir()): void {
  let files: Map<string, ConsoleFile> | null = null;
  const load = () => (files ??= existsSync(join(dir, 'index.html')) ? readTree(dir) : null);

  const send = (c: Context<Env>, status: number, body: Bytes | string, headers: Record<string, string>) => {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    return c.body(bytes, status as 200, {
      ...SECURITY_HEADERS,
      'content-length': String(bytes.length),
      ...headers,
    });
  };
  const text = (c: Context<Env>, status: number, message: string) =>
    send(c, status, `${message}\n`, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  const serve = (c: Context<Env>, file: ConsoleFile) => {
    const encoding = encodingFor(file, c.req.header('accept-encoding'));
    const headers: Record<string, string> = { 'content-type': file.type, 'cache-control': file.immutable ? IMMUTABLE : 'no-cache' };
    if (file.compressible) headers['vary'] = 'Accept-Encoding';
    if (encoding) headers['content-encoding'] = encoding;
    return send(c, 200, encoding ? compressed(file, encoding) : file.body, headers);
  };

  const toConsole = (c: Context<Env>) => {
    c.set('route', c.req.path === '/' ? '/' : '/ui');
    return c.redirect('/ui/', 302);
  };
  app.get('/', toConsole);
  app.get('/ui', toConsole);
  app.get('/ui/*', (c) => {
    c.set('route', '/ui/*');
    const tree = load();
    if (!tree) return text(c, 503, 'The web console is not built: run "npm run build" (it writes dist/ui).');
    const name = fileName(new URL(c.req.url).pathname.slice('/ui/'.length));
    if (name === null) return text(c, 404, 'No such file.');
    const file = tree.get(name === '' ? 'index.html' : name);
    if (file) return serve(c, file);
    if (!isPagePath(name)) return text(c, 404, `No file /ui/${name}.`);
    return serve(c, tree.get('index.html')!);
  });
}

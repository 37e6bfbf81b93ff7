import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { RouteDef } from './routes.js';

/** Where `npm run build` puts the page's files (`scripts/copy-api-reference.mjs`): `dist/api-reference`, beside `dist/server`. */
export const API_REFERENCE_DIR = fileURLToPath(new URL('../api-reference/', import.meta.url));

/** What the build wrote: the swagger-ui version, and each file the page may load with its sha-256. */
interface Manifest {
  swaggerUi: string;
  files: Record<string, { sha256: string }>;
}

/** A response for the app to send: `c.body(body, status, headers)`. */
export interface Answer {
  status: 200;
  body: string | Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

/**
 * The policy of the /docs page: scripts and styles from this origin only
 * (swagger-ui's inline `style` attributes are set through the CSSOM, which a
 * CSP does not govern), data: images (swagger-ui's icons are data: URIs in its
 * CSS), and requests to this origin only.
 */
const PAGE_POLICY = {
  "default-src": "'none'",
  "script-src": "'self'",
  "style-src": "'self'",
  "img-src": "'self' data:",
  "connect-src": "'self'",
  "base-uri": "'none'",
  "form-action": "'none'",
  "frame-ancestors": "'none'",
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const gzipAsync = promisify(gzip);

/**
 * The API reference at /docs: the OpenAPI document rendered by swagger-ui from
 * files copied into `dir` at build time, or, when they are missing (running
 * from the sources), a page saying how to build them, with the route list.
 */
export function apiReference(routes: readonly RouteDef[], dir: string = API_REFERENCE_DIR) {
  let manifest: Manifest | null = null;
  const compressed = new Map<string, Promise<Buffer>>();
  const loadManifest = (): Manifest | null => {
    if (manifest) return manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      return null; // not built (yet): checked again on the next request
    }
    return manifest;
  };

  return {
    /** The /docs page. */
    page(): Answer {
      const built = loadManifest();
      if (!built) return htmlAnswer(notBuiltPage(routes), { ...PAGE_POLICY, 'style-src': `'${sha256Base64(NOT_BUILT_STYLE)}'` });
      return htmlAnswer(swaggerPage(built), PAGE_POLICY);
    },

    /**
     * A file of the page: only those the build listed, so that no other path
     * can be named. With `?v=` equal to its hash it is cached for a year.
     */
    async asset(name: string, version: string | undefined, acceptEncoding: string | undefined): Promise<Answer | null> {
      const files = loadManifest()?.files;
      if (!files || !Object.hasOwn(files, name)) return null;
      const file = files[name]!;
      const headers: Record<string, string> = {
        'content-type': contentType(name),
        'cache-control': version === short(file.sha256) ? IMMUTABLE : 'no-cache',
        'x-content-type-options': 'nosniff',
        vary: 'accept-encoding',
      };
      if (/\bgzip\b/i.test(acceptEncoding ?? '')) {
        let zipped = compressed.get(name);
        if (!zipped) {
          zipped = readFile(join(dir, name)).then((bytes) => gzipAsync(bytes, { level: 9 }));
          compressed.set(name, zipped);
          zipped.catch(() => compressed.delete(name)); // a failed read is tried again next time
        }
        return { status: 200, body: ownBuffer(await zipped), headers: { ...headers, 'content-encoding': 'gzip' } };
      }
      return { status: 200, body: ownBuffer(await readFile(join(dir, name))), headers };
    },
  };
}

/** Node's file and zlib buffers own a plain ArrayBuffer (never a SharedArrayBuffer), which the Response body type wants said. */
function ownBuffer(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function htmlAnswer(html: string, policy: Record<string, string>): Answer {
  return {
    status: 200,
    body: html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': Object.entries(policy).map(([directive, value]) => `${directive} ${value}`).join('; '),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  };
}

/** The page swagger-ui renders into; its start-up is `docs.js` (no inline script: the policy allows none). */
function swaggerPage(m: Manifest): string {
  const url = (name: string) => `docs/assets/${name}?v=${short(m.files[name]!.sha256)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sessiondb API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${url('swagger-ui.css')}">
<link rel="stylesheet" href="${url('docs.css')}">
<script defer src="${url('swagger-ui-bundle.js')}"></script>
<script defer src="${url('docs.js')}"></script>
</head>
<body>
<noscript><p class="docs-noscript">This page needs JavaScript. The OpenAPI document it shows is at <a href="openapi.json">/openapi.json</a>.</p></noscript>
<div id="swagger-ui" data-openapi="openapi.json"></div>
<footer class="docs-footer"><p>The OpenAPI 3.1 document: <a href="openapi.json">/openapi.json</a>.
Rendered by swagger-ui ${escapeHtml(m.swaggerUi)} (Apache-2.0: <a href="${url('swagger-ui-LICENSE')}">license</a>,
<a href="${url('swagger-ui-NOTICE')}">notice</a>, <a href="${url('swagger-ui-bundle.js.LICENSE.txt')}">licenses of the libraries it bundles</a>).</p></footer>
</body>
</html>
`;
}

const NOT_BUILT_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}' +
  'table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ccc;text-align:left}code{font-size:.9em}';

/** What /docs answers when the page's files were not built: how to build them, and the route list meanwhile. */
function notBuiltPage(routes: readonly RouteDef[]): string {
  const rows = routes
    .map((r) => `<tr><td><code>${r.method.toUpperCase()}</code></td><td><code>${escapeHtml(r.path)}</code></td><td>${escapeHtml(r.summary)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sessiondb API reference (not built)</title>
<link rel="icon" href="data:,">
<style>${NOT_BUILT_STYLE}</style>
</head>
<body>
<main>
<h1>sessiondb API reference</h1>
<p><strong>The interactive reference is not built.</strong> This server runs from the sources, where its files
(swagger-ui, copied into <code>dist/api-reference</code>) do not exist. Run <code>npm run build</code> in the
sessiondb checkout and start the server from <code>dist</code> (<code>npm start</code>), then reload this page.</p>
<p>The OpenAPI 3.1 document is served all the same: <a href="openapi.json">/openapi.json</a>.
Errors are <code>{ "error": { "code", "message", "details"? } }</code>; with API keys configured, send
<code>Authorization: Bearer &lt;key&gt;</code>.</p>
<h2>Routes</h2>
<table>
<thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</main>
</body>
</html>
`;
}

function contentType(name: string): string {
  if (name.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'text/plain; charset=utf-8';
}

/** The version a URL carries: enough of the hash to tell builds apart. */
function short(sha256: string): string {
  return sha256.slice(0, 16);
}

function sha256Base64(text: string): string {
  return `sha256-${createHash('sha256').update(text).digest('base64')}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// `npm run build:api-reference`: copies what the /docs page loads into dist/api-reference —
// swagger-ui's browser bundle and stylesheet with their licence files (Apache-2.0 asks for the
// licence and the NOTICE to travel with the code; the bundle's banner points at its
// .LICENSE.txt), the page's own script and stylesheet — and writes manifest.json, which lists
// every file the server may serve, with its sha-256 for the long-cached URLs.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'api-reference');

let swaggerUi;
try {
  swaggerUi = dirname(createRequire(join(root, 'package.json')).resolve('swagger-ui-dist/package.json'));
} catch {
  console.error('build:api-reference: swagger-ui-dist is not installed. It is a devDependency: run `npm install` (not --omit=dev) in the sessiondb checkout, then `npm run build`.');
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(join(swaggerUi, 'package.json'), 'utf8'));

/** [the file's name under /docs/assets, where it comes from] */
const files = [
  ['swagger-ui-bundle.js', join(swaggerUi, 'swagger-ui-bundle.js')],
  ['swagger-ui-bundle.js.LICENSE.txt', join(swaggerUi, 'swagger-ui-bundle.js.LICENSE.txt')],
  ['swagger-ui.css', join(swaggerUi, 'swagger-ui.css')],
  ['swagger-ui-LICENSE', join(swaggerUi, 'LICENSE')],
  ['swagger-ui-NOTICE', join(swaggerUi, 'NOTICE')],
  ['docs.js', join(root, 'src', 'server', 'docs-page', 'docs.js')],
  ['docs.css', join(root, 'src', 'server', 'docs-page', 'docs.css')],
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const manifest = { swaggerUi: version, files: {} };
for (const [name, from] of files) {
  copyFileSync(from, join(out, name));
  manifest.files[name] = { sha256: createHash('sha256').update(readFileSync(from)).digest('hex') };
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

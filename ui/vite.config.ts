import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web console, built into dist/ui and served by `sessiondb serve` under /ui/.
 * One self-contained bundle: no CDN, no fonts, no inline script (the server's
 * Content-Security-Policy forbids it).
 */
export default defineConfig({
  root: here,
  base: '/ui/',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Vite's preload polyfill is for browsers without modulepreload; every target here has it.
    modulePreload: { polyfill: false },
    // Nothing inlined as data: URLs, so every asset is a file the CSP's 'self' covers.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});

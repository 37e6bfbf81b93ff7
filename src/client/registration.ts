import { registerStoreBackend, type StoreBackend } from '../stores/registry.js';

/** `http://host:8787`, `https://…` — a sessiondb server, through `HttpStore`. */
export const httpBackend: StoreBackend<{ kind: 'http'; url: string }> = {
  name: 'http',
  aliases: ['https'],
  schemes: ['http', 'https'],
  example: 'http://host:8787 (a sessiondb server)',
  parse: (url) => ({ kind: 'http', url: url.trim() }),
  async open(location, options) {
    const { HttpStore } = await import('./http-store.js');
    return new HttpStore({ url: location.url, apiKey: options.apiKey ?? process.env['SESSIONDB_API_KEY'], limits: options.limits, retry: options.retry });
  },
  urlFromSettings: ({ connectionString }) => connectionString ?? 'http://127.0.0.1:8787',
};

registerStoreBackend(httpBackend);

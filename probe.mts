import { MemoryStore } from './src/index.js';
import { createApp } from './src/server/index.js';
import { gzipSync } from 'node:zlib';
const a = createApp({ store: new MemoryStore() });
const text = await (await a.fetch(new Request('http://t/openapi.json'))).text();
const doc = JSON.parse(text);
console.log('total', text.length, 'gz', gzipSync(text).length);
console.log('components.schemas', JSON.stringify(doc.components.schemas).length);
let params = 0, bodies = 0, resp = 0;
for (const p of Object.values(doc.paths) as any[]) for (const op of Object.values(p) as any[]) { params += JSON.stringify(op.parameters).length; bodies += JSON.stringify(op.requestBody ?? '').length; resp += JSON.stringify(op.responses).length; }
console.log({ params, bodies, resp });

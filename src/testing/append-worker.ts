/**
 * A child process for the multi-process and crash tests: opens the store at a
 * URL and appends events one at a time, each awaited, with ids `<label>-<i>`.
 * With --acks it prints each acknowledged seq on its own line, so a parent can
 * kill it and know what was acknowledged. Prints "done" at the end.
 *
 *   node append-worker.js <url> <key as JSON> <count> <label> [--acks]
 */
import '../client/registration.js';
import { openStore } from '../stores/open-store.js';
import type { SessionKey } from '../core/types.js';

const [url, keyJson, countText, label] = process.argv.slice(2);
const acks = process.argv.includes('--acks');
if (!url || !keyJson || !countText || !label) {
  process.stderr.write('usage: append-worker <url> <key as JSON> <count> <label> [--acks]\n');
  process.exit(2);
}
const key = JSON.parse(keyJson) as SessionKey;
const count = Number(countText);
const store = await openStore(url, { migrate: false });
const payload = 'x'.repeat(200);
for (let i = 0; i < count; i++) {
  const r = await store.appendEvents(key, [{ id: `${label}-${i}`, author: label, content: `${i} ${payload}`, stateDelta: { [`last-${label}`]: i } }]);
  if (acks) process.stdout.write(`${r.events[0]!.seq}\n`);
}
await store.close();
process.stdout.write('done\n');

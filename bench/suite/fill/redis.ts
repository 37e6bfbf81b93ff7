import { positionOf, RedisLayout } from '../../../src/stores/redis/layout.js';
import { APP_NAME } from '../payload.js';
import type { RawRedis } from '../systems/redis-floor.js';
import type { Filler, SessionRef } from '../systems/system.js';

const BATCH = 2_000;

/** Sends commands in pipelined batches. */
async function pipelined(client: RawRedis, commands: string[][]): Promise<void> {
  for (let i = 0; i < commands.length; i += BATCH) await Promise.all(commands.slice(i, i + BATCH).map((c) => client.sendCommand(c)));
}

/**
 * Bulk fills of the store's Redis key layout under `prefix`: copies of a
 * session's first event (new id and timestamp each) and of a template session
 * (listed by its user). Fills leave the session's updatedAt as it was.
 */
export function sessiondbRedisFiller(client: RawRedis, prefix: string): Filler {
  const layout = new RedisLayout(prefix);
  return {
    async fillEvents(ref: SessionRef, total: number) {
      const user = layout.user('default', APP_NAME, ref.userId);
      const sid = ref.sessionId;
      const first = JSON.parse((await client.sendCommand<string>(['HGET', `${user}:ev:${sid}`, '1']))) as { id: string; ts: number };
      for (let from = 2; from <= total; from += BATCH) {
        const ev = ['HSET', `${user}:ev:${sid}`];
        const ei = ['HSET', `${user}:ei:${sid}`];
        const et = ['ZADD', `${user}:et:${sid}`];
        for (let k = from; k < from + BATCH && k <= total; k++) {
          const id = `${first.id}-${k}`;
          ev.push(String(k), JSON.stringify({ ...first, id, ts: first.ts + k }));
          ei.push(id, String(k));
          et.push(String(first.ts + k), String(k));
        }
        await Promise.all([client.sendCommand(ev), client.sendCommand(ei), client.sendCommand(et)]);
      }
      await client.sendCommand(['HSET', `${user}:s:${sid}`, 'n', String(total)]);
      await client.sendCommand(['HINCRBY', `${user}:s:${sid}`, 'v', String(total - 1)]);
    },
    async fillSessions(template: SessionRef, total: number) {
      const user = layout.user('default', APP_NAME, template.userId);
      const flat = await client.sendCommand<string[]>(['HGETALL', `${user}:s:${template.sessionId}`]);
      const fields = new Map<string, string>();
      for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
      const updated = Number(fields.get('updated'));
      const commands: string[][] = [];
      for (let k = 1; k < total; k++) {
        const id = `${template.sessionId}-${k}`;
        const pos = positionOf(updated + k);
        const copy = new Map(fields).set('id', id).set('updated', String(updated + k)).set('act', String(updated + k)).set('pos', pos);
        commands.push(['HSET', `${user}:s:${id}`, ...[...copy].flat()]);
        commands.push(['ZADD', `${user}:ix`, '0', pos + id], ['ZADD', `${user}:ix\u0000active`, '0', pos + id]);
      }
      await pipelined(client, commands);
    },
    async analyze() {},
  };
}

/** Deletes every key under `prefix` (SCAN + UNLINK): the arena's clean-up. */
export async function deleteRedisPrefix(client: RawRedis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000']);
    if (keys.length > 0) await client.sendCommand(['UNLINK', ...keys]);
    cursor = next;
  } while (cursor !== '0');
}

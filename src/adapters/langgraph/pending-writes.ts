import { compareWritesSortKeys, writesSortKey, type WritesSortKey } from '@langchain/langgraph-checkpoint';
import type { StoredWrite, WritesRecord } from './records.js';

/** A write that counts, with the task that made it. */
export interface EffectiveWrite {
  taskId: string;
  write: StoredWrite;
}

/**
 * The writes that count against one checkpoint, from its write records in the
 * order they were stored, in LangGraph's order (`writesSortKey`: task path,
 * task id, index). Per task and index, a regular write is kept as first stored
 * (a retried task does not replace what it wrote); a special one (error,
 * interrupt, resume, scheduled: a negative index) as last stored, as
 * LangGraph's own savers do.
 */
export function effectiveWrites(records: WritesRecord[]): EffectiveWrite[] {
  const kept = new Map<string, { key: WritesSortKey; entry: EffectiveWrite }>();
  for (const record of records) {
    for (const write of record.writes) {
      const id = `${record.task_id}\u0000${write.idx}`;
      if (write.idx >= 0 && kept.has(id)) continue;
      kept.set(id, { key: writesSortKey(record.task_path, record.task_id, write.idx), entry: { taskId: record.task_id, write } });
    }
  }
  return [...kept.values()].sort((a, b) => compareWritesSortKeys(a.key, b.key)).map(({ entry }) => entry);
}

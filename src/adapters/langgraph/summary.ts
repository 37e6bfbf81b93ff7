/**
 * The readable line each stored event carries (`parts[0].text`), so a thread
 * reads as a story in the console, in Markdown and text exports, and in
 * search: what each step changed, what each task wrote. The exact data is in
 * the event's `langgraph` record; this text is never read back.
 */

const MAX_PREVIEW = 200;
const SPECIAL_CHANNELS: Record<string, string> = {
  __start__: 'input',
  __interrupt__: 'interrupt',
  __error__: 'error',
  __resume__: 'resume',
  __pregel_tasks: 'send',
};

/** "Checkpoint · step 2 · loop" and a line per channel this step changed. */
export function checkpointText(ns: string, metadata: unknown, changed: [string, unknown][]): string {
  const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>;
  const head = ['Checkpoint'];
  if (ns !== '') head.push(`subgraph ${ns}`);
  if (typeof meta['step'] === 'number') head.push(`step ${meta['step']}`);
  if (typeof meta['source'] === 'string') head.push(meta['source']);
  const lines = changed.filter(([channel]) => isStateChannel(channel)).map(([channel, value]) => `${channel}: ${preview(value)}`);
  return [head.join(' · '), ...lines].join('\n');
}

/** "Writes of agent" and a line per write; routing writes (`branch:…`) are left out. */
export function writesText(ns: string, taskId: string, taskPath: string, writes: [string, unknown][]): string {
  const lines: string[] = [];
  for (const [channel, value] of writes) {
    if (!isStateChannel(channel) && !(channel in SPECIAL_CHANNELS)) continue;
    lines.push(`${SPECIAL_CHANNELS[channel] ?? channel}: ${preview(value)}`);
  }
  const head = `Writes of ${taskName(taskId, taskPath)}${ns === '' ? '' : ` · subgraph ${ns}`}`;
  return [head, ...lines].join('\n');
}

/** LangGraph's id for writes no task made (a `Command`'s resume or update). */
const NULL_TASK_ID = '00000000-0000-0000-0000-000000000000';

/** The node's name for a task run by LangGraph's planner (path `~__pregel_pull, NAME`), else the task id. */
function taskName(taskId: string, taskPath: string): string {
  if (taskId === NULL_TASK_ID) return 'a command';
  const pull = /^~__pregel_pull, (.+)$/.exec(taskPath);
  if (!pull) return `task ${taskId}`;
  return pull[1] === '__start__' ? 'the input' : pull[1]!;
}

/** LangGraph's own bookkeeping channels start with `__` or hold a `:` (`branch:to:agent`). */
function isStateChannel(channel: string): boolean {
  return !channel.startsWith('__') && !channel.includes(':');
}

/** A short, one-line view of a value: a message as "ai: text", a list by its last item. */
export function preview(value: unknown): string {
  return clip(describe(value, 0));
}

function describe(value: unknown, depth: number): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const last = depth < 2 ? describe(value[value.length - 1], depth + 1) : '…';
    return value.length === 1 ? `[${last}]` : `[${value.length} items, last: ${last}]`;
  }
  const message = messageText(value as Record<string, unknown>);
  if (message !== null) return message;
  try {
    return JSON.stringify(value) ?? '{}';
  } catch {
    return '{…}';
  }
}

/** A LangChain message (or a plain `{ role, content }`) as "type: text". */
function messageText(value: Record<string, unknown>): string | null {
  const getType = value['getType'] ?? value['_getType'];
  const type = typeof getType === 'function' ? String((getType as () => unknown).call(value)) : value['type'] ?? value['role'];
  if (typeof type !== 'string' || !('content' in value)) return null;
  const content = value['content'];
  let text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => (typeof part === 'string' ? part : typeof part?.text === 'string' ? part.text : '')).join(' ') : '';
  const calls = value['tool_calls'];
  if (Array.isArray(calls) && calls.length > 0) text += ` → ${calls.map((c) => String(c?.name ?? '?')).join(', ')}`;
  return `${type}: ${text.trim()}`;
}

function clip(text: string): string {
  // Only for people, and it must store everywhere: no NUL (PostgreSQL refuses it), no lone surrogates.
  let clean = text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
  if (clean.length <= MAX_PREVIEW) return clean;
  let end = MAX_PREVIEW - 1;
  if (/[\uD800-\uDBFF]/.test(clean[end - 1]!)) end -= 1; // do not cut a surrogate pair in two
  clean = clean.slice(0, end);
  return `${clean}…`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

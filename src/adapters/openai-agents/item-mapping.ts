import type { AgentInputItem } from '@openai/agents';
import { ValidationError } from '../../core/errors.js';
import { describeType, isPlainObject, setOwn } from '../../core/json.js';
import type { EventRole, JsonObject, NewEvent, SessionEvent } from '../../core/types.js';
import { contentText } from '../../transfer/session-export.js';

/** The key of an event's `metadata` that marks it as an item this adapter wrote, and holds what `content` does not. */
export const ITEM_METADATA_KEY = 'openaiAgents';

/** Where a value sits inside an item: object keys and array indexes. */
type Path = (string | number)[];

/**
 * What `metadata.openaiAgents` of an item's event holds:
 * - `fields`: a message's fields other than `content` (the message's `content`
 *   is the event's `content`); absent for other items, whose event `content` is
 *   the whole item;
 * - `bytes`: where the item held `Uint8Array`s, stored as base64 strings.
 */
interface ItemMetadata {
  fields?: JsonObject;
  bytes?: Path[];
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system']);
/** Items a model or a tool produced while calling a tool: role `tool` in sessiondb. */
const TOOL_ITEM_TYPES = new Set([
  'function_call',
  'function_call_result',
  'hosted_tool_call',
  'computer_call',
  'computer_call_result',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'tool_search_call',
  'tool_search_output',
  'program',
  'program_output',
]);
const MAX_AUTHOR_LENGTH = 64;

/**
 * An `AgentInputItem` as a sessiondb event, losslessly:
 * - a message (`role` user, assistant or system) keeps its `content` (a string
 *   or content parts) as the event's `content`, so exports and the console
 *   show its text; its other fields go to `metadata.openaiAgents.fields`;
 * - any other item (tool calls and results, reasoning, compaction, …) is the
 *   event's `content` as a whole;
 * - `Uint8Array` values are stored as base64 and their places remembered, so
 *   they read back as bytes;
 * - `role` and `author` are for readers: the message's role (author `user`,
 *   `assistant`, `system`); `tool` for tool calls and results (author: the
 *   tool's name); `assistant` for reasoning; `system` for compaction.
 *
 * Properties whose value is `undefined` are left out (as JSON does). Values
 * JSON cannot hold (functions, class instances other than `Uint8Array`,
 * `NaN`, cycles) are refused with a `ValidationError` naming `field` and the
 * path inside the item.
 */
export function itemToEvent(item: AgentInputItem, id: string, field: string): NewEvent {
  if (!isPlainObject(item)) throw new ValidationError(field, `must be an AgentInputItem object, got ${describeType(item)}`);
  const bytes: Path[] = [];
  const json = toJsonValue(item, field, [], bytes, new Set()) as JsonObject;
  const type = typeof json['type'] === 'string' ? json['type'] : undefined;
  const role = typeof json['role'] === 'string' ? json['role'] : undefined;
  if (type === undefined && role === undefined) {
    throw new ValidationError(field, 'must be an AgentInputItem: an object with a "type" or a "role"');
  }
  const meta: ItemMetadata = {};
  if (bytes.length > 0) meta.bytes = bytes;
  const event: NewEvent = { id, author: authorOf(json, type, role), metadata: { [ITEM_METADATA_KEY]: meta as JsonObject } };
  const eventRole = roleOf(type, role);
  if (eventRole) event.role = eventRole;
  const content = json['content'];
  if (role !== undefined && MESSAGE_ROLES.has(role) && (type === undefined || type === 'message') && (typeof content === 'string' || Array.isArray(content))) {
    const { content: _content, ...fields } = json;
    meta.fields = fields;
    event.content = content;
  } else {
    event.content = json;
  }
  return event;
}

/**
 * A stored event as an `AgentInputItem`: the exact item `itemToEvent` was
 * given. Events written by other clients (the HTTP API, an import) read as
 * plain messages of their text: user and system events as themselves, any
 * other as an assistant message.
 */
export function eventToItem(event: SessionEvent): AgentInputItem {
  const meta = event.metadata?.[ITEM_METADATA_KEY];
  if (!isPlainObject(meta)) return foreignEventToItem(event);
  const { fields, bytes } = meta as ItemMetadata;
  const paths = Array.isArray(bytes) ? bytes : [];
  let item: JsonObject;
  if (isPlainObject(fields)) {
    item = { ...fields };
    setOwn(item, 'content', event.content);
  } else {
    item = isPlainObject(event.content) ? event.content : {};
  }
  if (paths.length > 0) {
    item = structuredClone(item); // bytes are put back in place: never into the store's own objects
    for (const path of paths) restoreBytes(item, path);
  }
  return item as unknown as AgentInputItem;
}

function foreignEventToItem(event: SessionEvent): AgentInputItem {
  const text = contentText(event.content) ?? '';
  if (event.role === 'user' || event.role === 'system') return { type: 'message', role: event.role, content: text } as AgentInputItem;
  return { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] } as AgentInputItem;
}

function roleOf(type: string | undefined, role: string | undefined): EventRole | undefined {
  if (role !== undefined && MESSAGE_ROLES.has(role)) return role as EventRole;
  if (type === undefined) return undefined;
  if (TOOL_ITEM_TYPES.has(type)) return 'tool';
  if (type === 'reasoning') return 'assistant';
  if (type === 'compaction') return 'system';
  return undefined;
}

function authorOf(item: JsonObject, type: string | undefined, role: string | undefined): string {
  if (role !== undefined && MESSAGE_ROLES.has(role)) return role;
  const name = item['name'];
  if (type !== undefined && TOOL_ITEM_TYPES.has(type) && typeof name === 'string' && isPlainName(name)) return name;
  return type !== undefined && isPlainName(type) ? type : 'item';
}

/** A name the store takes as an author as it is (short, no control characters). */
function isPlainName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_AUTHOR_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(name);
}

/**
 * A JSON copy of `value`: `Uint8Array`s become base64 strings (their paths
 * pushed to `bytes`), `undefined` properties are left out, anything JSON
 * cannot hold is refused.
 */
function toJsonValue(value: unknown, field: string, path: Path, bytes: Path[], ancestors: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  const where = () => field + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError(where(), `is ${value}, which JSON cannot hold`);
    return value;
  }
  if (value instanceof Uint8Array) {
    bytes.push([...path]);
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  if (typeof value !== 'object') throw new ValidationError(where(), `is a ${typeof value}; an item holds JSON values and Uint8Array bytes only`);
  if (ancestors.has(value)) throw new ValidationError(where(), 'refers to itself (a cycle); an item must be a tree of JSON values');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((entry, i) => {
        if (entry === undefined) throw new ValidationError(`${where()}[${i}]`, 'is undefined, which a JSON array cannot hold');
        return toJsonValue(entry, field, [...path, i], bytes, ancestors);
      });
    }
    if (!isPlainObject(value)) throw new ValidationError(where(), `is ${describeType(value)} (${value.constructor?.name ?? 'no prototype'}); an item holds JSON values and Uint8Array bytes only`);
    const out: JsonObject = {};
    for (const [key, entry] of Object.entries(value)) {
      if (entry === undefined) continue;
      setOwn(out, key, toJsonValue(entry, field, [...path, key], bytes, ancestors));
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

function restoreBytes(item: JsonObject, path: Path): void {
  if (path.length === 0) return;
  let parent: unknown = item;
  for (const step of path.slice(0, -1)) {
    parent = (parent as Record<string | number, unknown> | null)?.[step];
    if (parent === null || typeof parent !== 'object') return;
  }
  const last = path[path.length - 1]!;
  const encoded = (parent as Record<string | number, unknown>)[last];
  if (typeof encoded !== 'string') return;
  const decoded = new Uint8Array(Buffer.from(encoded, 'base64'));
  if (Array.isArray(parent)) parent[last as number] = decoded;
  else setOwn(parent as JsonObject, String(last), decoded);
}

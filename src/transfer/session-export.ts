import { ValidationError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { APP_PREFIX, USER_PREFIX, scopeOf } from '../core/state.js';
import type { SessionStore } from '../core/store.js';
import type { JsonObject, Session, SessionEvent, SessionKey, SessionSnapshot, StateChange, SupersededEvent } from '../core/types.js';

/** The export formats: complete JSON, a Markdown document, a plain-text transcript. */
export type ExportFormat = 'json' | 'markdown' | 'text';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'markdown', 'text'];

/** The JSON export: every field of the session and its events, loss-free and re-importable. */
export interface SessionExport {
  format: 'sessiondb.session';
  version: 1;
  session: Omit<Session, 'state' | 'events'>;
  /** The session's own state keys. */
  state: JsonObject;
  /** The app and user state the session saw when exported (`app:` and `user:` keys). */
  appState: JsonObject;
  userState: JsonObject;
  events: SessionEvent[];
  /**
   * The session's log of state changes no event carried (see `StateChange`), so
   * that a fork or rewind of the imported copy is as exact as of the original.
   * Exports made before it existed lack it; their import starts a new log.
   */
  history?: StateChange[];
  /**
   * Only with `includeSuperseded`: the events rewinds took out of the history,
   * by rewind then seq, for audit. An import accepts and ignores them: they
   * are not history, and a store keeps superseded events only from its own rewinds.
   */
  superseded?: SupersededEvent[];
}

/** Options of `exportSession`. */
export interface ExportOptions {
  /**
   * Also export the events rewinds superseded (default false): in JSON a
   * `superseded` array, in Markdown and text a marked section per rewind after
   * the history.
   */
  includeSuperseded?: boolean;
}

const PAGE = 1000;

/** Reads a session and its whole history (page by page) and renders it. Null if the session does not exist. */
export async function exportSession(store: SessionStore, key: SessionKey, format: ExportFormat, options: ExportOptions = {}): Promise<string | null> {
  if (!EXPORT_FORMATS.includes(format)) {
    throw new ValidationError('format', `must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object { includeSuperseded? }');
  const session = await store.getSession(key, { withEvents: false });
  if (!session) return null;
  const events: SessionEvent[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await store.readEvents(key, { limit: PAGE, cursor });
    if (!page) return null; // deleted while we read
    events.push(...page.events);
    if (!(cursor = page.nextCursor)) break;
  }
  let superseded: SupersededEvent[] | undefined;
  if (options.includeSuperseded) {
    superseded = [];
    for (let cursor: string | null = null; ; ) {
      const page = await store.readSupersededEvents(key, { limit: PAGE, cursor });
      if (!page) return null;
      superseded.push(...page.events);
      if (!(cursor = page.nextCursor)) break;
    }
  }
  if (format === 'json') {
    const history = await store.readStateHistory(key);
    if (!history) return null;
    return JSON.stringify(toSessionExport(session, events, { history, superseded }), null, 2) + '\n';
  }
  return format === 'markdown' ? renderMarkdown(session, events, superseded) : renderText(session, events, superseded);
}

/** The JSON export of a session read with its events (and, when given, its state-change log and superseded events). */
export function toSessionExport(session: Session, events: SessionEvent[], extra: { history?: StateChange[]; superseded?: SupersededEvent[] } = {}): SessionExport {
  const { state: merged, events: _events, ...fields } = session;
  const state: JsonObject = {};
  const appState: JsonObject = {};
  const userState: JsonObject = {};
  for (const [k, v] of Object.entries(merged)) {
    const target = scopeOf(k) === 'app' ? appState : scopeOf(k) === 'user' ? userState : state;
    Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const doc: SessionExport = { format: 'sessiondb.session', version: 1, session: fields, state, appState, userState, events };
  if (extra.history) doc.history = extra.history;
  if (extra.superseded) doc.superseded = extra.superseded;
  return doc;
}

/**
 * Writes a JSON export back into a store: the session exactly as exported
 * (ids, seqs, times, counters, version, state-change log), then its app and
 * user state. `replace` overwrites a session that exists. A `superseded` array
 * (an export made with `includeSuperseded`) is accepted and not stored: it is
 * no part of the history, so the import holds only the visible events.
 */
export async function importSessionExport(store: SessionStore, data: string | SessionExport, options: { replace?: boolean } = {}): Promise<Session> {
  let doc: unknown = data;
  if (typeof data === 'string') {
    try {
      doc = JSON.parse(data);
    } catch (err) {
      throw new ValidationError('export', `is not JSON (${(err as Error).message})`);
    }
  }
  if (!isPlainObject(doc) || doc['format'] !== 'sessiondb.session' || doc['version'] !== 1) {
    throw new ValidationError('export', 'is not a sessiondb session export (format "sessiondb.session", version 1)');
  }
  const e = doc as unknown as SessionExport;
  const snapshot: SessionSnapshot = { session: e.session, state: e.state ?? {}, events: e.events ?? [] };
  if (e.history !== undefined) snapshot.history = e.history;
  return importWithSharedState(store, { ...snapshot, appState: e.appState, userState: e.userState }, options);
}

/**
 * Writes a session snapshot and the shared state that travels with it in a
 * JSON export: `state` holds the session's own keys, `appState` its app's
 * `app:` keys and `userState` its user's `user:` keys. A key in the wrong one is
 * refused before anything is written. Shared state is written after the session.
 */
export async function importWithSharedState(
  store: SessionStore,
  input: SessionSnapshot & { appState?: JsonObject | undefined; userState?: JsonObject | undefined },
  options: { replace?: boolean } = {},
): Promise<Session> {
  const { appState, userState, ...snapshot } = input;
  for (const [field, delta, prefix] of [['state', snapshot.state, null], ['appState', appState, APP_PREFIX], ['userState', userState, USER_PREFIX]] as const) {
    const wrong = Object.keys(delta ?? {}).find((k) => (prefix ? !k.startsWith(prefix) : k.startsWith(APP_PREFIX) || k.startsWith(USER_PREFIX)));
    if (wrong === undefined) continue;
    throw new ValidationError(
      `snapshot.${field}`,
      `holds the key ${JSON.stringify(wrong)}`,
      "The session's own keys go in state, app: keys in appState and user: keys in userState, as a JSON export holds them.",
    );
  }
  const session = await store.importSession(snapshot, options);
  const { tenant, appName, userId } = session;
  if (appState && Object.keys(appState).length) await store.updateAppState({ tenant, appName }, appState);
  if (userState && Object.keys(userState).length) await store.updateUserState({ tenant, appName, userId }, userState);
  if (!appState && !userState) return session;
  return (await store.getSession({ tenant, appName, userId, sessionId: session.id }, { withEvents: false })) ?? session;
}

/** `2026-11-21 15:04:05 UTC` */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

const ROLE_LABEL: Record<string, string> = { user: 'User', assistant: 'Assistant', system: 'System', tool: 'Tool' };

/** Who spoke, for people: the role if there is one, else the author. */
export function speaker(event: Pick<SessionEvent, 'author' | 'role'>): string {
  return event.role ? ROLE_LABEL[event.role]! : event.author;
}

/**
 * The readable text of an event's content: a string as it is; content parts
 * (ADK / Gemini style `{ parts: [...] }` or an array of parts) as their text,
 * with tool calls and results shown in one line each. Null when there is nothing to show.
 */
export function contentText(content: unknown): string | null {
  if (content === undefined || content === null) return null;
  if (typeof content === 'string') return content;
  if (isPlainObject(content)) {
    const item = toolItemText(content);
    if (item !== null) return item;
  }
  const parts = Array.isArray(content) ? content : isPlainObject(content) && Array.isArray(content['parts']) ? content['parts'] : null;
  if (!parts) return JSON.stringify(content);
  const lines: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') lines.push(part);
    else if (isPlainObject(part)) {
      if (typeof part['text'] === 'string') lines.push(part['text']);
      else if (isPlainObject(part['functionCall'])) {
        const call = part['functionCall'];
        lines.push(`→ ${String(call['name'])}(${JSON.stringify(call['args'] ?? {})})`);
      } else if (isPlainObject(part['functionResponse'])) {
        const res = part['functionResponse'];
        lines.push(`← ${String(res['name'])}: ${JSON.stringify(res['response'] ?? null)}`);
      } else if (isPlainObject(part['inlineData'])) {
        lines.push(`[${String(part['inlineData']['mimeType'] ?? 'binary')} data]`);
      } else lines.push(toolItemText(part) ?? JSON.stringify(part));
    }
  }
  return lines.length ? lines.join('\n') : null;
}

/**
 * Tool calls and results in the shapes the framework adapters store: an OpenAI
 * Agents item (`function_call`, `function_call_result`, and the hosted tools'
 * `*_call` items) or an AI SDK UI message part (`tool-NAME`, `dynamic-tool`).
 * Null for anything else.
 */
function toolItemText(item: Record<string, unknown>): string | null {
  const type = typeof item['type'] === 'string' ? item['type'] : '';
  const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  if (type === 'function_call') return `→ ${String(item['name'])}(${json(item['arguments'] ?? '')})`;
  if (type === 'function_call_result') {
    const output = item['output'];
    const text = isPlainObject(output) && typeof output['text'] === 'string' ? output['text'] : json(output);
    return `← ${String(item['name'])}: ${text}`;
  }
  const name = type.startsWith('tool-') ? type.slice(5) : type === 'dynamic-tool' ? String(item['toolName']) : null;
  if (name === null) return null;
  const lines = [`→ ${name}(${json(item['input'] ?? {})})`];
  if (item['output'] !== undefined) lines.push(`← ${name}: ${json(item['output'])}`);
  if (typeof item['errorText'] === 'string') lines.push(`← ${name} failed: ${item['errorText']}`);
  return lines.join('\n');
}

function messages(events: SessionEvent[]): { event: SessionEvent; text: string }[] {
  const out: { event: SessionEvent; text: string }[] = [];
  for (const event of events) {
    const text = contentText(event.content);
    if (text !== null && text !== '') out.push({ event, text });
  }
  return out;
}

/** Superseded events grouped by the rewind that superseded them, in order. */
function byRewind(superseded: readonly SupersededEvent[]): SupersededEvent[][] {
  const groups: SupersededEvent[][] = [];
  for (const e of superseded) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.supersededBy === e.supersededBy) last.push(e);
    else groups.push([e]);
  }
  return groups;
}

/** "rewound 2026-11-21 09:40:00 UTC to seq 3": what a section of superseded events says of its rewind. */
function rewoundLabel(group: readonly SupersededEvent[]): string {
  const first = group[0]!;
  return `rewound ${formatTime(first.supersededAt)} to seq ${first.seq - 1}`;
}

/**
 * Markdown: a title, model, creation time and message count, then one section
 * per message; with `superseded`, a "Superseded (rewound …)" section per rewind
 * after them, its messages numbered by seq.
 */
export function renderMarkdown(session: Session, events: SessionEvent[], superseded: readonly SupersededEvent[] = []): string {
  const list = messages(events);
  const title = typeof session.metadata['title'] === 'string' && session.metadata['title'] ? session.metadata['title'] : `Session ${session.id}`;
  const lines = [
    `# ${title}`,
    '',
    `- **Session:** \`${session.id}\` (app \`${session.appName}\`, user \`${session.userId}\`)`,
    `- **Model:** ${session.model ?? 'not recorded'}`,
    `- **Created:** ${formatTime(session.createdAt)}`,
    `- **Messages:** ${list.length}`,
    '',
  ];
  list.forEach(({ event, text }, i) => {
    lines.push(`## ${i + 1}. ${speaker(event)} · ${formatTime(event.timestamp)}`, '', text, '');
  });
  for (const group of byRewind(superseded)) {
    const shown = messages(group);
    lines.push('---', '', `## Superseded (${rewoundLabel(group)})`, '', `*${group.length} event${group.length === 1 ? '' : 's'} taken out of the history by a rewind; kept for audit, not part of the conversation.*`, '');
    for (const { event, text } of shown) lines.push(`### seq ${event.seq}. ${speaker(event)} · ${formatTime(event.timestamp)}`, '', text, '');
  }
  return lines.join('\n');
}

/** Plain text: the transcript, one message per block, each with its time; with `superseded`, a marked block per rewind after it. */
export function renderText(session: Session, events: SessionEvent[], superseded: readonly SupersededEvent[] = []): string {
  const out = [`Session ${session.id} (app ${session.appName}, user ${session.userId}), created ${formatTime(session.createdAt)}`, ''];
  const transcript = (list: SessionEvent[]) => {
    for (const { event, text } of messages(list)) {
      const [first, ...rest] = text.split('\n');
      out.push(`[${formatTime(event.timestamp)}] ${speaker(event)}: ${first}`);
      for (const line of rest) out.push(`    ${line}`);
    }
  };
  transcript(events);
  for (const group of byRewind(superseded)) {
    out.push('', `--- Superseded (${rewoundLabel(group)}; ${group.length} event${group.length === 1 ? '' : 's'}, not part of the conversation) ---`);
    transcript(group);
  }
  return out.join('\n') + '\n';
}

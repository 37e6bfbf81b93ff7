import { ValidationError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { APP_PREFIX, USER_PREFIX, scopeOf } from '../core/state.js';
import type { SessionStore } from '../core/store.js';
import type { JsonObject, Session, SessionEvent, SessionKey, SessionSnapshot } from '../core/types.js';

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
}

const PAGE = 1000;

/** Reads a session and its whole history (page by page) and renders it. Null if the session does not exist. */
export async function exportSession(store: SessionStore, key: SessionKey, format: ExportFormat): Promise<string | null> {
  if (!EXPORT_FORMATS.includes(format)) {
    throw new ValidationError('format', `must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  const session = await store.getSession(key, { withEvents: false });
  if (!session) return null;
  const events: SessionEvent[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await store.readEvents(key, { limit: PAGE, cursor });
    if (!page) return null; // deleted while we read
    events.push(...page.events);
    if (!(cursor = page.nextCursor)) break;
  }
  if (format === 'json') return JSON.stringify(toSessionExport(session, events), null, 2) + '\n';
  return format === 'markdown' ? renderMarkdown(session, events) : renderText(session, events);
}

export function toSessionExport(session: Session, events: SessionEvent[]): SessionExport {
  const { state: merged, events: _events, ...fields } = session;
  const state: JsonObject = {};
  const appState: JsonObject = {};
  const userState: JsonObject = {};
  for (const [k, v] of Object.entries(merged)) {
    const target = scopeOf(k) === 'app' ? appState : scopeOf(k) === 'user' ? userState : state;
    Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { format: 'sessiondb.session', version: 1, session: fields, state, appState, userState, events };
}

/**
 * Writes a JSON export back into a store: the session exactly as exported
 * (ids, seqs, times, counters, version), then its app and user state.
 * `replace` overwrites a session that exists.
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
  return importWithSharedState(store, { session: e.session, state: e.state ?? {}, events: e.events ?? [], appState: e.appState, userState: e.userState }, options);
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
function speaker(event: SessionEvent): string {
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
      } else lines.push(JSON.stringify(part));
    }
  }
  return lines.length ? lines.join('\n') : null;
}

function messages(events: SessionEvent[]): { event: SessionEvent; text: string }[] {
  const out: { event: SessionEvent; text: string }[] = [];
  for (const event of events) {
    const text = contentText(event.content);
    if (text !== null && text !== '') out.push({ event, text });
  }
  return out;
}

/** Markdown: a title, model, creation time and message count, then one section per message. */
export function renderMarkdown(session: Session, events: SessionEvent[]): string {
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
  return lines.join('\n');
}

/** Plain text: the transcript, one message per block, each with its time. */
export function renderText(session: Session, events: SessionEvent[]): string {
  const out = [`Session ${session.id} (app ${session.appName}, user ${session.userId}), created ${formatTime(session.createdAt)}`, ''];
  for (const { event, text } of messages(events)) {
    const [first, ...rest] = text.split('\n');
    out.push(`[${formatTime(event.timestamp)}] ${speaker(event)}: ${first}`);
    for (const line of rest) out.push(`    ${line}`);
  }
  return out.join('\n') + '\n';
}

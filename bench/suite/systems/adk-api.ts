import type { BaseSessionService, Event, Session } from '@google/adk';
import { adkEvent, APP_NAME } from '../payload.js';
import type { Backend, PagePosition, SessionRef, System, SystemKind } from './system.js';

/** The part of ADK's session service API the suite calls. */
export type AdkSessionApi = Pick<BaseSessionService, 'createSession' | 'getSession' | 'listSessions' | 'appendEvent'>;

/**
 * A session service with ADK's API: sessiondb's AdkSessionService or ADK's own
 * DatabaseSessionService. Appends go through the session object createSession
 * returned, as an ADK Runner does. ADK's listing pages by offset only.
 */
export class AdkApiSystem implements System {
  readonly paging = 'offset';
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly kind: Extract<SystemKind, 'adk-service' | 'adk'>,
    readonly backend: Backend,
    readonly label: string,
    private readonly service: AdkSessionApi,
    private readonly release: () => Promise<void>,
  ) {}

  get slow(): boolean {
    return this.kind === 'adk';
  }

  async createSession(ref: SessionRef): Promise<void> {
    const session = await this.service.createSession({ appName: APP_NAME, userId: ref.userId, sessionId: ref.sessionId });
    this.sessions.set(`${ref.userId}/${ref.sessionId}`, session);
  }

  prepareEvent(turn: number): Event {
    return adkEvent(turn);
  }

  async append(ref: SessionRef, event: unknown): Promise<void> {
    const session = this.sessions.get(`${ref.userId}/${ref.sessionId}`);
    if (!session) throw new Error(`no session object for ${ref.sessionId}`);
    await this.service.appendEvent({ session, event: event as Event });
  }

  async readLast(ref: SessionRef, n: number): Promise<number> {
    const s = await this.service.getSession({ appName: APP_NAME, ...ref, config: { numRecentEvents: n } });
    return s?.events.length ?? 0;
  }

  async readAll(ref: SessionRef): Promise<number> {
    return (await this.service.getSession({ appName: APP_NAME, ...ref }))?.events.length ?? 0;
  }

  async listPage(userId: string, pageSize: number, at: PagePosition): Promise<number> {
    const offset = at.kind === 'offset' ? at.offset : 0;
    return (await this.service.listSessions({ appName: APP_NAME, userId, limit: pageSize, offset, order: 'asc' })).sessions.length;
  }

  async seekPage(_userId: string, pageSize: number, page: number): Promise<PagePosition> {
    return page === 1 ? { kind: 'start' } : { kind: 'offset', offset: (page - 1) * pageSize };
  }

  close(): Promise<void> {
    return this.release();
  }
}

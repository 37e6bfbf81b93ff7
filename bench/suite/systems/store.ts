import type { SessionStore } from '../../../src/core/store.js';
import type { NewEvent, SessionKey } from '../../../src/core/types.js';
import { APP_NAME, storeEvent } from '../payload.js';
import type { Backend, PagePosition, SessionRef, System } from './system.js';

const key = (ref: SessionRef): SessionKey => ({ appName: APP_NAME, userId: ref.userId, sessionId: ref.sessionId });

/** sessiondb's SessionStore, called directly. Lists page by cursor. */
export class StoreSystem implements System {
  readonly kind = 'store';
  readonly slow = false;
  readonly paging = 'cursor';

  constructor(
    readonly backend: Backend,
    readonly label: string,
    private readonly store: SessionStore,
  ) {}

  async createSession(ref: SessionRef): Promise<void> {
    await this.store.createSession({ appName: APP_NAME, userId: ref.userId, id: ref.sessionId });
  }

  prepareEvent(turn: number): NewEvent {
    return storeEvent(turn);
  }

  async append(ref: SessionRef, event: unknown): Promise<void> {
    await this.store.appendEvents(key(ref), [event as NewEvent]);
  }

  async readLast(ref: SessionRef, n: number): Promise<number> {
    return (await this.store.getSession(key(ref), { lastEvents: n }))?.events?.length ?? 0;
  }

  async readAll(ref: SessionRef): Promise<number> {
    return (await this.store.getSession(key(ref)))?.events?.length ?? 0;
  }

  async listPage(userId: string, pageSize: number, at: PagePosition): Promise<number> {
    const cursor = at.kind === 'cursor' ? at.cursor : null;
    return (await this.store.listSessions({ appName: APP_NAME, userId, limit: pageSize, cursor })).sessions.length;
  }

  async seekPage(userId: string, pageSize: number, page: number): Promise<PagePosition> {
    let at: PagePosition = { kind: 'start' };
    for (let p = 1; p < page; p++) {
      const cursor: string | null = at.kind === 'cursor' ? at.cursor : null;
      const next: string | null = (await this.store.listSessions({ appName: APP_NAME, userId, limit: pageSize, cursor })).nextCursor;
      if (!next) throw new Error(`the listing ends before page ${page}`);
      at = { kind: 'cursor', cursor: next };
    }
    return at;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

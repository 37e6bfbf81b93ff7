// Google ADK as installed here, next to MikroORM's SQLite and PostgreSQL drivers that its
// DatabaseSessionService loads (they resolve from ADK's own location, so ADK must be this copy).
export { createEvent, DatabaseSessionService } from '@google/adk';

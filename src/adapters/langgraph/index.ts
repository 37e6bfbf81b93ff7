/**
 * LangGraph.js on sessiondb: `SessiondbSaver`, a checkpointer
 * (`BaseCheckpointSaver`) that keeps each thread as a session of any store.
 * Needs the optional peer `@langchain/langgraph-checkpoint`; importing
 * `sessiondb` itself never loads it.
 */
import '../../client/registration.js'; // new SessiondbSaver({ url: 'http://…' })
export { SessiondbSaver, type SessiondbSaverOptions, type SessiondbSaverSettings } from './saver.js';

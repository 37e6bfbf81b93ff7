import { createHash } from 'node:crypto';
import { APPLY_APP, CLEAR_OUTBOX, RESYNC, SYNC_TENANT } from './lua/cluster.js';
import { DELETE_FILE, LIST_FILES, PUT_FILE, SWEEP_FILES } from './lua/files.js';
import { LIBRARY, USER_LIBRARY } from './lua/library.js';
import { UPGRADE_LAYOUT } from './lua/layout.js';
import { BACKFILL_LOG, READ_HISTORY, READ_SUPERSEDED, REWIND } from './lua/history.js';
import { READ_EVENTS, READ_LISTED, READ_SESSION } from './lua/reads.js';
import { ACTIVITY, APPEND, CREATE, DELETE, IMPORT, MARK_EXPIRED, SET_STATE, UPDATE } from './lua/sessions.js';

/** A Lua script, run by its SHA-1 (EVALSHA) and sent whole only when a server does not have it yet. */
export class LuaScript {
  readonly sha: string;
  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source, 'utf8').digest('hex');
  }
}

const userScript = (name: string, body: string) => new LuaScript(name, `-- sessiondb ${name}\n${LIBRARY}\n${USER_LIBRARY}\n${body}`);
const slotScript = (name: string, body: string) => new LuaScript(name, `-- sessiondb ${name}\n${LIBRARY}\n${body}`);

/** Every script the store runs. */
export const SCRIPTS = {
  create: userScript('create', CREATE),
  append: userScript('append', APPEND),
  update: userScript('update', UPDATE),
  activity: userScript('activity', ACTIVITY),
  import: userScript('import', IMPORT),
  delete: userScript('delete', DELETE),
  markExpired: userScript('mark-expired', MARK_EXPIRED),
  setState: slotScript('set-state', SET_STATE),
  readSession: userScript('read-session', READ_SESSION),
  readEvents: userScript('read-events', READ_EVENTS),
  readListed: userScript('read-listed', READ_LISTED),
  readHistory: userScript('read-history', READ_HISTORY),
  readSuperseded: userScript('read-superseded', READ_SUPERSEDED),
  rewind: userScript('rewind', REWIND),
  backfillLog: userScript('backfill-log', BACKFILL_LOG),
  clearOutbox: userScript('clear-outbox', CLEAR_OUTBOX),
  resync: userScript('resync', RESYNC),
  syncTenant: slotScript('sync-tenant', SYNC_TENANT),
  applyApp: slotScript('apply-app', APPLY_APP),
  putFile: slotScript('put-file', PUT_FILE),
  deleteFile: slotScript('delete-file', DELETE_FILE),
  sweepFiles: slotScript('sweep-files', SWEEP_FILES),
  listFiles: slotScript('list-files', LIST_FILES),
  upgradeLayout: slotScript('upgrade-layout', UPGRADE_LAYOUT),
} as const;

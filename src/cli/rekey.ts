import type { Command } from '@commander-js/extra-typings';
import type { Config } from '../config/schema.js';
import { SessionDbError } from '../core/errors.js';
import type { SessionStore } from '../core/store.js';
import { EncryptedStore } from '../encryption/encrypted-store.js';
import { rekeyStore, type RekeySummary } from '../encryption/rekey.js';
import type { Common, StoreUse } from './main.js';
import { progress } from './progress.js';

type WithStore = <T>(opts: Common, work: (store: SessionStore, config: Config) => Promise<T>, use?: StoreUse) => Promise<T>;

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : text + '\n');

/**
 * `sessiondb rekey`: re-seals everything under the newest configured key, with
 * progress on stderr. Ctrl-C stops it between two records; running it again
 * finishes the work (what is already under the newest key is skipped). Exit 1
 * when it was interrupted or had to leave sessions under older keys.
 */
export function rekeyCommand(cmd: Command<[], { db?: string; config?: string }>, withStore: WithStore): void {
  cmd
    .description('re-seal every session, event, state value and file record under the newest encryption key (the first of SESSIONDB_ENCRYPTION_KEYS); resumable: run it again after an interruption')
    .option('--json', 'print the summary as JSON (no progress output)')
    .addHelpText(
      'after',
      '\nExample:\n  SESSIONDB_ENCRYPTION_KEYS=2026-07:NEWKEY…,2026-01:OLDKEY… sessiondb rekey --db sqlite:./data/sessions.db' +
        '\n\nEach session is rewritten whole: run it when nothing writes to the store, or at a quiet time.',
    )
    .action(async (opts) => {
      await withStore(
        opts,
        async (store) => {
          if (!(store instanceof EncryptedStore)) {
            throw new SessionDbError(
              'invalid',
              'rekey needs the encryption keys: set SESSIONDB_ENCRYPTION_KEYS=newid:base64key,oldid:base64key (the newest first, then every older key that sealed data), or encryption.keys in the config file.',
            );
          }
          const bar = progress('rekey', (await store.stats()).sessions, { json: !!opts.json });
          const stop = new AbortController();
          const interrupt = () => stop.abort();
          process.once('SIGINT', interrupt);
          process.once('SIGTERM', interrupt);
          let summary: RekeySummary;
          try {
            summary = await rekeyStore(store, { signal: stop.signal, onProgress: (p) => bar.update(p.sessions, { events: p.events }) });
          } finally {
            bar.stop();
            process.off('SIGINT', interrupt);
            process.off('SIGTERM', interrupt);
          }
          out(opts.json ? JSON.stringify(summary) : describe(summary));
          if (summary.interrupted || summary.kept.length) process.exitCode = 1;
        },
        { mustExist: true },
      );
    });
}

function describe(s: RekeySummary): string {
  const lines = [
    `rekey: ${s.sessions} sessions re-sealed under key "${s.keyId}" (${s.currentSessions} already were), ${s.events} events, ` +
      `${s.sharedStates} shared states, ${s.files} file records in ${s.seconds.toFixed(1)} s`,
  ];
  if (s.kept.length) {
    lines.push(`${s.kept.length} sessions kept under older keys (keep those keys configured to read them):`);
    for (const k of s.kept.slice(0, 50)) lines.push(`  ${k.session}: ${k.reason}`);
    if (s.kept.length > 50) lines.push(`  … and ${s.kept.length - 50} more`);
  }
  if (s.interrupted) lines.push('interrupted: run sessiondb rekey again to finish (what is done is kept)');
  return lines.join('\n');
}

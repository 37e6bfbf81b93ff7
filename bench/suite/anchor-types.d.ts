// The type-check of the whole repo (npm run typecheck) covers the benchmark, whose anchors live in
// bench/package.json. @mikro-orm/sqlite is not a dependency of the project itself (it would
// compile sqlite3 on every install), so until bench/node_modules is installed this declaration
// stands in for it: TypeScript uses an ambient module only when the real one cannot be resolved.
declare module '@mikro-orm/sqlite' {
  import type { Options } from '@mikro-orm/core';
  /** MikroORM's SQLite driver, as ADK's DatabaseSessionService takes it. */
  export const SqliteDriver: NonNullable<Options['driver']>;
}

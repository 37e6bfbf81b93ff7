import pg from 'pg';
import { pgNames } from './src/stores/postgres/schema.js';
import { pgSearchSql, searchParams, searchShape } from './src/stores/postgres/search.js';
import { prepareSearch } from './src/core/search/prepare.js';
import { resolveLimits } from './src/core/limits.js';
import { twoWordQueries } from './bench/suite/search/corpus.js';
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/test'); await c.connect();
const n = pgNames('sdb_probe_search', '');
for (const query of [twoWordQueries(1)[0]!.slice(0, 3) + '*', twoWordQueries(1)[0]!]) {
  const p = prepareSearch({ query, limit: 20 }, resolveLimits());
  const sql = pgSearchSql(n, searchShape(p));
  const r = await c.query('EXPLAIN (ANALYZE, BUFFERS) ' + sql, searchParams(p, 'simple'));
  console.log(query); for (const row of r.rows) console.log(row['QUERY PLAN']);
}
await c.end();

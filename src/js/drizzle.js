// drizzle.js — sqlite-worker/drizzle: Drizzle ORM over an open Database (README
// "Drizzle"), through Drizzle's sqlite-proxy driver: queries, batches (one atomic request),
// transactions and nested ones (SQL BEGIN and SAVEPOINT: the tab's own transaction, a
// lease on the leader), and migrate() for migrations bundled with the app.

import { drizzle as proxy } from 'drizzle-orm/sqlite-proxy';

/* The answer Drizzle's proxy wants of a query run with `method`. */
async function query(db, sql, params, method) {
  if (method === 'run') {
    const r = await db.run(sql, params);
    return { rows: [], changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }
  if (method === 'get') return { rows: await db.get(sql, params, { rowMode: 'array' }) };
  return { rows: await db.all(sql, params, { rowMode: 'array' }) };
}

/**
 * A Drizzle database over `db` (an open Database): `drizzle(db, { schema })`. config is
 * Drizzle's (schema, logger, casing).
 */
export function drizzle(db, config = {}) {
  if (!db || typeof db.batch !== 'function') throw new TypeError('drizzle(db) needs an open sqlite-worker Database');
  return proxy(
    (sql, params, method) => query(db, sql, params, method),
    async (queries) => {
      const results = await db.batch(queries.map((q) => [q.sql, q.params]), { rowMode: 'array' });
      return results.map((r, i) => ({ rows: queries[i].method === 'get' ? r.rows[0] : r.rows }));
    },
    config,
  );
}

/**
 * Applies the migrations drizzle-kit generated and the app bundles (`migrations.js` of
 * `drizzle-kit generate` with driver 'durable-sqlite' or 'expo': { journal, migrations })
 * that the database has not seen, in one transaction; records them in
 * `__drizzle_migrations` (config.migrationsTable), as Drizzle's migrators do.
 */
export async function migrate(database, { journal, migrations }, config) {
  if (!journal || !Array.isArray(journal.entries) || !migrations || typeof migrations !== 'object') {
    throw new TypeError('migrate(db, files) needs { journal, migrations } (drizzle-kit\'s migrations.js)');
  }
  const steps = journal.entries.map((entry) => {
    const text = migrations[`m${String(entry.idx).padStart(4, '0')}`];
    if (typeof text !== 'string') throw new Error(`missing migration ${entry.tag}`);
    return { sql: text.split('--> statement-breakpoint'), bps: entry.breakpoints, folderMillis: entry.when, hash: '' };
  });
  await database.dialect.migrate(steps, database.session, config);
}

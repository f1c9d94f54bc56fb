// Types of sqlite-worker/drizzle: Drizzle ORM over an open Database (README "Drizzle").
import type { DrizzleConfig } from 'drizzle-orm';
import type { SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type { Database } from './index.js';

/** A Drizzle database over `db`: queries, batches (one atomic request), transactions and nested ones
 *  (the tab's own SQL transaction: other tabs wait). config is Drizzle's (schema, logger, casing). */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(
  db: Database<any>, config?: DrizzleConfig<TSchema>): SqliteRemoteDatabase<TSchema>;

/** drizzle-kit's `migrations.js` (driver 'durable-sqlite' or 'expo'), as the app bundles it. */
export interface MigrationFiles {
  journal: { entries: ReadonlyArray<{ idx: number; when: number; tag: string; breakpoints: boolean }> };
  migrations: Record<string, string>;
}

/** Applies the migrations the database has not seen, in one transaction, recording them in
 *  `__drizzle_migrations` (config.migrationsTable), as Drizzle's migrators do. */
export function migrate<TSchema extends Record<string, unknown>>(
  db: SqliteRemoteDatabase<TSchema>, files: MigrationFiles, config?: { migrationsTable?: string }): Promise<void>;

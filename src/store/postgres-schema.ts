import type pg from 'pg';
import { MIGRATIONS } from './migrations.js';

/** Names the advisory lock every bridge process takes to migrate, whatever database it is in. */
const MIGRATION_LOCK_NAME = 'ews-photo-bridge schema migrations';

/**
 * While a store opens nothing is served yet, so waiting for another replica's migration
 * blocks no request; a step that builds indexes over a large directory may take a while.
 */
const MIGRATION_LOCK_TIMEOUT = '300s';

/**
 * Brings the database to the latest schema version in one transaction, under a
 * transaction-scoped advisory lock: replicas that start together queue on the lock, the
 * first applies the steps, the others find them applied. A failing step leaves the
 * database as it was (PostgreSQL's DDL is transactional).
 */
export async function migratePostgres(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK_NAME]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
    const applied = rows[0]!.version;
    if (applied > MIGRATIONS.length) {
      throw new Error(`database schema version ${applied} is newer than this bridge knows (${MIGRATIONS.length}); upgrade the bridge`);
    }
    for (const [i, migration] of MIGRATIONS.slice(applied).entries()) {
      await client.query(migration.postgres);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [applied + i + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

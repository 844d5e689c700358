import type { Config } from '../config.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export type StoreSettings = Pick<Config, 'databaseUrl' | 'databasePath' | 'databasePoolSize' | 'storeBusyTimeoutMs'>;

/**
 * The store the settings name: PostgreSQL when BRIDGE_DATABASE_URL is set, else the
 * embedded SQLite file. A server checkpoints SQLite's WAL in the background; a one-shot
 * command does not start a thread for it.
 */
export async function openStore(settings: StoreSettings, use: 'server' | 'command'): Promise<Store> {
  if (settings.databaseUrl) {
    return PostgresStore.open(settings.databaseUrl, { busyTimeoutMs: settings.storeBusyTimeoutMs, poolSize: settings.databasePoolSize });
  }
  return new SqliteStore(settings.databasePath, { busyTimeoutMs: settings.storeBusyTimeoutMs, checkpointInBackground: use === 'server' });
}

/** Where the store is, for logs and banners: the file, or the URL without its password. */
export function storeLocation(settings: Pick<StoreSettings, 'databaseUrl' | 'databasePath'>): string {
  return settings.databaseUrl ? withoutPassword(settings.databaseUrl) : settings.databasePath;
}

export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

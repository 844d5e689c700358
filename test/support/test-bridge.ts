import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '../../src/auth/password-hash.js';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

export const ADMIN = { username: 'admin@example.com', password: 'admin secret' };
export const READER = { username: 'reader@example.com', password: 'reader secret' };

export function basic(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export interface TestBridge {
  bridge: Bridge;
  store: SqliteStore;
  config: Config;
  databasePath: string;
  close(): Promise<void>;
}

/**
 * A clock for the logins' shares of the bridge's time (search-budget.ts), to pass as
 * startTestBridge's `searchClock`: the real one, moved on by the test, so work is charged the
 * time it really takes and a spent share is paid back at once, not by waiting seconds.
 */
export class ShareClock {
  private movedAhead = 0;
  readonly now = (): number => performance.now() + this.movedAhead;

  /** A minute on: every login's share is whole again. */
  payBack(): void {
    this.movedAhead += 60_000;
  }
}

/** A real bridge on a temporary SQLite file with one admin and one reader account; `searchClock` as createBridge takes it. */
export async function startTestBridge(env: Record<string, string> = {}, log: Logger = createLogger('silent'), searchClock?: () => number): Promise<TestBridge> {
  const dir = mkdtempSync(join(tmpdir(), 'epb-test-'));
  const databasePath = join(dir, 'bridge.db');
  const config = loadConfig({ BRIDGE_DB: databasePath, BRIDGE_PORT: '0', BRIDGE_DEMO: 'false', BRIDGE_ACCESS_LOG: 'false', ...env });
  const store = new SqliteStore(databasePath, { busyTimeoutMs: config.storeBusyTimeoutMs, checkpointInBackground: true });
  await store.putAccount(ADMIN.username, await hashPassword(ADMIN.password), 'admin');
  await store.putAccount(READER.username, await hashPassword(READER.password), 'user');
  const bridge = await createBridge(config, store, log, undefined, searchClock);
  return {
    bridge,
    store,
    config,
    databasePath,
    async close() {
      await bridge.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

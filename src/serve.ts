import { verifyPassword } from './auth/password-hash.js';
import { createBridge } from './bridge.js';
import type { Config } from './config.js';
import { DEMO_LOGIN } from './demo/demo-directory.js';
import { seedDemoIfEmpty } from './demo/seed-demo.js';
import { createLogger } from './logger.js';
import { imageLimitsOf } from './photos/image-limits.js';
import { SqliteStore } from './store/sqlite-store.js';

/** Runs the bridge until SIGTERM or SIGINT, then drains and exits. */
export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const store = new SqliteStore(config.databasePath, { busyTimeoutMs: config.storeBusyTimeoutMs, checkpointInBackground: true });
  if (config.seedDemo && (await seedDemoIfEmpty(store, imageLimitsOf(config)))) {
    log.info({ db: config.databasePath }, 'empty database: seeded the demo directory');
  }
  const bridge = await createBridge(config, store, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    bridge.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const address = await bridge.listen();
  const base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url: base, db: config.databasePath, anonymousRead: config.allowAnonymousRead }, 'listening');
  process.stderr.write(await banner(base, config, store));
}

async function banner(base: string, config: Config, store: SqliteStore): Promise<string> {
  const lines = [`\news-photo-bridge is listening on ${base}  (database: ${config.databasePath})`];
  const demo = await store.getAccount(DEMO_LOGIN.username);
  const login = demo && (await verifyPassword(DEMO_LOGIN.password, demo.passwordHash)) ? `${DEMO_LOGIN.username}:${DEMO_LOGIN.password}` : undefined;
  const credentials = config.allowAnonymousRead ? '' : `-u '${login ?? 'USER:PASSWORD'}' `;
  lines.push(
    login ? `  demo login:  ${DEMO_LOGIN.username}  password: ${DEMO_LOGIN.password}  (admin; do not keep it in production)` : '  log in with an account made by: ews-photo-bridge account add <name>',
    `  directory:   ${base}/  (search people, see their photos)`,
    `  try:         curl ${credentials}'${base}/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.example&size=HR96x96' -o photo.jpg`,
  );
  if (config.allowAnonymousRead) lines.push('  WARNING: anonymous read is on; anyone who reaches this port can fetch every photo');
  return `${lines.join('\n')}\n\n`;
}

import { setFlagsFromString } from 'node:v8';
import { verifyPassword } from './auth/password-hash.js';
import { createBridge, prepareSettings } from './bridge.js';
import { unknownEnvironmentSettings, type Config } from './config.js';
import { withoutTrailingSlashes } from './domain/plain-text.js';
import { DEMO_LOGIN, DEMO_PERSON } from './demo/demo-directory.js';
import { seedDemoIfEmpty } from './demo/seed-demo.js';
import { createLogger, type Logger } from './logger.js';
import { imageLimitsOf } from './photos/image-limits.js';
import { retryUntil } from './retry-until.js';
import { openStore, storeLocation, storeNotReachedYet } from './store/open-store.js';
import type { Store } from './store/store.js';

/** Runs the bridge until SIGTERM or SIGINT, then drains and exits. */
export async function serve(config: Config): Promise<void> {
  // V8 moves an allocation site's objects straight to the old generation once many of them
  // survive a young collection. Some load mixes (the bench's REST rounds before SOAP) made
  // it pick sites of the SOAP path: every SOAP request's objects then filled the old
  // generation until a full collection, young collections took 4.6–5.0 ms instead of 0.8,
  // and a SOAP photo cost 39–50 µs of CPU instead of 26–30 (bench/README.md). Read when
  // each collection decides, so it takes effect here, before the first request.
  setFlagsFromString('--no-allocation-site-pretenuring');
  const log = createLogger(config.logLevel);
  for (const name of unknownEnvironmentSettings()) log.warn({ variable: name }, `${name} is not a setting of the bridge: ignored (see the README's settings)`);
  const prepared = await prepareSettings(config);
  const store = await openStoreOnceReachable(config, log);
  const upgrade = store.schemaUpgrade;
  if (upgrade) log.info({ db: storeLocation(config), ...upgrade }, upgrade.from === 0 ? 'database schema created' : 'database schema upgraded');
  // Made before the demo is seeded: a setting it refuses leaves a new store empty.
  const bridge = await createBridge(config, store, log, prepared);
  if (config.seedDemo && (await seedDemoIfEmpty(store, imageLimitsOf(config)))) {
    log.info({ db: storeLocation(config) }, 'empty database: seeded the demo directory');
  }
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
  // A renewed certificate is taken up without a restart (systemctl reload, kill -HUP).
  // Without built-in TLS there is nothing to reload, but SIGHUP must not end the process
  // (Node's default): systemd counts that exit as clean and does not restart it.
  process.on('SIGHUP', () => {
    if (config.tlsCertFile === '') {
      log.info('SIGHUP: nothing to reload (no built-in TLS)');
      return;
    }
    try {
      bridge.reloadTls();
      log.info({ cert: config.tlsCertFile }, 'TLS certificate and key reloaded');
    } catch (error) {
      // The reason alone: a file that does not load is the operator's to mend, and the stack said nothing more.
      log.error({ reason: error instanceof Error ? error.message : String(error) }, 'TLS reload failed; still serving the previous certificate');
    }
  });
  const address = await bridge.listen();
  const scheme = config.tlsCertFile === '' ? 'http' : 'https';
  const base = `${scheme}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const metricsAddress = bridge.metricsServer?.address();
  if (metricsAddress && typeof metricsAddress === 'object') log.info({ address: metricsAddress.address, port: metricsAddress.port }, 'serving /metrics');
  log.info({ url: base, db: storeLocation(config), anonymousRead: config.allowAnonymousRead }, 'listening');
  process.stderr.write(await banner(base, config, store));
}

/** The wait between tries to reach a database at start: from 1 s, doubling, at most 10 s. */
const FIRST_START_RETRY_MS = 1000;
const LAST_START_RETRY_MS = 10_000;

/**
 * A database server that is not up yet — the host still booting, a compose file starting
 * both — is waited for (BRIDGE_DATABASE_START_WAIT_MS) rather than failed at once, each try
 * in a warning: a bridge that exits is restarted only where a supervisor is set up to.
 * SIGTERM meanwhile ends the process (no handler is installed yet).
 */
async function openStoreOnceReachable(config: Config, log: Logger): Promise<Store> {
  return retryUntil(
    () =>
      openStore(config, 'server', ({ from, to }) => {
        if (from > 0) log.info({ db: storeLocation(config), from, to }, 'upgrading the database schema; the port opens once it is done');
      }),
    {
      waitMs: config.databaseStartWaitMs,
      firstDelayMs: FIRST_START_RETRY_MS,
      maxDelayMs: LAST_START_RETRY_MS,
      mayRetry: storeNotReachedYet,
      onRetry: (error, retryInMs) =>
        log.warn({ db: storeLocation(config), reason: (error as Error).message, retryInMs }, 'the database cannot be reached yet; trying again'),
    },
  );
}

async function banner(base: string, config: Config, store: Store): Promise<string> {
  const lines = [`\news-photo-bridge is listening on ${base}  (database: ${storeLocation(config)})`];
  // Where people reach it: behind a proxy, the public URL rather than the listener's address.
  const reachAt = config.publicUrl === '' ? base : withoutTrailingSlashes(config.publicUrl);
  const demo = await store.getAccount(DEMO_LOGIN.username);
  const login = demo && (await verifyPassword(DEMO_LOGIN.password, demo.passwordHash)) ? `${DEMO_LOGIN.username}:${DEMO_LOGIN.password}` : undefined;
  const credentials = config.allowAnonymousRead ? '' : `-u '${login ?? 'USER:PASSWORD'}' `;
  lines.push(
    login
      ? `  demo login:  ${DEMO_LOGIN.username}  password: ${DEMO_LOGIN.password}  (admin; do not keep it in production)`
      : '  log in with an account made by: ews-photo-bridge account add <name>',
    `  directory:   ${reachAt}/  (search people, see their photos)`,
    `  try:         curl ${credentials}'${reachAt}/ews/exchange.asmx/s/GetUserPhoto?email=${login ? DEMO_PERSON : 'SOMEONE@YOUR.DOMAIN'}&size=HR96x96' -o photo.jpg`,
  );
  if (config.allowAnonymousRead) lines.push('  WARNING: anonymous read is on; anyone who reaches this port can fetch every photo');
  return `${lines.join('\n')}\n\n`;
}

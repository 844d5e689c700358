/**
 * The abuse suite: `npm run abuse`. Starts the bridge as its own process on a database
 * prepared like the bench's, replays every attack class of issue 8 with a valid login,
 * one at a time, and prints what each was answered and what it cost the bridge (time,
 * RSS, how long /healthz waited meanwhile). Loopback only; bounded in count and time.
 *
 * Exit status: 0 every expected status, code and bound held; 1 one did not (listed), or
 * the run broke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestIssuer } from '../../test/support/jwt-issuer.js';
import { stopAllChildren } from '../children.js';
import { fixed, renderTable } from '../table.js';
import { anonymousAttacks } from './anonymous-attacks.js';
import type { Attack, AttackResult } from './attack.js';
import { startBridge, stopBridge, type RunningBridge } from './bridges.js';
import { readFixtureIds } from './fixture-ids.js';
import { prepareAbuseDatabase } from './fixture.js';
import { httpAttacks, longForwardedTokens } from './http-attacks.js';
import {
  concurrentGuesses,
  es256BearerToken,
  hashFloodDuringConversions,
  rightGuessWhileThrottled,
  rotatingIpv6Addresses,
  sprayWithOwnLogin,
  wrongPasswords,
} from './login-attacks.js';
import { largeMailboxAttacks } from './large-mailbox-attacks.js';
import { observe, type Observation } from './observe.js';
import { soapAttacks } from './soap-attacks.js';

const WATCHDOG_MS = 10 * 60 * 1000;
/** /healthz waits longer than this are flagged in the output (not in the exit status: times are figures, not expectations). */
const HEALTHZ_WARN_MS = 500;

/** ABUSE_ONLY=text runs only the attacks whose names contain it (any case): one class, while working on it. */
const ONLY = process.env.ABUSE_ONLY?.toLowerCase();
const isAsked = (attack: Attack) => ONLY === undefined || attack.name.toLowerCase().includes(ONLY);

/** The attacks that need one configuration of the bridge. */
interface Round {
  bridge: string;
  settings: Record<string, string>;
  attacks(bridge: RunningBridge): Promise<Attack[]>;
}

interface Row {
  attack: string;
  observed: Observation<AttackResult> | undefined;
  error?: string;
}

async function main(): Promise<number> {
  setTimeout(() => {
    console.error(`abuse: gave up after ${WATCHDOG_MS / 1000} s`);
    process.exit(1);
  }, WATCHDOG_MS).unref();

  const dir = mkdtempSync(join(tmpdir(), 'epb-abuse-'));
  const issuer = await createTestIssuer();
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
    issuer.close();
  });
  const databasePath = await prepareAbuseDatabase(dir);
  const photoPath = join(dir, 'photo.jpg');

  const rounds: Round[] = [
    {
      bridge: 'defaults',
      settings: {},
      // The wrong passwords come last: once this client is throttled, its uncached logins wait too.
      attacks: async (bridge) => [
        ...soapAttacks(await readFixtureIds(bridge, databasePath)),
        ...httpAttacks(dir, databasePath, photoPath),
        ...largeMailboxAttacks(),
        wrongPasswords,
      ],
    },
    { bridge: 'BRIDGE_ANONYMOUS_READ=true', settings: { BRIDGE_ANONYMOUS_READ: 'true' }, attacks: () => Promise.resolve(anonymousAttacks()) },
    { bridge: 'RSA bearer key (BRIDGE_JWT_PUBLIC_KEY_FILE)', settings: issuer.env, attacks: () => Promise.resolve([es256BearerToken]) },
    // Each on a bridge of its own: both leave this client's address throttled.
    { bridge: 'defaults (guesses at once)', settings: {}, attacks: () => Promise.resolve([concurrentGuesses]) },
    { bridge: 'defaults (spraying with a login)', settings: {}, attacks: () => Promise.resolve([sprayWithOwnLogin]) },
    {
      bridge: 'BRIDGE_TRUSTED_PROXIES=127.0.0.1 (one IPv6 /64)',
      settings: { BRIDGE_TRUSTED_PROXIES: '127.0.0.1' },
      attacks: () => Promise.resolve([rotatingIpv6Addresses, rightGuessWhileThrottled]),
    },
    {
      bridge: 'BRIDGE_TRUSTED_PROXIES=127.0.0.1, BRIDGE_FORWARDED_HEADER=forwarded',
      settings: { BRIDGE_TRUSTED_PROXIES: '127.0.0.1', BRIDGE_FORWARDED_HEADER: 'forwarded' },
      attacks: () => Promise.resolve([longForwardedTokens]),
    },
    // As an attacker with many addresses and account names finds it: every wrong password is checked.
    { bridge: 'BRIDGE_LOGIN_MAX_FAILURES=1000', settings: { BRIDGE_LOGIN_MAX_FAILURES: '1000' }, attacks: () => Promise.resolve([hashFloodDuringConversions]) },
  ];

  let failed = 0;
  let held = 0;
  for (const round of rounds) {
    const bridge = await startBridge(round.bridge, databasePath, round.settings);
    const rows: Row[] = [];
    try {
      for (const attack of (await round.attacks(bridge)).filter(isAsked)) {
        try {
          await attack.before?.(bridge);
          rows.push({ attack: attack.name, observed: await observe(bridge.pid, bridge.base, () => attack.run(bridge)) });
        } catch (error) {
          rows.push({ attack: attack.name, observed: undefined, error: error instanceof Error ? error.message : String(error) });
        }
        if (bridge.child.process.exitCode !== null || bridge.child.process.signalCode !== null) {
          throw new Error(`the bridge died during '${attack.name}':\n${bridge.child.stderrTail()}`);
        }
      }
    } finally {
      await stopBridge(bridge);
    }
    printRound(round.bridge, rows);
    for (const row of rows) {
      const checks = row.observed?.result.checks ?? [];
      held += checks.filter((c) => c.ok).length;
      for (const c of checks.filter((c) => !c.ok)) {
        failed++;
        console.log(`FAIL ${row.attack}: ${c.what}`);
      }
      if (row.error !== undefined) {
        failed++;
        console.log(`FAIL ${row.attack}: the attack broke: ${row.error}`);
      }
    }
  }
  console.log(`\n${held} expectations held, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

function printRound(bridge: string, rows: Row[]): void {
  console.log(`\nBridge: ${bridge}`);
  const header = ['attack', 'status', 'EWS code', 'bytes', 'ms', 'RSS before MiB', 'RSS after MiB', 'RSS peak MiB', '/healthz max ms'];
  const cells = rows.map(({ attack, observed, error }) => {
    if (!observed) return [attack, `error: ${error}`, '', '', '', '', '', '', ''];
    const { result } = observed;
    const healthz = `${fixed(observed.healthzMaxMs, 0)}${observed.healthzFailures > 0 ? ` (${observed.healthzFailures} failed)` : ''}${observed.healthzMaxMs > HEALTHZ_WARN_MS ? ' !' : ''}`;
    return [
      attack,
      result.status,
      clip(result.ewsCode, 48),
      String(result.bytes),
      fixed(observed.ms, 0),
      fixed(observed.rssBeforeMiB, 0),
      fixed(observed.rssAfterMiB, 0),
      fixed(observed.rssPeakMiB, 0),
      healthz,
    ];
  });
  console.log(renderTable(header, cells));
  for (const { attack, observed } of rows) if (observed?.result.note) console.log(`  ${attack}: ${observed.result.note}`);
  if (rows.some((row) => (row.observed?.healthzMaxMs ?? 0) > HEALTHZ_WARN_MS)) console.log(`  ! /healthz waited more than ${HEALTHZ_WARN_MS} ms`);
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
void main()
  .then(
    (code) => code,
    (error: unknown) => {
      console.error(`abuse run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return 1;
    },
  )
  .then(async (code) => {
    await stopAllChildren();
    process.exit(code);
  });

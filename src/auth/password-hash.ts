import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HashWorkers } from './hash-workers.js';

// OWASP's scrypt floor (N=2^17 needs 128 MiB per hash; 2^15 with r=8 is the common
// compromise for a login path that is cached after the first success).
const COST = { N: 32768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

/** For callers without settings of their own (the CLI, the demo seed): one thread. */
const sharedWorkers = new HashWorkers({ workers: 1, maxQueued: 64 });

function derive(
  workers: HashWorkers,
  password: string,
  salt: Buffer,
  cost: { N: number; r: number; p: number },
  keyLength: number,
  site?: string,
): Promise<Buffer> {
  return workers.derive({ password: password.normalize('NFC'), salt, ...cost, keyLength, maxmem: MAX_MEMORY }, site);
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64: self-describing, so costs can rise later. */
export async function hashPassword(password: string, workers: HashWorkers = sharedWorkers): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(workers, password, salt, COST, KEY_LENGTH);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Rejects with ErrorServerBusy when `workers` has no room for another derivation; `site`: whose turn it waits in there (HashWorkers.derive). */
export async function verifyPassword(password: string, encoded: string, workers: HashWorkers = sharedWorkers, site?: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(workers, password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length, site);
  return timingSafeEqual(actual, expected);
}

import { LRUCache } from 'lru-cache';
import { clientNetwork } from '../http/addressing.js';

/** How long a login stays known at a network after it was last used there: a working day and a night, so Monday's client is known on Tuesday. */
export const KNOWN_CLIENT_MS = 24 * 60 * 60 * 1000;

/** Networks longer than this share one entry per prefix, as the throttle's keys do: memory stays bounded per entry. */
const MAX_NETWORK_LENGTH = 256;

export interface KnownClientsOptions {
  /** Logins and networks remembered at most, the least recently used forgotten first. */
  max: number;
  /** The clock the login throttle reads (milliseconds, only moving forward). */
  now: () => number;
}

/**
 * The logins — a name and its very password — each client network (an IPv4 address, an IPv6
 * /64: clientNetwork) has used in the last KNOWN_CLIENT_MS: the "device cookie" of the OWASP
 * Authentication Cheat Sheet, which asks that a lockout not lock out the clients an account
 * already uses. A remembered login runs out a minute after its client goes quiet; checked
 * then, it met the account's back-off that a guesser's failures elsewhere had caused, and a
 * guesser sending one wrong password every back-off kept each client that paused closed out.
 * Keyed by the password too (as a SHA-256, the remembered logins' key), so a guesser beside
 * the client, at its network, is never let through as known with a password of its own.
 */
export class KnownClients {
  private readonly logins: LRUCache<string, true>;

  constructor(options: KnownClientsOptions) {
    // ttlResolution 0: the clock is read on each look (a moved test clock would not be seen otherwise).
    this.logins = new LRUCache({ max: options.max, ttl: KNOWN_CLIENT_MS, ttlResolution: 0, perf: { now: options.now } });
  }

  /** The login (its key) was used at these addresses just now, checked there or renewed for them: known there for another KNOWN_CLIENT_MS. */
  used(loginKey: string, clientAddresses: Iterable<string>): void {
    for (const address of clientAddresses) this.logins.set(knownKey(loginKey, address), true);
  }

  has(loginKey: string, clientAddress: string): boolean {
    return this.logins.has(knownKey(loginKey, clientAddress), { updateAgeOnHas: false });
  }
}

const knownKey = (loginKey: string, clientAddress: string) => `${loginKey}\n${clientNetwork(clientAddress).slice(0, MAX_NETWORK_LENGTH)}`;

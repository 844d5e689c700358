/** Renew this long before an access token expires, so none dies in flight. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * When to renew a token the server said lives `expiresIn` seconds (OAuth's `expires_in`):
 * five minutes before it ends, or half-way through a shorter life; never, when the server
 * names no lifetime — it is kept until the API refuses it, and the refusal renews it.
 * Renewing at `expires_in − 5 min` alone renewed a token that lives a minute on every call
 * (Graph's client secret, or UCWA's password grant, sent once a request).
 */
export function renewalTime(expiresIn: unknown, now = Date.now()): number {
  const lifetimeMs = Number(expiresIn) > 0 ? Number(expiresIn) * 1000 : 0;
  return lifetimeMs ? now + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2) : Infinity;
}

/** Renew this long before an access token expires, so none dies in flight. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** The shortest life a token is kept for: one said to live a millisecond was asked for again on nearly every call. */
const SHORTEST_LIFETIME_MS = 60_000;
/**
 * The longest access token used. OAuth sets no length; Entra's and SuperOffice's are a few KB.
 * A 9 MB one was kept for its hour and sent with every call, which the API refused (431).
 */
const LONGEST_TOKEN = 16 * 1024;

/** An OAuth answer's `access_token` when it is one to send: a string, not empty, not over LONGEST_TOKEN. */
export function usableToken(token: unknown): string | undefined {
  return typeof token === 'string' && token.length > 0 && token.length <= LONGEST_TOKEN ? token : undefined;
}

/**
 * A token endpoint's 200 without a token to use: the endpoint failing, not anyone's photo
 * missing, so worth a retry and held against the source (it was "no photo" for everyone).
 */
export function noUsableToken(endpoint: string): Error {
  return new Error(`${endpoint} answered 200 without a usable access_token (none, or over ${LONGEST_TOKEN} characters)`);
}

/**
 * When to renew a token the server said lives `expiresIn` seconds (OAuth's `expires_in`):
 * five minutes before it ends, or half-way through a shorter life; never, when the server
 * names no lifetime — it is kept until the API refuses it, and the refusal renews it.
 * Renewing at `expires_in − 5 min` alone renewed a token that lives a minute on every call
 * (Graph's client secret, or UCWA's password grant, sent once a request).
 */
export function renewalTime(expiresIn: unknown, now = Date.now()): number {
  const lifetimeMs = Number(expiresIn) > 0 ? Math.max(Number(expiresIn) * 1000, SHORTEST_LIFETIME_MS) : 0;
  return lifetimeMs ? now + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2) : Infinity;
}

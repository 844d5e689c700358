/**
 * What an upstream said, for the log and `sources check`, with each credential blanked,
 * and every run of eight or more characters that is part of one, in any case and
 * URL-decoded: a token endpoint or gateway that echoes the request (misconfigured, a
 * proxy's error page, hostile) — upper-cased, encoded or cut short — must not put a
 * secret in the log (exact copies were all that was blanked at first).
 */
export function blankSecrets(text: string, secrets: readonly string[]): string {
  const known = secrets.filter((secret) => secret.length > 0).map((secret) => secret.toLowerCase());
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // Not URL-encoded after all: blanked as it is.
  }
  const whole = known.reduce((said, secret) => said.replace(new RegExp(escapeRegExp(secret), 'gi'), '…'), decoded);
  return whole.replace(/[^\s"'(),;:/?&=…]{8,}/g, (run) => (known.some((secret) => secret.includes(run.toLowerCase())) ? '…' : run));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

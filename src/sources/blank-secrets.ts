/**
 * What an upstream said, for the log and `sources check`, with each credential blanked,
 * and every stretch of eight or more characters that is part of one, in any case and
 * URL-decoded: a token endpoint or gateway that echoes the request (misconfigured, a
 * proxy's error page, hostile) — upper-cased, encoded or cut short — must not put a
 * secret in the log (exact copies were all that was blanked at first).
 */
export function blankSecrets(text: string, secrets: readonly string[]): string {
  // Longest first: a secret within another (the system user token in its signed form) would leave the rest of the other.
  const known = [...new Set(secrets.filter((secret) => secret.length > 0).flatMap(decodedForms))].sort((a, b) => b.length - a.length);
  // Twice: a secret encoded twice (a query carried in another URL's parameter) was logged whole.
  const decoded = urlDecoded(urlDecoded(text));
  const whole = known.reduce((said, secret) => said.replace(new RegExp(escapeRegExp(secret), 'gi'), '…'), decoded);
  let parts: Set<string> | undefined;
  return whole.replace(/[^\s"'(),;:/?&=…]{8,}/g, (run) => blankedParts(run, (parts ??= partsOf(known))));
}

/**
 * `text` with each run of URL-encoded characters decoded on its own: the whole text decoded
 * at once threw on one stray `%` ("100% failed") and nothing was decoded, so an encoded
 * password was logged. A run holds whole UTF-8 sequences only, so a character cut short at
 * its end is left out and the rest decoded; a run that is no UTF-8 after all stays as it came.
 */
function urlDecoded(text: string): string {
  return text.replace(URL_ENCODED_RUN, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

const URL_ENCODED_RUN = /(?:%[0-7][0-9a-f]|%[cd][0-9a-f]%[89ab][0-9a-f]|%e[0-9a-f](?:%[89ab][0-9a-f]){2}|%f[0-4](?:%[89ab][0-9a-f]){3})+/gi;

/**
 * A secret, lower-cased, as it reads in text decoded like it: as it is, and decoded once and
 * twice where it holds a `%` (echoed as it was sent, it is decoded with the text) — each
 * also with `+` for its spaces, as a form is encoded (`password=correct+horse+battery+staple`
 * was logged).
 */
function decodedForms(secret: string): string[] {
  const decodedOnce = urlDecoded(secret);
  const forms = [secret, decodedOnce, urlDecoded(decodedOnce)].map(lowerCaseInPlace);
  return [...forms, ...forms.map((form) => form.replace(/ /g, '+'))];
}

/** Every SECRET_PART characters of the secrets, looked up whole: searching each secret for each one held the loop 10–15 ms for a 4 KiB answer. */
function partsOf(secrets: readonly string[]): Set<string> {
  const parts = new Set<string>();
  for (const secret of secrets) for (let at = 0; at + SECRET_PART <= secret.length; at++) parts.add(secret.slice(at, at + SECRET_PART));
  return parts;
}

/**
 * A run of word characters with every stretch of SECRET_PART or more characters that is part
 * of a secret blanked: a piece of a token glued to a word (`Denied_eyJ0eXAi…`, Graph's error
 * code cut to 64) is not itself part of the token, and was logged whole.
 */
function blankedParts(run: string, parts: ReadonlySet<string>): string {
  const lower = lowerCaseInPlace(run);
  let said = '';
  let kept = 0;
  let blankedTo = -1;
  for (let at = 0; at + SECRET_PART <= lower.length; at++) {
    if (!parts.has(lower.slice(at, at + SECRET_PART))) continue;
    // A stretch that meets or overlaps the last one blanked is the same stretch.
    if (at > blankedTo) said += `${run.slice(kept, at)}…`;
    blankedTo = kept = at + SECRET_PART;
  }
  return said + run.slice(kept);
}

/**
 * `text` in lower case with every character where it was: the pieces found in a run are
 * cut from the run as it came, and `İ` lower-cases to two code units — 60 of them shifted
 * the cuts and a token's first 50 characters were logged. A character whose lower case is
 * longer is kept as it is (in secrets too, so it still matches itself).
 */
function lowerCaseInPlace(text: string): string {
  const lower = text.toLowerCase();
  // No character lower-cases to fewer code units (checked over all of Unicode on Node 20), so the same length means nothing moved.
  if (lower.length === text.length) return lower;
  return Array.from(text, (character) => {
    const lowerCharacter = character.toLowerCase();
    return lowerCharacter.length === character.length ? lowerCharacter : character;
  }).join('');
}

/** Shorter pieces of a secret are left: a random secret shares 8 characters with a word by chance about never, and less would blank words. */
const SECRET_PART = 8;

/**
 * What an upstream said, secrets blanked, cut to `length` characters: blanked before it is
 * cut, as a secret cut short and glued to the text before it is neither whole nor a run of
 * its own (`…AAAAtopsecret-cl` was logged). The first READ_MAX characters are looked at,
 * far past any cut.
 */
export function quotedUpstream(text: string, secrets: readonly string[], length = 300): string {
  return blankSecrets(text.slice(0, READ_MAX), secrets).slice(0, length);
}

const READ_MAX = 4096;

/**
 * An OAuth error code (RFC 6749 §5.2: `invalid_client`, `invalid_grant`…) as a token
 * endpoint sent it, secrets blanked like its description: one that echoes the request put
 * the client secret, or a password, in `error` too, and it was logged as it came.
 */
export function quotedErrorCode(code: unknown, secrets: readonly string[]): string | undefined {
  return typeof code === 'string' ? quotedUpstream(code, secrets, 64) : undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

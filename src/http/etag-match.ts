/**
 * If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`,
 * and `*` matches any current representation.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header === etag || listNames(header, (tag) => tag === etag, 'weak');
}

/**
 * Whether an If-Match holds (RFC 9110 §13.1.1): true without one; `*` when there is a current
 * representation (`current`, which tells its tags); else when one of its tags is a current
 * representation's, by the strong comparison — a weak tag never matches.
 */
export function ifMatchHolds(header: string | undefined, current: ((tag: string) => boolean) | undefined): boolean {
  if (header === undefined) return true;
  return current !== undefined && listNames(header, current, 'strong');
}

/** Whether a list of entity tags (or `*`) names a current representation, by the weak or the strong comparison (RFC 9110 §8.8.3.2). */
export function listNames(header: string, current: (tag: string) => boolean, comparison: 'weak' | 'strong'): boolean {
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    if (tag === '*') return true;
    if (tag.startsWith('W/')) return comparison === 'weak' && current(tag.slice(2));
    return current(tag);
  });
}

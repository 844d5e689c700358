export interface Credentials {
  username: string;
  password: string;
}

/**
 * Reads `Authorization: Basic …`. Returns undefined for anything else — a missing
 * header, another scheme, or base64 that does not decode to `user:password`.
 */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  if (!header || header.length > 4096) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || decoded.includes('\uFFFD')) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

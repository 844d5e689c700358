import { decodeText } from '../domain/text-bytes.js';

interface Credentials {
  username: string;
  password: string;
}

/** The longest Basic Authorization header read: a longer one is no login. */
const AUTHORIZATION_MAX_LENGTH = 4096;

/**
 * The most bytes of a password, sent as UTF-8 with this user name, that fit in a header of
 * AUTHORIZATION_MAX_LENGTH: `Basic `, then base64 of `user:password`, 4 characters for each 3
 * bytes or part of them (RFC 4648 §4). A longer password could be saved but never log in.
 */
export function passwordBytesMax(username: string): number {
  const credentialBytes = Math.floor((AUTHORIZATION_MAX_LENGTH - 'Basic '.length) / 4) * 3;
  return credentialBytes - Buffer.byteLength(`${username}:`);
}

/**
 * Reads `Authorization: Basic …`. Returns undefined for anything else — a missing
 * header, another scheme, or base64 that does not decode to `user:password`.
 *
 * Browsers and most clients send UTF-8 (RFC 7617's only charset). Clients on the .NET
 * Framework (the EWS Managed API among them) encode with the system's ANSI code page
 * instead, Windows-1252 in Western Europe and the Americas: credentials that are not
 * UTF-8 are read as that (decodeText), so "zoë" logs in either way. "The user-id and
 * password MUST NOT contain any control characters" (RFC 7617 §2): such a pair is none.
 */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  if (!header || header.length > AUTHORIZATION_MAX_LENGTH) return undefined;
  const match = /^Basic\s+([A-Z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = decodeText(Buffer.from(match[1]!, 'base64'));
  const colon = decoded.indexOf(':');
  if (colon <= 0 || CONTROL.test(decoded)) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** RFC 5234's CTL, which RFC 7617 keeps out of both parts: a NUL reached the store, where PostgreSQL refuses it in text. */
const CONTROL = /[\x00-\x1f\x7f]/;

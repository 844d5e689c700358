import type { Request } from 'express';
import { BridgeError } from '../domain/errors.js';
import { asciiLower } from '../domain/plain-text.js';

/**
 * A request's query string as its parameters, read as sent: Express's own reading (`req.query`)
 * makes a parameter given twice an array. A percent-escape that does not decode — `%ZZ`, or bytes
 * that are no UTF-8 — is 400, as in a path segment (client-errors.ts): URLSearchParams keeps the
 * first as written and makes the second U+FFFD, and searched for, either finds no one.
 */
export function queryOf(req: Request): URLSearchParams {
  const queryStart = req.originalUrl.indexOf('?');
  return queryParameters(queryStart < 0 ? '' : req.originalUrl.slice(queryStart + 1));
}

/** A query string (after the `?`) as its parameters, under queryOf's rules. */
export function queryParameters(query: string): URLSearchParams {
  if (query.includes('%') && !decodes(query)) throw new BridgeError('ErrorInvalidRequest', 400, 'the URL is not validly percent-encoded');
  return new URLSearchParams(query);
}

function decodes(query: string): boolean {
  try {
    decodeURIComponent(query);
    return true;
  } catch {
    return false;
  }
}

/**
 * A parameter of the bridge's query strings, its name in any case (ASP.NET's query string,
 * which Exchange reads, ignores the case of names: `Email=`, `SIZE=`); null when absent;
 * 400 when it is given twice, never one of the two picked (IIS hands Exchange both, joined
 * by a comma, which no value reads as), and 400 when it is given in the bracketed shape
 * qs and PHP read as a list or an object (`q[]=`, `size[a]=`): no parameter takes one,
 * and read as another parameter's name it left this one absent, its default answering
 * for a value the client did send.
 */
export function queryValue(query: URLSearchParams, name: string): string | null {
  const wanted = asciiLower(name);
  let found: string | null = null;
  for (const [key, value] of query) {
    // ASCII letters only: toLowerCase() makes the Kelvin sign a k, and `ifBlanK` an ifBlank.
    if (key.length !== wanted.length) {
      if (isBracketedForm(key, wanted)) throw BridgeError.invalidRequest(`the '${name}' parameter takes one value (${name}=…), not '${key.slice(0, 40)}'`);
      continue;
    }
    if (asciiLower(key) !== wanted) continue;
    if (found !== null) throw BridgeError.invalidRequest(`the '${name}' parameter is given more than once`);
    found = value;
  }
  return found;
}

/** `name[…` in any case: the name, then a bracket. */
function isBracketedForm(key: string, wanted: string): boolean {
  return key.length > wanted.length && key.charCodeAt(wanted.length) === 0x5b && asciiLower(key.slice(0, wanted.length)) === wanted;
}

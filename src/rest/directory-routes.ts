import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import type { SearchBudget } from '../http/search-budget.js';
import { BridgeError } from '../domain/errors.js';
import { telUri } from '../domain/phone-uri.js';
import type { DirectoryEntry, Store } from '../store/store.js';
import { allowOnly } from '../http/allowed-methods.js';
import { requireAccount } from '../http/require-account.js';
import { queryOf, queryValue } from '../http/query-parameter.js';
import { MAX_SEARCH_MATCHES } from '../people/find-people.js';

const MAX_SEARCH_LENGTH = 200;
const MAX_PAGE_SIZE = 100;
/**
 * How deep browsing (no q) pages: through the first 10,000 people in name order, 208
 * pages of cards, in about 3 ms at a million people. It walks one index past everything
 * before `offset`: offset 399,000 held the event loop for 130 ms.
 */
export const MAX_BROWSED_PEOPLE = 10_000;
const DEFAULT_PAGE_SIZE = 48;

/**
 * The JSON behind the directory page: who the caller is (`/api/me`), with the upload limit,
 * which the page checks a chosen photo against before sending it; and one page of people at
 * a time (`/api/people?q=&offset=&limit=`), so the page never downloads the whole directory.
 */
export function createDirectoryRoutes(store: Store, auth: Authenticator, searches: SearchBudget, maxUploadBytes: number): Router {
  const router = Router();
  const authenticate = requireAccount(auth, 'user');

  router.get('/api/me', authenticate, (req, res) => {
    const { username, role } = contextOf(req).principal!;
    res.setHeader('cache-control', 'no-store');
    res.json({ username, role, maxUploadBytes });
  });

  router.get('/api/people', authenticate, async (req, res) => {
    const query = queryOf(req);
    const q = queryValue(query, 'q')?.trim() ?? '';
    if (q.length > MAX_SEARCH_LENGTH) throw BridgeError.invalidRequest(`the search is longer than ${MAX_SEARCH_LENGTH} characters`);
    const end = q === '' ? MAX_BROWSED_PEOPLE : MAX_SEARCH_MATCHES;
    const offset = queryInteger(query, 'offset', 0, end - 1, 0);
    const limit = Math.min(queryInteger(query, 'limit', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE), end - offset);
    // One row more than asked tells whether another page exists, without counting them all.
    const answer = await searches.json(mailboxOf(contextOf(req))!, async () => {
      const entries = await store.searchDirectory(q, offset, limit + 1);
      const more = entries.length > limit;
      // `capped`: more match, past the deepest page a search reaches.
      return {
        q,
        offset,
        limit,
        hasMore: more && offset + limit < end,
        capped: more && offset + limit >= end,
        people: entries.slice(0, limit).map(personJson),
      };
    });
    // Not kept at all, as /api/me: without a validator `no-cache` saved nothing, and left every
    // page of the directory a browser was shown in its disk cache.
    res.setHeader('cache-control', 'no-store');
    res.type('json').send(answer);
  });

  allowOnly(router, ['/api/me', '/api/people'], 'GET, HEAD');
  return router;
}

function personJson({ user, photoSha256, manager, directReports, directReportCount }: DirectoryEntry) {
  return {
    email: user.email,
    displayName: user.displayName,
    title: user.title ?? null,
    department: user.department ?? null,
    company: user.company ?? null,
    businessPhone: user.businessPhone ?? null,
    mobilePhone: user.mobilePhone ?? null,
    // The page links a number with these: it cannot read written numbers as libphonenumber does.
    businessPhoneUri: telUri(user.businessPhone),
    mobilePhoneUri: telUri(user.mobilePhone),
    photo: photoSha256 ? { version: photoSha256.slice(0, 16) } : null,
    manager: manager ?? null,
    directReports,
    directReportCount,
  };
}

function queryInteger(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const text = queryValue(query, name);
  if (text === null || text === '') return fallback;
  // Digits only: Number() also reads hex, exponents and blanks around them.
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw BridgeError.invalidRequest(`'${name}' must be an integer from ${min} to ${max}`);
  return value;
}

import { LRUCache } from 'lru-cache';
import type { OutboundResponse } from './outbound-http.js';
import { MisconfiguredSourceError, PermanentSourceError } from './photo-source.js';
import { upstreamJson } from './upstream-json.js';

/** Addresses whose Graph user has been found; a directory of this size fits in a few MB. */
const REMEMBERED_ADDRESSES = 100_000;
/**
 * A remembered id is asked again after this long, so an address moved to another user is
 * followed even while its old holder still has a photo (a 404 asks again at once).
 */
const REMEMBER_MS = 24 * 60 * 60_000;

/**
 * Finds the Graph user behind a mail address. Graph addresses users only by id or user
 * principal name (`/users/{id | userPrincipalName}`), and a UPN often differs from the mail
 * address, so the address is looked up once — as a UPN, as `mail`, or as one of the
 * `proxyAddresses` (the filter Microsoft documents for "does this address already exist":
 * Entra External ID's customize-invitation-api, "Determine if a user was already invited to
 * your directory") — and the user's id is remembered.
 */
export class GraphUserDirectory {
  private readonly ids = new LRUCache<string, string>({ max: REMEMBERED_ADDRESSES, ttl: REMEMBER_MS });

  constructor(
    private readonly get: (path: string, signal: AbortSignal) => Promise<OutboundResponse>,
    private readonly failure: (response: OutboundResponse) => Error,
  ) {}

  /** The user's id, or undefined when no user holds the address. */
  async idOf(address: string, signal: AbortSignal): Promise<string | undefined> {
    return this.remembered(address) ?? this.lookUp(address, signal);
  }

  /** The id found for the address before, if it is still remembered. */
  remembered(address: string): string | undefined {
    return this.ids.get(address.toLowerCase());
  }

  /** The user's id as Graph has it now, remembered in place of any older one. */
  async lookUp(address: string, signal: AbortSignal): Promise<string | undefined> {
    const key = address.toLowerCase();
    const response = await this.get(`users?$filter=${encodeURIComponent(filterFor(address))}&$select=id`, signal);
    // Refused for every address alike: the app lacks a permission that lists users, not one person's photo.
    if (response.status === 403) throw new MisconfiguredSourceError('Graph refused to list users (403): the app needs User.Read.All to find a user by address');
    if (response.status !== 200) throw this.failure(response);
    const id = onlyId(response.body, address);
    if (id) this.ids.set(key, id);
    else this.ids.delete(key);
    return id;
  }
}

function filterFor(address: string): string {
  // An OData string literal doubles its quotes: o'brien@contoso.com → 'o''brien@contoso.com'.
  const literal = address.replaceAll("'", "''");
  return `userPrincipalName eq '${literal}' or mail eq '${literal}' or proxyAddresses/any(x:x eq 'smtp:${literal}')`;
}

/**
 * The one user's id. Two users the filter finds (one's UPN another's mail) say nothing of
 * whose photo is wanted: the first was taken, and its photo could be another person's.
 */
function onlyId(body: Buffer, address: string): string | undefined {
  let users: unknown;
  try {
    users = (upstreamJson(body) as { value?: unknown }).value;
  } catch {
    return undefined;
  }
  if (!Array.isArray(users)) return undefined;
  const ids = new Set(users.map((user) => (user as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string' && id !== ''));
  if (ids.size > 1) throw new PermanentSourceError(`Graph lists ${ids.size} users for ${address}: whose photo it is cannot be told`);
  return ids.values().next().value;
}

import { withAsciiDomain } from '../domain/email.js';
import { InconclusiveAnswerError, MisconfiguredSourceError, PermanentSourceError } from './photo-source.js';
import { linkOf, readJson, isUcwaNotFound, ucwaFailure, type UcwaApplication, type UcwaClient, type UcwaResource } from './ucwa-client.js';

/** Whom to find in the address book, and how to recognise them among the search results. */
export interface UcwaPersonQuery {
  /** How the person is named in messages and remembered: `sip:alex@contoso.com`, or an email address. */
  key: string;
  /** What the search is asked for. */
  query: string;
  /** Whether a contact is this person: a search also matches names and parts of addresses. */
  matches(contact: UcwaResource): boolean;
}

/** A contact resource and the URL it was read from, which its links are relative to. */
export interface UcwaContact {
  url: string;
  resource: UcwaResource;
}

/**
 * The `limit` of each people search, in turn. An exact address rarely matches more than a
 * handful, but the search also matches parts of addresses (hal@ and val@ for al@), so an
 * answer that says it left people out is asked again at search_ref's largest: "The maximum
 * value is 100 and the minimum value is 1".
 */
const SEARCH_LIMITS = [10, 100] as const;
/**
 * A search answer of 100 contacts as search_ref shows one (company, department, five phones,
 * seven links: some 1.1 KB each with the doc's short links) passes the 128 KB other UCWA
 * resources are held to; longer names and links take it further.
 */
const SEARCH_ANSWER_MAX_BYTES = 512 * 1024;
/** Contact links remembered per application; beyond this the longest unused are forgotten. */
const REMEMBERED_CONTACTS = 10_000;
const JSON_ACCEPT = { Accept: 'application/json' };

export function personBySip(sip: string): UcwaPersonQuery {
  const key = sipUri(sip);
  return { key, query: key.slice('sip:'.length), matches: (contact) => uriOf(contact) === key };
}

export function personByEmail(email: string): UcwaPersonQuery {
  const key = email.toLowerCase();
  return {
    key,
    query: key,
    matches: (contact) =>
      (Array.isArray(contact.emailAddresses) && contact.emailAddresses.some((address) => String(address).toLowerCase() === key)) ||
      uriOf(contact) === `sip:${key}`,
  };
}

/** A contact's `uri` (contact_ref), as sipUri writes one. */
function uriOf(contact: UcwaResource): string {
  return typeof contact.uri === 'string' ? sipUri(contact.uri) : '';
}

/**
 * A SIP address as it is searched for and compared: lower case (SIP addresses compare
 * without case), its domain in A-labels. A SIP URI's host is a hostname (RFC 3261 §25.1:
 * `hostname = *( domainlabel "." ) toplabel`, letters, digits and hyphens), so Skype keeps
 * and answers `sip:jürgen@xn--bcher-kva.example`, where the directory keeps bücher.example.
 */
function sipUri(address: string): string {
  return withAsciiDomain(address).toLowerCase();
}

/**
 * Finds people's contact resources the way the documentation walks to them (GetAContactData,
 * SearchForUsersContact): the application's people search, the exact match's `self` link,
 * the contact resource. The contact link is remembered per person, so later lookups read
 * the contact directly; it belongs to the application it came from and dies with it.
 */
export class UcwaPeople {
  private readonly remembered = new WeakMap<UcwaApplication, Map<string, string>>();

  constructor(private readonly client: UcwaClient) {}

  /** The person's contact: through the remembered link, else by search; undefined when nobody has that address. */
  async contactOf(application: UcwaApplication, person: UcwaPersonQuery, signal: AbortSignal): Promise<UcwaContact | undefined> {
    const links = this.linksOf(application);
    const known = links.get(person.key);
    const contact = (known && (await this.readContact(known, person, signal))) || (await this.findContact(application, person, signal));
    links.delete(person.key); // set again below, as the most recently used
    if (contact) {
      links.set(person.key, contact.url);
      if (links.size > REMEMBERED_CONTACTS) links.delete(links.keys().next().value!);
    }
    return contact;
  }

  /**
   * The `self` link of the search result that is this person (search_ref), or undefined when
   * the address book has nobody of that address. A search cut off before it found them
   * even at the largest limit fails: the person may be among those left out.
   */
  async search(application: UcwaApplication, person: UcwaPersonQuery, signal: AbortSignal): Promise<string | undefined> {
    for (const limit of SEARCH_LIMITS) {
      const { url, contacts, cutOff } = await this.searchAt(limit, application, person, signal);
      const contact = contacts.find((candidate) => person.matches(candidate));
      if (contact) return linkOf(contact, 'self', url);
      if (!cutOff) return undefined;
    }
    throw new InconclusiveAnswerError(
      `UCWA's people search for ${person.query} matched more than ${SEARCH_LIMITS.at(-1)} people, ${person.key} not among those it listed`,
    );
  }

  /**
   * One people search: the contacts listed and whether it left some out. search_ref,
   * moreResultsAvailable: "Indicates to clients that more search results are available
   * than the limit set in the search query".
   */
  private async searchAt(
    limit: number,
    application: UcwaApplication,
    person: UcwaPersonQuery,
    signal: AbortSignal,
  ): Promise<{ url: string; contacts: UcwaResource[]; cutOff: boolean }> {
    const url = new URL(application.search);
    // The one part of a URL a UCWA client writes itself: the documented query parameters.
    url.searchParams.set('query', person.query);
    url.searchParams.set('limit', String(limit));
    const response = await this.client.request(url.href, { headers: JSON_ACCEPT }, signal);
    if (response.status === 403) throw new MisconfiguredSourceError('UCWA does not let this account search the address book (403)');
    if (response.status !== 200) throw ucwaFailure(response, 'people search');
    const answer = readJson(response, 'people search', SEARCH_ANSWER_MAX_BYTES);
    const embedded = answer._embedded?.contact as UcwaResource | UcwaResource[] | undefined;
    return { url: url.href, contacts: ([] as UcwaResource[]).concat(embedded ?? []), cutOff: answer.moreResultsAvailable === true };
  }

  /** A contact resource; undefined when UCWA says it does not exist (404 ResourceNotFound). */
  async readContact(url: string, person: UcwaPersonQuery, signal: AbortSignal): Promise<UcwaContact | undefined> {
    const response = await this.client.request(url, { headers: JSON_ACCEPT }, signal);
    if (response.status === 200) return { url, resource: readJson(response, 'contact') };
    // contact_ref: the application may not view this contact — about this person, not the account.
    if (response.status === 403) throw new PermanentSourceError(`UCWA gives this account no access to ${person.key} (403 on the contact)`);
    if (isUcwaNotFound(response)) return undefined;
    throw ucwaFailure(response, 'contact');
  }

  private async findContact(application: UcwaApplication, person: UcwaPersonQuery, signal: AbortSignal): Promise<UcwaContact | undefined> {
    const link = await this.search(application, person, signal);
    return link === undefined ? undefined : this.readContact(link, person, signal);
  }

  private linksOf(application: UcwaApplication): Map<string, string> {
    let links = this.remembered.get(application);
    if (!links) this.remembered.set(application, (links = new Map<string, string>()));
    return links;
  }
}

import type { EventEmitter } from 'node:events';
import {
  EqualityFilter,
  InsufficientAccessError,
  InvalidDNSyntaxError,
  MessageResponseStatus,
  NoSuchObjectError,
  OrFilter,
  SearchResponse,
  type Client,
  type Entry,
  type SearchOptions,
} from 'ldapts';
import { canonicalSmtpAddress } from '../domain/email.js';
import type { Logger } from '../logger.js';
import { hasImageHeader } from '../photos/normalize.js';
import {
  addressValuesOf,
  directoryAnswered,
  ENTRY_ADDRESS_ATTRIBUTES,
  isReferral,
  ldapSettingsSchema,
  valuesOf,
  withDirectory,
  type LdapSettings,
} from './ldap-connection.js';
import { InconclusiveAnswerError, NO_PHOTO, UnusableAnswerError, type CheckStep, type PhotoReference, type PhotoSource } from './photo-source.js';
import type { SourceType } from './registry.js';

/**
 * What one read of a photo lookup may take from the directory: a few entries with one photo
 * attribute each (AD holds a thumbnailPhoto to 100 KB; a jpegPhoto a few MB at most),
 * nothing like the endless or 50 MiB answers a hostile directory sent. ldapts joins a
 * message's pieces anew with each one that comes, so an answer's cost grows with its square:
 * one 16 MB value a lookup kept /healthz waiting 433 ms on average.
 */
export const LOOKUP_MAX_BYTES = 4 * 1024 * 1024;
const LOOKUP_LIMIT = { bytes: LOOKUP_MAX_BYTES, per: 'one read of a photo lookup' };

/** What a lookup found: no entry, or an entry with or without a photo; and a value passed over as no image. */
interface Lookup {
  dn?: string;
  photo?: { attribute: string; bytes: Buffer };
  noImage?: { attribute: string; dn: string; bytes: number };
}

/**
 * Active Directory or any LDAP directory: `thumbnailPhoto`, then `jpegPhoto`, of the
 * entry an LDAP DN reference names when it holds one of the person's addresses, or else
 * of the entry holding one of them (in `mail`, or in `proxyAddresses` as AD writes them).
 */
export const ldapSource: SourceType<LdapSettings> = {
  schema: ldapSettingsSchema,
  create(name, settings, log): PhotoSource {
    warnIfPasswordInClear(name, settings, log);
    return {
      name,
      keepsShape: settings.keepShape,
      accepts: (reference) => reference.emails.length > 0 || reference.ldapDn !== undefined,
      async fetch(reference, signal) {
        const found = await withDirectory(settings, signal, (client, nextRead) => lookUp(client, nextRead, settings, reference), LOOKUP_LIMIT);
        if (found.photo) return { kind: 'photo', bytes: found.photo.bytes };
        if (found.noImage) throw new UnusableAnswerError(noImageText(found.noImage));
        return NO_PHOTO;
      },
      check: (sample, signal) => check(settings, sample, signal),
    };
  },
};

/**
 * The photo attributes are read one at a time, in their order, until one holds an image: read
 * together, a jpegPhoto of some MB cost the thumbnailPhoto before it (the answer passed the
 * byte limit), and a thumbnailPhoto that is no image hid a jpegPhoto that is one. The entry the
 * DN names is read while it holds one of the person's addresses: AD gives a CN, so a DN, to the
 * next person of the same name, and the DN an import stored then names someone else. A person
 * known by the DN alone (a contact whose owner named only the entry) is that entry's: there is
 * nothing else to know them by.
 */
async function lookUp(client: Client, nextRead: () => void, settings: LdapSettings, reference: PhotoReference): Promise<Lookup> {
  const found: Lookup = {};
  let namedDn = reference.ldapDn;
  let cutOffAfter: number | undefined;
  for (const attribute of settings.photoAttributes) {
    const named = namedDn === undefined ? undefined : await readNamedEntry(client, nextRead, settings, namedDn, attribute, reference);
    if (named === undefined) namedDn = undefined;
    const { entries, cutOff } = named
      ? { entries: [named], cutOff: false }
      : reference.emails.length === 0
        ? NOTHING_SEARCHED
        : await searchByAddress(client, nextRead, settings, reference.emails, attribute);
    if (cutOff) cutOffAfter = entries.length;
    found.dn ??= entries[0]?.dn;
    for (const entry of entries) {
      for (const bytes of photoValues(entry, attribute)) {
        if (await hasImageHeader(bytes)) return { ...found, dn: entry.dn, photo: { attribute, bytes } };
        found.noImage ??= { attribute, dn: entry.dn, bytes: bytes.length };
      }
    }
  }
  // One of the entries the directory left out may be the one with the photo.
  if (cutOffAfter !== undefined) {
    throw new InconclusiveAnswerError(
      `the directory cut off the search for ${reference.emails.join(', ')} after ${cutOffAfter} entries (sizeLimitExceeded, 4), none with a photo: raise sizeLimit, or the directory's own size limit for the bind account`,
    );
  }
  return found;
}

const NOTHING_SEARCHED = { entries: [], cutOff: false };

/** The entries under baseDn holding one of the addresses, with `attribute`. */
function searchByAddress(
  client: Client,
  nextRead: () => void,
  settings: LdapSettings,
  emails: readonly string[],
  attribute: string,
): Promise<{ entries: Entry[]; cutOff: boolean }> {
  nextRead();
  return searchWithinSizeLimit(client, settings.baseDn, {
    scope: 'sub',
    filter: addressFilter(settings.searchAttributes, emails),
    sizeLimit: settings.sizeLimit,
    attributes: [attribute],
    explicitBufferAttributes: [attribute],
  });
}

/**
 * The entry `dn` names, with `attribute`, when it holds one of the person's addresses (or the
 * person has none); undefined when it does not, or is not there to read.
 */
async function readNamedEntry(
  client: Client,
  nextRead: () => void,
  settings: LdapSettings,
  dn: string,
  attribute: string,
  reference: PhotoReference,
): Promise<Entry | undefined> {
  // One the directory does not know, such as AD's userPrincipalName on OpenLDAP, "is ignored by the server" (RFC 4511, 4.5.1.8).
  const addressAttributes = [...new Set([...settings.searchAttributes, ...ENTRY_ADDRESS_ATTRIBUTES])];
  try {
    nextRead();
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: [attribute, ...addressAttributes], explicitBufferAttributes: [attribute] });
    const entry = searchEntries[0];
    return entry && (reference.emails.length === 0 || holdsAddressOf(entry, addressAttributes, reference)) ? entry : undefined;
  } catch (error) {
    // A reference to an entry that moved, went, the bind may not read or another domain holds (a
    // Global Catalog's DN, referred by a DC of one domain): the addresses may still find the person.
    const elsewhere = error instanceof NoSuchObjectError || error instanceof InvalidDNSyntaxError || error instanceof InsufficientAccessError;
    if (!elsewhere && !isReferral(error)) throw error;
    return undefined;
  }
}

/** Whether one of the entry's addresses is one of the person's. */
function holdsAddressOf(entry: Entry, attributes: readonly string[], reference: PhotoReference): boolean {
  const theirs = new Set([...reference.emails, ...(reference.otherAddresses ?? [])].map(canonicalSmtpAddress));
  return attributes.some((attribute) => addressValuesOf(entry, attribute).some((address) => theirs.has(canonicalSmtpAddress(address.trim()))));
}

/**
 * A search, and whether the directory cut it off at a size limit. RFC 4511, Appendix A.1:
 * sizeLimitExceeded (4) "Indicates that the size limit specified by the client was exceeded
 * before the operation could be completed" (servers answer it for their own limit too, as
 * slapd does for its `limits size`). ldapts takes that result as success when
 * the request carries a sizeLimit and hands back only the entries, so the result itself
 * is read where ldapts's message parser hands it over (a plain property, like its socket).
 */
async function searchWithinSizeLimit(client: Client, baseDn: string, options: SearchOptions): Promise<{ entries: Entry[]; cutOff: boolean }> {
  const parser = (client as unknown as { messageParser: EventEmitter }).messageParser;
  let cutOff = false;
  const readResult = (message: unknown) => {
    if (message instanceof SearchResponse && message.status === MessageResponseStatus.SizeLimitExceeded) cutOff = true;
  };
  parser.on('message', readResult);
  try {
    const { searchEntries } = await client.search(baseDn, options);
    return { entries: searchEntries, cutOff };
  } finally {
    parser.off('message', readResult);
  }
}

/**
 * Built from filter objects, not text: each address goes on the wire as a plain value,
 * so `*`, parentheses or backslashes in it match only themselves (no LDAP injection).
 * AD's proxyAddresses hold `SMTP:` for the primary address and `smtp:` for the others;
 * both are asked for, for directories whose matching is case-sensitive.
 */
function addressFilter(attributes: readonly string[], emails: readonly string[]): OrFilter {
  const valuesFor = (attribute: string) =>
    attribute.toLowerCase() === 'proxyaddresses' ? emails.flatMap((email) => [`SMTP:${email}`, `smtp:${email}`]) : emails;
  return new OrFilter({
    filters: attributes.flatMap((attribute) => valuesFor(attribute).map((value) => new EqualityFilter({ attribute, value }))),
  });
}

/** The non-empty values of a photo attribute; ldapts hands back as text only bytes that are valid UTF-8, so this is lossless. */
function photoValues(entry: Entry, attribute: string): Buffer[] {
  return valuesOf(entry, attribute)
    .map((value) => (Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8')))
    .filter((bytes) => bytes.length > 0);
}

function noImageText(noImage: NonNullable<Lookup['noImage']>): string {
  return `the ${noImage.attribute} of ${noImage.dn} (${noImage.bytes} bytes) is not an image the bridge can read`;
}

/** Reachable, authenticated, and a sample lookup (or, without a sample, the base DN read). */
async function check(settings: LdapSettings, sample: PhotoReference | undefined, signal: AbortSignal): Promise<CheckStep[]> {
  const reachable = { step: 'reachable', ok: true, detail: `${settings.url}${settings.startTls ? ' with StartTLS' : ''} answers` };
  const authenticated = { step: 'authenticated', ok: true, detail: settings.bindDn ? `bound as ${settings.bindDn}` : 'anonymous (no bindDn configured)' };
  const lastStep = sample ? 'sample lookup' : 'base DN';
  let bound = false;
  try {
    const last = await withDirectory(
      settings,
      signal,
      async (client, nextRead): Promise<CheckStep> => {
        bound = true;
        if (sample) return sampleStep(await lookUp(client, nextRead, settings, sample), settings, sample);
        await client.search(settings.baseDn, { scope: 'base', attributes: ['1.1'] });
        return { step: lastStep, ok: true, detail: `${settings.baseDn} is readable (no sample user given)` };
      },
      LOOKUP_LIMIT,
    );
    return [reachable, authenticated, last];
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    if (!directoryAnswered(error)) return [{ step: 'reachable', ok: false, detail }];
    if (!bound) return [reachable, { step: 'authenticated', ok: false, detail }];
    return [reachable, authenticated, { step: lastStep, ok: false, detail }];
  }
}

/** What the sample lookup found, as fetch would take it: a value that is no image fails it unless a later attribute holds one. */
function sampleStep(found: Lookup, settings: LdapSettings, sample: PhotoReference): CheckStep {
  const step = 'sample lookup';
  if (found.photo) {
    const passedOver = found.noImage ? ` (${noImageText(found.noImage)})` : '';
    return { step, ok: true, detail: `${found.photo.attribute} of ${found.dn}, ${found.photo.bytes.length} bytes${passedOver}` };
  }
  if (found.noImage) return { step, ok: false, detail: noImageText(found.noImage) };
  if (found.dn === undefined) {
    return {
      step,
      ok: true,
      detail: `no entry under ${settings.baseDn} has ${settings.searchAttributes.join(' or ')} ${sample.emails.join(', ') || '(no address)'}`,
    };
  }
  return { step, ok: true, detail: `${found.dn} has no ${settings.photoAttributes.join(' or ')}` };
}

function warnIfPasswordInClear(name: string, settings: LdapSettings, log: Logger): void {
  if (settings.bindPassword && /^ldap:/i.test(settings.url) && !settings.startTls) {
    log.warn({ source: name }, 'the LDAP bind password crosses the network in clear; use ldaps:// or startTls');
  }
}

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
import type { Logger } from '../logger.js';
import { directoryAnswered, isReferral, ldapSettingsSchema, valuesOf, withDirectory, type LdapSettings } from './ldap-connection.js';
import { InconclusiveAnswerError, NO_PHOTO, type CheckStep, type PhotoReference, type PhotoSource } from './photo-source.js';
import type { SourceType } from './registry.js';

/**
 * What one photo lookup may read from the directory: a few entries with their photos (AD
 * holds a thumbnailPhoto to 100 KB; a jpegPhoto a few MB at most), nothing like the
 * endless or 50 MiB answers a hostile directory sent. ldapts joins a message's pieces
 * anew with each one that comes, so an answer's cost grows with its square: one 16 MB
 * value a lookup kept /healthz waiting 433 ms on average.
 */
export const LOOKUP_MAX_BYTES = 4 * 1024 * 1024;
const LOOKUP_LIMIT = { bytes: LOOKUP_MAX_BYTES, per: 'one lookup' };

/** What a lookup found: no entry, or an entry with or without a photo. */
interface Lookup {
  dn?: string;
  photo?: { attribute: string; bytes: Buffer };
}

/**
 * Active Directory or any LDAP directory: `thumbnailPhoto`, then `jpegPhoto`, of the
 * entry an LDAP DN reference names, or else of the entry holding one of the person's
 * addresses (in `mail`, or in `proxyAddresses` as AD writes them).
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
        const found = await withDirectory(settings, signal, (client) => lookUp(client, settings, reference), LOOKUP_LIMIT);
        return found.photo ? { kind: 'photo', bytes: found.photo.bytes } : NO_PHOTO;
      },
      check: (sample, signal) => check(settings, sample, signal),
    };
  },
};

async function lookUp(client: Client, settings: LdapSettings, reference: PhotoReference): Promise<Lookup> {
  const read = { attributes: settings.photoAttributes, explicitBufferAttributes: settings.photoAttributes };
  if (reference.ldapDn !== undefined) {
    try {
      const { searchEntries } = await client.search(reference.ldapDn, { scope: 'base', ...read });
      if (searchEntries[0]) return photoOf(searchEntries[0], settings);
    } catch (error) {
      // A reference to an entry that moved, went, the bind may not read or another domain holds (a
      // Global Catalog's DN, referred by a DC of one domain): the addresses may still find the person.
      const elsewhere = error instanceof NoSuchObjectError || error instanceof InvalidDNSyntaxError || error instanceof InsufficientAccessError;
      if (!elsewhere && !isReferral(error)) throw error;
    }
  }
  if (reference.emails.length === 0) return {};
  const { entries, cutOff } = await searchWithinSizeLimit(client, settings.baseDn, {
    scope: 'sub',
    filter: addressFilter(settings.searchAttributes, reference.emails),
    sizeLimit: settings.sizeLimit,
    ...read,
  });
  const candidates = entries.map((entry) => photoOf(entry, settings));
  const withPhoto = candidates.find((candidate) => candidate.photo);
  if (withPhoto) return withPhoto;
  // One of the entries the directory left out may be the one with the photo.
  if (cutOff) {
    throw new InconclusiveAnswerError(
      `the directory cut off the search for ${reference.emails.join(', ')} after ${entries.length} entries (sizeLimitExceeded, 4), none with a photo: raise sizeLimit, or the directory's own size limit for the bind account`,
    );
  }
  return candidates[0] ?? {};
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

function photoOf(entry: Entry, settings: LdapSettings): Lookup {
  for (const attribute of settings.photoAttributes) {
    const value = valuesOf(entry, attribute).find((item) => item.length > 0);
    // ldapts hands back as text only bytes that are valid UTF-8, so this is lossless.
    if (value !== undefined) return { dn: entry.dn, photo: { attribute, bytes: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8') } };
  }
  return { dn: entry.dn };
}

/** Reachable, authenticated, and a sample lookup (or, without a sample, the base DN read). */
async function check(settings: LdapSettings, sample: PhotoReference | undefined, signal: AbortSignal): Promise<CheckStep[]> {
  const reachable = { step: 'reachable', ok: true, detail: `${settings.url}${settings.startTls ? ' with StartTLS' : ''} answers` };
  const authenticated = { step: 'authenticated', ok: true, detail: settings.bindDn ? `bound as ${settings.bindDn}` : 'anonymous (no bindDn configured)' };
  const lastStep = sample ? 'sample lookup' : 'base DN';
  let bound = false;
  try {
    const detail = await withDirectory(
      settings,
      signal,
      async (client) => {
        bound = true;
        if (sample) return describeLookup(await lookUp(client, settings, sample), settings, sample);
        await client.search(settings.baseDn, { scope: 'base', attributes: ['1.1'] });
        return `${settings.baseDn} is readable (no sample user given)`;
      },
      LOOKUP_LIMIT,
    );
    return [reachable, authenticated, { step: lastStep, ok: true, detail }];
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    if (!directoryAnswered(error)) return [{ step: 'reachable', ok: false, detail }];
    if (!bound) return [reachable, { step: 'authenticated', ok: false, detail }];
    return [reachable, authenticated, { step: lastStep, ok: false, detail }];
  }
}

function describeLookup(found: Lookup, settings: LdapSettings, sample: PhotoReference): string {
  if (found.dn === undefined) {
    return `no entry under ${settings.baseDn} has ${settings.searchAttributes.join(' or ')} ${sample.emails.join(', ') || '(no address)'}`;
  }
  if (!found.photo) return `${found.dn} has no ${settings.photoAttributes.join(' or ')}`;
  return `${found.photo.attribute} of ${found.dn}, ${found.photo.bytes.length} bytes`;
}

function warnIfPasswordInClear(name: string, settings: LdapSettings, log: Logger): void {
  if (settings.bindPassword && /^ldap:/i.test(settings.url) && !settings.startTls) {
    log.warn({ source: name }, 'the LDAP bind password crosses the network in clear; use ldaps:// or startTls');
  }
}

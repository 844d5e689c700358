import type { Entry } from 'ldapts';
import { ConfigError } from '../config.js';
import { MAX_OTHER_ADDRESSES, type DirectoryUser } from '../domain/directory.js';
import { isSmtpAddress } from '../domain/email.js';
import { hiddenCharacterProblem } from '../domain/plain-text.js';
import { addressValuesOf, ENTRY_ADDRESS_ATTRIBUTES, valuesOf, withDirectory, type LdapSettings } from '../sources/ldap-connection.js';
import type { SourceSettings } from '../sources/source-settings.js';
import { comparableDn } from './comparable-dn.js';
import { toDirectoryUser } from './directory-record.js';

/** Directory fields, by the LDAP attribute (as AD names it) each is read from; the address is read apart (primaryAddressOf). */
const FIELDS = {
  alias: 'mailNickname',
  displayName: 'displayName',
  givenName: 'givenName',
  surname: 'sn',
  company: 'company',
  department: 'department',
  title: 'title',
  businessPhone: 'telephoneNumber',
  mobilePhone: 'mobile',
  sipAddress: 'msRTCSIP-PrimaryUserAddress',
  hiddenFromAddressLists: 'msExchHideFromAddressLists',
} as const;

/** Every attribute an import reads as text: the fields, the addresses, the name to fall back on and the manager's DN. */
export const TEXT_ATTRIBUTES = [...new Set([...Object.values(FIELDS), 'mail', 'proxyAddresses', 'userPrincipalName', 'cn', 'manager'])];

interface LdapDirectory {
  users: DirectoryUser[];
  /** One line per entry that could not become a user (no usable mail, a duplicate…), with its DN. */
  skipped: string[];
  /** The DNs of those entries, as comparableDn writes them: still in LDAP, so never pruned. */
  skippedDns: string[];
}

/**
 * The `ldap` source's settings to import from: the one named, or the only one configured.
 * Otherwise a ConfigError, which the command line prints as the operator's mistake it is.
 */
export function ldapSettingsOf(sources: SourceSettings, name?: string): LdapSettings {
  const candidates = sources.sources.filter((source) => source.type === 'ldap' && (name === undefined || source.name === name));
  if (candidates.length === 1) return candidates[0]!.settings as LdapSettings;
  if (name !== undefined) throw new ConfigError([`no source of type ldap is named '${name}' in the config file`]);
  if (candidates.length === 0)
    throw new ConfigError(['the config file has no source of type ldap (BRIDGE_CONFIG names the file; see the README, "Active Directory and LDAP")']);
  throw new ConfigError([`the config file has several ldap sources (${candidates.map((c) => c.name).join(', ')}); name one with --source`]);
}

/**
 * Reads every entry `userFilter` selects under `baseDn` (paged) as directory users: mail,
 * names, organisation, phones, the Skype SIP address, and the entry's DN as the `ldapDn`
 * reference the ldap source reads the photo by. Entries that fail the same checks as a
 * file import are skipped and listed, not fatal: a directory always holds some oddities.
 * No deadline of its own: a large or slow directory takes as long as its pages do; one
 * page not sent within timeoutMs fails it, and importMaxMiB bounds what it reads.
 */
export async function readLdapDirectory(settings: LdapSettings, signal = new AbortController().signal): Promise<LdapDirectory> {
  const entries = await searchAll(settings, signal);
  const result: LdapDirectory = { users: [], skipped: [], skippedDns: [] };
  const seen = new Map<string, string>();
  const read: EntryUser[] = [];
  for (const entry of entries) {
    const user = toDirectoryUser(recordOf(entry));
    const skip = (why: string) => {
      result.skipped.push(`${entry.dn}: ${why}`);
      result.skippedDns.push(comparableDn(entry.dn));
    };
    if (typeof user === 'string') {
      skip(user);
      continue;
    }
    const earlier = seen.get(user.email);
    if (earlier) {
      skip(`${user.email} is already the mail of ${earlier}`);
      continue;
    }
    seen.set(user.email, entry.dn);
    result.users.push(user);
    read.push({ entry, user });
  }
  setManagers(read);
  return result;
}

/** LDAP's adminLimitExceeded: what OpenLDAP answers a page larger than it serves (AD lowers the page to its MaxPageSize instead). */
const ADMIN_LIMIT_EXCEEDED = 11;

/** Every entry the import reads, paged; a page the server refuses as too large is a setting to change, said so. */
async function searchAll(settings: LdapSettings, signal: AbortSignal): Promise<Entry[]> {
  try {
    return await withDirectory(
      settings,
      signal,
      async (client) => {
        const { searchEntries } = await client.search(settings.baseDn, {
          scope: 'sub',
          filter: settings.userFilter,
          attributes: TEXT_ATTRIBUTES,
          paged: { pageSize: settings.pageSize },
        });
        return searchEntries;
      },
      { bytes: settings.importMaxMiB * 1024 * 1024, per: 'the import (importMaxMiB)' },
    );
  } catch (error) {
    const failure = error as { code?: unknown; cause?: { code?: unknown } };
    const code = failure.code ?? failure.cause?.code;
    if (code !== ADMIN_LIMIT_EXCEEDED) throw error;
    throw new ConfigError([
      `the directory refused pages of ${settings.pageSize} entries (${(error as Error).message}); set a smaller pageSize on the ldap source`,
    ]);
  }
}

/** An entry read, and the user it became. */
export interface EntryUser {
  entry: Entry;
  user: DirectoryUser;
}

/**
 * LDAP names a manager by DN; the directory keeps their address: the mail of the entry
 * with that DN, when the import read it (a manager outside `userFilter`, or outside an LDIF
 * file, is left out, as is one naming the entry itself). Direct reports need no attribute
 * of their own: they are the users naming a manager. `read` holds each mail once.
 */
export function setManagers(read: readonly EntryUser[]): void {
  const mailByDn = new Map(read.map(({ entry, user }) => [comparableDn(entry.dn), user.email]));
  for (const { entry, user } of read) {
    const dn = valuesOf(entry, 'manager')[0];
    const mail = typeof dn === 'string' ? mailByDn.get(comparableDn(dn)) : undefined;
    if (mail !== undefined && mail !== user.email) user.manager = mail;
  }
}

/** An entry as a directory record for toDirectoryUser, whether it came from a server or an LDIF file. */
export function recordOf(entry: Entry): Record<string, unknown> {
  const first = (attribute: string) => {
    const value = valuesOf(entry, attribute)[0];
    return typeof value === 'string' ? value : undefined;
  };
  const record: Record<string, unknown> = { ldapDn: entry.dn };
  const email = primaryAddressOf(entry);
  if (email !== undefined) record.email = email;
  const others = otherAddressesOf(entry);
  if (others.length > 0) record.otherAddresses = others;
  for (const [field, attribute] of Object.entries(FIELDS)) {
    const value = first(attribute);
    if (value !== undefined) record[field] = value;
  }
  record.displayName ??= first('cn') ?? record.email;
  return record;
}

/** The attributes an entry's primary address is read from (primaryAddressOf), in lower case. */
export const ADDRESS_ATTRIBUTES: ReadonlySet<string> = new Set(['mail', 'proxyaddresses']);

/**
 * An entry's primary SMTP address: the `SMTP:` value of proxyAddresses — the capitals mark
 * the primary reply address, the other `smtp:` ones receive only — else `mail`. An entry
 * without `mail` but with its addresses (a mailbox AD left `mail` blank on), or with several
 * `mail` values, is keyed by the one Exchange sends as.
 */
export function primaryAddressOf(entry: Entry): string | undefined {
  const primary = valuesOf(entry, 'proxyAddresses').find((value): value is string => typeof value === 'string' && value.startsWith('SMTP:'));
  if (primary !== undefined) return primary.slice('SMTP:'.length);
  const mail = valuesOf(entry, 'mail')[0];
  return typeof mail === 'string' ? mail : undefined;
}

/**
 * The other addresses Exchange finds the mailbox by: its secondary `smtp:` proxy addresses,
 * any other `mail` value and the userPrincipalName (Graph names a user by it). One that is
 * no SMTP address (a UPN suffix without a dot), or one holding a character that shows nothing,
 * is passed over rather than costing the entry.
 */
function otherAddressesOf(entry: Entry): string[] {
  const candidates = ENTRY_ADDRESS_ATTRIBUTES.flatMap((attribute) => addressValuesOf(entry, attribute));
  const others = candidates.filter((value) => isSmtpAddress(value.trim()) && hiddenCharacterProblem(value.trim()) === undefined);
  return others.slice(0, MAX_OTHER_ADDRESSES);
}

/**
 * For a sync: the addresses of users an earlier LDAP import brought in (they carry an
 * ldapDn) that the directory no longer selects. Users added any other way are not LDAP's
 * to remove, and neither are those whose entry is still there but was skipped this time
 * (a title grown too long is no reason to lose someone and their photo).
 */
export function usersGoneFromLdap(existing: readonly DirectoryUser[], directory: LdapDirectory): string[] {
  const still = new Set(directory.users.map((user) => user.email.toLowerCase()));
  const skipped = new Set(directory.skippedDns);
  return existing
    .filter((user) => user.refs.ldapDn !== undefined && !still.has(user.email.toLowerCase()) && !skipped.has(comparableDn(user.refs.ldapDn)))
    .map((user) => user.email);
}

/**
 * How many users LDAP brought in, counting this import, when a prune would remove more
 * than half of them: what a userFilter or baseDn mistyped, or a directory answering
 * empty, looks like. It then removes no one (nor imports anything) unless the operator
 * says so. Undefined for a prune of that size or smaller.
 */
export function pruneTooLarge(existing: readonly DirectoryUser[], directory: LdapDirectory, gone: readonly string[]): number | undefined {
  const fromLdap = new Set([...existing.filter((user) => user.refs.ldapDn !== undefined), ...directory.users].map((user) => user.email.toLowerCase()));
  return gone.length > 0 && gone.length * 2 > fromLdap.size ? fromLdap.size : undefined;
}

import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { Client, FilterParser, InvalidCredentialsError, ResultCodeError } from 'ldapts';
import { z } from 'zod';
import { quotedUpstream } from './blank-secrets.js';
import { wholeMessages, type MessageRead } from './ldap-framing.js';
import { CredentialsRefusedError, InconclusiveAnswerError, MisconfiguredSourceError, PermanentSourceError } from './photo-source.js';

const attributeName = z.string().regex(/^[A-Za-z][\w-]*$/, 'is not an LDAP attribute name');

function isFilter(text: string): boolean {
  try {
    FilterParser.parseString(text);
    return true;
  } catch {
    return false;
  }
}

/** An LDAP directory (Active Directory, OpenLDAP…) as the config file describes it. */
export const ldapSettingsSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^ldaps?:\/\/[^/?#\s]+\/?$/i, 'must be ldap://host[:port] or ldaps://host[:port]')
      // RFC 4516, section 2: an LDAP URL is scheme://[host[:port]] with no userinfo. One written with
      // it was taken as a host, bound anonymously, and showed the password in every message naming the URL.
      .refine((url) => !/^ldaps?:\/\/[^/?#]*@/i.test(url), 'must not hold a user or password (an LDAP URL has none): set bindDn and bindPassword'),
    /** Upgrade an ldap:// connection to TLS before binding. */
    startTls: z.boolean().default(false),
    /** PEM file of the CA(s) that signed the directory's certificate, when the system's do not. */
    caFile: z.string().min(1).optional(),
    /** Absent: anonymous. */
    bindDn: z.string().min(1).optional(),
    bindPassword: z.string().min(1).optional(),
    baseDn: z.string().min(1),
    /** Attributes that hold a person's addresses; `proxyAddresses` values are written `smtp:address`. */
    searchAttributes: z.array(attributeName).min(1).default(['mail', 'proxyAddresses']),
    /** Tried in order; the first one an entry has wins. */
    photoAttributes: z.array(attributeName).min(1).default(['thumbnailPhoto', 'jpegPhoto']),
    /** Serve the directory's photos in their own shape, as Exchange serves the AD thumbnail; false crops them to squares like the others. */
    keepShape: z.boolean().default(true),
    /** Entries one address lookup may return. */
    sizeLimit: z.int().min(1).max(1000).default(10),
    /** Connect and per-operation limit (a page, for an import), below the bridge's own per-call timeout. */
    timeoutMs: z.int().min(100).max(120_000).default(10_000),
    /** Which entries a directory import reads. */
    userFilter: z.string().refine(isFilter, 'is not an LDAP filter').default('(&(objectClass=person)(|(mail=*)(proxyAddresses=*)))'),
    /** Entries per page of a directory import. AD lowers a larger page to its MaxPageSize; OpenLDAP refuses one above its size.pr limit. */
    pageSize: z.int().min(1).max(10_000).default(500),
    /**
     * What a directory import may read, at most, in MiB: the entries are held until the last
     * page (a directory that sent pages without end took the command to 3 GB in 35 s).
     * About 1 KB an entry without photos, so the default reads a million people.
     */
    importMaxMiB: z.int().min(1).max(65_536).default(1024),
  })
  .refine((s) => !(s.startTls && /^ldaps:/i.test(s.url)), { path: ['startTls'], message: 'is for ldap:// URLs; ldaps:// is TLS already' })
  .refine((s) => (s.bindDn === undefined) === (s.bindPassword === undefined), { path: ['bindPassword'], message: 'bindDn and bindPassword go together' });

export type LdapSettings = z.output<typeof ldapSettingsSchema>;

/** Result codes that say "not now" rather than "not like this". */
const TRANSIENT_RESULT_CODES = new Set([
  3, // timeLimitExceeded
  11, // adminLimitExceeded
  51, // busy
  52, // unavailable
  80, // other
]);

/** LDAP's referral result (RFC 4511 4.1.10): another server holds the entry; ldapts names it UnknownStatusCodeError. */
const REFERRAL = 10;
const NO_SUCH_OBJECT = 32;

/**
 * Result codes that say the settings are wrong, whoever is looked up: every lookup searches
 * the same base DN with the same attributes under the same bind. (A DN reference that
 * names no entry, or one the bind may not read, is one person's; lookUp handles those.)
 */
const SETUP_RESULT_CODES = new Set([
  REFERRAL, // the base DN is another domain's or naming context's: point the source at a server holding it, or at a Global Catalog
  7, // authMethodNotSupported
  8, // strongerAuthRequired: the directory wants TLS or signing
  13, // confidentialityRequired: the same, for the search
  17, // undefinedAttributeType: a search or photo attribute it does not know
  18, // inappropriateMatching
  NO_SUCH_OBJECT, // the base DN
  34, // invalidDNSyntax: the base DN
  48, // inappropriateAuthentication: an anonymous bind refused
  50, // insufficientAccessRights: the bind may not search the base DN
]);

/**
 * Opens a connection, secures it (StartTLS) and binds, runs `work`, and always unbinds.
 * An abort closes the socket, so a timed-out call leaves nothing behind. A refused bind
 * is the setup's (bind): retrying it gains nothing and can lock the service account out. With
 * `limit`, what the directory sends on the connection is held to `limit.bytes`
 * (limitReceived); `work` calls `nextRead` to give each of its reads that much afresh.
 */
export async function withDirectory<T>(
  settings: LdapSettings,
  signal: AbortSignal,
  work: (client: Client, nextRead: () => void) => Promise<T>,
  limit?: { bytes: number; per: string },
): Promise<T> {
  signal.throwIfAborted();
  const ca = settings.caFile ? await readCa(settings.caFile) : undefined;
  // ldapts takes TLS options on an ldap:// URL as a wish for TLS from the first byte, so
  // they go to the client only for ldaps:// and to the upgrade for StartTLS.
  const implicitTls = /^ldaps:/i.test(settings.url);
  const client = new Client({
    url: settings.url,
    timeout: settings.timeoutMs,
    connectTimeout: settings.timeoutMs,
    ...(implicitTls ? { tlsOptions: { ca } } : {}),
  });
  readWholeMessages(client);
  const close = () => void client.unbind().catch(() => undefined);
  const received = limit === undefined ? undefined : limitReceived(client, limit.bytes);
  signal.addEventListener('abort', close, { once: true });
  try {
    // tls.connect checks the certificate against `host`; on an upgraded socket it has no other way to know it.
    if (settings.startTls) await client.startTLS({ ca, host: new URL(settings.url).hostname.replace(/^\[|\]$/g, '') });
    if (settings.bindDn) await bind(client, settings);
    return await work(client, () => received?.restart());
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (received?.over()) throw new DirectorySentTooMuchError(`the directory sent more than ${limit!.bytes} bytes for ${limit!.per}`);
    throw asSourceError(error, settings);
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
}

/**
 * Closes the connection once the directory has sent more than `maxBytes` on it since it
 * opened or since `restart`; `over` tells whether it did. ldapts gathers a search's
 * entries until the server says it is done (a sizeLimit is only a request) and holds a
 * message until its last byte, so a hostile or broken directory could send without end
 * (one lookup took the RSS to 849 MB) or one 50 MiB value (the event loop stalled 4.5 s).
 * ldapts keeps its socket in a plain property; every socket it puts there is watched
 * (the TLS one of a StartTLS too).
 */
function limitReceived(client: Client, maxBytes: number): { over(): boolean; restart(): void } {
  let received = 0;
  let socket: Socket | undefined;
  Object.defineProperty(client, 'socket', {
    configurable: true,
    get: () => socket,
    set(next: Socket | undefined) {
      socket = next;
      next?.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) next.destroy();
      });
    },
  });
  return {
    over: () => received > maxBytes,
    restart: () => {
      received = 0;
    },
  };
}

/** ldapts's parser, in a private property, is handed each message whole (ldap-framing.ts). */
function readWholeMessages(client: Client): void {
  const parser = (client as unknown as { messageParser: { read: MessageRead } }).messageParser;
  parser.read = wholeMessages(parser.read.bind(parser));
}

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new MisconfiguredSourceError(`caFile: ${(error as Error).message}`);
  }
}

/** The directory sent more than a lookup or an import may read; it answered, so it was reachable. */
class DirectorySentTooMuchError extends PermanentSourceError {}

/**
 * The directory left an operation (connecting, the bind, a search or one page of it)
 * unanswered for timeoutMs; ldapts then closes the connection. Worth trying again, and
 * for the operator the setting to raise if the directory is that slow.
 */
export class DirectoryTimeoutError extends Error {}

/** ldapts's own words for a connection or an operation past its timeout (Client._connect, Client._send); it gives them no class of their own. */
function isLdaptsTimeout(error: unknown): error is Error {
  return error instanceof Error && /^(Connection timeout|\w+: Operation timed out)$/.test(error.message);
}

/**
 * The directory closed the connection with a request unanswered. On an ldap:// URL that is
 * most often a port that speaks TLS from its first byte (LDAPS: 636, a Global Catalog's 3269),
 * which takes the plain request for a broken handshake and hangs up.
 */
export class DirectoryClosedError extends Error {}

/** ldapts's own words for it (Client socketClose), again with no class or code of their own. */
function isLdaptsClosed(error: unknown): error is Error {
  return error instanceof Error && error.message.startsWith('Connection closed before message response was received');
}

function asSourceError(error: unknown, settings: LdapSettings): unknown {
  if (isLdaptsClosed(error)) {
    const hint = /^ldap:/i.test(settings.url) ? ': if that port speaks TLS from the first byte (as 636 and 3269 do), the url is ldaps://' : '';
    return new DirectoryClosedError(`the directory at ${settings.url} closed the connection without answering${hint}`, { cause: error });
  }
  if (isLdaptsTimeout(error)) {
    return new DirectoryTimeoutError(`the directory did not answer within ${settings.timeoutMs} ms (timeoutMs of the ldap source): ${error.message}`, {
      cause: error,
    });
  }
  if (!(error instanceof ResultCodeError)) return error;
  const answered = `the directory answered ${quotedAnswer(error, settings)}`;
  if (TRANSIENT_RESULT_CODES.has(error.code)) return new Error(answered, { cause: error });
  const Failure = SETUP_RESULT_CODES.has(error.code) ? MisconfiguredSourceError : PermanentSourceError;
  if (error.code === REFERRAL) return new Failure('the directory answered a referral (10): another server holds the base DN', { cause: error });
  if (error.code === NO_SUCH_OBJECT) return new Failure(`the directory has no entry ${settings.baseDn} (noSuchObject, 32): check baseDn`, { cause: error });
  return new Failure(answered, { cause: error });
}

/**
 * Result codes of a bind that refuse the credentials, or how they were sent: sending them again
 * on every lookup gains nothing and may lock the account out (constraintViolation, a password
 * policy's lockout, 19; insufficientAccessRights, an account barred, 50), or sends them in clear
 * again (strongerAuthRequired, 8; confidentialityRequired, 13). They are paused (credential-gate.ts).
 */
const CREDENTIALS_REFUSED_CODES = new Set([7, 8, 13, 19, 48, 49, 50]);

/**
 * Binds as bindDn. Any refusal but those that say "not now" is the setup's: a bind is never
 * about one person, so it is never "no photo" (unwillingToPerform, 53, was that for everyone).
 * One that refuses the credentials is paused; another is asked again at the next lookup, as it
 * may pass: unwillingToPerform is also a directory's answer while it starts or is read-only,
 * operationsError (1) a failing server's.
 */
async function bind(client: Client, settings: LdapSettings): Promise<void> {
  try {
    await client.bind(settings.bindDn!, settings.bindPassword);
  } catch (error) {
    if (!(error instanceof ResultCodeError) || TRANSIENT_RESULT_CODES.has(error.code)) throw error;
    const why = error instanceof InvalidCredentialsError ? 'invalid credentials' : quotedAnswer(error, settings);
    const Refusal = CREDENTIALS_REFUSED_CODES.has(error.code) ? CredentialsRefusedError : MisconfiguredSourceError;
    throw new Refusal(`the directory refused the bind as ${settings.bindDn}: ${why}`, { cause: error });
  }
}

/**
 * A result as the log and `sources check` may show it: its name, code and what the directory
 * said, the bind password blanked before it is cut. A directory may quote the bind back in its
 * diagnostic (`bind refused for <dn> with password <password>`), and one was logged as it came.
 */
function quotedAnswer(error: ResultCodeError, settings: LdapSettings): string {
  const diagnostic = quotedUpstream(diagnosticOf(error.message), settings.bindPassword === undefined ? [] : [settings.bindPassword]);
  return `${error.name} (${error.code})${diagnostic ? `: ${diagnostic}` : ''}`;
}

/**
 * What the directory said, from ldapts's message, which ends with the code again (" Code: 0x20"),
 * all of it when the directory gave no diagnostic. The blanks before the code are tried from
 * their first only: tried from each, a long run of them in a diagnostic was quadratic.
 */
export function diagnosticOf(message: string): string {
  return message.replace(/(?<!\s)\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
}

/** Whether the directory referred the operation elsewhere (the name is in another domain or naming context). */
export function isReferral(error: unknown): boolean {
  return error instanceof ResultCodeError && error.code === REFERRAL;
}

/** Whether a failure came from the directory's answer (so it was reachable), not from the network or TLS. */
export function directoryAnswered(error: unknown): boolean {
  return (
    error instanceof ResultCodeError ||
    (error instanceof Error && error.cause instanceof ResultCodeError) ||
    error instanceof DirectorySentTooMuchError ||
    error instanceof InconclusiveAnswerError
  );
}

/**
 * The values of an attribute, looked up without regard to case (servers spell names their own
 * way; RFC 4512 §2.5): ldapts keys an entry by each attribute as the server sent it, so `mail`
 * and `Mail` are two keys of one attribute, whose values are all read, in the order sent.
 */
export function valuesOf(entry: Record<string, unknown>, attribute: string): (string | Buffer)[] {
  const wanted = attribute.toLowerCase();
  return Object.keys(entry)
    .filter((name) => name.toLowerCase() === wanted)
    .flatMap((name): unknown[] => {
      const value = entry[name];
      return Array.isArray(value) ? (value as unknown[]) : [value];
    })
    .filter((item): item is string | Buffer => typeof item === 'string' || Buffer.isBuffer(item));
}

/** The attributes a person's addresses are read from: AD's proxy addresses, then mail, then the userPrincipalName Graph names a user by. */
export const ENTRY_ADDRESS_ATTRIBUTES = ['proxyAddresses', 'mail', 'userPrincipalName'] as const;

/**
 * The addresses an attribute of an entry holds, in the order sent: `proxyAddresses` as AD
 * writes them (`SMTP:` the primary, `smtp:` the others; X500:, SIP: and other types are no
 * SMTP address), any other attribute as it is.
 */
export function addressValuesOf(entry: Record<string, unknown>, attribute: string): string[] {
  const proxies = attribute.toLowerCase() === 'proxyaddresses';
  return valuesOf(entry, attribute).flatMap((value) => {
    if (typeof value !== 'string') return [];
    if (!proxies) return [value];
    return /^smtp:/i.test(value) ? [value.slice('smtp:'.length)] : [];
  });
}

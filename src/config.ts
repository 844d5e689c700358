import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { withoutTrailingSlashes } from './domain/plain-text.js';
import { DEFAULT_PHOTO_QUALITY } from './domain/photo.js';
import { parseSourceSettings, type SourceSettings } from './sources/source-settings.js';
import { addressListProblem } from './http/address-list.js';
import { FORWARDED_HEADERS } from './http/trusted-proxy.js';
import { loginDomainsProblem } from './auth/login-domains.js';
import { DEFAULT_PHOTO_DECODE_QUEUE, DEFAULT_PHOTO_DECODES } from './photos/image-limits.js';
import { DEFAULT_SOURCE_CONCURRENCY } from './sources/resilient-source.js';
import { readDatabaseUrl, withoutPassword } from './store/database-url.js';
import { httpSchemeProblem, httpUrl } from './http-url.js';

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes');
/**
 * A whole number: a JSON number, or decimal digits in the environment. Coercing took a
 * blank value, null or false for 0 (a blank BRIDGE_PORT listened on a random port, a blank
 * grace period cut uploads at shutdown), and hex, exponents, true and [n] for numbers.
 */
const int = (min: number, max: number) => {
  // Zod's own words ("Too big: expected number to be <=65535") named neither the range nor a whole number.
  const range = `must be a whole number from ${min} to ${max}`;
  return z
    .union(
      [
        z.number(),
        z
          .string()
          .trim()
          .regex(/^-?\d+$/, `must be a whole number in decimal digits, from ${min} to ${max}`),
      ],
      { error: 'must be a whole number' },
    )
    .transform(Number)
    .pipe(z.number().int(range).min(min, range).max(max, range));
};

/**
 * Empty, or an http(s) URL without credentials, query or fragment; a trailing slash is dropped
 * (paths are appended to it). Written as the WHATWG URL Standard serialises it — scheme and
 * host in lower case, a host's U-labels as A-labels, the default port left out, a space or a
 * letter outside ASCII in the path percent-encoded — so what clients are handed is a URI
 * (RFC 3986 §2.1, §3.2.2, §6.2.3), whichever way it was typed: as written, `HTTPS://Photos…`,
 * `:443` and a raw space went into every WSDL and Autodiscover answer.
 */
const publicUrlSchema = z
  .string()
  .superRefine((value, context) => {
    const problem = publicUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => (value === '' ? '' : withoutTrailingSlashes(new URL(value).href)));

function publicUrlProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (!URL.canParse(value)) return 'not a URL (e.g. https://photos.example.com)';
  const url = new URL(value);
  const scheme = httpSchemeProblem(value, 'anywhere');
  if (scheme) return scheme;
  if (/[?#]/.test(value) || url.username !== '' || url.password !== '') return 'no query or fragment, user or password';
  return undefined;
}
/**
 * Comma-separated origins as browsers send them, `scheme://host[:port]`: each is checked
 * and written as a browser writes it (lower case, no default port), since one that could
 * never equal an Origin header (`*`, no scheme, a path) let no page in, without a word.
 */
const corsOriginsSchema = z
  .string()
  .superRefine((list, context) => {
    for (const origin of listed(list)) {
      const problem = originProblem(origin);
      if (problem) context.addIssue({ code: 'custom', message: `'${origin}': ${problem}` });
    }
  })
  .transform((list) =>
    listed(list)
      .map((origin) => new URL(origin).origin)
      .join(','),
  );

const listed = (list: string) =>
  list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function originProblem(origin: string): string | undefined {
  if (!URL.canParse(origin)) return 'not an origin (e.g. https://addin.example.com)';
  const url = new URL(origin);
  const scheme = httpSchemeProblem(origin, 'anywhere');
  if (scheme) return scheme;
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || /[?#]/.test(origin)) return 'an origin is scheme://host[:port], nothing after it';
  return undefined;
}

/** Comma-separated IP addresses and CIDRs. */
const addressListSchema = z.string().superRefine((list, context) => {
  const problem = addressListProblem(list);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** A value that names a scheme and an authority (`postgres://…`), blanks before it or not: a URL, not a file's path. */
const URL_LIKE = /^\s*[a-z][a-z0-9+.-]*:\/\//i;

/** A wrong value as a problem quotes it: a URL given where it does not belong without its password. */
function shownValue(raw: unknown): unknown {
  return typeof raw === 'string' && URL_LIKE.test(raw) ? withoutPassword(raw.trim()) : raw;
}

/**
 * The smallest BRIDGE_EWS_MAX_ANSWER_BYTES: one at which the largest single answers still fit.
 * A GetItem of one contact with MimeContent (base64 of a vCard holding the photo in base64)
 * and Photo carries its photo 3.2 times over: 2,160,891 bytes for the largest photo found (a
 * 648-pixel square of binary noise at BRIDGE_JPEG_QUALITY 100: 657 KB) with every text field
 * 1,024 characters long, and beside it an ErrorMessageSizeExceeded (~300 bytes) kept for each
 * of the other ids a request may hold (at most 2,000 elements, soap-reader.ts). GetUserPhoto's
 * largest is 877,130 bytes. At the 64 KiB this once was, such a contact was never answered.
 */
export const EWS_MIN_ANSWER_BYTES = 3 * 1024 * 1024;

/**
 * Every tunable, with the environment variable that sets it. A JSON config file
 * (BRIDGE_CONFIG) may set the same keys by their camelCase name; the environment wins.
 */
export const SETTINGS = {
  host: { env: 'BRIDGE_HOST', schema: z.string().min(1, 'must not be empty'), default: '127.0.0.1', doc: 'Address to listen on; 0.0.0.0 for all interfaces.' },
  port: { env: 'BRIDGE_PORT', schema: int(0, 65535), default: 8080, doc: 'TCP port (0 picks a free one).' },
  databasePath: {
    env: 'BRIDGE_DB',
    // A URL here was taken for a file's name: `--db postgres://…` served from a new SQLite file named after it.
    schema: z
      .string()
      .min(1)
      .refine((path) => !URL_LIKE.test(path), 'a SQLite file, not a URL: a PostgreSQL database is named by BRIDGE_DATABASE_URL'),
    default: 'data/bridge.db',
    doc: 'SQLite file for directory, photos and accounts.',
  },
  databaseUrl: {
    env: 'BRIDGE_DATABASE_URL',
    schema: z.union([
      z.literal(''),
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
        // The driver parses it as a URL only as it connects: a space in the password was "unexpected error: Invalid URL".
        .refine(
          (url) => readDatabaseUrl(url) !== undefined,
          'a postgres:// URL that parses: percent-encode a space, @, / or # in the user or password, and give a numeric port',
        ),
    ]),
    default: '',
    secret: true,
    doc: 'PostgreSQL instead of the SQLite file: postgres://user:password@host:5432/database. Every replica names the same database.',
  },
  databasePoolSize: {
    env: 'BRIDGE_DATABASE_POOL_SIZE',
    schema: int(1, 1000),
    default: 10,
    doc: 'PostgreSQL connections one bridge process keeps, at most; a request that finds all in use waits as for a lock (BRIDGE_STORE_BUSY_TIMEOUT_MS).',
  },
  databaseQueryTimeoutMs: {
    env: 'BRIDGE_DATABASE_QUERY_TIMEOUT_MS',
    schema: int(100, 600_000),
    default: 30_000,
    doc: 'How long a server waits for PostgreSQL to answer one statement; then that request answers 503 + Retry-After (SOAP: ErrorServerBusy) and its connection is dropped: a connection that died without closing (a failover, a firewall) would otherwise hold its requests for ever. Commands (an import building indexes) wait as long as their work takes.',
  },
  databaseStartWaitMs: {
    env: 'BRIDGE_DATABASE_START_WAIT_MS',
    schema: int(0, 3_600_000),
    default: 60_000,
    doc: 'How long `serve` waits at start for a PostgreSQL server it cannot reach yet (a host booting, a compose file starting both), trying again every 1–10 s with a warning each time, the last try at the end of the wait; then it exits as before. 0: exit at once.',
  },
  storeBusyTimeoutMs: {
    env: 'BRIDGE_STORE_BUSY_TIMEOUT_MS',
    schema: int(0, 60_000),
    default: 2000,
    doc: 'How long one request may wait, without blocking others, for a store locked by another process (the CLI, a second server); then it answers 503 + Retry-After (SOAP: ErrorServerBusy).',
  },
  seedDemo: {
    env: 'BRIDGE_DEMO',
    schema: flag,
    default: true,
    doc: 'Seed a demo directory and login into an empty database (no directory users and no accounts).',
  },
  allowAnonymousRead: {
    env: 'BRIDGE_ANONYMOUS_READ',
    schema: flag,
    default: false,
    doc: 'Serve photos without authentication. Anyone who can reach the port sees every photo.',
  },
  selfServicePhotos: {
    env: 'BRIDGE_SELF_SERVICE_PHOTOS',
    schema: flag,
    default: false,
    doc: 'Signed-in users may set and remove their own photo (page, PUT/DELETE /api/me/photo, Graph PUT and DELETE /v1.0/me/photo/$value), unless an administrator locked it.',
  },
  authRealm: {
    env: 'BRIDGE_AUTH_REALM',
    // A header's quoted-string (RFC 9110 §11.2): node:http refuses to send anything else, and a 401 that cannot be written took the process down.
    schema: z.string().regex(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/, 'printable ASCII without quotes or backslashes'),
    default: 'ews-photo-bridge',
    doc: 'Realm named in the Basic challenge.',
  },
  loginDomains: {
    env: 'BRIDGE_LOGIN_DOMAINS',
    schema: z.string().superRefine((list, context) => {
      const problem = loginDomainsProblem(list);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
    default: '',
    doc: "Comma-separated NETBIOS=dns.domain pairs (e.g. CONTOSO=contoso.com): a Basic login 'CONTOSO\\adele' is read as 'adele@contoso.com', as Exchange takes a DOMAIN\\user logon name beside the address. Empty: a name is read as typed.",
  },
  loginMaxFailures: {
    env: 'BRIDGE_LOGIN_MAX_FAILURES',
    schema: int(1, 1000),
    default: 5,
    doc: 'Failed logins per account name and per client address before further attempts must wait (429 + Retry-After).',
  },
  loginBackoffSeconds: {
    env: 'BRIDGE_LOGIN_BACKOFF_SECONDS',
    schema: int(1, 3600),
    default: 1,
    doc: 'First wait after too many failed logins; it doubles with each further failure.',
  },
  loginBackoffMaxSeconds: {
    env: 'BRIDGE_LOGIN_BACKOFF_MAX_SECONDS',
    schema: int(1, 86400),
    default: 300,
    doc: 'Longest wait after failed logins; counts are forgotten after twice this without a failure.',
  },
  loginThrottleEntries: {
    env: 'BRIDGE_LOGIN_THROTTLE_ENTRIES',
    schema: int(100, 10_000_000),
    default: 100_000,
    doc: 'Account names and client addresses whose failed logins are remembered, at most.',
  },
  passwordHashWorkers: {
    env: 'BRIDGE_PASSWORD_HASH_WORKERS',
    schema: int(1, 64),
    default: 1,
    doc: 'Threads that check passwords (scrypt), apart from image work.',
  },
  passwordHashQueue: {
    env: 'BRIDGE_PASSWORD_HASH_QUEUE',
    schema: int(0, 10_000),
    default: 32,
    doc: 'Password checks that may wait for a thread; beyond it logins answer 503 + Retry-After.',
  },
  jpegQuality: { env: 'BRIDGE_JPEG_QUALITY', schema: int(1, 100), default: DEFAULT_PHOTO_QUALITY, doc: 'JPEG quality of served photos.' },
  maxUploadBytes: { env: 'BRIDGE_MAX_UPLOAD_BYTES', schema: int(1024, 2 ** 30), default: 10 * 1024 * 1024, doc: 'Largest image accepted, in bytes.' },
  maxInputPixels: {
    env: 'BRIDGE_MAX_INPUT_PIXELS',
    schema: int(1, 1_000_000_000),
    default: 40_000_000,
    doc: 'Largest image accepted, in pixels (width × height); larger ones are refused before decoding.',
  },
  photoDecodes: {
    env: 'BRIDGE_PHOTO_DECODES',
    schema: int(1, 64),
    default: DEFAULT_PHOTO_DECODES,
    doc: "Uploaded photos decoded at once, and as many fetched from the sources; each may take hundreds of MB and one of libuv's threads, which sized photos need too.",
  },
  photoDecodeQueue: {
    env: 'BRIDGE_PHOTO_DECODE_QUEUE',
    schema: int(0, 10_000),
    default: DEFAULT_PHOTO_DECODE_QUEUE,
    doc: 'Photos that may wait to be decoded; beyond it uploads answer 503 + Retry-After.',
  },
  cacheMaxEntries: { env: 'BRIDGE_CACHE_MAX_ENTRIES', schema: int(1, 10_000_000), default: 50_000, doc: 'Sized photos kept in memory, at most.' },
  cacheMaxBytes: { env: 'BRIDGE_CACHE_MAX_BYTES', schema: int(1024, 2 ** 40), default: 256 * 1024 * 1024, doc: 'Memory for sized photos, at most, in bytes.' },
  noPhotoTtlSeconds: { env: 'BRIDGE_NO_PHOTO_TTL_SECONDS', schema: int(0, 86_400), default: 60, doc: 'How long "no photo" is remembered.' },
  photoMaxAgeSeconds: { env: 'BRIDGE_PHOTO_MAX_AGE_SECONDS', schema: int(0, 31_536_000), default: 3600, doc: 'Cache-Control max-age sent with photos.' },
  ewsMaxItemsPerRequest: {
    env: 'BRIDGE_EWS_MAX_ITEMS_PER_REQUEST',
    schema: int(1, 10_000),
    // Exchange's EWSFindCountLimit: the items one FindItem or FindPeople may give, which exchangelib asks of FindPeople and does not page past.
    default: 1000,
    doc: 'Ids in one GetItem, GetAttachment or ConvertId, and items in one FindItem or FindPeople page, at most; a longer id list is refused whole (ErrorInvalidRequest).',
  },
  ewsMaxAnswerBytes: {
    env: 'BRIDGE_EWS_MAX_ANSWER_BYTES',
    schema: int(EWS_MIN_ANSWER_BYTES, 2 ** 30),
    default: 4 * 1024 * 1024,
    doc: 'Bytes of one SOAP answer, envelope and all, at most (at least 3 MiB, so that one contact with the largest photo, ~2.2 MB with MimeContent and Photo, always fits); items beyond it are answered with ErrorMessageSizeExceeded, each id still with its message (clients pair them by position): a list of more ids than those messages (~300 bytes each) fit in is refused whole (ErrorInvalidRequest), as one over BRIDGE_EWS_MAX_ITEMS_PER_REQUEST is (at 3 MiB, over 10,000 ids: more than one request can hold).',
  },
  ewsBodyBytesPerAccount: {
    env: 'BRIDGE_EWS_BODY_BYTES_PER_ACCOUNT',
    schema: int(1024 * 1024, 2 ** 30),
    // Reading a 1 MiB envelope holds the event loop 35–70 ms: sixteen of one account's at once held everyone for 2.3 s.
    default: 2 * 1024 * 1024,
    doc: 'Bytes (at least 1 MiB) of SOAP and Autodiscover request bodies one account may have in progress at once, each body over 16 KiB counted by its Content-Length (a chunked one as the 1 MiB maximum); one more is refused unread (SOAP: ErrorExceededConnectionCount; Autodiscover: 503 + Retry-After).',
  },
  storeOutageLoginGraceSeconds: {
    env: 'BRIDGE_STORE_OUTAGE_LOGIN_GRACE_SECONDS',
    schema: int(0, 86_400),
    default: 600,
    doc: 'Seconds a password login checked against its account is still believed while the database cannot be reached, so cached photos are still served; 0 refuses every login then. A replica cut off alone may meanwhile miss an account removed or a password changed through the others.',
  },
  searchMsPerSecond: {
    env: 'BRIDGE_SEARCH_MS_PER_SECOND',
    schema: int(10, 1000),
    default: 250,
    doc: "Milliseconds (10–1000) of the store's time per second one account's searches (directory page, ResolveNames, contact lists and filters, Autodiscover, reading a SOAP envelope over 16 KiB) may use, two seconds' worth in a burst, and at most 10 at once (Exchange 2016's EWSMaxConcurrency), each charged its time shared with the searches beside it; beyond it they answer 503 + Retry-After (SOAP: ErrorServerBusy with a back-off) while others go on.",
  },
  searchMsPerSecondAllAccounts: {
    env: 'BRIDGE_SEARCH_MS_PER_SECOND_ALL_ACCOUNTS',
    schema: int(10, 1000),
    default: 500,
    doc: "Milliseconds (10–1000) of the store's time per second every account's searches together may use, two seconds' worth in a burst: past it, an account that spent a quarter of its own burst lately gets the same 503 / ErrorServerBusy, the others go on (four logins at their own share held the whole event loop).",
  },
  logLevel: {
    env: 'BRIDGE_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'pino log level.',
  },
  accessLog: { env: 'BRIDGE_ACCESS_LOG', schema: flag, default: true, doc: 'Log one line per request.' },
  sourceTimeoutMs: { env: 'BRIDGE_SOURCE_TIMEOUT_MS', schema: int(100, 120_000), default: 5000, doc: 'Time limit of one call to a photo source.' },
  sourceRetries: {
    env: 'BRIDGE_SOURCE_RETRIES',
    schema: int(0, 5),
    default: 2,
    doc: 'Retries of a failed source call (never for permanent answers such as 403).',
  },
  sourceBreakerThreshold: {
    env: 'BRIDGE_SOURCE_BREAKER_THRESHOLD',
    schema: int(1, 1000),
    default: 5,
    doc: "Consecutive failed lookups that open a source's circuit breaker; a lookup counts once, with all its retries.",
  },
  sourceConcurrency: {
    env: 'BRIDGE_SOURCE_CONCURRENCY',
    schema: int(1, 1000),
    default: DEFAULT_SOURCE_CONCURRENCY,
    doc: "Calls to one photo source in flight at once; four times as many may wait, and a call beyond fails at once (the next source or the stored photo answers), as does one still waiting when its lookup's time is up.",
  },
  sourceBreakerOpenSeconds: { env: 'BRIDGE_SOURCE_BREAKER_OPEN_SECONDS', schema: int(1, 3600), default: 30, doc: 'How long an open breaker skips its source.' },
  sourceRefreshSeconds: {
    env: 'BRIDGE_SOURCE_REFRESH_SECONDS',
    schema: int(60, 30 * 86_400),
    default: 86_400,
    doc: 'Age at which a photo fetched from a source is fetched again (WhatsApp links die after 48 h).',
  },
  shutdownGraceMs: {
    env: 'BRIDGE_SHUTDOWN_GRACE_MS',
    schema: int(0, 600_000),
    default: 10_000,
    doc: 'On SIGTERM, how long in-flight requests may take before connections are cut (a warning says so; their access lines say 499) and their database statements abandoned, not waited for.',
  },
  maxConnections: {
    env: 'BRIDGE_MAX_CONNECTIONS',
    schema: int(1, 1_000_000),
    default: 10_000,
    doc: "Open connections to the public port, at most; beyond it new ones are closed as they are accepted. Keep it below the process's open-file limit (LimitNOFILE=, ulimit -n) with room for the store, the sources and logs (a thousand is plenty), so a flood of connections meets this cap, not EMFILE.",
  },
  maxConnectionsPerClient: {
    env: 'BRIDGE_MAX_CONNECTIONS_PER_CLIENT',
    schema: int(1, 1_000_000),
    default: 256,
    doc: 'Open connections from one client address (the TCP peer; an IPv6 peer by its /64), at most; one more is closed at once, unanswered. A browser opens at most 6 per host and Outlook or an EWS client a handful, so hundreds leave room for a NAT gateway in front of many. Trusted proxies (BRIDGE_TRUSTED_PROXIES) count only against BRIDGE_MAX_CONNECTIONS.',
  },
  headersTimeoutSeconds: {
    env: 'BRIDGE_HEADERS_TIMEOUT_SECONDS',
    schema: int(1, 3600),
    default: 20,
    doc: "Time a connection has for a request's headers (and for a TLS handshake); then it is answered 408 and closed. Shorter than BRIDGE_REQUEST_TIMEOUT_SECONDS.",
  },
  requestTimeoutSeconds: {
    env: 'BRIDGE_REQUEST_TIMEOUT_SECONDS',
    schema: int(1, 86_400),
    default: 60,
    doc: 'Time a request has to arrive whole, headers and body; then it is answered 408 and closed. A 10 MiB upload at 2 Mbit/s takes 42 s.',
  },
  idleTimeoutSeconds: {
    env: 'BRIDGE_IDLE_TIMEOUT_SECONDS',
    schema: int(1, 86_400),
    default: 120,
    doc: 'Time a connection may go with nothing read from it or written to it; then it is closed. A client that stops reading an answer (its buffers full) otherwise held its connection for as long as it liked; IIS closes such a connection after its connectionTimeout, 2 minutes by default. Longer than the longest a source may take to answer.',
  },
  publicUrl: {
    env: 'BRIDGE_PUBLIC_URL',
    schema: publicUrlSchema,
    default: '',
    doc: "The URL clients reach the bridge at (e.g. https://photos.example.com, a path prefix allowed): the WSDL's soap:address, Autodiscover answers and every absolute URL start with it, written as a URI (scheme and host in lower case, no default port, a space or non-ASCII percent-encoded). Empty: built from each request (its Host, or what a trusted proxy forwarded).",
  },
  trustedProxies: {
    env: 'BRIDGE_TRUSTED_PROXIES',
    schema: addressListSchema,
    default: '',
    doc: 'Comma-separated addresses or CIDRs (e.g. 10.0.0.5, 10.1.0.0/16, ::1) of reverse proxies whose forwarding header (BRIDGE_FORWARDED_HEADER) is believed; the client address in logs and login throttling is then the one they forwarded. Empty: no forwarding header is read.',
  },
  forwardedHeader: {
    env: 'BRIDGE_FORWARDED_HEADER',
    schema: z.enum(FORWARDED_HEADERS),
    default: 'x-forwarded-for',
    doc: `The one header a trusted proxy names the client in, and the only one read: ${FORWARDED_HEADERS.join(', ')}. x-forwarded-for (nginx, HAProxy's option forwardfor, cloud load balancers) takes the scheme and host from X-Forwarded-Proto and X-Forwarded-Host, as x-real-ip (nginx's proxy_set_header X-Real-IP recipe) does; forwarded (RFC 7239: HAProxy's option forwarded, Envoy) takes them from Forwarded. A proxy passes on the others as the client wrote them: name the one it sets.`,
  },
  tlsCertFile: {
    env: 'BRIDGE_TLS_CERT_FILE',
    schema: z.string(),
    default: '',
    doc: 'PEM certificate (chain) for built-in HTTPS, with BRIDGE_TLS_KEY_FILE; both files are read again on SIGHUP. Empty: plain HTTP, for a TLS proxy in front.',
  },
  tlsKeyFile: { env: 'BRIDGE_TLS_KEY_FILE', schema: z.string(), default: '', doc: 'PEM private key of BRIDGE_TLS_CERT_FILE.' },
  metricsListen: {
    env: 'BRIDGE_METRICS_LISTEN',
    schema: z.union([
      z.literal(''),
      z
        .string()
        .regex(/^(?:\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464')
        .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65_535, 'the port must be at most 65535'),
    ]),
    default: '',
    doc: 'host:port of a separate listener that serves GET /metrics (and nothing else), e.g. 127.0.0.1:9464; /metrics then leaves the public port. Empty: /metrics on the public port, for BRIDGE_METRICS_ALLOW and BRIDGE_METRICS_TOKEN only.',
  },
  metricsAllow: {
    env: 'BRIDGE_METRICS_ALLOW',
    schema: addressListSchema,
    default: '127.0.0.1/8, ::1',
    doc: 'Client addresses or CIDRs that may read /metrics on the public port without a token; `none` for none.',
  },
  metricsToken: {
    env: 'BRIDGE_METRICS_TOKEN',
    schema: z.union([z.literal(''), z.string().min(16, 'at least 16 characters')]),
    default: '',
    secret: true,
    doc: 'A secret that lets any client read /metrics on the public port with Authorization: Bearer <token>; empty: no token is accepted.',
  },
  corsOrigins: {
    env: 'BRIDGE_CORS_ORIGINS',
    schema: corsOriginsSchema,
    default: '',
    doc: 'Comma-separated origins (e.g. https://addin.example.com) whose pages may call the bridge; empty: none.',
  },
  jwtJwksUrl: {
    env: 'BRIDGE_JWT_JWKS_URL',
    schema: z.union([z.literal(''), httpUrl('loopback')]),
    default: '',
    doc: 'JWKS URL whose keys verify `Authorization: Bearer` tokens: https://, or http:// to this host only (localhost, 127.0.0.1, [::1]): keys read over plain http from elsewhere could be swapped on the way. Empty (and no key file): bearer tokens are refused.',
  },
  jwtPublicKeyFile: {
    env: 'BRIDGE_JWT_PUBLIC_KEY_FILE',
    schema: z.string(),
    default: '',
    doc: 'PEM public key (SPKI) verifying bearer tokens, instead of a JWKS URL.',
  },
  jwtIssuer: { env: 'BRIDGE_JWT_ISSUER', schema: z.string(), default: '', doc: 'Required `iss` of bearer tokens (required when bearer tokens are enabled).' },
  jwtAudience: {
    env: 'BRIDGE_JWT_AUDIENCE',
    schema: z.string(),
    default: '',
    doc: 'Required `aud` of bearer tokens (required when bearer tokens are enabled).',
  },
  jwtAlgorithms: {
    env: 'BRIDGE_JWT_ALGORITHMS',
    schema: z.string().regex(/^(?!.*\bnone\b)[A-Z0-9,]+$/i, 'comma-separated algorithm names, never none'),
    default: 'RS256,ES256',
    doc: 'Signature algorithms accepted on bearer tokens.',
  },
  jwtClockSkewSeconds: {
    env: 'BRIDGE_JWT_CLOCK_SKEW_SECONDS',
    schema: int(0, 600),
    default: 60,
    doc: "Clock difference tolerated on bearer tokens' `exp` and `nbf`.",
  },
  jwtMailboxClaim: {
    env: 'BRIDGE_JWT_MAILBOX_CLAIM',
    schema: z.string().min(1),
    default: 'preferred_username',
    doc: "Claim naming the caller's mailbox; `upn` is the fallback.",
  },
} as const;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> } & {
  /** From the config file's `sources` and `sourceOrder`: which upstreams, with what settings, asked in which order. */
  sources: SourceSettings;
};

/** Keys of the config file that are not single values and so have no environment variable. */
const STRUCTURED_KEYS = new Set(['sources', 'sourceOrder']);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration: defaults, then the optional JSON file, then the
 * environment, then explicit overrides (command-line flags). Every wrong value is
 * reported, each on its own line, before anything starts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const problems: string[] = [];
  const file = readConfigFile(env.BRIDGE_CONFIG, problems);
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    // Where the setting is given, the first winning: an option, the environment, the file. Each
    // is checked: a wrong BRIDGE_PORT beside --port had been passed over without a word.
    const given: [string, unknown][] = [];
    const fromOption = overrides[key as keyof Config];
    if (fromOption !== undefined) given.push(['option', fromOption]);
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') given.push([setting.env, fromEnv]);
    if (key in file) given.push([`${env.BRIDGE_CONFIG}: ${key}`, file[key]]);
    if (given.length === 0) given.push(['default', setting.default]);
    given.forEach(([origin, raw], rank) => {
      const parsed = (setting.schema as z.ZodType).safeParse(raw);
      if (parsed.success) {
        if (rank === 0) config[key] = parsed.data;
      } else
        problems.push(
          `${origin}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${'secret' in setting ? 'a value not shown: it holds a secret' : JSON.stringify(shownValue(raw))})`,
        );
    });
  }
  for (const key of Object.keys(file)) {
    if (!(key in SETTINGS) && !STRUCTURED_KEYS.has(key)) problems.push(`${env.BRIDGE_CONFIG}: unknown setting '${key}'`);
  }
  if (
    typeof config.headersTimeoutSeconds === 'number' &&
    typeof config.requestTimeoutSeconds === 'number' &&
    config.headersTimeoutSeconds >= config.requestTimeoutSeconds
  ) {
    // Node refuses a headers timeout longer than the request's; an equal one would leave a body no time.
    problems.push(
      `${SETTINGS.headersTimeoutSeconds.env} (${config.headersTimeoutSeconds}) must be shorter than ${SETTINGS.requestTimeoutSeconds.env} (${config.requestTimeoutSeconds})`,
    );
  }
  config.sources = parseSourceSettings(file.sources, file.sourceOrder, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config;
}

/**
 * BRIDGE_* variables of the environment that are no setting: a misspelt one is otherwise
 * ignored without a word (the config file's unknown keys are refused; the environment
 * also carries variables meant for other tools, so these are only named).
 */
export function unknownEnvironmentSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set<string>([...Object.values(SETTINGS).map((setting) => setting.env), 'BRIDGE_CONFIG']);
  return Object.keys(env).filter((name) => name.startsWith('BRIDGE_') && !known.has(name));
}

function readConfigFile(path: string | undefined, problems: string[]): Record<string, unknown> {
  if (!path) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    problems.push(`${path}: must hold a JSON object`);
  } catch (error) {
    problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {};
}

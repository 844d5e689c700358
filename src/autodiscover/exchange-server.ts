/**
 * The Exchange build the bridge presents itself as: the one its EWS answers name in
 * ServerVersionInfo (src/ews/namespaces.ts; a test keeps the two equal), so a client
 * that discovers the bridge and then calls it sees one server.
 */
export const EXCHANGE_BUILD = { major: 15, minor: 1, majorBuild: 2507, minorBuild: 6 } as const;

/** CasVersion and ExternalEwsVersion are written `15.01.2507.006` (MS-OXWSADISC's example: `14.00.0478.000`). */
export const CAS_VERSION = [
  EXCHANGE_BUILD.major,
  String(EXCHANGE_BUILD.minor).padStart(2, '0'),
  String(EXCHANGE_BUILD.majorBuild).padStart(4, '0'),
  String(EXCHANGE_BUILD.minorBuild).padStart(3, '0'),
].join('.');

/**
 * The EWS schema versions the bridge accepts, oldest first. Clients pick the newest
 * (exchangelib sorts the names and fails on one it does not know), and Exchange2016 is
 * what the 15.1 build above speaks.
 */
export const EWS_SUPPORTED_SCHEMAS = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2016',
].join(', ');

/**
 * POX `ServerVersion`: the build packed into 32 bits and written in hex — 4 bits of
 * structure version (0111), 6 bits major, 6 bits minor, a flag bit (set), 15 bits build
 * (MS-OXDSCLI ServerVersion; the documented example 72008287 is 8.0.647).
 */
export const POX_SERVER_VERSION = ((0b0111 << 28) | (EXCHANGE_BUILD.major << 22) | (EXCHANGE_BUILD.minor << 16) | (1 << 15) | EXCHANGE_BUILD.majorBuild)
  .toString(16)
  .toUpperCase();

/** The legacy (X.500) names Exchange gives a mailbox and its database; clients ask for them and only pass them on. */
const ORGANIZATION_DN = '/o=ExchangePhotoBridge/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)';
export const userDn = (alias: string): string => `${ORGANIZATION_DN}/cn=Recipients/cn=${alias}`;
export const serverDn = (server: string): string => `${ORGANIZATION_DN}/cn=Configuration/cn=Servers/cn=${server}`;
export const mailboxDatabaseDn = (server: string): string => `${serverDn(server)}/cn=Microsoft Private MDB`;

/** Where the bridge tells clients to go: every URL of one answer starts at the same origin. */
export interface AdvertisedUrls {
  /** Host name without the port: Autodiscover's `Server`. */
  server: string;
  ews: string;
  /** Exchange's ExternalPhotosUrl: a client appends `/GetUserPhoto?email=…&size=…`. */
  photos: string;
  autodiscoverXml: string;
  /** The Outlook REST API's root (`…/api`), under which its photos are (outlook-photo.ts). */
  rest: string;
}

/**
 * The URLs, all under the base URL the client reached the bridge at (addressing.ts: the
 * configured public URL, what a trusted proxy forwarded, or the Host header); undefined
 * when there is none.
 */
export function advertisedUrls(baseUrl: string | undefined): AdvertisedUrls | undefined {
  if (baseUrl === undefined) return undefined;
  const ews = `${baseUrl}/EWS/Exchange.asmx`;
  return {
    server: new URL(baseUrl).hostname.replace(/^\[|\]$/g, ''),
    ews,
    photos: `${ews}/s`,
    autodiscoverXml: `${baseUrl}/autodiscover/autodiscover.xml`,
    rest: `${baseUrl}/api`,
  };
}

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { playFault, type PhotoFault } from './photo-faults.js';

/** The HD sizes Microsoft 365 keeps of a user's photo (profilephoto-get.md). */
const HD_SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648];

/** Graph's error codes for the statuses a fault may answer. */
const FAULT_CODES: Record<number, string> = {
  401: 'InvalidAuthenticationToken',
  // What the photo service answers for an id it does not know, a user deleted since it was looked up
  // among them, as for a user without a photo (Microsoft Q&A 2079017: "only returned when the user has
  // not updated profile photo or if user does not exist").
  404: 'ImageNotFound',
  403: 'ErrorAccessDenied',
  429: 'TooManyRequests',
  503: 'serviceNotAvailable',
  504: 'UnknownError',
};

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  mail?: string;
  /** As Exchange writes them: `SMTP:` the primary address, `smtp:` the others. */
  proxyAddresses?: string[];
  /**
   * The photo as uploaded, of any dimension ("Photos can be any dimension if they're stored in
   * Microsoft Entra ID", profilephoto-get.md); sizes larger than it do not exist.
   */
  photo?: Buffer;
  /**
   * How this user's missing photo is reported: Microsoft 365 answers 404 with several codes
   * (ConsumerPhotoIsNotSupported: microsoft-graph-docs-contrib#6418), or with a `text/plain`
   * body and none (microsoft-graph-docs-contrib#7908).
   */
  noPhotoCode?: 'ImageNotFound' | 'ErrorItemNotFound' | 'ErrorEntityNotFound' | 'itemNotFound' | 'ConsumerPhotoIsNotSupported' | 'text/plain';
}

export interface GraphSimulator {
  /** Microsoft Entra ID's login endpoint, as `https://login.microsoftonline.com`. */
  authorityUrl: string;
  /** Microsoft Graph, as `https://graph.microsoft.com`. */
  graphUrl: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  users: GraphUser[];
  /** `expires_in` of issued tokens. */
  tokenLifetimeSeconds: number;
  /** Characters added to each issued token, as a broken or hostile issuer might (Entra's are a few KB). */
  tokenPadding: number;
  counts: { tokens: number; photos: number; userQueries: number; total: number };
  /** Paths of photo requests, in order. */
  photoPaths: string[];
  /** Played one per photo request, in order. */
  faults: PhotoFault[];
  /** The `error.code` of a fault's answer, made of the request's Authorization header: a Graph (or a proxy before it) that echoes the request. Graph's own code when unset. */
  errorCode?: (authorization: string) => string;
  /** Whether the app holds a permission that lists users (User.Read.All or more); without one, `/users` is 403. */
  listsUsers: boolean;
  /** Every token issued so far stops working (as when an admin revokes the app's sessions). */
  revokeTokens(): void;
  /** Ends the throttling a 429 fault began (it lasts its Retry-After, as Graph's does). */
  endThrottling(): void;
  close(): Promise<void>;
}

/** A bridge config file's entry for a Graph source that asks this simulator. */
export function graphSourceEntry(name: string, graph: GraphSimulator) {
  const { tenant, clientId, clientSecret, authorityUrl, graphUrl } = graph;
  return { name, type: 'graph', tenant, clientId, clientSecret, authorityUrl, graphUrl };
}

/**
 * Microsoft Entra ID's v2.0 token endpoint (client credentials grant, with its AADSTS
 * errors) and Microsoft Graph's user photo endpoints: `/users/{id|upn}/photos/{size}/$value`
 * and `/users/{id|upn}/photo/$value`, with `ImageNotFound` for a user without a photo and for
 * no such user alike. One server plays both hosts.
 */
export async function startGraphSimulator(users: GraphUser[] = []): Promise<GraphSimulator> {
  const tokens = new Set<string>();
  let origin = '';
  let throttledUntil = 0;
  const sim: GraphSimulator = {
    authorityUrl: '',
    graphUrl: '',
    tenant: 'contoso.onmicrosoft.com',
    clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
    clientSecret: 'graph~secret',
    users,
    tokenLifetimeSeconds: 3599,
    tokenPadding: 0,
    counts: { tokens: 0, photos: 0, userQueries: 0, total: 0 },
    photoPaths: [],
    faults: [],
    listsUsers: true,
    revokeTokens: () => tokens.clear(),
    endThrottling: () => (throttledUntil = 0),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const graphError = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') } } });

  const token = async (req: IncomingMessage, res: ServerResponse, tenant: string) => {
    sim.counts.tokens++;
    const form = new URLSearchParams(await bodyOf(req));
    const aadError = (status: number, error: string, description: string) =>
      json(res, status, {
        error,
        error_description: `${description}\r\nTrace ID: ${randomBytes(8).toString('hex')}\r\nTimestamp: ${new Date().toISOString()}`,
      });
    if (tenant !== sim.tenant) return aadError(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials')
      return aadError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.get('client_id') !== sim.clientId)
      return aadError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`);
    if (form.get('client_secret') !== sim.clientSecret) return aadError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    if (form.get('scope') !== `${origin}/.default`)
      return aadError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${form.get('scope')} is not valid.`);
    const accessToken = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}${'A'.repeat(sim.tokenPadding)}`;
    tokens.add(accessToken);
    json(res, 200, { token_type: 'Bearer', expires_in: sim.tokenLifetimeSeconds, ext_expires_in: sim.tokenLifetimeSeconds, access_token: accessToken });
  };

  const photo = async (req: IncomingMessage, res: ServerResponse, who: string, size: string | undefined) => {
    sim.counts.photos++;
    sim.photoPaths.push(new URL(req.url ?? '/', 'http://simulator').pathname);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (!tokens.has(bearer)) return graphError(res, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    // throttling.md: a throttled app is limited "for some time": asked again within its Retry-After, it is refused again.
    const throttledMs = throttledUntil - Date.now();
    if (throttledMs > 0) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(Math.ceil(throttledMs / 1000)) });
      return void res.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'Too many requests' } }));
    }
    const fault = sim.faults[0];
    if (fault?.kind === 'status' && fault.status === 429 && fault.retryAfter) throttledUntil = Date.now() + Number(fault.retryAfter) * 1000;
    if (
      await playFault(sim.faults, res, (status) => ({
        error: { code: sim.errorCode?.(req.headers.authorization ?? '') ?? FAULT_CODES[status] ?? 'generalException', message: 'simulated' },
      }))
    )
      return;
    const name = decodeURIComponent(who).toLowerCase();
    // profilephoto-get.md: users are addressed as `/users/{id | userPrincipalName}` — a mail address is neither.
    const user = sim.users.find((u) => u.id.toLowerCase() === name || u.userPrincipalName.toLowerCase() === name);
    // The photo service answers a name it cannot find as it answers a user without a photo
    // (Microsoft Q&A 2079017: "only returned when the user has not updated profile photo or if user does not exist").
    if (!user) return graphError(res, 404, 'ImageNotFound', IMAGE_NOT_FOUND);
    const wanted = size === undefined ? undefined : Number(/^(\d+)x\1$/.exec(size)?.[1]);
    const { width = 0, height = 0 } = user.photo ? await sharp(user.photo).metadata() : {};
    // profilephoto-get.md: "If the size you request is unavailable, you can still get a smaller size
    // that the user has uploaded … if the user uploads a photo that is 504x504 pixels, all but the
    // 648x648 size of the photo is available": a size is there when the photo fills it on one side.
    // `/photo/$value` is the largest there is: up to 648 px, or the photo as uploaded when smaller.
    // A size not among the nine it lists does not exist for anyone: the docs give no other answer
    // than the 404 of a photo that is not there (microsoft-graph-docs#2319: sizes are not to be assumed).
    if (!user.photo || (wanted !== undefined && (!HD_SIZES.includes(wanted) || wanted > Math.max(width, height)))) {
      const code = user.noPhotoCode ?? 'ImageNotFound';
      if (code === 'text/plain') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return void res.end();
      }
      return graphError(res, 404, code, code === 'ImageNotFound' ? IMAGE_NOT_FOUND : 'The specified object was not found in the store.');
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    // "Photos can be any dimension": a photo that is not square keeps its shape, within the size's box.
    const box = wanted ?? HD_SIZES.at(-1)!;
    res.end(await sharp(user.photo).resize(box, box, { fit: 'inside', withoutEnlargement: true }).jpeg().toBuffer());
  };

  /** user-list.md: `GET /users?$filter=…`, here the clauses Microsoft documents for finding an address (customize-invitation-api.md). */
  const listUsers = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    sim.counts.userQueries++;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    // user-list.md: listing users needs User.ReadBasic.All or more; without it, Authorization_RequestDenied.
    if (!sim.listsUsers) return graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const filter = query.get('$filter');
    const matches = filter === null ? () => true : matcherOf(filter);
    if (!matches) return graphError(res, 400, 'Request_UnsupportedQuery', 'Unsupported Query.');
    const found = sim.users.filter(matches);
    const selected = (query.get('$select') ?? 'id,userPrincipalName,mail').split(',');
    json(res, 200, {
      '@odata.context': `${origin}/v1.0/$metadata#users(${selected.join(',')})`,
      value: found.map((user) => Object.fromEntries(selected.map((key) => [key, user[key as keyof GraphUser] ?? null]))),
    });
  };

  const server = createServer((req, res) => {
    sim.counts.total++;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    // user-get.md: a user is `/users/{id | userPrincipalName}` or, the form a UPN beginning with `$` needs, `/users('{upn}')`.
    const user = "(?:/([^/(][^/]*)|\\('((?:[^']|'')+)'\\))";
    const sizedPath = new RegExp(`^/v1\\.0/users${user}/photos/([^/]+)/\\$value$`).exec(path);
    const largestPath = new RegExp(`^/v1\\.0/users${user}/photo/\\$value$`).exec(path);
    const who = (match: RegExpExecArray) => match[1] ?? match[2]!.replaceAll("''", "'");
    const failed = () => graphError(res, 500, 'generalException', 'simulator failure');
    if (req.method === 'POST' && tokenPath) return void token(req, res, decodeURIComponent(tokenPath[1]!)).catch(failed);
    const photoPath = sizedPath ?? largestPath;
    if (req.method === 'GET' && photoPath) {
      // user-get.md: "the GET request URL syntax `/users/$x@y.com` fails with a `400 Bad Request`".
      if (photoPath[1] && decodeURIComponent(photoPath[1]).startsWith('$'))
        return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${photoPath[1]}'.`);
      return void photo(req, res, who(photoPath), sizedPath?.[3]).catch(failed);
    }
    if (req.method === 'GET' && path === '/v1.0/users') return listUsers(req, res, url.searchParams);
    graphError(res, 400, 'BadRequest', `Resource not found for the segment '${path.split('/').at(-1)}'.`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim.authorityUrl = origin;
  sim.graphUrl = origin;
  return sim;
}

const IMAGE_NOT_FOUND = "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.";

/**
 * A user filter of `or`-joined clauses `userPrincipalName eq '…'`, `mail eq '…'` and
 * `proxyAddresses/any(x:x eq '…')` (user.md: "the any operator is required for filter
 * expressions on multi-valued properties"); directory string comparisons ignore case.
 * Undefined for anything else, which Graph refuses.
 */
function matcherOf(filter: string): ((user: GraphUser) => boolean) | undefined {
  const literal = "'((?:[^']|'')*)'";
  const clauses = filter.split(' or ').map((clause) => {
    const single = new RegExp(`^(userPrincipalName|mail) eq ${literal}$`).exec(clause.trim());
    if (single) return { property: single[1] as 'userPrincipalName' | 'mail', value: single[2]!.replaceAll("''", "'").toLowerCase() };
    const any = new RegExp(`^proxyAddresses/any\\((\\w+):\\1 eq ${literal}\\)$`).exec(clause.trim());
    if (any) return { property: 'proxyAddresses' as const, value: any[2]!.replaceAll("''", "'").toLowerCase() };
    return undefined;
  });
  if (clauses.some((clause) => !clause)) return undefined;
  return (user) =>
    clauses.some((clause) =>
      clause!.property === 'proxyAddresses'
        ? (user.proxyAddresses ?? []).some((address) => address.toLowerCase() === clause!.value)
        : user[clause!.property]?.toLowerCase() === clause!.value,
    );
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

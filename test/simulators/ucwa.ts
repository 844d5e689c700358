import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pngBomb } from '../support/sample-images.js';

/*
 * Skype for Business Server's UCWA 2.0, written from Microsoft's documentation (not from
 * the bridge's client). Pages are cited by name; all live under
 * https://learn.microsoft.com/en-us/skype-sdk/ucwa/ (source: github.com/OfficeDev/skype-docs,
 * Skype/UCWA/<Name>.md). test/simulators/README.md lists each behaviour and its page.
 */

/** A person in the simulated Skype for Business address book. */
export interface UcwaPerson {
  /** The contact's `uri`, e.g. `sip:SaraD@contoso.com`. */
  sip: string;
  name: string;
  emails: string[];
  photo?: Buffer;
  /** The contact carries no contactPhoto link (ContactSearch.js sample: "image: contactPhoto ? … : null"). */
  noPhotoLink?: boolean;
  /** Reading the contact resource answers 403 (contact_ref: "an application does not have permission to view this contact's information"). */
  hidden?: boolean;
}

/** Documented error answers a resource may give (each resource's "Synchronous errors" table). */
type UcwaFault = 'forbidden' | 'gateway-timeout' | 'rate-limited' | 'wrong-exchange' | 'cannot-redirect';
/**
 * Besides UCWA's own errors: bytes that are no image, and a 404 or a 403 page from a proxy or
 * web application firewall in front of UCWA (ErrorsAndInformationalMessages: intermediaries
 * answer 4xx too; UCWA's own error bodies are JSON).
 */
type UcwaPhotoFault = UcwaFault | 'garbage' | 'bomb' | 'proxy-not-found' | 'proxy-forbidden';
/** How the server drops an application (ApplicationDashboard, "Application lifetime"). */
type UcwaApplicationLoss = 'ApplicationNotFound' | 'InactiveApplicationExpired' | 'TooManyApplications';

export interface UcwaSimulator {
  /** The autodiscover root, as `https://lyncdiscover.<domain>/` would be. */
  autodiscoverUrl: string;
  username: string;
  password: string;
  counts: {
    autodiscover: number;
    tokenRequests: number;
    applicationCreations: number;
    searches: number;
    contactReads: number;
    photoRequests: number;
    /** Requests that reached the server at all. */
    total: number;
  };
  /** Requests for URL shapes the documentation does not show, answered 404 as the server would. */
  undocumented: string[];
  faults: {
    search?: UcwaFault;
    photo?: UcwaPhotoFault;
    /** Seconds sent in Retry-After with 'rate-limited'. */
    retryAfter?: string;
    /** Delay before answering a contactPhoto request. */
    slowMs?: number;
    /** The authenticated user resource points once to another pool (`redirect`), as for a user homed elsewhere. */
    redirectOnce?: boolean;
    /** The autodiscover root answers only a `redirect` to the other pool's root (MS-OCDISCWS 3.1.5.2). */
    rootRedirect?: boolean;
    /** Error bodies carry only the required `code` (and a message), no `subcode`. */
    codeOnly?: boolean;
  };
  /** The query of the last search, the size and Accept header of the last contactPhoto request. */
  lastSearch?: { query: string | null; limit: string | null };
  lastPhotoRequest?: { size: string | null; accept: string | undefined };
  /** The body of the last application creation. */
  lastApplication?: Record<string, unknown>;
  /** Every issued token stops working: the next call answers 401 with the challenge again. */
  expireTokens(): void;
  /** Every live application is dropped by the server, answering as the documentation says for that reason. */
  dropApplications(reason: UcwaApplicationLoss): void;
  close(): Promise<void>;
}

const TOKEN_LIFETIME_SECONDS = 28_799;
/**
 * Made as the module loads, before any test runs (as photo-faults' BOMB): made on the first
 * 'bomb' answered, it held the test process's event loop 95 ms and more while the bridge
 * waited on its source timeout.
 */
const BOMB = pngBomb(10_000, 10_000);
const APPLICATIONS = '/ucwa/oauth/v1/applications';
const USER = '/Autodiscover/AutodiscoverService.svc/root/oauth/user';
/** redirect_ref: the redirect resource's path under the user resource. */
const REDIRECT = '/Autodiscover/AutodiscoverService.svc/root/user/redirect';
/** A second front-end pool, for a user homed elsewhere (redirect_ref). */
const OTHER_POOL = '/pool2';

/** Each documented error: status and the JSON error body (ErrorsAndInformationalMessages, "Error response body"). */
const ERRORS = {
  forbidden: [403, { code: 'Forbidden', message: 'The user does not have sufficient privileges.' }],
  'gateway-timeout': [504, { code: 'Timeout', message: 'Gateway timeout.' }],
  'rate-limited': [429, { code: 'TooManyRequests', message: 'Too many requests.' }],
  'wrong-exchange': [
    500,
    {
      code: 'ServiceFailure',
      subcode: 'InvalidExchangeServerVersion',
      message: 'Invalid exchange server version. The exchange mailbox of the server might have moved to an unsupported version for the required feature.',
    },
  ],
  'cannot-redirect': [410, { code: 'Gone', subcode: 'CannotRedirect', message: 'Cannot redirect since there is no back up pool configured.' }],
  ApplicationNotFound: [
    404,
    { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'An error occurred. Please retry. If the problem persists, contact your support team.' },
  ],
  InactiveApplicationExpired: [410, { code: 'Gone', subcode: 'InactiveApplicationExpired', message: 'An inactive application expired.' }],
  TooManyApplications: [410, { code: 'Gone', subcode: 'TooManyApplications', message: 'There are too many applications for this user.' }],
  ResourceNotFound: [404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' }],
} as const;

/**
 * Skype for Business Server's UCWA 2.0 as a client sees it: the autodiscover root, the user
 * resource guarded by the MsRtcOAuth challenge, the WebTicket token service (password grant
 * → `cwt=` bearer), application creation, people search, contact resources and their
 * contactPhoto, at the URL shapes the documentation shows. Anything else is a 404.
 */
export async function startUcwaSimulator(people: UcwaPerson[]): Promise<UcwaSimulator> {
  const tokens = new Map<string, string>(); // token → the pool that issued it
  const applications = new Map<string, 'live' | UcwaApplicationLoss>();
  let base = '';

  const sim: UcwaSimulator = {
    autodiscoverUrl: '',
    username: 'bridge@contoso.com',
    password: 'sfb secret',
    counts: { autodiscover: 0, tokenRequests: 0, applicationCreations: 0, searches: 0, contactReads: 0, photoRequests: 0, total: 0 },
    undocumented: [],
    faults: {},
    expireTokens: () => tokens.clear(),
    dropApplications: (reason) => {
      for (const [id, state] of applications) if (state === 'live') applications.set(id, reason);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, error: keyof typeof ERRORS) => {
    const [status, full] = ERRORS[error];
    // "The only property that is required in the error body is 'code'" (Errors and informational messages).
    const body = sim.faults.codeOnly ? { code: full.code, message: full.message } : full;
    json(res, status, body, status === 429 ? { 'Retry-After': sim.faults.retryAfter ?? '1' } : {});
  };
  /** What IIS answers for a path nothing serves: an HTML page, not a UCWA error body. */
  const notServed = (res: ServerResponse, req: IncomingMessage) => {
    sim.undocumented.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 - File or directory not found.</body></html>');
  };
  /** Under an application, a path of no documented shape is UCWA's ResourceNotFound (GenericSynchronousErrors). */
  const noSuchResource = (res: ServerResponse, req: IncomingMessage) => {
    sim.undocumented.push(`${req.method} ${req.url}`);
    fail(res, 'ResourceNotFound');
  };
  // CreateAnApplication step 4: two challenges; the MsRtcOAuth one names the token service and grants.
  const challenge = (res: ServerResponse, pool: string) => {
    res.writeHead(401, [
      ['Content-Type', 'text/html'],
      ['WWW-Authenticate', 'Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000"'],
      [
        'WWW-Authenticate',
        `MsRtcOAuth href="${base}${pool}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`,
      ],
    ]);
    res.end('Server Error 401 - Unauthorized: Access is denied due to invalid credentials.');
  };
  // AuthenticationInUCWA: "Bearer" plus the token, in every request.
  const bearerOk = (req: IncomingMessage, pool: string) => tokens.get(/^Bearer (cwt=.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '') === pool;
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const addressOf = (person: UcwaPerson) => person.sip.replace(/^sip:/i, '');

  // SearchForUsersContact / GetAContactData: a contact lives at people/<address in lower case>;
  // its photo at photos/<address as written>. Every property and link contact_ref lists, as
  // search_ref's sample answer has them: a search of 100 is some 130 KB.
  const contactOf = (person: UcwaPerson, app: string) => {
    const self = `${app}/people/${addressOf(person).toLowerCase()}`;
    return {
      uri: person.sip,
      sourceNetwork: 'SameEnterprise',
      sourceNetworkIconUrl: 'https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/images/SameEnterprise.png',
      emailAddresses: person.emails,
      type: 'User',
      name: person.name,
      company: 'Contoso Ltd.',
      department: 'Product Marketing',
      title: 'Senior Product Marketing Manager',
      office: '18/2111',
      workPhoneNumber: 'tel:+14255550100;ext=2111',
      homePhoneNumber: 'tel:+14255550101',
      mobilePhoneNumber: 'tel:+14255550102',
      otherPhoneNumber: 'tel:+14255550103',
      _links: {
        self: { href: self },
        ...(person.noPhotoLink ? {} : { contactPhoto: { href: `${app}/photos/${addressOf(person)}` } }),
        contactPresence: { href: `${self}/presence` },
        contactLocation: { href: `${self}/location` },
        contactNote: { href: `${self}/note` },
        contactSupportedModalities: { href: `${self}/supportedMedia` },
        contactPrivacyRelationship: { href: `${self}/privacyRelationship` },
      },
      rel: 'contact',
      etag: '58253032',
    };
  };

  /** One pool's autodiscover, user and token service (CreateAnApplication steps 1–8, redirect_ref). */
  const signIn = async (req: IncomingMessage, res: ServerResponse, pool: string, path: string): Promise<boolean> => {
    if (req.method === 'GET' && path === '/') {
      sim.counts.autodiscover++;
      // MS-OCDISCWS 3.1.5.2: a root that cannot serve the user names the next hop as `redirect`, and no `user`.
      if (sim.faults.rootRedirect && pool === '') {
        json(res, 200, { _links: { self: { href: `${base}/` }, redirect: { href: `${base}${OTHER_POOL}/` } } });
        return true;
      }
      json(res, 200, {
        _links: {
          self: { href: `${base}${pool}/Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com` },
          user: { href: `${base}${pool}${USER}?originalDomain=contoso.com` },
          xframe: { href: `${base}${pool}/Autodiscover/XFrame/XFrame.html` },
        },
      });
      return true;
    }
    if (req.method === 'GET' && path === USER) {
      if (!bearerOk(req, pool)) {
        challenge(res, pool);
      } else if (sim.faults.redirectOnce && pool === '') {
        sim.faults.redirectOnce = false;
        json(res, 200, {
          rel: 'user',
          _links: { self: { href: `${base}${USER}` }, redirect: { href: REDIRECT }, xframe: { href: '/Autodiscover/XFrame/XFrame.html' } },
        });
      } else {
        json(res, 200, {
          _links: {
            self: { href: `${base}${pool}/Autodiscover/AutodiscoverService.svc/root/user` },
            applications: { href: `${base}${pool}${APPLICATIONS}` },
            xframe: { href: `${base}${pool}/Autodiscover/XFrame/XFrame.html` },
          },
        });
      }
      return true;
    }
    if (req.method === 'GET' && path === REDIRECT && pool === '') {
      // redirect_ref: a resource of its own, whose `user` link is on the server the user is homed on.
      if (!bearerOk(req, pool)) challenge(res, pool);
      else
        json(res, 200, {
          rel: 'redirect',
          _links: {
            self: { href: REDIRECT },
            user: { href: `${base}${OTHER_POOL}${USER}` },
            xframe: { href: `${base}${OTHER_POOL}/Autodiscover/XFrame/XFrame.html` },
          },
        });
      return true;
    }
    if (req.method === 'POST' && path === '/WebTicket/oauthtoken') {
      sim.counts.tokenRequests++;
      const form = new URLSearchParams(await readBody(req));
      // AuthenticationInUCWA, "Error conditions": 400 with an OAuth error.
      if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) json(res, 400, { error: 'invalid_request' });
      else if (form.get('grant_type') !== 'password') json(res, 400, { error: 'unsupported_grant_type' });
      else if (form.get('username') !== sim.username || form.get('password') !== sim.password) json(res, 400, { error: 'invalid_grant' });
      else {
        const token = `cwt=${Buffer.from(randomUUID()).toString('base64')}`;
        tokens.set(token, pool);
        json(res, 200, { access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, ms_rtc_identityscope: 'local', token_type: 'Bearer' });
      }
      return true;
    }
    return false;
  };

  const createApplication = async (req: IncomingMessage, res: ServerResponse, pool: string) => {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const field = (name: string) => Object.entries(body).find(([key]) => key.toLowerCase() === name)?.[1];
    // applications_ref: UserAgent, EndpointId and Culture are the input.
    if (!field('useragent') || !field('endpointid') || !field('culture')) {
      return json(res, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'A parameter value is not valid.' });
    }
    sim.counts.applicationCreations++;
    sim.lastApplication = body;
    const id = String(applications.size + 101);
    applications.set(id, 'live');
    const app = `${pool}${APPLICATIONS}/${id}`;
    // CreateAnApplication step 10: 201 with the application, people embedded with its links.
    return json(res, 201, {
      culture: field('culture'),
      userAgent: field('useragent'),
      _links: { self: { href: app }, policies: { href: `${app}/policies` }, batch: { href: `${app}/batch` }, events: { href: `${app}/events?ack=1` } },
      _embedded: {
        me: {
          name: 'Photo Bridge',
          uri: `sip:${sim.username}`,
          _links: { self: { href: `${app}/me` }, photo: { href: `${app}/photos/${sim.username}` } },
          rel: 'me',
        },
        people: {
          _links: {
            self: { href: `${app}/people` },
            subscribedContacts: { href: `${app}/people/subscribedContacts` },
            myGroups: { href: `${app}/people/groups` },
            myContacts: { href: `${app}/people/contacts` },
            search: { href: `${app}/people/search` },
          },
          rel: 'people',
        },
      },
      rel: 'application',
    });
  };

  // search_ref: query required (≤ 256 characters), limit 1…100 ("The maximum value is 100 and the minimum value is 1"),
  // at most `limit` contacts listed; the fields searched include name, email and URI.
  const search = (res: ServerResponse, url: URL, app: string) => {
    sim.counts.searches++;
    sim.lastSearch = { query: url.searchParams.get('query'), limit: url.searchParams.get('limit') };
    if (sim.faults.search) return fail(res, sim.faults.search);
    const query = (url.searchParams.get('query') ?? '').toLowerCase();
    const limit = Number(url.searchParams.get('limit') ?? 100);
    if (!query || query.length > 256 || !Number.isInteger(limit) || limit < 1 || limit > 100) {
      return json(res, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'A parameter value is not valid.' });
    }
    const found = people.filter(
      (p) => p.name.toLowerCase().includes(query) || p.sip.toLowerCase().includes(query) || p.emails.some((e) => e.toLowerCase().includes(query)),
    );
    return json(res, 200, {
      // search_ref, moreResultsAvailable: "Indicates to clients that more search results are available than the limit set in the search query".
      moreResultsAvailable: found.length > limit,
      _links: { self: { href: `${app}/people/search${url.search}` } },
      // ContactSearch.js sample: no `_embedded` at all when nothing is found.
      ...(found.length > 0 ? { _embedded: { contact: found.slice(0, limit).map((p) => contactOf(p, app)) } } : {}),
      rel: 'search',
    });
  };

  const photo = async (req: IncomingMessage, res: ServerResponse, url: URL, person: UcwaPerson | undefined) => {
    sim.counts.photoRequests++;
    sim.lastPhotoRequest = { size: url.searchParams.get('size'), accept: req.headers.accept };
    if (sim.faults.slowMs) await new Promise((resolve) => setTimeout(resolve, sim.faults.slowMs));
    if (res.destroyed) return;
    if (sim.faults.photo === 'garbage') return res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(Buffer.from('definitely not a jpeg'));
    if (sim.faults.photo === 'bomb') return res.writeHead(200, { 'Content-Type': 'image/png' }).end(BOMB);
    if (sim.faults.photo === 'proxy-not-found') return res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 - Not Found</body></html>');
    if (sim.faults.photo === 'proxy-forbidden') {
      return res.writeHead(403, { 'Content-Type': 'text/html' }).end('<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>');
    }
    if (sim.faults.photo) return fail(res, sim.faults.photo);
    if (!person?.photo) return fail(res, 'ResourceNotFound');
    // contactPhoto_ref: 200, image/jpeg, the bytes.
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600' }).end(person.photo);
  };

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<unknown> => {
    const pool = url.pathname.startsWith(`${OTHER_POOL}/`) ? OTHER_POOL : '';
    const path = decodeURIComponent(url.pathname.slice(pool.length));
    if (await signIn(req, res, pool, path)) return;
    if (!path.startsWith(APPLICATIONS)) return notServed(res, req);
    if (!bearerOk(req, pool)) return challenge(res, pool);
    if (req.method === 'POST' && path === APPLICATIONS) return createApplication(req, res, pool);

    const match = /^\/ucwa\/oauth\/v1\/applications\/(\d+)(\/.*)?$/.exec(path);
    const state = applications.get(match?.[1] ?? '');
    if (state === undefined) return fail(res, 'ApplicationNotFound');
    if (state !== 'live') return fail(res, state);
    const app = `${pool}${APPLICATIONS}/${match![1]}`;
    const rest = match?.[2] ?? '';

    if (req.method === 'GET' && rest === '/people/search') return search(res, url, app);
    const contact = /^\/people\/([^/@]+@[^/]+)$/.exec(rest);
    if (req.method === 'GET' && contact) {
      sim.counts.contactReads++;
      const person = people.find((p) => addressOf(p).toLowerCase() === contact[1]);
      if (!person) return fail(res, 'ResourceNotFound');
      if (person.hidden) return json(res, 403, { code: 'Forbidden', message: 'The application does not have permission to view this contact.' });
      return json(res, 200, contactOf(person, app));
    }
    const photoOf = /^\/photos\/([^/@]+@[^/]+)$/.exec(rest);
    if (req.method === 'GET' && photoOf) {
      const person = people.find((p) => addressOf(p) === photoOf[1] && !p.noPhotoLink);
      return person ? photo(req, res, url, person) : fail(res, 'ResourceNotFound');
    }
    return noSuchResource(res, req);
  };

  const server = createServer((req, res) => {
    sim.counts.total++;
    routes(req, res, new URL(req.url ?? '/', base)).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { code: 'ServiceFailure', message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim.autodiscoverUrl = `${base}/`;
  return sim;
}

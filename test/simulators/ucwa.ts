import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pngBomb } from '../support/sample-images.js';

/** A person in the simulated Skype for Business address book. */
export interface UcwaPerson {
  sip: string;
  name: string;
  emails: string[];
  photo?: Buffer;
}

export type UcwaPhotoFault = 'forbidden' | 'gateway-timeout' | 'rate-limited' | 'garbage' | 'bomb';

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
  faults: {
    /** Every contactPhoto request answers this way. */
    photo?: UcwaPhotoFault;
    /** Seconds sent in Retry-After with 'rate-limited'. */
    retryAfter?: string;
    /** Delay before answering a contactPhoto request. */
    slowMs?: number;
    /** The authenticated user resource points once to another pool (`redirect`), as for a user homed elsewhere. */
    redirectOnce?: boolean;
  };
  /** The size and Accept header of the last contactPhoto request. */
  lastPhotoRequest?: { size: string | null; accept: string | undefined };
  /** The body of the last application creation. */
  lastApplication?: Record<string, unknown>;
  /** Every issued token stops working: the next call answers 401 with the challenge again. */
  expireTokens(): void;
  /** Every application is forgotten, as after idling: 404 ApplicationNotFound or 410 InactiveApplicationExpired. */
  expireApplications(status: 404 | 410): void;
  close(): Promise<void>;
}

const TOKEN_LIFETIME_SECONDS = 28_799;

/**
 * Skype for Business Server's UCWA 2.0 as a client sees it: the autodiscover root, the
 * user resource guarded by the MsRtcOAuth challenge, the WebTicket token service
 * (password grant → `cwt=` bearer), application creation, people search, contacts by
 * SIP URI and their contactPhoto. Answers mirror the documented JSON shapes and errors.
 */
export async function startUcwaSimulator(people: UcwaPerson[]): Promise<UcwaSimulator> {
  const tokens = new Set<string>();
  const applications = new Map<string, 'live' | 404 | 410>();
  let base = '';

  const sim: UcwaSimulator = {
    autodiscoverUrl: '',
    username: 'bridge@contoso.com',
    password: 'sfb secret',
    counts: { autodiscover: 0, tokenRequests: 0, applicationCreations: 0, searches: 0, contactReads: 0, photoRequests: 0, total: 0 },
    faults: {},
    expireTokens: () => tokens.clear(),
    expireApplications: (status) => {
      for (const id of applications.keys()) applications.set(id, status);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const challenge = (res: ServerResponse) => {
    res.writeHead(401, {
      'WWW-Authenticate': `MsRtcOAuth href="${base}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`,
    });
    res.end();
  };
  const bearerOk = (req: IncomingMessage) => tokens.has(/^Bearer (cwt=.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const contactOf = (person: UcwaPerson, app: string) => {
    const self = `/ucwa/oauth/v1/applications/${app}/people/${person.sip}`;
    return {
      uri: person.sip,
      name: person.name,
      emailAddresses: person.emails,
      type: 'User',
      sourceNetwork: 'SameEnterprise',
      _links: { self: { href: self }, contactPhoto: { href: `${self}/contactPhoto` }, contactPresence: { href: `${self}/presence` } },
      rel: 'contact',
    };
  };
  const rootDocument = (root: string) => ({
    _links: {
      self: { href: `${base}${root}?originalDomain=contoso.com` },
      user: { href: `${base}/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com` },
      xframe: { href: `${base}/Autodiscover/XFrame/XFrame.html` },
    },
  });

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<unknown> => {
    const path = decodeURIComponent(url.pathname);
    if (req.method === 'GET' && (path === '/' || path === '/pool2/')) {
      sim.counts.autodiscover++;
      return json(res, 200, rootDocument(path));
    }
    if (req.method === 'GET' && path === '/Autodiscover/AutodiscoverService.svc/root/oauth/user') {
      if (!bearerOk(req)) return challenge(res);
      if (sim.faults.redirectOnce) {
        sim.faults.redirectOnce = false;
        tokens.clear(); // a token of one pool means nothing to another
        return json(res, 200, { _links: { self: { href: url.href }, redirect: { href: `${base}/pool2/` } } });
      }
      return json(res, 200, {
        _links: {
          self: { href: `${base}${url.pathname}${url.search}` },
          applications: { href: `${base}/ucwa/oauth/v1/applications` },
          xframe: { href: `${base}/Autodiscover/XFrame/XFrame.html` },
        },
      });
    }
    if (req.method === 'POST' && path === '/WebTicket/oauthtoken') {
      sim.counts.tokenRequests++;
      const form = new URLSearchParams(await readBody(req));
      if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return json(res, 415, { error: 'unsupported_media_type' });
      if (form.get('grant_type') !== 'password') return json(res, 400, { error: 'unsupported_grant_type' });
      if (form.get('username') !== sim.username || form.get('password') !== sim.password) return json(res, 400, { error: 'invalid_grant' });
      const token = `cwt=${Buffer.from(randomUUID()).toString('base64')}`;
      tokens.add(token);
      return json(res, 200, { access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, ms_rtc_identityscope: 'local', token_type: 'Bearer' });
    }
    if (!path.startsWith('/ucwa/oauth/v1/applications')) return json(res, 404, { code: 'NotFound', message: 'Not found' });
    if (!bearerOk(req)) return challenge(res);

    if (req.method === 'POST' && path === '/ucwa/oauth/v1/applications') {
      const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      const field = (name: string) => Object.entries(body).find(([key]) => key.toLowerCase() === name)?.[1];
      if (!field('useragent') || !field('endpointid') || !field('culture')) {
        return json(res, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'UserAgent, EndpointId and Culture are required' });
      }
      sim.counts.applicationCreations++;
      sim.lastApplication = body;
      const id = String(applications.size + 101);
      applications.set(id, 'live');
      const app = `/ucwa/oauth/v1/applications/${id}`;
      return json(res, 201, {
        culture: field('culture'),
        userAgent: field('useragent'),
        type: 'Browser',
        endpointId: field('endpointid'),
        id,
        _links: { self: { href: app }, policies: { href: `${app}/policies` }, batch: { href: `${app}/batch` }, events: { href: `${app}/events?ack=1` } },
        _embedded: {
          me: { name: 'Photo Bridge', uri: `sip:${sim.username}`, _links: { self: { href: `${app}/me` } }, rel: 'me' },
          people: {
            _links: {
              self: { href: `${app}/people` },
              search: { href: `${app}/people/search` },
              myContacts: { href: `${app}/people/contacts` },
              myGroups: { href: `${app}/people/groups` },
            },
            rel: 'people',
          },
        },
        rel: 'application',
      });
    }

    const match = /^\/ucwa\/oauth\/v1\/applications\/(\d+)(\/.*)?$/.exec(path);
    const app = match?.[1] ?? '';
    const state = applications.get(app);
    if (state === undefined || state === 404) return json(res, 404, { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'The application resource does not exist.' });
    if (state === 410) return json(res, 410, { code: 'Gone', subcode: 'InactiveApplicationExpired', message: 'An inactive application expired.' });
    const rest = match?.[2] ?? '';

    if (req.method === 'GET' && rest === '/people/search') {
      sim.counts.searches++;
      const query = (url.searchParams.get('query') ?? '').toLowerCase();
      if (!query) return json(res, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'query is required' });
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const found = people.filter((p) => p.name.toLowerCase().includes(query) || p.sip.includes(query) || p.emails.some((e) => e.toLowerCase().includes(query)));
      return json(res, 200, {
        moreResultsAvailable: found.length > limit,
        _links: { self: { href: `${path}${url.search}` } },
        _embedded: { contact: found.slice(0, limit).map((p) => contactOf(p, app)) },
        rel: 'search',
      });
    }
    const contact = /^\/people\/(sip:[^/]+)(\/contactPhoto)?$/.exec(rest);
    const person = people.find((p) => p.sip === contact?.[1]);
    if (req.method === 'GET' && contact && !contact[2]) {
      sim.counts.contactReads++;
      return person ? json(res, 200, contactOf(person, app)) : json(res, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' });
    }
    if (req.method === 'GET' && contact?.[2]) return photo(req, res, url, person);
    return json(res, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' });
  };

  const photo = async (req: IncomingMessage, res: ServerResponse, url: URL, person: UcwaPerson | undefined) => {
    sim.counts.photoRequests++;
    sim.lastPhotoRequest = { size: url.searchParams.get('size'), accept: req.headers.accept };
    if (sim.faults.slowMs) await new Promise((resolve) => setTimeout(resolve, sim.faults.slowMs));
    if (res.destroyed) return;
    switch (sim.faults.photo) {
      case 'forbidden':
        return json(res, 403, { code: 'Forbidden', message: 'Photos are disabled by policy.' });
      case 'gateway-timeout':
        return json(res, 504, { code: 'GatewayTimeout', message: 'Exchange did not answer in time.' });
      case 'rate-limited':
        res.writeHead(429, { 'Retry-After': sim.faults.retryAfter ?? '1', 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ code: 'TooManyRequests', message: 'Too many requests.' }));
      case 'garbage':
        return res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(Buffer.from('definitely not a jpeg'));
      case 'bomb':
        return res.writeHead(200, { 'Content-Type': 'image/png' }).end(pngBomb(10_000, 10_000));
    }
    if (!person?.photo) return json(res, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The photo does not exist.' });
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600' }).end(person.photo);
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

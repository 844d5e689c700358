import { randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { publicJwk, rsaKeyPair } from '../support/generated-keys.js';
import sharp from 'sharp';
import { playFault, type PhotoFault } from './photo-faults.js';

const TENANT = 'Cust12345';
const SERIAL = '1801550193';
const FORMATS = { JPEG: 'jpeg', PNG: 'png', GIF: 'gif' } as const;

export interface SuperOfficeSimulator {
  /** Up to the tenant, as SuperOffice Online's `https://online.superoffice.com/Cust12345`: where the tenant is first. */
  baseUrl: string;
  /** The state API, as `https://online.superoffice.com/api/state`. */
  stateUrl: string;
  /** The tenant's state, as the state API names it ("Running", "OfflineMaintenance", …). */
  tenantState: string;
  /**
   * The state API answers 503, a blip of SuperOffice Online's own. Its docs do not say how it
   * fails; a server that cannot answer for now says 503 (RFC 9110 §15.6.4).
   */
  stateApiDown: boolean;
  /** The tenant's API moves to the simulator's other host ("sod2 may shift to sod3"); the one it left answers 421. Returns the new root. */
  moveTenant(): string;
  /** On-site Basic; the Online application (client id and secret, its system user token, a user's refresh token). */
  credentials: { username: string; password: string; clientId: string; clientSecret: string; systemUserToken: string; refreshToken: string };
  /** The application's RSA private key, as the developer portal hands it out (PEM). */
  privateKeyPem: string;
  /** `expires_in` of access tokens. */
  accessTokenLifetimeSeconds: number;
  /** Pictures by entity id, as stored (any size, any format). */
  contactImages: Map<string, Buffer>;
  personImages: Map<string, Buffer>;
  counts: { images: number; principal: number; tickets: number; accessTokens: number; states: number; misdirected: number; total: number };
  /** Every ticket and access token issued so far lapses (SuperOffice documents the ticket as short-lived). */
  expireCredentials(): void;
  /** Played one per image request, in order. */
  faults: PhotoFault[];
  lastImageRequest?: { entity: string; id: string; query: URLSearchParams; appToken: string | undefined; accept: string | undefined };
  /** A refusal of the system user flow quotes what was sent, as a hostile or misconfigured service may (SuperOffice's own messages do not). */
  refusalsQuoteRequest: boolean;
  /** The last body sent to PartnerSystemUser/Authenticate. */
  lastSystemUserRequest?: Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * SuperOffice as a photo client sees it, from docs.superoffice.com (test/simulators/README.md
 * lists each behaviour and its page):
 * - the WebAPI: `GET {tenant}/api/v1/Person/{id}/Image` (a person) and `Contact/{id}/Image`
 *   (a company), scaled to `w`/`h` and converted to `type` when asked, 404 for no picture
 *   (`ifBlank` defaults to Null = 404); `User/currentPrincipal`; `Authorization` Basic
 *   (on-site), SOTicket with SO-AppToken = the client secret, or Bearer;
 * - SuperID at `/login`: `POST api/PartnerSystemUser/Authenticate` (a signed system user
 *   token → `{IsSuccessful, ErrorMessage, Token}`, the Token a JWT with the ticket claim),
 *   `.well-known/jwks`, and the OAuth token endpoint `common/oauth/tokens` (refresh token grant);
 * - the state API `GET /api/state/{CustId}`: where the tenant's API is now. It answers on one
 *   of two hosts and moves when told (`moveTenant()`); the host it left answers 421.
 * Tickets and access tokens are short-lived: `expireCredentials()` lapses them all.
 */
export async function startSuperOfficeSimulator(): Promise<SuperOfficeSimulator> {
  const partner = rsaKeyPair();
  const superId = rsaKeyPair();
  const jwks = { keys: [{ ...(await publicJwk(superId.publicKey)), kid: 'superid-1', use: 'sig', alg: 'RS256' }] };
  const tickets = new Set<string>();
  const accessTokens = new Set<string>();
  const sim: SuperOfficeSimulator = {
    baseUrl: '',
    stateUrl: '',
    tenantState: 'Running',
    stateApiDown: false,
    moveTenant: () => {
      tenantHost = hosts.find((host) => host !== tenantHost)!;
      return rootAt(tenantHost);
    },
    credentials: {
      username: 'bridge',
      password: 'crm secret',
      clientId: 'b703dda25fc5bf46c78575ca2f241d87',
      clientSecret: 'partner-app-secret',
      systemUserToken: 'Photo Bridge-pzqc70604i',
      refreshToken: 'KSamN1Tp4sd26pZJSGK6JobrWOUWorIZ2Y5XxcAqX86F4fiT3',
    },
    privateKeyPem: partner.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    accessTokenLifetimeSeconds: 3600,
    contactImages: new Map(),
    personImages: new Map(),
    counts: { images: 0, principal: 0, tickets: 0, accessTokens: 0, states: 0, misdirected: 0, total: 0 },
    faults: [],
    refusalsQuoteRequest: false,
    expireCredentials: () => {
      tickets.clear();
      accessTokens.clear();
    },
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      ).then(() => {}),
  };

  const authenticated = (req: IncomingMessage): boolean => {
    const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
    const { username, password, clientSecret } = sim.credentials;
    switch (scheme?.toLowerCase()) {
      case 'basic':
        return Buffer.from(value, 'base64').toString('utf8') === `${username}:${password}`;
      case 'soticket':
        // "The SO-AppToken header has to accompany the request, with the value being the OAuth 2.0 client_secret."
        return tickets.has(value) && req.headers['so-apptoken'] === clientSecret;
      case 'bearer':
        return accessTokens.has(value);
      default:
        return false;
    }
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const error = (status: number) => ({ Error: status === 401 ? 'Authentication required' : `HTTP ${status}`, ErrorType: 'SoException', Source: 'WebApi' });

  const image = async (req: IncomingMessage, res: ServerResponse, entity: string, id: string, query: URLSearchParams) => {
    sim.counts.images++;
    sim.lastImageRequest = { entity, id, query, appToken: req.headers['so-apptoken'] as string | undefined, accept: req.headers.accept };
    if (await playFault(sim.faults, res, error)) return;
    const stored = (entity === 'contact' ? sim.contactImages : sim.personImages).get(id);
    if (!stored) return json(res, 404, { Error: `No image for ${entity} ${id}`, ErrorType: 'NotFound' });
    const format = FORMATS[(query.get('type') ?? '').toUpperCase() as keyof typeof FORMATS];
    const width = Number(query.get('w')) || undefined;
    const height = Number(query.get('h')) || undefined;
    if (!format && !width && !height) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(stored);
    }
    // "If width/height or format is specified, then the image is scaled and converted to the requested type":
    // whether it keeps its shape is not said, so it is scaled to what was asked, as the words read.
    const { data, info } = await sharp(stored)
      .resize(width, height, { fit: 'fill' })
      .toFormat(format ?? 'jpeg')
      .toBuffer({ resolveWithObject: true });
    res.writeHead(200, { 'content-type': `image/${info.format}` });
    res.end(data);
  };

  /** "How to get a system user ticket credential" (REST), with the signature of "How to sign a system user token". */
  const systemUser = async (req: IncomingMessage, res: ServerResponse) => {
    sim.counts.tickets++;
    const request = jsonObject(await bodyOf(req));
    sim.lastSystemUserRequest = request;
    const quoted = () => ` (application token ${String(request.ApplicationToken)}, signed ${String(request.SignedSystemToken)})`;
    const refuse = (message: string) =>
      json(res, 200, { IsSuccessful: false, ErrorMessage: `${message}${sim.refusalsQuoteRequest ? quoted() : ''}`, Token: null });
    // "token.YYYYMMDDHHMM.signature": the signature covers everything before its period.
    const signedToken = typeof request.SignedSystemToken === 'string' ? request.SignedSystemToken : '';
    const signedPart = signedToken.slice(0, Math.max(0, signedToken.lastIndexOf('.')));
    const signature = signedToken.slice(signedPart.length + 1);
    const token = signedPart.slice(0, Math.max(0, signedPart.lastIndexOf('.')));
    const minute = signedPart.slice(token.length + 1);
    const signedData = Buffer.from(signedPart, 'utf8');
    if (request.ApplicationToken !== sim.credentials.clientSecret) return refuse('Unknown application token');
    if (request.ContextIdentifier !== TENANT) return refuse(`Unknown context identifier ${String(request.ContextIdentifier)}`);
    if (token !== sim.credentials.systemUserToken) return refuse('Unknown system user token');
    if (!/^\d{12}$/.test(minute) || !verify('sha256', signedData, partner.publicKey, Buffer.from(signature, 'base64'))) {
      return refuse('Signature of the system user token is not valid');
    }
    const ticket = `7T:${randomBytes(24).toString('base64')}`;
    tickets.add(ticket);
    const jwt = await new SignJWT({
      'http://schemes.superoffice.net/identity/ticket': ticket,
      'http://schemes.superoffice.net/identity/ctx': TENANT,
      'http://schemes.superoffice.net/identity/serial': SERIAL,
      'http://schemes.superoffice.net/identity/associateid': '5',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'superid-1', typ: 'JWT' })
      .setSubject('photo-bridge-system-user')
      .setIssuer('SuperOffice AS')
      .setAudience(`spn:${SERIAL}`)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(superId.privateKey);
    json(res, 200, { IsSuccessful: true, ErrorMessage: '', Token: jwt });
  };

  /** "Authentication API": the refresh token grant (form body, as RFC 6749 §6; errors as §5.2). */
  const oauthToken = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    sim.counts.accessTokens++;
    const form = new URLSearchParams(await bodyOf(req));
    const param = (key: string) => form.get(key) ?? query.get(key);
    const oauthError = (status: number, code: string, description: string) => json(res, status, { error: code, error_description: description });
    if (param('grant_type') !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'grant_type must be refresh_token here');
    if (param('client_id') !== sim.credentials.clientId || param('client_secret') !== sim.credentials.clientSecret)
      return oauthError(401, 'invalid_client', 'Unknown client or wrong secret');
    if (param('refresh_token') !== sim.credentials.refreshToken) return oauthError(400, 'invalid_grant', 'The refresh token is not valid or has been revoked');
    const accessToken = `8A:${TENANT}.${randomBytes(24).toString('base64')}`;
    accessTokens.add(accessToken);
    json(res, 200, { token_type: 'Bearer', access_token: accessToken, expires_in: sim.accessTokenLifetimeSeconds });
  };

  /** "Check tenant status" and "Status page": where the tenant is, whether it runs, until when that holds. */
  const state = (res: ServerResponse, contextIdentifier: string) => {
    sim.counts.states++;
    if (sim.stateApiDown) return json(res, 503, error(503));
    if (contextIdentifier.toLowerCase() !== TENANT.toLowerCase()) {
      return json(res, 200, {
        ContextIdentifier: contextIdentifier,
        Endpoint: '',
        State: 'Unknown',
        IsRunning: false,
        ValidUntil: new Date().toISOString(),
        Api: '',
      });
    }
    const endpoint = rootAt(tenantHost);
    const isRunning = sim.tenantState === 'Running' || sim.tenantState === 'OnlineMaintenance';
    const validUntil = new Date(Date.now() + 3600_000).toISOString();
    json(res, 200, {
      ContextIdentifier: TENANT,
      Endpoint: endpoint,
      State: sim.tenantState,
      IsRunning: isRunning,
      ValidUntil: validUntil,
      Api: `${endpoint}/api`,
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    sim.counts.total++;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.toLowerCase();
    const failed = () => json(res, 500, error(500));
    const stateOf = /^\/api\/state\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && stateOf) return state(res, decodeURIComponent(stateOf[1]!));
    if (req.method === 'POST' && path === '/login/api/partnersystemuser/authenticate') return void systemUser(req, res).catch(failed);
    if (req.method === 'GET' && path === '/login/.well-known/jwks') return json(res, 200, jwks);
    if (req.method === 'POST' && path === '/login/common/oauth/tokens') return void oauthToken(req, res, url.searchParams).catch(failed);
    if (!path.startsWith(`/${TENANT.toLowerCase()}/api/v1/`)) return json(res, 404, error(404));
    if (`127.0.0.1:${req.socket.localPort}` !== tenantHost) {
      // SuperOffice's RESTful-HTTP-Queries README: "your tenants API URL might dynamically change … or else you could get a 421 Misdirected Request".
      sim.counts.misdirected++;
      res.writeHead(421, { 'content-type': 'text/plain' });
      return void res.end('Misdirected Request');
    }
    if (!authenticated(req)) return json(res, 401, error(401));
    const imagePath = /\/api\/v1\/(contact|person)\/(\d+)\/image$/.exec(path);
    if (req.method === 'GET' && imagePath) {
      image(req, res, imagePath[1]!, imagePath[2]!, url.searchParams).catch(() => json(res, 500, error(500)));
      return;
    }
    if (req.method === 'GET' && path.endsWith('/api/v1/user/currentprincipal')) {
      sim.counts.principal++;
      return json(res, 200, { UserType: 'InternalAssociate', Associate: 'BRIDGE', AssociateId: 5, FullName: 'Photo Bridge', PersonId: 12, ContactId: 2 });
    }
    json(res, 404, error(404));
  };
  // Two hosts, as online2 and online3: the environment's login and state API answer on both, the tenant's API on one.
  const servers = [createServer(handle), createServer(handle)];
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const hosts = servers.map((server) => `127.0.0.1:${(server.address() as AddressInfo).port}`);
  let tenantHost = hosts[0]!;
  sim.baseUrl = rootAt(tenantHost);
  sim.stateUrl = `http://${tenantHost}/api/state`;
  return sim;
}

function rootAt(host: string): string {
  return `http://${host}/${TENANT}`;
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function jsonObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

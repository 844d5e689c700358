import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { playFault, type PhotoFault } from './photo-faults.js';

const TENANT = 'Cust12345';
const FORMATS = { JPEG: 'jpeg', PNG: 'png', GIF: 'gif' } as const;

export interface SuperOfficeSimulator {
  /** Up to the tenant, as SuperOffice Online's `https://online.superoffice.com/Cust12345`. */
  baseUrl: string;
  credentials: { username: string; password: string; ticket: string; token: string; appToken: string };
  /** Pictures by entity id, as stored (any size, any format). */
  contactImages: Map<string, Buffer>;
  personImages: Map<string, Buffer>;
  counts: { images: number; principal: number; total: number };
  /** Played one per image request, in order. */
  faults: PhotoFault[];
  lastImageRequest?: { entity: string; id: string; query: URLSearchParams; appToken: string | undefined; accept: string | undefined };
  close(): Promise<void>;
}

/**
 * The SuperOffice WebAPI as a photo client sees it: `GET {tenant}/api/v1/Contact/{id}/Image`
 * and `Person/{id}/Image` (scaled to `w`/`h` and converted to `type` when asked; 404 for no
 * picture, as `ifBlank` defaults to Null), `User/currentPrincipal`, and the three
 * `Authorization` schemes — Basic, SOTicket (with the partner's SO-AppToken) and Bearer.
 */
export async function startSuperOfficeSimulator(): Promise<SuperOfficeSimulator> {
  const sim: SuperOfficeSimulator = {
    baseUrl: '',
    credentials: { username: 'bridge', password: 'crm secret', ticket: '7T:abcdef0123', token: 'so-bearer-token', appToken: 'partner-app-secret' },
    contactImages: new Map(),
    personImages: new Map(),
    counts: { images: 0, principal: 0, total: 0 },
    faults: [],
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const authenticated = (req: IncomingMessage): boolean => {
    const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
    const { username, password, ticket, token, appToken } = sim.credentials;
    switch (scheme?.toLowerCase()) {
      case 'basic':
        return Buffer.from(value, 'base64').toString('utf8') === `${username}:${password}`;
      case 'soticket':
        return value === ticket && req.headers['so-apptoken'] === appToken;
      case 'bearer':
        return value === token;
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
    const { data, info } = await sharp(stored)
      .resize(width, height, { fit: 'inside', withoutEnlargement: true })
      .toFormat(format ?? 'jpeg')
      .toBuffer({ resolveWithObject: true });
    res.writeHead(200, { 'content-type': `image/${info.format}` });
    res.end(data);
  };

  const server = createServer((req, res) => {
    sim.counts.total++;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.toLowerCase();
    if (!path.startsWith(`/${TENANT.toLowerCase()}/api/v1/`)) return json(res, 404, error(404));
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sim.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${TENANT}`;
  return sim;
}

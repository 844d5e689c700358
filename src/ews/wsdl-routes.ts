import { Router, type Request, type Response } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import { allowOnly } from '../http/allowed-methods.js';
import { contextOf, linkBaseOf } from '../http/request-context.js';
import { requireAccount } from '../http/require-account.js';
import { loadWsdlDocuments, wsdlForHost } from './wsdl-documents.js';

/**
 * What a browser is shown at the endpoint once logged in, as Exchange shows its WCF service
 * page ("You have created a service…", pointing at `?wsdl`): the step an administrator takes
 * to see that EWS is up, and where clients post.
 */
const SERVICE_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Exchange Web Services</title></head><body>' +
  '<h1>Exchange Web Services</h1><p>This is the EWS endpoint: clients POST SOAP requests here.</p>' +
  '<p>The service description is <a href="Exchange.asmx?wsdl">Exchange.asmx?wsdl</a>.</p></body></html>\n';
const SERVICE_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/**
 * What Express serves of EWS, to a user: the service page and `?wsdl` at the endpoint
 * `ewsPath` (whose POSTs the front door takes), the WSDL at `/EWS/Services.wsdl` and its
 * schemas by name.
 */
export function createWsdlRoutes(auth: Authenticator, ewsPath: string): Router {
  const documents = loadWsdlDocuments();
  const router = Router();
  const authenticate = requireAccount(auth, 'user');
  router.get(ewsPath, authenticate, (req, res) => {
    if (Object.keys(req.query).some((key) => key.toLowerCase() === 'wsdl')) sendXml(wsdlForHost(documents.wsdl, originOf(req)), res);
    else res.status(200).set(SERVICE_PAGE_HEADERS).send(SERVICE_PAGE);
  });
  // POSTs are taken at the front door (ews-endpoint.ts, handlePost).
  allowOnly(router, ewsPath, 'GET, HEAD, POST', () => new BridgeError('ErrorInvalidRequest', 405, 'POST SOAP requests here; GET ?wsdl for the contract'));
  router.get('/EWS/Services.wsdl', authenticate, (req, res) => sendXml(wsdlForHost(documents.wsdl, originOf(req)), res));
  router.get('/EWS/:schema', authenticate, (req, res, next) => {
    const schema = documents.schemas.get(String(req.params.schema).toLowerCase());
    if (schema) sendXml(schema, res);
    else next();
  });
  // The schemas by name: another name stays the 404 of a path the bridge does not have.
  allowOnly(router, ['/EWS/Services.wsdl', ...[...documents.schemas.keys()].map((name) => `/EWS/${name}`)], 'GET, HEAD');
  return router;
}

function sendXml(xml: string, res: Response): void {
  res.status(200).type('text/xml; charset=utf-8').send(xml);
}

/** The base URL the client reached the bridge at (addressing.ts). */
function originOf(req: Request): string {
  return linkBaseOf(contextOf(req));
}

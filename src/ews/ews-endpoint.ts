import express, { Router, type Request, type Response } from 'express';
import { listen as listenSoap } from 'soap';
import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { PhotoService } from '../photos/photo-service.js';
import { mailboxOf, requireAccount } from '../http/require-account.js';
import type { Store } from '../store/store.js';
import { soapEnvelope, soapFault } from './envelope.js';
import { MalformedEnvelope, scanEnvelope } from './envelope-scan.js';
import type { EwsContext } from './ews-context.js';
import type { ItemIds } from './item-ids.js';
import { MESSAGES_NS, SERVER_VERSION_INFO } from './namespaces.js';
import { getAttachment } from './operations/get-attachment.js';
import { getItem } from './operations/get-item.js';
import { getUserPhoto } from './operations/get-user-photo.js';
import { resolveNames } from './operations/resolve-names.js';
import { failure, operationResponse } from './response-messages.js';
import { loadWsdlDocuments, WSDL_PATH, wsdlForHost } from './wsdl-documents.js';

export const EWS_PATH = '/EWS/Exchange.asmx';
/** EWS requests for these operations are a few kilobytes; anything near this is not one. */
const MAX_REQUEST_BYTES = 1024 * 1024;

type Operation = (args: unknown, context: EwsContext) => Promise<string>;

const OPERATIONS: Record<string, Operation> = {
  GetUserPhoto: getUserPhoto,
  ResolveNames: resolveNames,
  GetItem: getItem,
  GetAttachment: getAttachment,
};

export interface EwsEndpointOptions {
  store: Store;
  photos: PhotoService;
  auth: Authenticator;
  ids: ItemIds;
  log: Logger;
  photoMaxAgeSeconds: number;
}

/**
 * The EWS SOAP front door at /EWS/Exchange.asmx. The bridge checks credentials, reads
 * the envelope once (well-formed, no DTD, which operation), answers what it does not
 * serve itself, and hands the rest to node-soap, which parses the request against the
 * WSDL and wraps each operation's body in the envelope with t:ServerVersionInfo.
 */
export async function createEwsEndpoint(options: EwsEndpointOptions): Promise<Router> {
  const { store, photos, auth, ids, log } = options;
  const documents = loadWsdlDocuments();
  const router = Router();
  const authenticate = requireAccount(auth, 'user');

  const sendXml = (res: Response, status: number, xml: string) => {
    res.status(status).type('text/xml; charset=utf-8').send(xml);
  };

  router.get(EWS_PATH, authenticate, (req, res, next) => {
    if (!Object.keys(req.query).some((key) => key.toLowerCase() === 'wsdl')) return next(new BridgeError('ErrorInvalidRequest', 405, 'POST SOAP requests here; GET ?wsdl for the contract'));
    sendXml(res, 200, wsdlForHost(documents.wsdl, originOf(req)));
  });
  router.get('/EWS/Services.wsdl', authenticate, (req, res) => sendXml(res, 200, wsdlForHost(documents.wsdl, originOf(req))));
  router.get('/EWS/:schema', authenticate, (req, res, next) => {
    const schema = documents.schemas.get(String(req.params.schema).toLowerCase());
    if (schema) sendXml(res, 200, schema);
    else next();
  });

  router.post(EWS_PATH, authenticate, express.raw({ type: () => true, limit: MAX_REQUEST_BYTES }), (req, res, next) => {
    let operation: string;
    try {
      const scanned = scanEnvelope(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
      operation = scanned.namespace === MESSAGES_NS && scanned.operation in OPERATIONS ? scanned.operation : '';
      if (!operation) {
        const response = operationResponse(scanned.operation, [failure(BridgeError.invalidOperation(scanned.operation))]);
        sendXml(res, 200, soapEnvelope(response));
        return;
      }
    } catch (error) {
      if (!(error instanceof MalformedEnvelope)) throw error;
      sendXml(res, 500, soapFault('Client', error.message));
      return;
    }
    // node-soap would dispatch on SOAPAction and echo the request's Content-Type; EWS
    // dispatches on the Body and always answers text/xml.
    delete req.headers.soapaction;
    req.headers['content-type'] = 'text/xml; charset=utf-8';
    res.locals.ewsContext = {
      mailbox: mailboxOf(res),
      store,
      photos,
      ids,
      photoMaxAgeSeconds: options.photoMaxAgeSeconds,
      req,
      res,
    } satisfies EwsContext;
    next();
  });

  const services = {
    ExchangeServices: {
      ExchangeServicePort: Object.fromEntries(
        Object.entries(OPERATIONS).map(([name, operation]) => [
          name,
          async (args: unknown, _callback: unknown, _headers: unknown, _req: Request, res: Response) => {
            try {
              return { _xml: await operation(args, res.locals.ewsContext as EwsContext) };
            } catch (error) {
              log.error({ reqId: res.locals.requestId, err: error, operation: name }, 'EWS operation failed');
              throw { Fault: { faultcode: 'soap:Server', faultstring: `internal error (request ${String(res.locals.requestId)})`, statusCode: 500 } };
            }
          },
        ]),
      ),
    },
  };

  await new Promise<void>((resolve, reject) => {
    const server = listenSoap(router, {
      path: EWS_PATH,
      services,
      xml: documents.wsdl,
      uri: WSDL_PATH,
      suppressStack: true,
      callback: (error: unknown) => (error ? reject(error) : resolve()),
    });
    server.addSoapHeader(SERVER_VERSION_INFO);
  });
  return router;
}

function originOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

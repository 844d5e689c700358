const sizeParameter = {
  name: 'size',
  in: 'query',
  required: false,
  description: 'EWS size code; the image long side is this size, or the original\'s when smaller (never upscaled). Default: the largest available.',
  schema: { type: 'string', enum: ['HR48x48', 'HR64x64', 'HR96x96', 'HR120x120', 'HR240x240', 'HR360x360', 'HR432x432', 'HR504x504', 'HR648x648'] },
};
const ifNoneMatch = { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'An ETag from an earlier answer; 304 when it still holds.' };
const reason = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
const photoResponses = {
  200: {
    description: 'The photo',
    headers: { ETag: { schema: { type: 'string' }, description: 'Strong: the original\'s hash plus the size served' } },
    content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } },
  },
  304: { description: 'Not modified (If-None-Match holds the current ETag)' },
  400: reason('Bad size code, parameter or id (ErrorInvalidIdMalformed)'),
  401: reason('No or wrong credentials; WWW-Authenticate: Basic'),
  404: reason('No such person or item, or no photo'),
};
const idParameter = (description: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description });

/** The bridge's HTTP interface, served at /api/openapi.json. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'ews-photo-bridge',
    version: '0.1.0',
    description: 'Exchange photo requests answered from the bridge\'s store: the EWS REST photo URL and a REST facade over the SOAP operations (ResolveNames, GetItem, GetAttachment).',
  },
  components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
  security: [{ basic: [] }],
  paths: {
    '/ews/exchange.asmx/s/GetUserPhoto': {
      get: {
        summary: 'EWS REST GetUserPhoto: a directory user\'s photo by primary SMTP address',
        parameters: [{ name: 'email', in: 'query', required: true, schema: { type: 'string', format: 'email' } }, sizeParameter, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/people/photo': {
      get: {
        summary: 'Resolve a name (as ResolveNames does) to exactly one person and return their photo',
        parameters: [
          { name: 'name', in: 'query', required: true, schema: { type: 'string' }, description: 'Start of a name, alias or address; SMTP:address for an exact address' },
          { name: 'scope', in: 'query', required: false, schema: { type: 'string', enum: ['ActiveDirectory', 'Contacts', 'ActiveDirectoryContacts', 'ContactsActiveDirectory'] } },
          sizeParameter,
          ifNoneMatch,
        ],
        responses: { ...photoResponses, 409: reason('The name matches several people (ErrorNameResolutionMultipleResults)') },
      },
    },
    '/api/contacts/{id}/photo': {
      get: {
        summary: 'The photo of one of the caller\'s contacts, by its EWS ItemId',
        parameters: [idParameter('t:ItemId/@Id, as ResolveNames returns it'), sizeParameter, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/attachments/{id}': {
      get: {
        summary: 'A contact photo attachment\'s bytes, by its EWS AttachmentId',
        parameters: [idParameter('t:AttachmentId/@Id, as GetItem returns it'), sizeParameter, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/admin/users/{email}/photo': {
      put: {
        summary: 'Store a directory user\'s photo (admin role)',
        parameters: [{ name: 'email', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: { 200: { description: 'Stored' }, 403: reason('Not an administrator'), 404: reason('No such user'), 413: reason('Too large'), 422: reason('Not a usable image') },
      },
      delete: {
        summary: 'Remove a directory user\'s photo (admin role)',
        parameters: [{ name: 'email', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 204: { description: 'Removed' }, 404: reason('No photo') },
      },
    },
  },
} as const;

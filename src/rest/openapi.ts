import { BLANK_KINDS, IMAGE_TYPES } from '../domain/image-conversion.js';
import { SIZE_CODES } from '../domain/size-code.js';
import { SEARCH_SCOPES } from '../people/find-people.js';

const sizeParameter = {
  name: 'size',
  in: 'query',
  required: false,
  description: 'EWS size code; the image long side is this size, or the original\'s when smaller (never upscaled). Default: the largest available.',
  schema: { type: 'string', enum: SIZE_CODES },
};
const imageSide = (name: string, box: string) => ({
  name,
  in: 'query',
  required: false,
  description: `Fit the image inside this ${box} (with or without the other side), keeping its shape; never upscaled. 400 outside 1–648.`,
  schema: { type: 'integer', minimum: 1, maximum: 648 },
});
const conversionParameters = [
  imageSide('w', 'width'),
  imageSide('h', 'height'),
  {
    name: 'type',
    in: 'query',
    required: false,
    description: 'Output format, any case. Without it the format is negotiated from the Accept header (image/webp, image/png, image/gif, image/jpeg), JPEG on a tie or when nothing offered is acceptable. 400 for others (BMP).',
    schema: { type: 'string', enum: IMAGE_TYPES.map((type) => type.toUpperCase()) },
  },
  {
    name: 'ifBlank',
    in: 'query',
    required: false,
    description:
      'For someone without a photo: Null → 404; ClearPixel → 1×1 transparent (white for JPEG); SrNoPhoto and Default → initials on a colour derived from the name; SrNoPhotoWithBorder → the same in a white frame; GenericFileIcon → a grey person icon. Placeholders are square at the size code, fitted into w/h. 400 for others.',
    schema: { type: 'string', enum: BLANK_KINDS, default: 'Null' },
  },
];
const ifNoneMatch = { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'An ETag from an earlier answer; 304 when it still holds.' };
const reason = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
const photoResponses = {
  200: {
    description: 'The photo',
    headers: {
      ETag: { schema: { type: 'string' }, description: 'Strong: the original\'s hash plus the size served and the conversion, if any' },
      Vary: { schema: { type: 'string' }, description: 'Accept: the format may be negotiated' },
    },
    content: Object.fromEntries(['image/jpeg', 'image/png', 'image/gif', 'image/webp'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
  },
  304: { description: 'Not modified (If-None-Match holds the current ETag)' },
  400: reason('Bad size code, conversion parameter (w, h, type, ifBlank) or id (ErrorInvalidIdMalformed)'),
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
  components: {
    securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
  security: [{ basic: [] }, { bearer: [] }],
  paths: {
    '/ews/exchange.asmx/s/GetUserPhoto': {
      get: {
        summary: 'EWS REST GetUserPhoto: a directory user\'s photo by primary SMTP address',
        parameters: [{ name: 'email', in: 'query', required: true, schema: { type: 'string', format: 'email' } }, sizeParameter, ...conversionParameters, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/people/photo': {
      get: {
        summary: 'Resolve a name (as ResolveNames does) to exactly one person and return their photo',
        parameters: [
          { name: 'name', in: 'query', required: true, schema: { type: 'string' }, description: 'Start of a name, alias or address; SMTP:address for an exact address' },
          { name: 'scope', in: 'query', required: false, schema: { type: 'string', enum: SEARCH_SCOPES } },
          sizeParameter,
          ...conversionParameters,
          ifNoneMatch,
        ],
        responses: { ...photoResponses, 409: reason('The name matches several people (ErrorNameResolutionMultipleResults)') },
      },
    },
    '/api/contacts/{id}/photo': {
      get: {
        summary: 'The photo of one of the caller\'s contacts, by its EWS ItemId',
        parameters: [idParameter('t:ItemId/@Id, as ResolveNames returns it'), sizeParameter, ...conversionParameters, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/attachments/{id}': {
      get: {
        summary: 'A contact photo attachment\'s bytes, by its EWS AttachmentId',
        parameters: [idParameter('t:AttachmentId/@Id, as GetItem returns it'), sizeParameter, ...conversionParameters, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/people': {
      get: {
        summary: 'One page of the directory: people whose name, address, department or title contains q',
        parameters: [
          { name: 'q', in: 'query', required: false, schema: { type: 'string', maxLength: 200 }, description: 'Text to look for (case-insensitive); empty lists everyone' },
          { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 48 } },
        ],
        responses: {
          200: {
            description: 'People in name order; hasMore says whether offset + limit finds more. photo is null for people without one; its version changes with the photo (add it to the photo URL as v= to bypass caches).',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    q: { type: 'string' },
                    offset: { type: 'integer' },
                    limit: { type: 'integer' },
                    hasMore: { type: 'boolean' },
                    people: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          email: { type: 'string' },
                          displayName: { type: 'string' },
                          title: { type: ['string', 'null'] },
                          department: { type: ['string', 'null'] },
                          company: { type: ['string', 'null'] },
                          businessPhone: { type: ['string', 'null'] },
                          mobilePhone: { type: ['string', 'null'] },
                          photo: { oneOf: [{ type: 'null' }, { type: 'object', properties: { version: { type: 'string' } } }] },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          400: reason('q longer than 200 characters, or a bad offset or limit'),
          401: reason('No or wrong credentials'),
        },
      },
    },
    '/api/me': {
      get: {
        summary: 'The caller\'s account name and role (user or admin)',
        responses: {
          200: { description: 'The caller', content: { 'application/json': { schema: { type: 'object', properties: { username: { type: 'string' }, role: { type: 'string', enum: ['user', 'admin'] } } } } } },
          401: reason('No or wrong credentials'),
        },
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

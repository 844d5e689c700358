import { ROLES } from '../domain/account.js';
import { BLANK_KINDS, IMAGE_TYPES, MAX_CONVERSION_SIDE, contentTypeOf } from '../domain/image-conversion.js';
import { LARGEST_PHOTO_SIZE, PHOTO_SIZES, SIZE_CODES } from '../domain/size-code.js';
import { EXCHANGE_ID_FORMATS } from '../ews/exchange-id-forms.js';
import { GRAPH_SIZE_IDS, GRAPH_VERSIONS } from './graph-photo-path.js';
import { TRANSLATE_MAX_BODY_BYTES, TRANSLATE_MAX_IDS } from './graph-translate-ids.js';
import { PEOPLE_ORDERED_BY, PEOPLE_TOP } from './graph-people.js';
import { MAX_SELECTED } from './graph-select.js';
import { OUTLOOK_REST_BASES } from './outlook-photo.js';
import { ORDERED_PROPERTIES, USER_LIST_TOP } from './graph-user-query.js';
import { MAX_SEARCH_MATCHES, SEARCH_SCOPES } from '../people/find-people.js';
import { BATCH_MAX_ANSWER_BYTES, BATCH_MAX_BODY_BYTES, BATCH_MAX_REQUESTS, BATCHED_METHODS } from './graph-batch-route.js';
import { FILTERABLE } from './graph-contact-filter.js';
import { CONTACT_LIST_TOP, SORTABLE as CONTACT_SORTABLE } from './graph-contact-query.js';
import { DELTA_PAGE_MAX, PAGE_MAX } from './graph-contact-routes.js';
import { MAX_BROWSED_PEOPLE } from './directory-routes.js';

const sizeParameter = {
  name: 'size',
  in: 'query',
  required: false,
  description: "EWS size code; the image long side is this size, or the original's when smaller (never upscaled). Default: the largest available.",
  schema: { type: 'string', enum: SIZE_CODES },
};
const imageSide = (name: string, box: string) => ({
  name,
  in: 'query',
  required: false,
  description: `Fit the image inside this ${box} (with or without the other side), keeping its shape; never upscaled. 400 outside 1–${MAX_CONVERSION_SIDE}.`,
  schema: { type: 'integer', minimum: 1, maximum: MAX_CONVERSION_SIDE },
});
const conversionParameters = [
  imageSide('w', 'width'),
  imageSide('h', 'height'),
  {
    name: 'type',
    in: 'query',
    required: false,
    description: `Output format, any case. Without it the format is negotiated from the Accept header (${IMAGE_TYPES.map(contentTypeOf).join(', ')}), JPEG on any tie (Exchange sends JPEG whatever Accept says) or when nothing offered is acceptable. 400 for others (BMP).`,
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
/** A request body of one JSON object, with the properties it must have. */
const jsonObjectBody = (required: string[], properties: object) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', required, properties } } },
});
/** A parameter in the path: always required, a string unless `schema` says more. */
const pathParameter = (name: string, description?: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'path',
  required: true,
  schema,
  ...(description === undefined ? {} : { description }),
});
const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'An ETag from an earlier answer; 304 when it still holds.',
};
const reason = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
const unauthenticated = reason('No or wrong credentials; WWW-Authenticate');
const adminRefusals = {
  400: reason('The address in the path is not an SMTP address (ErrorInvalidSmtpAddress)'),
  401: unauthenticated,
  403: reason('Not an administrator'),
};
const changeConflict = reason('If-Match or If-None-Match does not hold for the photo stored now (ErrorIrresolvableConflict)');
const storeBusy = reason('The store takes no writes now; Retry-After');
/** A photo change's conditions (RFC 9110 §13.1), on every door that changes one. */
const changeConditions = [
  { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'An ETag the photo is served under, exactly, or *' },
  { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: '*: only where there is no photo' },
];
/** What an upload may answer besides who may make it (self-service-photos.ts, the upload pipeline). */
const uploadRefusals = {
  412: changeConflict,
  413: reason('Over the upload limit or the pixel limit (ErrorMessageSizeExceeded)'),
  415: reason('A Content-Encoding on the body'),
  422: reason('Not a usable image (ErrorInvalidImage)'),
  503: reason('The account has two uploads in progress, the image decoders are busy, or the store takes no writes now (ErrorServerBusy); Retry-After'),
};
const photoResponses = {
  200: {
    description: 'The photo',
    headers: {
      ETag: { schema: { type: 'string' }, description: "Strong: the original's hash plus the size served and the conversion, if any" },
      Vary: { schema: { type: 'string' }, description: 'Accept: the format may be negotiated' },
    },
    content: Object.fromEntries(
      ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
    ),
  },
  304: { description: 'Not modified (If-None-Match holds the current ETag)' },
  400: reason('Bad size code, conversion parameter (w, h, type, ifBlank) or id (ErrorInvalidIdMalformed); a parameter given twice or in brackets (size[]=)'),
  401: reason('No or wrong credentials; WWW-Authenticate: Basic'),
  404: reason('No such person or item, or no photo'),
};
const owaPhoto = (operation: string) => ({
  get: {
    summary: `OWA ${operation}: the same answers, ETags and rules as the EWS REST URL (OWA's UA and sc parameters are ignored)`,
    parameters: [
      { name: 'email', in: 'query', required: true, schema: { type: 'string', format: 'email' } },
      sizeParameter,
      { name: 'UA', in: 'query', required: false, schema: { type: 'string' }, description: 'Sent by OWA; ignored' },
      { name: 'sc', in: 'query', required: false, schema: { type: 'string' }, description: 'Sent by OWA (a cache buster); ignored' },
      ...conversionParameters,
      ifNoneMatch,
    ],
    responses: photoResponses,
  },
});
const graphError = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              innerError: { type: 'object', properties: { date: { type: 'string' }, 'request-id': { type: 'string' } } },
            },
          },
        },
      },
    },
  },
});
const graphUser = pathParameter(
  'id',
  "The user's primary SMTP address (their userPrincipalName here), or another of their addresses; OData's key form users('{id}') names the same user",
);
const graphSize = pathParameter(
  'size',
  "An HD size (either case of x), also as OData's key photos('{size}'); above the photo's own size the largest available is served",
  { type: 'string', enum: GRAPH_SIZE_IDS },
);
const graphPhotoEntity = {
  type: 'object',
  properties: {
    '@odata.context': { type: 'string' },
    '@odata.mediaContentType': { type: 'string' },
    '@odata.mediaEtag': { type: 'string', description: 'The ETag of the matching $value answer' },
    id: { type: 'string', description: 'As Graph writes it: 240X240' },
    width: { type: 'integer' },
    height: { type: 'integer' },
  },
};
const graphNotFound = graphError('ImageNotFound: the user has no photo; Request_ResourceNotFound: no such user (or an id that is not an address)');
const graphReadErrors = { 401: graphError('InvalidAuthenticationToken: no or wrong credentials (Basic or Bearer); WWW-Authenticate'), 404: graphNotFound };
const graphPhotoBytes = (summary: string, parameters: object[]) => ({
  get: {
    summary,
    parameters: [...parameters, ifNoneMatch],
    responses: {
      200: { description: 'The photo', headers: photoResponses[200].headers, content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
      304: photoResponses[304],
      400: graphError('ErrorInvalidPhotoSize: not an HD size'),
      ...graphReadErrors,
    },
  },
});
const graphMetadata = (summary: string, parameters: object[], schema: object) => ({
  get: { summary, parameters, responses: { 200: { description: 'Metadata', content: { 'application/json': { schema } } }, ...graphReadErrors } },
});
/** What any change of a photo by Graph's paths may be refused with, whatever the change (self-service-photos.ts). */
const graphChangeRefusals = {
  400: graphError('BadRequest: users/$… or a key that is no quoted string'),
  401: graphReadErrors[401],
  403: graphError('ErrorAccessDenied: not allowed to change this photo'),
  412: graphError('ErrorIrresolvableConflict: If-Match or If-None-Match does not hold for the photo stored now'),
};
/** PUT and PATCH, which profilephoto-update documents both. */
const graphUpload = (whose: string, parameters: object[], notFound = graphError('Request_ResourceNotFound: no such user')) => {
  const upload = {
    summary: `Store ${whose} photo (admin role, or the user's own with self-service)`,
    parameters: [...parameters, ...changeConditions],
    requestBody: { required: true, content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
    responses: {
      200: { description: 'Stored' },
      ...graphChangeRefusals,
      404: notFound,
      413: graphError('ErrorMessageSizeExceeded: over the upload limit'),
      422: graphError('ErrorInvalidImage: not a usable image'),
      503: graphError('ErrorServerBusy: the account has two uploads in progress, the image decoders are busy, or the store takes no writes now; Retry-After'),
    },
  };
  return { put: upload, patch: upload };
};
/** DELETE `…/photo/$value` as profilephoto-delete documents it; `…/photo` alike. */
const graphRemove = (whose: string, parameters: object[]) => ({
  delete: {
    summary: `Remove ${whose} photo (admin role, or the user's own with self-service)`,
    parameters: [...parameters, ...changeConditions],
    responses: {
      204: { description: 'Removed' },
      ...graphChangeRefusals,
      404: graphNotFound,
      503: graphError('ErrorServerBusy: the store takes no writes now; Retry-After'),
    },
  },
});
/** `$select` wherever Graph lists or answers users, contacts and people (graph-select.ts). */
const graphSelect = {
  name: '$select',
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description: `Up to ${MAX_SELECTED} property names, commas between them, any case (or *): only those are written; a property of Graph's type the bridge keeps nothing for is null, a relationship not written, any other name 400`,
};
const graphContact = pathParameter('contactId', 'The id /me/contacts listed');
const graphContactNotFound = graphError("ErrorItemNotFound: no such contact in the caller's mailbox (another mailbox's id alike)");

const graphTop = (top: { default: number; max: number }) => ({
  name: '$top',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 1, maximum: top.max, default: top.default },
});
const graphSkip = { name: '$skip', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } };
const graphCount = { name: '$count', in: 'query', required: false, schema: { type: 'boolean' }, description: 'true adds @odata.count' };
const contactFilter = {
  name: '$filter',
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description: `eq, ne, lt, le, gt, ge and startswith on ${[...FILTERABLE.keys()].join(', ')} (case and accents ignored); the same but startswith on createdDateTime and lastModifiedDateTime; emailAddresses/any(a:a/address eq '…'); joined by and, or, not and parentheses`,
};
const contactOrderBy = {
  name: '$orderby',
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description: `${[...CONTACT_SORTABLE.keys()].join(', ')}, each asc or desc, commas between them`,
};
const contactListErrors = {
  400: graphError(
    'ErrorInvalidUrlQuery or ErrorInvalidUrlQueryFilter: a filter, order or option the bridge does not read ($search, $expand, …), or one given twice',
  ),
  401: graphReadErrors[401],
};
/** `/users/{id}/…` for the caller's own mailbox, as `/me/…` (graph-contact-routes.ts): another user's is refused. */
const ownUser = { ...graphUser, description: "The caller's own address (another user's mailbox is 403)" };
const notOwnUser = { 403: graphError("ErrorAccessDenied: another user's mailbox") };
const contactsFolder = pathParameter('folderId', 'The Contacts folder: its id, or contacts (the only contact folder a mailbox has here)');
const contactFolderNotFound = graphError('ErrorItemNotFound: a folder other than Contacts');
const syncStateNotFound = (description: string) => graphError(`syncStateNotFound: ${description}; sync again from the start`);

/**
 * The caller's contacts and contact folders under a Graph version, by every path that names
 * them (graph-contact-routes.ts): `/me` or `/users/{own id}`, and the contacts also as the
 * Contacts folder's (`…/contactFolders/{folderId}/contacts`).
 */
function graphContactPaths(version: string): [string, object][] {
  const mailboxes = [
    { base: `/${version}/me`, parameters: [] as object[], refused: {} },
    { base: `/${version}/users/{id}`, parameters: [ownUser], refused: notOwnUser },
  ];
  const folderPaths = mailboxes.flatMap(({ base, parameters, refused }): [string, object][] => {
    const get = (summary: string, more: object[], responses: object) => ({
      get: { summary, parameters: [...parameters, ...more], responses: { ...responses, ...refused } },
    });
    const folderList = [graphTop({ default: PAGE_MAX, max: PAGE_MAX }), graphSkip, graphSelect, graphCount];
    return [
      [
        `${base}/contactFolders`,
        get('The contact folders in Contacts: none here', folderList, {
          200: { description: 'value (empty), @odata.context, @odata.count when asked' },
          ...contactListErrors,
        }),
      ],
      [
        `${base}/contactFolders/delta`,
        get(
          'The contact folders under Contacts as a delta round gives them: none here, with an @odata.deltaLink that stays empty (also delta() and microsoft.graph.delta())',
          [{ name: '$deltatoken', in: 'query', required: false, schema: { type: 'string' } }, graphSelect],
          { 200: { description: 'value (empty) and @odata.deltaLink' }, 401: graphReadErrors[401], 410: syncStateNotFound('a token never given') },
        ),
      ],
      [
        `${base}/contactFolders/{folderId}`,
        get('The Contacts folder: id, displayName, parentFolderId', [contactsFolder, graphSelect], {
          200: { description: 'The folder' },
          401: graphReadErrors[401],
          404: contactFolderNotFound,
        }),
      ],
      [
        `${base}/contactFolders/{folderId}/childFolders`,
        get('The folders in the Contacts folder: none', [contactsFolder, ...folderList], {
          200: { description: 'value (empty), @odata.context, @odata.count when asked' },
          ...contactListErrors,
          404: contactFolderNotFound,
        }),
      ],
      [
        `${base}/translateExchangeIds`,
        {
          post: {
            summary: 'Ids of Outlook items and folders (contacts, the Contacts folder) written in another form: EWS ItemIds as Graph ids, or back',
            parameters,
            requestBody: jsonObjectBody(['inputIds', 'sourceIdType', 'targetIdType'], {
              inputIds: { type: 'array', items: { type: 'string' }, maxItems: TRANSLATE_MAX_IDS },
              sourceIdType: { type: 'string', enum: [...EXCHANGE_ID_FORMATS] },
              targetIdType: { type: 'string', enum: [...EXCHANGE_ID_FORMATS] },
            }),
            responses: {
              200: { description: 'value: a convertIdResult for each id (sourceId, and targetId or errorDetails)' },
              400: graphError('BadRequest: a body that is not such an object'),
              401: graphReadErrors[401],
              ...refused,
              413: graphError(`BadRequest: a body over ${TRANSLATE_MAX_BODY_BYTES / 1024} KB`),
            },
          },
        },
      ],
    ];
  });
  const contactPaths = mailboxes
    .flatMap(({ base, parameters, refused }) => [
      { contacts: `${base}/contacts`, parameters, refused },
      {
        contacts: `${base}/contactFolders/{folderId}/contacts`,
        parameters: [...parameters, contactsFolder],
        refused: { ...refused, 404: contactFolderNotFound },
      },
    ])
    .flatMap(({ contacts, parameters, refused }): [string, object][] => {
      const get = (summary: string, more: object[], responses: object) => ({
        get: { summary, parameters: [...parameters, ...more], responses: { ...refused, ...responses } },
      });
      const contact = [...parameters, graphContact];
      const contactPhoto = ({ get: operation }: { get: { responses: object } }) => ({
        get: {
          ...operation,
          responses: { ...operation.responses, ...refused, 404: graphError('ErrorItemNotFound: no such contact; ImageNotFound: it has no photo') },
        },
      });
      return [
        [
          contacts,
          get(
            `The caller's contacts, a page at a time (at most ${PAGE_MAX}; @odata.nextLink while there are more), in display-name order or $orderby's`,
            [graphTop(CONTACT_LIST_TOP), graphSkip, contactFilter, contactOrderBy, graphCount, graphSelect],
            { 200: { description: 'A page of contacts: value, @odata.context, @odata.count when asked, @odata.nextLink' }, ...contactListErrors },
          ),
        ],
        [
          `${contacts}/$count`,
          get('How many contacts the list has (with its $filter), as text', [contactFilter], {
            200: { description: 'The number, text/plain' },
            ...contactListErrors,
          }),
        ],
        [
          `${contacts}/delta`,
          get(
            "The caller's contacts as a delta round gives them: pages by @odata.nextLink ($skiptoken), then @odata.deltaLink ($deltatoken), from which the contacts made, changed and removed (@removed) since (also delta() and microsoft.graph.delta())",
            [
              { name: '$deltatoken', in: 'query', required: false, schema: { type: 'string' } },
              { name: '$skiptoken', in: 'query', required: false, schema: { type: 'string' } },
              graphSelect,
              {
                name: 'Prefer',
                in: 'header',
                required: false,
                schema: { type: 'string' },
                description: `odata.maxpagesize=N, at most ${DELTA_PAGE_MAX} a page`,
              },
            ],
            {
              200: { description: 'A page of contacts and removals: value, @odata.nextLink or @odata.deltaLink' },
              400: graphError('ErrorInvalidUrlQuery: an option delta does not read, or both tokens'),
              401: graphReadErrors[401],
              410: syncStateNotFound('a token this mailbox does not have (let go, or never given)'),
            },
          ),
        ],
        [
          `${contacts}/{contactId}`,
          get("One of the caller's contacts", [graphContact, graphSelect], {
            200: { description: 'The contact' },
            400: graphError('BadRequest: a $select name the contact type does not have'),
            401: graphReadErrors[401],
            404: graphContactNotFound,
          }),
        ],
        [`${contacts}/{contactId}/photo`, contactPhoto(graphMetadata("A contact's photo: its metadata", contact, graphPhotoEntity))],
        [`${contacts}/{contactId}/photo/$value`, contactPhoto(graphPhotoBytes("A contact's photo", contact))],
      ];
    });
  return [...folderPaths, ...contactPaths];
}

/** The Graph-compatible paths, under both versions. */
const graphPaths = Object.fromEntries(
  GRAPH_VERSIONS.flatMap((version): [string, object][] => {
    const users = `/${version}/users/{id}`;
    const me = `/${version}/me`;
    return [
      [
        `/${version}/$batch`,
        {
          post: {
            summary: `Graph's JSON batching: up to ${BATCH_MAX_REQUESTS} requests, each answered as if it came alone, with the batch's login`,
            requestBody: jsonObjectBody(['requests'], {
              requests: {
                type: 'array',
                minItems: 1,
                maxItems: BATCH_MAX_REQUESTS,
                items: {
                  type: 'object',
                  required: ['id', 'method', 'url'],
                  properties: {
                    id: { type: 'string', minLength: 1, maxLength: 64 },
                    method: { type: 'string', description: `${[...BATCHED_METHODS].join(', ')}; another is that request's 405` },
                    url: { type: 'string', description: 'Relative to the version (/users/…/photo/$value), or starting with it' },
                    headers: { type: 'object', additionalProperties: { type: 'string' } },
                    body: { description: 'JSON for a JSON Content-Type, else base64; needs a Content-Type header' },
                    dependsOn: {
                      type: 'array',
                      items: { type: 'string' },
                      description: 'Ids of earlier requests: run in order, 424 after a failed one',
                    },
                  },
                },
              },
            }),
            responses: {
              200: {
                description: `responses: id, status, headers and body of each (JSON as JSON, other bodies base64); one past ${BATCH_MAX_ANSWER_BYTES / 1024 / 1024} MB of answers is its 429`,
              },
              400: graphError('BadRequest: the body is not such a batch'),
              401: graphReadErrors[401],
              413: graphError(`BadRequest: a body over ${BATCH_MAX_BODY_BYTES / 1024} KB`),
              503: graphError('ErrorServerBusy: the account has its share of batches in progress; Retry-After'),
            },
          },
        },
      ],
      [
        `/${version}/users`,
        {
          get: {
            summary: 'Directory users, a page at a time (@odata.nextLink while there are more): everyone in name order, a filter, or a search',
            parameters: [
              {
                name: '$top',
                in: 'query',
                required: false,
                schema: { type: 'integer', minimum: 1, maximum: USER_LIST_TOP.max, default: USER_LIST_TOP.default },
              },
              {
                name: '$filter',
                in: 'query',
                required: false,
                schema: { type: 'string' },
                description:
                  "startswith(displayName|givenName|surname|mail|userPrincipalName,'…'), up to 8 of those joined by or and and; or mail|userPrincipalName|id eq '…', up to 15 of those joined by or or listed in mail|userPrincipalName|id in ('…', …)",
              },
              {
                name: '$search',
                in: 'query',
                required: false,
                schema: { type: 'string' },
                description:
                  '"displayName:…" clauses (or givenName, surname, mail, userPrincipalName) joined by OR, one text; needs ConsistencyLevel: eventual',
              },
              { name: '$count', in: 'query', required: false, schema: { type: 'boolean' }, description: 'needs ConsistencyLevel: eventual' },
              {
                name: '$orderby',
                in: 'query',
                required: false,
                schema: { type: 'string', pattern: `^(${Object.keys(ORDERED_PROPERTIES).join('|')})( (asc|desc))?$` },
              },
              { name: '$skiptoken', in: 'query', required: false, schema: { type: 'string' }, description: 'from the previous page’s @odata.nextLink' },
              graphSelect,
              {
                name: '$expand',
                in: 'query',
                required: false,
                schema: { type: 'string' },
                description: 'manager, or manager($select=…): each user with their manager, 100 users a page at most; not with $search or $count',
              },
              { name: 'ConsistencyLevel', in: 'header', required: false, schema: { type: 'string', enum: ['eventual'] } },
            ],
            responses: {
              200: { description: 'A page of users: value, @odata.context, @odata.count when asked, @odata.nextLink' },
              400: graphError(
                'Request_UnsupportedQuery or Request_BadRequest: a query the bridge does not read, or an advanced query without ConsistencyLevel',
              ),
              401: graphReadErrors[401],
            },
          },
        },
      ],
      [
        `/${version}/users/$count`,
        {
          get: {
            summary: 'How many users GET /users would list (with its $filter or $search), as text; needs ConsistencyLevel: eventual',
            parameters: [{ name: 'ConsistencyLevel', in: 'header', required: true, schema: { type: 'string', enum: ['eventual'] } }],
            responses: {
              200: { description: 'The number, text/plain' },
              400: graphError('Request_BadRequest: without ConsistencyLevel: eventual'),
              401: graphReadErrors[401],
            },
          },
        },
      ],
      [
        `/${version}/users/delta`,
        {
          get: {
            summary: "Graph's users delta: refused, as the queries /users does not read are (the directory keeps no changes); page through /users instead",
            responses: { 400: graphError('Request_UnsupportedQuery: users delta is not supported'), 401: graphReadErrors[401] },
          },
        },
      ],
      ...[users, me].flatMap((whose): [string, object][] => [
        [
          whose,
          {
            get: {
              summary: whose === users ? 'A directory user, by any of their addresses' : 'The caller (a login the directory does not list: its address alone)',
              parameters: [
                ...(whose === users ? [graphUser] : []),
                graphSelect,
                {
                  name: '$expand',
                  in: 'query',
                  required: false,
                  schema: { type: 'string' },
                  description: 'manager, or manager($select=…): the manager written in the user; any other relationship is 400',
                },
              ],
              responses: {
                200: { description: "The user with Graph's default properties, or those $select names; with $expand=manager, its manager" },
                400: graphError('BadRequest: a $select or $expand name the user type does not have, or one not expanded here'),
                ...(whose === users ? { 404: graphError('Request_ResourceNotFound: no such user') } : {}),
              },
            },
          },
        ],
        [
          `${whose}/manager`,
          {
            get: {
              summary: 'The manager the directory names for the user (or the caller), as a directory object',
              parameters: whose === users ? [graphUser] : [],
              responses: {
                200: { description: 'The manager: @odata.type #microsoft.graph.user and the user properties' },
                404: graphError("Request_ResourceNotFound: no such user, or no manager the directory lists ('manager')"),
              },
            },
          },
        ],
        [
          `${whose}/directReports`,
          {
            get: {
              summary: 'The users whose manager the user (or the caller) is, in name order, a page at a time (@odata.nextLink while there are more)',
              parameters: [
                ...(whose === users ? [graphUser] : []),
                {
                  name: '$top',
                  in: 'query',
                  required: false,
                  schema: { type: 'integer', minimum: 1, maximum: USER_LIST_TOP.max, default: USER_LIST_TOP.default },
                },
                { name: '$skiptoken', in: 'query', required: false, schema: { type: 'string' }, description: 'from the previous page’s @odata.nextLink' },
                graphSelect,
              ],
              responses: {
                200: { description: 'A page of directory objects: value, @odata.context, @odata.nextLink' },
                404: graphError('Request_ResourceNotFound: no such user'),
              },
            },
          },
        ],
      ]),
      [`${users}/photo`, { ...graphMetadata("A user's largest photo: its metadata", [graphUser], graphPhotoEntity), ...graphRemove("a user's", [graphUser]) }],
      [
        `${users}/photo/$value`,
        {
          ...graphPhotoBytes("A user's largest photo (the photo hot path; anonymous when anonymous read is on)", [graphUser]),
          ...graphUpload("a user's", [graphUser]),
          ...graphRemove("a user's", [graphUser]),
        },
      ],
      [
        `${users}/photos`,
        graphMetadata("Every HD size a user's photo has", [graphUser], {
          type: 'object',
          properties: { '@odata.context': { type: 'string' }, value: { type: 'array', items: graphPhotoEntity } },
        }),
      ],
      [`${users}/photos/{size}`, graphMetadata("One size of a user's photo: its metadata", [graphUser, graphSize], graphPhotoEntity)],
      [`${users}/photos/{size}/$value`, graphPhotoBytes("One size of a user's photo", [graphUser, graphSize])],
      [`${me}/photo`, { ...graphMetadata("The caller's largest photo: its metadata", [], graphPhotoEntity), ...graphRemove("the caller's", []) }],
      [`${me}/photo/$value`, { ...graphPhotoBytes("The caller's largest photo", []), ...graphUpload("the caller's", []), ...graphRemove("the caller's", []) }],
      [
        `${me}/photos`,
        graphMetadata("Every HD size the caller's photo has", [], { type: 'object', properties: { value: { type: 'array', items: graphPhotoEntity } } }),
      ],
      [`${me}/photos/{size}`, graphMetadata("One size of the caller's photo: its metadata", [graphSize], graphPhotoEntity)],
      [`${me}/photos/{size}/$value`, graphPhotoBytes("One size of the caller's photo", [graphSize])],
      // profilephoto-get's own example asks a size of the one photo: `photo/48x48`.
      ...[
        { whose: "a user's", base: users, parameters: [graphUser] },
        { whose: "the caller's", base: me, parameters: [] },
      ].flatMap(({ whose, base, parameters }): [string, object][] => [
        [`${base}/photo/{size}`, graphMetadata(`One size of ${whose} photo, as photos/{size}: its metadata`, [...parameters, graphSize], graphPhotoEntity)],
        [`${base}/photo/{size}/$value`, graphPhotoBytes(`One size of ${whose} photo, as photos/{size}/$value`, [...parameters, graphSize])],
      ]),
      ...[me, users].map((whose): [string, object] => [
        `${whose}/people`,
        {
          get: {
            summary:
              whose === me
                ? "The people relevant to the caller: the caller's contacts, then the directory; with $search those ResolveNames finds, contacts first"
                : 'The same for the caller named as a user (its own address); another user is 403',
            parameters: [
              ...(whose === users ? [graphUser] : []),
              { name: '$search', in: 'query', required: false, schema: { type: 'string' }, description: 'a name or the start of an address, quotes optional' },
              {
                name: '$filter',
                in: 'query',
                required: false,
                schema: { type: 'string' },
                description: "personType/class eq 'Person', personType/subclass eq 'OrganizationUser' or 'PersonalContact', joined by and",
              },
              {
                name: '$orderby',
                in: 'query',
                required: false,
                schema: { type: 'string', enum: [PEOPLE_ORDERED_BY, `${PEOPLE_ORDERED_BY} asc`, `${PEOPLE_ORDERED_BY} desc`] },
                description: 'the people the list reaches in name order',
              },
              {
                name: '$top',
                in: 'query',
                required: false,
                schema: { type: 'integer', minimum: 1, maximum: PEOPLE_TOP.max, default: PEOPLE_TOP.default },
              },
              { name: '$skip', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: PEOPLE_TOP.max - 1, default: 0 } },
              graphSelect,
            ],
            responses: {
              200: { description: 'A page of people (Graph person resources): value, @odata.context, @odata.nextLink' },
              400: graphError('ErrorInvalidUrlQuery or ErrorInvalidUrlQueryFilter: a query the bridge does not read'),
              401: graphReadErrors[401],
              ...(whose === users ? { 403: graphError('ErrorAccessDenied: another user, whose people hold their contacts') } : {}),
            },
          },
        },
      ]),
      ...graphContactPaths(version),
    ];
  }),
);
/** A manager or direct report in a directory entry. */
const personRef = { type: 'object', required: ['email', 'displayName'], properties: { email: { type: 'string' }, displayName: { type: 'string' } } };
/** The Outlook REST API's photo paths (outlook-photo.ts), as an Outlook add-in asks them at its restUrl. */
const outlookEmail = pathParameter('email', "The user's email address", { type: 'string', format: 'email' });
const outlookSize = {
  ...graphSize,
  description: `An HD size, ${PHOTO_SIZES[0]}x${PHOTO_SIZES[0]} to ${LARGEST_PHOTO_SIZE}x${LARGEST_PHOTO_SIZE}, in OData's quotes`,
};
const outlookPhotoEntity = {
  type: 'object',
  properties: {
    '@odata.context': { type: 'string' },
    '@odata.id': { type: 'string' },
    '@odata.mediaContentType': { type: 'string', description: 'image/jpeg; image/gif for the 1X1 placeholder of someone without a photo' },
    '@odata.mediaEtag': { type: 'string', description: 'The ETag of the matching $value answer; empty for the placeholder' },
    Id: { type: 'string', description: '240X240, or 1X1' },
    Width: { type: 'integer' },
    Height: { type: 'integer' },
  },
};
const outlookErrors = {
  401: graphReadErrors[401],
  404: graphError('ErrorItemNotFound: no photo to send, or no such user ("The photo wasn\'t found.")'),
};
const outlookMetadata = (summary: string, parameters: object[]) => ({
  get: {
    summary,
    parameters,
    responses: { 200: { description: 'Metadata', content: { 'application/json': { schema: outlookPhotoEntity } } }, ...outlookErrors },
  },
});
const outlookBytes = (summary: string, parameters: object[]) => {
  const { get } = graphPhotoBytes(summary, parameters);
  return { get: { ...get, responses: { ...get.responses, ...outlookErrors } } };
};
/** Graph's upload, whose unknown user is the Outlook REST API's 404. */
const outlookUpload = (whose: string, parameters: object[]) => graphUpload(whose, parameters, outlookErrors[404]);
const outlookPaths = Object.fromEntries(
  OUTLOOK_REST_BASES.flatMap((base) =>
    [
      { whose: "the caller's", path: `${base}/me`, parameters: [] as object[] },
      { whose: "a user's", path: `${base}/Users('{email}')`, parameters: [outlookEmail] },
    ].flatMap(({ whose, path, parameters }): [string, object][] => [
      [`${path}/photo`, outlookMetadata(`Outlook REST: ${whose} largest photo, its metadata`, parameters)],
      [`${path}/photo/$value`, { ...outlookBytes(`Outlook REST: ${whose} largest photo`, parameters), ...outlookUpload(whose, parameters) }],
      [`${path}/photos('{size}')`, outlookMetadata(`Outlook REST: one size of ${whose} photo, its metadata`, [...parameters, outlookSize])],
      [`${path}/photos('{size}')/$value`, outlookBytes(`Outlook REST: one size of ${whose} photo`, [...parameters, outlookSize])],
    ]),
  ),
);

/** The bridge's HTTP interface, served at /api/openapi.json. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'ews-photo-bridge',
    version: '0.1.0',
    description:
      "Exchange photo requests answered from the bridge's store: the EWS REST photo URL, OWA's photo URLs, a Microsoft Graph-compatible photo API (/v1.0 and /beta), the Outlook REST API's photos (/api/v2.0 and /api/beta) and a REST facade over the SOAP operations (ResolveNames, GetItem, GetAttachment).",
  },
  components: {
    securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
  security: [{ basic: [] }, { bearer: [] }],
  paths: {
    '/ews/exchange.asmx/s/GetUserPhoto': {
      get: {
        summary: "EWS REST GetUserPhoto: a directory user's photo by primary SMTP address",
        parameters: [
          { name: 'email', in: 'query', required: true, schema: { type: 'string', format: 'email' } },
          sizeParameter,
          ...conversionParameters,
          ifNoneMatch,
        ],
        responses: photoResponses,
      },
    },
    '/owa/service.svc/s/GetPersonaPhoto': owaPhoto('GetPersonaPhoto'),
    '/owa/service.svc/s/GetUserPhoto': owaPhoto('GetUserPhoto'),
    ...graphPaths,
    ...outlookPaths,
    '/api/people/photo': {
      get: {
        summary: 'Resolve a name (as ResolveNames does) to exactly one person and return their photo',
        parameters: [
          {
            name: 'name',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'Start of a name, alias or address; SMTP:address for an exact address',
          },
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
        summary: "The photo of one of the caller's contacts, by its EWS ItemId",
        parameters: [pathParameter('id', 't:ItemId/@Id, as ResolveNames returns it'), sizeParameter, ...conversionParameters, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/attachments/{id}': {
      get: {
        summary: "A contact photo attachment's bytes, by its EWS AttachmentId",
        parameters: [pathParameter('id', 't:AttachmentId/@Id, as GetItem returns it'), sizeParameter, ...conversionParameters, ifNoneMatch],
        responses: photoResponses,
      },
    },
    '/api/people': {
      get: {
        summary: 'One page of the directory, ranked: the people whose names, address, department, title or company match q',
        parameters: [
          {
            name: 'q',
            in: 'query',
            required: false,
            schema: { type: 'string', maxLength: 200 },
            description:
              'Words to look for: accents and case ignored, each word the start of a word, in any order ("tan iva" finds Tânia Ivanova). Empty lists everyone in name order.',
          },
          {
            name: 'offset',
            in: 'query',
            required: false,
            description: `With q, below ${MAX_SEARCH_MATCHES}: a search pages through its first ${MAX_SEARCH_MATCHES} matches (hasMore is false at the last of them). Without q, below ${MAX_BROWSED_PEOPLE}: browsing pages through the first ${MAX_BROWSED_PEOPLE} people in name order.`,
            schema: { type: 'integer', minimum: 0, default: 0 },
          },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 48 } },
        ],
        responses: {
          200: {
            description:
              'People best match first: names equal to or starting with q, then addresses starting with q, then people with every word of q starting a word of their names, then those matched by department, title or company; in name order within each. hasMore says whether offset + limit finds more. photo is null for people without one; its version changes with the photo (add it to the photo URL as v= to bypass caches). manager and directReports are the people the directory knows in those roles (null and [] otherwise; at most 50 direct reports, in name order; directReportCount says how many there are in all).',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    q: { type: 'string' },
                    offset: { type: 'integer' },
                    limit: { type: 'integer' },
                    hasMore: { type: 'boolean' },
                    capped: { type: 'boolean', description: 'More match, past the deepest page this listing reaches: narrow the search.' },
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
                          businessPhoneUri: {
                            type: ['string', 'null'],
                            description: 'The tel: URI (RFC 3966) that dials businessPhone; null when it has no country code or is no number.',
                          },
                          mobilePhoneUri: {
                            type: ['string', 'null'],
                            description: 'The tel: URI (RFC 3966) that dials mobilePhone; null when it has no country code or is no number.',
                          },
                          photo: { oneOf: [{ type: 'null' }, { type: 'object', properties: { version: { type: 'string' } } }] },
                          manager: { oneOf: [{ type: 'null' }, personRef] },
                          directReports: { type: 'array', maxItems: 50, items: personRef },
                          directReportCount: {
                            type: 'integer',
                            minimum: 0,
                            description: 'How many direct reports the directory knows, those past the 50 listed too.',
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          400: reason('q longer than 200 characters, a bad offset or limit, or one of them given twice or in brackets (q[]=, q[a]=)'),
          401: reason('No or wrong credentials'),
        },
      },
    },
    '/api/me': {
      get: {
        summary: `The caller's account name and role (${ROLES.join(' or ')}), and the largest photo upload accepted`,
        responses: {
          200: {
            description: 'The caller',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { username: { type: 'string' }, role: { type: 'string', enum: ROLES }, maxUploadBytes: { type: 'integer' } },
                },
              },
            },
          },
          401: reason('No or wrong credentials'),
        },
      },
    },
    '/admin/users/{email}': {
      delete: {
        summary: 'Remove a directory user, with their photo (admin role)',
        parameters: [pathParameter('email')],
        responses: { 204: { description: 'Removed' }, ...adminRefusals, 404: reason('No such user'), 503: storeBusy },
      },
    },
    '/admin/users/{email}/photo': {
      put: {
        summary: "Store a directory user's photo (admin role)",
        parameters: [pathParameter('email'), ...changeConditions],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: { 200: { description: 'Stored: {email, sha256, width, height}, email the primary address' }, ...adminRefusals, ...uploadRefusals },
      },
      delete: {
        summary: "Remove a directory user's photo (admin role)",
        parameters: [pathParameter('email'), ...changeConditions],
        responses: { 204: { description: 'Removed' }, ...adminRefusals, 404: reason('No photo'), 412: changeConflict, 503: storeBusy },
      },
    },
    '/admin/users/{email}/photo-lock': {
      get: {
        summary: "Whether a user's photo is locked (admin role): {email, locked}",
        parameters: [pathParameter('email')],
        responses: {
          200: { description: 'The lock', content: { 'application/json': { schema: { type: 'object' } } } },
          ...adminRefusals,
          404: reason('No such user'),
        },
      },
      put: {
        summary: "Lock a user's photo against self-service changes (admin role)",
        parameters: [pathParameter('email')],
        responses: { 204: { description: 'Locked' }, ...adminRefusals, 404: reason('No such user'), 503: storeBusy },
      },
      delete: {
        summary: 'Unlock it (admin role)',
        parameters: [pathParameter('email')],
        responses: { 204: { description: 'Unlocked' }, ...adminRefusals, 404: reason('No such user'), 503: storeBusy },
      },
    },
    '/api/me/photo': {
      get: {
        summary: 'Whether the caller may change their own photo (BRIDGE_SELF_SERVICE_PHOTOS, not locked): {email, allowed, locked, reason?}',
        responses: {
          200: { description: 'The state', content: { 'application/json': { schema: { type: 'object' } } } },
          401: unauthenticated,
          403: reason('The login is not a directory address'),
        },
      },
      put: {
        summary: "Set the caller's own photo: the admin upload's limits and pipeline",
        parameters: changeConditions,
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          200: { description: 'Stored: {email, sha256, width, height}, email the primary address' },
          401: unauthenticated,
          403: reason('Self-service is off, the photo is locked, or the login is not a directory address'),
          404: reason('No directory user for the login'),
          ...uploadRefusals,
        },
      },
      delete: {
        summary: "Remove the caller's own photo",
        parameters: changeConditions,
        responses: {
          204: { description: 'Removed' },
          401: unauthenticated,
          403: reason('Self-service is off or the photo is locked'),
          404: reason('No photo'),
          412: changeConflict,
          503: storeBusy,
        },
      },
    },
  },
} as const;

import { BridgeError } from '../../domain/errors.js';
import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import type { ItemIds } from '../item-ids.js';
import { idList } from '../requested-ids.js';
import { failure, operationResponse, streamedResponse, success, type MessageOutcome } from '../response-messages.js';
import { enumValue, nonEmptyAttribute, requiredAttribute } from '../soap-args.js';
import type { XmlElement } from '../soap-reader.js';
import { element } from '../xml.js';

/** IdFormatType. */
const ID_FORMATS = ['EwsLegacyId', 'EwsId', 'EntryId', 'HexEntryId', 'StoreId', 'OwaId'] as const;
type IdFormat = (typeof ID_FORMATS)[number];

interface AlternateId {
  id: string;
  format: IdFormat;
  mailbox: string;
}

interface ConvertIdArgs {
  destination: IdFormat;
  ids: (AlternateId | BridgeError)[];
}

/** The ids SourceIds may hold besides AlternateId (NonEmptyArrayOfAlternateIdsType): a public folder's and its items', and the bridge's ids name none. */
const PUBLIC_FOLDER_IDS: ReadonlyMap<string, () => BridgeError> = new Map(
  ['AlternatePublicFolderId', 'AlternatePublicFolderItemId'].map((kind) => [kind, () => BridgeError.invalidIdMalformed()]),
);

/**
 * ConvertId (https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/convertid-operation):
 * the ids of contacts and folders in another form, as exchangelib's `protocol.convert_ids`
 * and the EWS Managed API's `ConvertIds` ask for them — one response message an id, in order.
 *
 * The bridge's ids are their bytes in base64, with nothing around them as an Exchange EWS id
 * has, so `EntryId` (base64 of those bytes) is the EWS id itself and `HexEntryId` the same
 * bytes in hex. `OwaId` is the EWS id too: Outlook on the web has used EWS ids since Exchange
 * 2013, the older OWA form being Exchange 2007's and 2010's. The bridge's ids have no
 * `EwsLegacyId` (Exchange 2007 RTM) or `StoreId` form, so neither is given nor read. Only the
 * spelling is looked at — never the store — so the `Mailbox` is written back as it came.
 */
export const convertId: EwsOperation<ConvertIdArgs> = {
  need: 'user',

  read(request, limits) {
    const destination = requiredAttribute(request, 'DestinationFormat');
    const read = (alternate: XmlElement): AlternateId => ({
      // Each of the three is required (AlternateIdType): none is taken as empty or as EwsId.
      id: requiredAttribute(alternate, 'Id'),
      format: enumValue(requiredAttribute(alternate, 'Format'), ID_FORMATS, 'Format', 'EwsId'),
      mailbox: nonEmptyAttribute(alternate, 'Mailbox'),
    });
    return {
      destination: enumValue(destination, ID_FORMATS, 'DestinationFormat', 'EwsId'),
      ids: idList(request, 'SourceIds', 'AlternateId', read, PUBLIC_FOLDER_IDS, limits),
    };
  },

  // Held to BRIDGE_EWS_MAX_ANSWER_BYTES as GetItem's ids are: each Mailbox is written back, an apostrophe as &apos;, and 1,000 ids in a 1 MiB request answered 5,969,708 bytes.
  run: ({ destination, ids }, context) =>
    soapAnswer(
      streamedResponse(
        'ConvertId',
        ids,
        (alternate) => (alternate instanceof BridgeError ? Promise.reject(alternate) : Promise.resolve(converted(alternate, destination, context.ids))),
        undefined,
        context,
      ),
    ),

  refuse: (error) => soapAnswer(operationResponse('ConvertId', [failure(error)])),
};

function converted({ id, format, mailbox }: AlternateId, destination: IdFormat, ids: ItemIds): MessageOutcome {
  if (destination === 'EwsLegacyId' || destination === 'StoreId') {
    return failure(BridgeError.invalidRequest(`the bridge's ids have no ${destination} form`));
  }
  const ewsId = ids.firstGenuine(spellingsOf(id, format));
  if (ewsId === undefined) return failure(BridgeError.invalidIdMalformed());
  return success(
    element('m:AlternateId', {
      'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      'xsi:type': 't:AlternateIdType',
      Format: destination,
      Id: destination === 'HexEntryId' ? Buffer.from(ewsId, 'base64').toString('hex').toUpperCase() : ewsId,
      Mailbox: mailbox,
    }),
  );
}

/** The EWS id an id of a form may be (none for the forms the bridge's ids lack). */
function spellingsOf(id: string, format: IdFormat): string[] {
  switch (format) {
    case 'EwsId':
    case 'EntryId':
    case 'OwaId':
      return [id];
    case 'HexEntryId':
      return /^(?:[0-9A-Fa-f]{2})+$/.test(id) ? [Buffer.from(id, 'hex').toString('base64')] : [];
    case 'EwsLegacyId':
    case 'StoreId':
      return [];
  }
}

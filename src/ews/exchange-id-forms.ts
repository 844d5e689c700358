/*
 * The other spellings Exchange gives an EWS id (ItemIds' sealed base64 tokens here), read and
 * written as Exchange's other APIs do:
 *
 * - REST (`restId`), Graph's and the Outlook REST API's: the same base64 with `+` written `_`
 *   and `/` written `-`, padding kept — what Office.js `convertToRestId` gives an add-in for an
 *   EWS id. Graph's reference once gave the two the other way round; ids Exchange hands out
 *   through both APIs settle it (microsoftgraph/microsoft-graph-docs-contrib#2924), as does the
 *   way back Microsoft gave for Outlook on the Mac (OfficeDev/office-js#754).
 * - Entry id (`entryId`): the id's bytes in URL-safe base64 — `+` as `-`, `/` as `_`, the
 *   padding dropped and its count (0, 1 or 2) written at the end ("user: translateExchangeIds",
 *   https://learn.microsoft.com/en-us/graph/api/user-translateexchangeids).
 *
 * The bridge's ids never change — a contact keeps its id for life — so the immutable forms
 * (`immutableEntryId`, `restImmutableEntryId`) are the same ids as the ordinary ones.
 */

/** exchangeIdFormat, as translateExchangeIds names the forms. */
export const EXCHANGE_ID_FORMATS = ['entryId', 'ewsId', 'immutableEntryId', 'restId', 'restImmutableEntryId'] as const;
export type ExchangeIdFormat = (typeof EXCHANGE_ID_FORMATS)[number];

const REST_DIGITS: Record<string, string> = { '+': '_', '/': '-', _: '+', '-': '/' };
const URL_SAFE_DIGITS: Record<string, string> = { '+': '-', '/': '_', '-': '+', _: '/' };

/** An EWS id in Graph's form. */
export function restIdOf(ewsId: string): string {
  return ewsId.replace(/[+/]/g, (digit) => REST_DIGITS[digit]!);
}

/**
 * The EWS ids a REST id may stand for: Exchange's reading, then, where it differs, the one of
 * the bridge's Graph ids before they followed Exchange (RFC 4648's base64url, `+` as `-`),
 * which a client may have kept. Each is checked against its seal, so at most one is genuine.
 */
export function ewsIdsOfRestId(restId: string): string[] {
  const exchange = restId.replace(/[-_]/g, (digit) => REST_DIGITS[digit]!);
  return exchange === restId ? [exchange] : [exchange, restId.replace(/[-_]/g, (digit) => URL_SAFE_DIGITS[digit]!)];
}

/** An EWS id written in a form. */
export function writeExchangeId(ewsId: string, format: ExchangeIdFormat): string {
  switch (format) {
    case 'ewsId':
      return ewsId;
    case 'restId':
    case 'restImmutableEntryId':
      return restIdOf(ewsId);
    case 'entryId':
    case 'immutableEntryId': {
      const unpadded = ewsId.replace(/={1,2}$/, '');
      return `${unpadded.replace(/[+/]/g, (digit) => URL_SAFE_DIGITS[digit]!)}${ewsId.length - unpadded.length}`;
    }
  }
}

/** The EWS ids an id of a form may stand for (none when it cannot be one of that form). */
export function readExchangeId(id: string, format: ExchangeIdFormat): string[] {
  switch (format) {
    case 'ewsId':
      return [id];
    case 'restId':
    case 'restImmutableEntryId':
      return ewsIdsOfRestId(id);
    case 'entryId':
    case 'immutableEntryId': {
      const written = /^([A-Za-z0-9_-]*)([012])$/.exec(id);
      if (!written) return [];
      return [`${written[1]!.replace(/[-_]/g, (digit) => URL_SAFE_DIGITS[digit]!)}${'='.repeat(Number(written[2]))}`];
    }
  }
}

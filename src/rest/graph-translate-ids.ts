import type { Request, RequestHandler, Response } from 'express';
import { BridgeError } from '../domain/errors.js';
import { hasLoneSurrogate } from '../domain/plain-text.js';
import { EXCHANGE_ID_FORMATS, readExchangeId, writeExchangeId, type ExchangeIdFormat } from '../ews/exchange-id-forms.js';
import type { ItemIds } from '../ews/item-ids.js';
import { admittedBody } from '../http/admitted-body.js';
import { InProgressPerAccount } from '../http/in-progress-per-account.js';
import { jsonOf } from '../http/json-body.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import type { SearchBudget } from '../http/search-budget.js';
import { mapInTurns } from '../loop-turns.js';
import { graphBaseUrl } from './graph-photo-path.js';

/** "The maximum size of this collection is 1000 strings." */
export const TRANSLATE_MAX_IDS = 1000;
/** A thousand ids of Exchange's length (~150 characters), quoted and separated. */
export const TRANSLATE_MAX_BODY_BYTES = 256 * 1024;

interface Translation {
  inputIds: string[];
  sourceIdType: ExchangeIdFormat;
  targetIdType: ExchangeIdFormat;
}

/**
 * Graph's "user: translateExchangeIds" (https://learn.microsoft.com/en-us/graph/api/user-translateexchangeids):
 * `POST /me/translateExchangeIds` with `inputIds`, `sourceIdType` and `targetIdType`, as a
 * client moving from EWS to Graph turns the ItemIds it kept into Graph's ids, or back. Each id
 * is answered on its own (`convertIdResult`): `targetId`, or `errorDetails` for one that is no
 * id the bridge gave in that form. Nothing is looked up: an id says nothing but its own spelling.
 */
export function translateExchangeIds(ids: ItemIds, searches: SearchBudget): RequestHandler[] {
  const body = admittedBody(
    new InProgressPerAccount(2),
    'id translations',
    TRANSLATE_MAX_BODY_BYTES,
    () => new BridgeError('BadRequest', 413, `a translateExchangeIds body is at most ${TRANSLATE_MAX_BODY_BYTES / 1024} KB`),
  );
  const answer = async (req: Request, res: Response) => {
    const { inputIds, sourceIdType, targetIdType } = readTranslation(jsonOf(req.body as Buffer, invalidTranslation));
    // In the login's share of the time, as a search: each id's seal is checked, a thousand a request.
    const translated = await searches.json(mailboxOf(contextOf(req))!, async () => ({
      '@odata.context': `${graphBaseUrl(req)}/$metadata#Collection(microsoft.graph.convertIdResult)`,
      value: await mapInTurns(inputIds, (sourceId) => {
        const ewsId = ids.firstGenuine(readExchangeId(sourceId, sourceIdType));
        return ewsId === undefined
          ? { sourceId, errorDetails: { code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' } }
          : { sourceId, targetId: writeExchangeId(ewsId, targetIdType) };
      }),
    }));
    res.type('json').send(translated);
  };
  return [body, answer];
}

function readTranslation(body: unknown): Translation {
  const { inputIds, sourceIdType, targetIdType } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!Array.isArray(inputIds) || !inputIds.every((id): id is string => typeof id === 'string' && !hasLoneSurrogate(id))) {
    throw invalidTranslation('inputIds is a collection of strings');
  }
  if (inputIds.length > TRANSLATE_MAX_IDS) throw invalidTranslation(`inputIds holds at most ${TRANSLATE_MAX_IDS} ids`);
  return { inputIds, sourceIdType: formatOf(sourceIdType, 'sourceIdType'), targetIdType: formatOf(targetIdType, 'targetIdType') };
}

function formatOf(value: unknown, name: string): ExchangeIdFormat {
  const format = EXCHANGE_ID_FORMATS.find((known) => known === value);
  if (format === undefined) throw invalidTranslation(`${name} is one of ${EXCHANGE_ID_FORMATS.join(', ')}`);
  return format;
}

function invalidTranslation(reason: string): BridgeError {
  return new BridgeError('BadRequest', 400, `Invalid translateExchangeIds request: ${reason}.`);
}

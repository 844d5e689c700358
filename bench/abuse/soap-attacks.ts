import { photosIn } from '../../test/abuse/ews-answer.js';
import {
  attributesOnOneElement,
  attributesSpread,
  blanksInGetUserPhoto,
  convertId,
  distinctIds,
  endlessSyncState,
  findItem,
  findPeople,
  forgedSyncState,
  getAttachment,
  getItem,
  INHERITED_NAMES,
  inheritedNameAsOperation,
  inheritedNameAsEnumValues,
  inheritedNameInGetItem,
  inheritedNameInResolveNames,
  LONG_NAMES,
  MALFORMED_ENVELOPE,
  nested,
  findItemQueryString,
  orOfCompanyBounds,
  orOfContains,
  repeatedIds,
  resolveNames,
  syncFolderItems,
} from '../../test/abuse/hostile-bodies.js';
import { xmlProblem } from '../../test/abuse/strict-xml.js';
import { envelope } from '../../test/support/soap.js';
import { BASIC_AUTHORIZATION, BENCH_USER } from '../fixture.js';
import { tally } from '../../test/abuse/ews-answer.js';
import { rawRequest } from '../../test/abuse/raw-request.js';
import { check, codesAre, flood, soapAttack, statusIs, type Attack, type Check, type ReadAnswer } from './attack.js';
import { ADDRESS_BOOK_AUTHORIZATION, BIG_CONTACTS, CONTROL_CHARACTER_USER } from './fixture.js';
import type { FixtureIds } from './fixture-ids.js';

/** The bridge's defaults (BRIDGE_EWS_MAX_ITEMS_PER_REQUEST, BRIDGE_EWS_MAX_ANSWER_BYTES); the abuse run does not change them. */
const MAX_ITEMS = 1000;
/** The longest ids that many fit in one body of at most 1 MiB. */
const LONGEST_ID_CHARS = Math.floor(900_000 / MAX_ITEMS);
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** What one short per-item error costs at most. */
const ERROR_MESSAGE_BYTES = 512;
/** FindItems sent at once by one login: each asks for the address book's largest page, naming its folder ten times. */
const ADDRESS_BOOK_FLOOD = { count: 40 };

/** "aa ab … mc": 341 words, none repeated, within the 1,024 characters an entry may have. */
const DISTINCT_TWO_LETTER_WORDS = Array.from({ length: 341 }, (_, i) => String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26))).join(' ');

const wellFormed = (answer: ReadAnswer): Check =>
  check(`well-formed XML${xmlProblem(answer.text) ? ` (${xmlProblem(answer.text)})` : ''}`, xmlProblem(answer.text) === undefined);
const noStack = (answer: ReadAnswer): Check =>
  check('no stack trace or library internals', !/\.(ts|js):\d+|at [\w.<>]+ \(|is not a function/.test(answer.text));
const photos = (answer: ReadAnswer, count: number): Check =>
  check(`${count} photo(s) in the answer (were ${photosIn(answer.text)})`, photosIn(answer.text) === count);
const bytesAtMost = (answer: ReadAnswer, bytes: number): Check => check(`answer ≤ ${bytes} bytes (was ${answer.body.length})`, answer.body.length <= bytes);

/** A request that cannot be read is refused whole: 500 with an s:Client fault, no item work. */
const refusedUnread = (reason: RegExp) => (answer: ReadAnswer) => [
  statusIs(answer, 500),
  check(`s:Client fault (was ${answer.fault})`, answer.fault === 's:Client'),
  check(`the fault says ${reason}`, reason.test(answer.text)),
  wellFormed(answer),
  noStack(answer),
];

export function soapAttacks(ids: FixtureIds): Attack[] {
  const repeated = repeatedIds(ids.benchAttachmentId);
  return [
    // ConvertId reads only an id's spelling, one seal check an id; its ids are capped as GetItem's.
    soapAttack(
      'ConvertId: one genuine id ×1,300 (3,900 attributes, under the 4,000 a request may have)',
      () => convertId(new Array<string>(1300).fill(ids.benchAttachmentId)),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidRequest']), bytesAtMost(a, 2 * ERROR_MESSAGE_BYTES), wellFormed(a)],
    ),
    soapAttack(
      `ConvertId: ${MAX_ITEMS} ids of ${LONGEST_ID_CHARS} characters`,
      () => convertId(Array.from({ length: MAX_ITEMS }, (_, i) => `${i}`.padEnd(LONGEST_ID_CHARS, 'A'))),
      (a) => [
        statusIs(a, 200),
        codesAre(a, new Array<string>(MAX_ITEMS).fill('ErrorInvalidIdMalformed')),
        bytesAtMost(a, MAX_ITEMS * ERROR_MESSAGE_BYTES),
        wellFormed(a),
      ],
    ),
    // A page from the end past the first item was a negative count, which SQLite reads as "no limit": every contact, ten times.
    soapAttack(
      'FindItem from the end, Offset past the first item, 10 folders',
      () => findItem(10, '<m:IndexedPageItemView MaxEntriesReturned="1" Offset="999999999" BasePoint="End"/>'),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError', ...new Array<string>(9).fill('ErrorInvalidRequest')]), bytesAtMost(a, 8 * 1024), wellFormed(a)],
    ),
    // The Contacts folder named ten times was ten pages (2,500 contacts from a 1 KB request): its page is answered once.
    soapAttack(
      'FindItem: the largest page, the folder named 10 times',
      () => findItem(10, `<m:IndexedPageItemView MaxEntriesReturned="${MAX_ITEMS}" Offset="0" BasePoint="Beginning"/>`),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError', ...new Array<string>(9).fill('ErrorInvalidRequest')]), bytesAtMost(a, MAX_ANSWER_BYTES), wellFormed(a)],
    ),
    // A Restriction is evaluated against every contact of the folder, once per test, unless the name index answers it: past 128 expressions, or 16 tests with one that reads every contact, it is refused unsearched.
    soapAttack(
      'FindItem: a Restriction of 600 Contains in one Or',
      () => findItem(1, orOfContains(600)),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorRestrictionTooComplex']), wellFormed(a), noStack(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    soapAttack(
      'FindItem: a Restriction of 16 Contains (the most allowed) on the address book',
      () => findItem(1, orOfContains(16)),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), wellFormed(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    // An Or of 127 comparisons of the company held the event loop 700 ms in 20,000 contacts, 1.8 s in 150,000.
    soapAttack(
      'FindItem: a Restriction of 127 ordering comparisons of the company in one Or',
      () => findItem(1, orOfCompanyBounds(127)),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorRestrictionTooComplex']), wellFormed(a), noStack(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    soapAttack(
      'FindItem: a Restriction of 16 ordering comparisons of the company (the most allowed) on the address book',
      () => findItem(1, orOfCompanyBounds(16)),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), wellFormed(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    // A QueryString's every word is looked for in seven places of every contact: past 4 words it is refused unsearched.
    soapAttack(
      'FindItem: a QueryString of 200 words',
      () => findItemQueryString(200),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorRestrictionTooComplex']), wellFormed(a), noStack(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    soapAttack(
      'FindItem: a QueryString of 4 words (the most allowed) on the address book',
      () => findItemQueryString(4),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), wellFormed(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    // A SyncState is the one element whose text may be as long as the body: it is read once, in one pass.
    soapAttack(
      'SyncFolderItems: a SyncState of nearly 1 MiB it never gave',
      () => syncFolderItems(endlessSyncState()),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidSyncStateData']), bytesAtMost(a, 8 * 1024), wellFormed(a), noStack(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    soapAttack(
      'SyncFolderItems: a forged SyncState of 150,000 contacts (no seal)',
      () => syncFolderItems(forgedSyncState(150_000)),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidSyncStateData']), bytesAtMost(a, 8 * 1024), wellFormed(a), noStack(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    soapAttack(
      'SyncFolderItems: a genuine SyncState of 150,000 contacts since deleted',
      () => syncFolderItems(ids.staleSyncState),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), bytesAtMost(a, MAX_ANSWER_BYTES), wellFormed(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    // Each FieldOrder was a sort of every contact: 17 of one property held the event loop 9 s in 150,000 contacts. A key named again is left out.
    soapAttack(
      'FindPeople: the Contacts folder sorted by 17 FieldOrders of one property, from the end',
      () =>
        findPeople(
          'contacts',
          '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="End"/>',
          undefined,
          `<m:SortOrder>${'<t:FieldOrder Order="Descending"><t:FieldURI FieldURI="contacts:Department"/></t:FieldOrder>'.repeat(17)}</m:SortOrder>`,
        ),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), wellFormed(a)],
      { authorization: ADDRESS_BOOK_AUTHORIZATION },
    ),
    // After the login's single searches above: it spends the login's share of the store's time for some seconds.
    // Each answer was made in one turn of the event loop: forty at once kept every other request waiting ~2 s.
    searchesAtOnce(
      `FindItem: ${ADDRESS_BOOK_FLOOD.count} at once of ${MAX_ITEMS} contacts, the folder named 10 times (one login)`,
      findItem(10, `<m:IndexedPageItemView MaxEntriesReturned="${MAX_ITEMS}" Offset="0" BasePoint="Beginning"/>`),
    ),
    soapAttack(
      `GetAttachment: one id ×${repeated.length} (1 MiB)`,
      () => getAttachment(repeated),
      (a) => [...refusedUnread(/more than \d+ elements/)(a), photos(a, 0)],
    ),
    soapAttack(
      `GetAttachment: one id ×${MAX_ITEMS} (the cap)`,
      () => getAttachment(new Array<string>(MAX_ITEMS).fill(ids.benchAttachmentId)),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError', ...new Array<string>(MAX_ITEMS - 1).fill('ErrorInvalidRequest')]), photos(a, 1), wellFormed(a)],
    ),
    soapAttack(
      `GetAttachment: one id ×${MAX_ITEMS + 1}`,
      () => getAttachment(new Array<string>(MAX_ITEMS + 1).fill(ids.benchAttachmentId)),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidRequest']), photos(a, 0)],
    ),
    soapAttack(
      `GetAttachment: ${BIG_CONTACTS.count} distinct 648 px photos`,
      () => getAttachment(ids.bigAttachmentIds),
      (a) => {
        const served = a.codes.filter((code) => code === 'NoError').length;
        return [
          statusIs(a, 200),
          check(`${BIG_CONTACTS.count} messages (were ${a.codes.length})`, a.codes.length === BIG_CONTACTS.count),
          check(
            'some served, the rest ErrorMessageSizeExceeded',
            served > 0 && served < BIG_CONTACTS.count && a.codes.slice(served).every((code) => code === 'ErrorMessageSizeExceeded'),
          ),
          // The envelope and every id's message within the limit, those past it ErrorMessageSizeExceeded.
          bytesAtMost(a, MAX_ANSWER_BYTES),
          wellFormed(a),
        ];
      },
    ),
    soapAttack(
      `GetItem: ${MAX_ITEMS + 1} distinct ids, one past the cap`,
      () => getItem(distinctIds(MAX_ITEMS + 1)),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidRequest'])],
    ),
    soapAttack('GetItem: 4,000 distinct ids', () => getItem(distinctIds(4000)), refusedUnread(/more than \d+ elements/)),
    soapAttack(
      `GetItem: ${MAX_ITEMS} ids (${BIG_CONTACTS.count} contacts, the rest unknown)`,
      () => getItem([...ids.bigItemIds, ...distinctIds(MAX_ITEMS - ids.bigItemIds.length)]),
      (a) => [
        statusIs(a, 200),
        codesAre(a, [
          ...new Array<string>(BIG_CONTACTS.count).fill('NoError'),
          ...new Array<string>(MAX_ITEMS - BIG_CONTACTS.count).fill('ErrorInvalidIdMalformed'),
        ]),
        wellFormed(a),
      ],
    ),
    soapAttack(
      `ResolveNames: ${BIG_CONTACTS.count} contacts, full data (cold resizes)`,
      () => resolveNames(BIG_CONTACTS.namePrefix),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorNameResolutionMultipleResults']), photos(a, BIG_CONTACTS.count)],
    ),
    // Seventh sweep: a header the bridge drops anyway, of character references: 186 ms of the event loop a request.
    soapAttack(
      'ResolveNames: a dropped header of 170 k character references (1 MiB)',
      () => envelope(`<m:ResolveNames><m:UnresolvedEntry>${BENCH_USER.email}</m:UnresolvedEntry></m:ResolveNames>`, `<t:X>${'&#x41;'.repeat(170_000)}</t:X>`),
      refusedUnread(/more than \d+ character or entity references/),
    ),
    // Nineteenth sweep: line breaks cost the parser more than letters (175 ms for 1 MiB of CRs in an attribute).
    soapAttack(
      'ResolveNames: a dropped header of 1 MiB of CRs in an attribute',
      () => envelope(`<m:ResolveNames><m:UnresolvedEntry>${BENCH_USER.email}</m:UnresolvedEntry></m:ResolveNames>`, `<t:X a="${'\r'.repeat(1_040_000)}"/>`),
      refusedUnread(/more than \d+ line breaks and tabs/),
    ),
    soapAttack(
      'ResolveNames: a dropped header of 86 k CDATA sections (1 MiB)',
      () =>
        envelope(`<m:ResolveNames><m:UnresolvedEntry>${BENCH_USER.email}</m:UnresolvedEntry></m:ResolveNames>`, `<t:X>${'<![CDATA[]]>'.repeat(86_000)}</t:X>`),
      refusedUnread(/more than \d+ comments, CDATA sections and processing instructions/),
    ),
    // Fifty-second session: one CDATA section of `]` (a comment of `-`, a processing instruction of `?`) cost the parser six times letters.
    ...[
      ['a CDATA section of 1 MiB of ]', `<![CDATA[${']'.repeat(1_040_000)}]]>`],
      ['a comment of 1 MiB of -a', `<!--${'-a'.repeat(520_000)}-->`],
      ['a processing instruction of 1 MiB of ?', `<?pi ${'?'.repeat(1_040_000)}?>`],
    ].map(([what, markup]) =>
      soapAttack(
        `ResolveNames: a dropped header of ${what}`,
        () => envelope(`<m:ResolveNames><m:UnresolvedEntry>${BENCH_USER.email}</m:UnresolvedEntry></m:ResolveNames>`, `<t:X>${markup}</t:X>`),
        refusedUnread(/more than \d+ characters in comments, CDATA sections and processing instructions/),
      ),
    ),
    soapAttack('ResolveNames: 95 k attributes on one element', () => attributesOnOneElement(95_000), refusedUnread(/more than \d+ attributes/)),
    soapAttack('ResolveNames: 80 k attributes, 32 per element', () => attributesSpread(80_000, BENCH_USER.email), refusedUnread(/more than \d+ attributes/)),
    soapAttack(
      'ResolveNames: 3,000 attributes, 32 per element',
      () => attributesSpread(3_000, BENCH_USER.email),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError'])],
    ),
    ...Object.entries(LONG_NAMES).map(([what, body]) =>
      soapAttack(
        `a 900 KB name (${what})`,
        () => body(900_000),
        (a) => [...refusedUnread(/a name in the request is longer than/)(a), bytesAtMost(a, 1024)],
      ),
    ),
    soapAttack(
      // Its words were each tested on every row a word tier read (~1 s of the store's time a query at a million people).
      // Distinct words: a word repeated is tested once ("a" ×512 is the query "a").
      'ResolveNames: 341 distinct two-letter words (1,022 characters)',
      () => resolveNames(DISTINCT_TWO_LETTER_WORDS),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorNameResolutionNoResults']), wellFormed(a)],
    ),
    // FindPeople searches as ResolveNames does, through its first 1,000 matches, in the login's share of the store's time.
    soapAttack(
      'FindPeople: the directory searched by 341 distinct two-letter words',
      () => findPeople('directory', `<m:IndexedPageItemView MaxEntriesReturned="${MAX_ITEMS}" Offset="0" BasePoint="Beginning"/>`, DISTINCT_TWO_LETTER_WORDS),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), wellFormed(a)],
    ),
    soapAttack(
      'FindPeople: a directory search at Offset 2,147,483,647',
      () => findPeople('directory', '<m:IndexedPageItemView MaxEntriesReturned="250" Offset="2147483647" BasePoint="Beginning"/>', 'a'),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), wellFormed(a), bytesAtMost(a, 2048)],
    ),
    searchesAtOnce(
      `FindPeople: ${ADDRESS_BOOK_FLOOD.count} directory searches at once of ${MAX_ITEMS} people (one login)`,
      findPeople('directory', `<m:IndexedPageItemView MaxEntriesReturned="${MAX_ITEMS}" Offset="0" BasePoint="Beginning"/>`, 'a'),
    ),
    soapAttack('ResolveNames: 10 k levels deep', () => nested(10_000), refusedUnread(/nests deeper than \d+/)),
    soapAttack(
      'GetUserPhoto: 16 KB of blanks',
      () => blanksInGetUserPhoto(BENCH_USER.email, 16 * 1024),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), photos(a, 1)],
    ),
    ...INHERITED_NAMES.flatMap((name) => [
      soapAttack(
        `<m:${name}/> as the operation`,
        () => inheritedNameAsOperation(name),
        (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidOperation']), wellFormed(a), noStack(a)],
      ),
      soapAttack(
        `${name} inside ResolveNames`,
        () => inheritedNameInResolveNames(name),
        (a) => [statusIs(a, 200), codesAre(a, ['ErrorNameResolutionNoResults']), wellFormed(a), noStack(a)],
      ),
      soapAttack(
        `${name} inside GetItem`,
        () => inheritedNameInGetItem(name),
        (a) => [statusIs(a, 200), codesAre(a, ['ErrorInvalidIdMalformed']), wellFormed(a), noStack(a)],
      ),
      ...inheritedNameAsEnumValues(name).map((body, i) =>
        soapAttack(
          `${name} as ${i === 0 ? 'ResolveNames’ SearchScope and ContactDataShape' : 'GetItem’s BaseShape'}`,
          () => body,
          (a) => [statusIs(a, 500), check(`ErrorSchemaValidation fault (was ${a.fault})`, a.fault === 'a:ErrorSchemaValidation'), wellFormed(a), noStack(a)],
        ),
      ),
    ]),
    soapAttack(
      'ResolveNames: a stored name with U+0001',
      () => resolveNames(`SMTP:${CONTROL_CHARACTER_USER.email}`),
      (a) => [
        statusIs(a, 200),
        codesAre(a, ['NoError']),
        wellFormed(a),
        check('the name is there, without the control character', a.text.includes('<t:Name>ControlCharacter</t:Name>')),
      ],
    ),
    soapAttack(
      'ResolveNames: a 60,000-character SMTP: entry',
      () => resolveNames(`SMTP:${'x'.repeat(60_000)}@example.com`),
      (a) => [statusIs(a, 200), codesAre(a, ['ErrorNameResolutionNoResults']), noStack(a)],
    ),
    soapAttack(
      'GetAttachment: one id in its three paddings',
      () => getAttachment([ids.benchAttachmentId, `${ids.benchAttachmentId}=`, `${ids.benchAttachmentId}==`]),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError', 'ErrorInvalidIdMalformed', 'ErrorInvalidIdMalformed']), photos(a, 1)],
    ),
    soapAttack('malformed envelope', () => MALFORMED_ENVELOPE, refusedUnread(/not well-formed/)),
    // Fifty-second session: each makes a vCard of a large photo (~15 ms); a hundred at once held /healthz 0.7–2.2 s for 19 s.
    // Last of the bench login's classes: it spends that login's share of the store's time.
    searchesAtOnce(
      `GetItem: ${ADDRESS_BOOK_FLOOD.count} at once of a large-photo contact's MimeContent (one login)`,
      getItem([ids.bigItemIds[0]!], 'IdOnly', '<t:AdditionalProperties><t:FieldURI FieldURI="item:MimeContent"/></t:AdditionalProperties>'),
      BASIC_AUTHORIZATION,
    ),
  ];
}

/**
 * Sends `body` as a login (the address book's unless told) until it is not told to back off,
 * waiting each BackOffMilliseconds as exchangelib does: a flood starts with the login's share
 * unspent, whatever the attacks before it spent.
 */
export async function waitOutBackOff(endpoint: string, body: string, authorization = ADDRESS_BOOK_AUTHORIZATION): Promise<void> {
  for (let tries = 0; tries < 10; tries++) {
    const answer = await rawRequest(endpoint, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/xml; charset=utf-8', authorization },
    });
    const backOff = /Name="BackOffMilliseconds">(\d+)</.exec(answer.body.toString('utf8'))?.[1];
    if (answer.status !== 500 || backOff === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number(backOff), 30_000)));
  }
}

/**
 * ADDRESS_BOOK_FLOOD.count copies of one search sent at once by one login. Past the login's
 * searches at once or its share of the store's time (BRIDGE_SEARCH_MS_PER_SECOND), a request
 * is the ErrorServerBusy fault (HTTP 500) with a back-off.
 */
function searchesAtOnce(name: string, body: string, authorization = ADDRESS_BOOK_AUTHORIZATION): Attack {
  return {
    name,
    async run(bridge) {
      await waitOutBackOff(bridge.endpoint, body, authorization);
      const result = await flood(ADDRESS_BOOK_FLOOD.count, ADDRESS_BOOK_FLOOD.count, () =>
        rawRequest(bridge.endpoint, {
          method: 'POST',
          body,
          headers: { 'content-type': 'text/xml; charset=utf-8', authorization },
        }),
      );
      const found = result.codes.filter((code) => code === 'NoError').length;
      const refused = result.statuses.filter((status) => status === 500).length;
      return {
        status: tally(result.statuses),
        ewsCode: tally(result.codes),
        bytes: result.bytes,
        note: "500: the ErrorServerBusy fault, the login's searches at once or its share of the store's time spent; see the /healthz column",
        checks: [
          check(
            `each 200 or 500 (${tally(result.statuses)})`,
            result.statuses.every((status) => status === 200 || status === 500),
          ),
          check(`${ADDRESS_BOOK_FLOOD.count} searches answered or refused (${found} + ${refused})`, found > 0 && found + refused === ADDRESS_BOOK_FLOOD.count),
        ],
      };
    },
  };
}

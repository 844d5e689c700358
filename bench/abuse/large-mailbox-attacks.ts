import { setTimeout as sleep } from 'node:timers/promises';
import { findItem, findPeople, orOfContains, syncFolderItems } from '../../test/abuse/hostile-bodies.js';
import { rawRequest } from '../../test/abuse/raw-request.js';
import { envelope } from '../../test/support/soap.js';
import { tally } from '../../test/abuse/ews-answer.js';
import { check, codesAre, flood, readAnswer, soap, statusIs, summary, type Attack, type Check, type ReadAnswer } from './attack.js';
import { ADDRESS_BOOK, ADDRESS_BOOK_AUTHORIZATION, LARGE_MAILBOX, LARGE_MAILBOX_AUTHORIZATION } from './fixture.js';

/** Searches one login may have in progress at once (SEARCHES_AT_ONCE): the flood that queues the most on the read thread. */
const FLOOD = 10;
/** Long enough for the login's share of the store's time (250 ms a second) to pay back what one of these searches cost. */
const PAY_BACK_MS = 3000;
/** Contacts a QueryString of "mailbox 999" finds: those whose display name has a word starting "999" (999, 9990–9999, 99900–99999). */
const STARTING_999 = 1 + 10 + 100;

const totalInView = (answer: ReadAnswer, total: number): Check => {
  const found = /TotalItemsInView="(\d+)"/.exec(answer.text)?.[1];
  return check(`TotalItemsInView ${total} (was ${found})`, Number(found) === total);
};

/**
 * Searches and syncs that read every contact of a mailbox of LARGE_MAILBOX.contacts, one at a
 * time, each after the login's share of the store's time is paid back. Each is a few hundred
 * ms of SQLite's work: on the event loop it held every other request that long (630 ms for a
 * QueryString, 600–1,000 ms for a first sync or delta); the /healthz column shows what each
 * costs everyone else now.
 */
export function largeMailboxAttacks(): Attack[] {
  const who = `one login, ${LARGE_MAILBOX.contacts.toLocaleString('en')} contacts`;
  return [
    largeMailboxSoap(`SyncFolderItems: the first sync (${who})`, syncFolderItems('', 512), (a) => [
      statusIs(a, 200),
      codesAre(a, ['NoError']),
      check(`512 contacts created (were ${a.text.split('<t:Create>').length - 1})`, a.text.split('<t:Create>').length - 1 === 512),
      check('more left', a.text.includes('<m:IncludesLastItemInRange>false</m:IncludesLastItemInRange>')),
    ]),
    largeMailboxSoap(`FindItem: a QueryString of two words (${who})`, findItemQueryStringOf('mailbox 999'), (a) => [
      statusIs(a, 200),
      codesAre(a, ['NoError']),
      totalInView(a, STARTING_999),
    ]),
    largeMailboxSoap(
      `FindItem: a Restriction of 16 Contains (${who})`,
      findItem(1, `<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>${orOfContains(16)}`),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), totalInView(a, 0)],
    ),
    largeMailboxSoap(
      `FindPeople: the Contacts folder searched (${who})`,
      findPeople('contacts', '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>', 'mailbox 999'),
      (a) => [statusIs(a, 200), codesAre(a, ['NoError']), check('10 people', a.text.split('<t:Persona>').length - 1 === 10)],
    ),
    {
      name: `Graph contact delta: the first page (${who})`,
      before: payBack,
      async run(bridge) {
        const answer = readAnswer(await rawRequest(`${bridge.base}/v1.0/me/contacts/delta`, { headers: { authorization: LARGE_MAILBOX_AUTHORIZATION } }));
        const page = answer.status === 200 ? (JSON.parse(answer.text) as { value: unknown[]; '@odata.nextLink'?: string }) : undefined;
        return summary(answer, [
          statusIs(answer, 200),
          check(`200 contacts (were ${page?.value.length})`, page?.value.length === 200),
          check('a next page', page?.['@odata.nextLink'] !== undefined),
        ]);
      },
    },
    {
      // One read thread serves every large mailbox; in arrival order, another login waited 4–11 s behind such a flood.
      name: `FindItem: ${FLOOD} QueryStrings at once (${who}), and another login's QueryString of its ${ADDRESS_BOOK.contacts.toLocaleString('en')} contacts meanwhile`,
      before: payBack,
      async run(bridge) {
        const flooding = flood(FLOOD, FLOOD, () =>
          rawRequest(bridge.endpoint, {
            method: 'POST',
            body: findItemQueryStringOf('mailbox 999'),
            headers: { 'content-type': 'text/xml; charset=utf-8', authorization: LARGE_MAILBOX_AUTHORIZATION },
          }),
        );
        // Once the flood is queued on the thread.
        await sleep(50);
        const began = performance.now();
        const other = await soap(bridge, findItemQueryStringOf('address book 0001'), { authorization: ADDRESS_BOOK_AUTHORIZATION });
        const otherMs = performance.now() - began;
        const flooded = await flooding;
        return summary(
          other,
          [
            statusIs(other, 200),
            codesAre(other, ['NoError']),
            check(
              `the flood answered (${tally(flooded.codes)})`,
              flooded.codes.every((code) => code === 'NoError' || code === 'ErrorServerBusy'),
            ),
          ],
          `the other login's QueryString took ${Math.round(otherMs)} ms; the flood: ${tally(flooded.codes)}`,
        );
      },
    },
  ];
}

const payBack = () => sleep(PAY_BACK_MS);

function largeMailboxSoap(name: string, body: string, expect: (answer: ReadAnswer) => Check[]): Attack {
  return {
    name,
    before: payBack,
    async run(bridge) {
      const answer = await soap(bridge, body, { authorization: LARGE_MAILBOX_AUTHORIZATION });
      return summary(answer, expect(answer));
    },
  };
}

function findItemQueryStringOf(text: string): string {
  return envelope(
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds><m:QueryString>${text}</m:QueryString></m:FindItem>`,
  );
}

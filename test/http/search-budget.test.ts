import { expect } from 'chai';
import request from 'supertest';
import { BridgeError } from '../../src/domain/errors.js';
import { SEARCHES_AT_ONCE, SearchBudget } from '../../src/http/search-budget.js';
import { loopTurns } from '../../src/loop-turns.js';
import { basic, READER, startTestBridge } from '../support/test-bridge.js';

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected the search to be refused'),
    (error: unknown) => error as BridgeError,
  );

/** A search the store answers at once. */
const quickSearch = () => Promise.resolve('found');

/**
 * A budget whose clock the searches move, not timers: on a busy machine a timer fired late
 * and charged a search more than the test meant it to take (one CI run in a hundred refused it).
 * Its turns of the event loop are measured on that clock too.
 */
function budgetOnTestClock(msPerSecond: number, allMsPerSecond?: number) {
  let now = 0;
  const budget = new SearchBudget(
    msPerSecond,
    allMsPerSecond,
    () => now,
    loopTurns(() => now),
  );
  return {
    budget,
    /** Work that holds the event loop `ms`, as a SQLite query or writing a long answer does. */
    holdingTheLoop: (ms: number) => void (now += ms),
    /** A search that takes `ms` of the store's time, as a PostgreSQL query waits for its answer. */
    taking: (ms: number) => () => {
      now += ms;
      return Promise.resolve('found');
    },
    failingAfter: (ms: number, error: BridgeError) => () => {
      now += ms;
      return Promise.reject(error);
    },
    /** The accounts' searches all begun, then taking `ms` together, as queries running side by side do. */
    overlapping: async (ms: number, accounts: string[]): Promise<string[]> => {
      let started = 0;
      let release!: (found: string) => void;
      const answered = new Promise<string>((resolve) => (release = resolve));
      const runs = accounts.map((account) => budget.run(account, () => (started++, answered)));
      while (started < accounts.length) await new Promise(setImmediate);
      now += ms;
      release('found');
      return Promise.all(runs);
    },
  };
}

describe("each account's share of the store's time for searches", () => {
  it('refuses an account past its share with ErrorServerBusy and a wait, and lets other accounts on', async () => {
    const { budget, taking } = budgetOnTestClock(10); // 20 ms in a burst
    expect(await budget.run('mallory@contoso.com', taking(50))).to.equal('found');
    const refused = await refusal(budget.run('mallory@contoso.com', taking(1)));
    expect(refused).to.be.instanceOf(BridgeError);
    expect([refused.responseCode, refused.httpStatus]).to.deep.equal(['ErrorServerBusy', 503]);
    expect(refused.retryAfterSeconds).to.be.at.least(1);
    expect(await budget.run('adele@contoso.com', taking(1))).to.equal('found');
  });

  it('charges nothing for a search that only waited for a store others kept busy, and a statement that ran out of time its whole time', async () => {
    const { budget, taking, failingAfter } = budgetOnTestClock(10); // 20 ms in a burst
    for (const kept of [BridgeError.storeBusy(300), BridgeError.storeUnreachable(300)]) {
      expect(await refusal(budget.run('adele@contoso.com', failingAfter(50, kept)))).to.equal(kept);
    }
    expect(await budget.run('adele@contoso.com', taking(1)), 'the waits were not charged').to.equal('found');
    const slow = BridgeError.storeBusy(300, 'itself');
    expect(await refusal(budget.run('mallory@contoso.com', failingAfter(50, slow)))).to.equal(slow);
    expect((await refusal(budget.run('mallory@contoso.com', taking(1)))).message).to.match(/^your searches have used their share/);
  });

  it("charges a search its time shared with the searches beside it, so another account's flood spends that account's share, not its neighbour's", async () => {
    const { budget, taking, overlapping } = budgetOnTestClock(10); // 20 ms in a burst
    await overlapping(50, [...Array.from({ length: 8 }, () => 'mallory@contoso.com'), 'adele@contoso.com']);
    expect(await budget.run('adele@contoso.com', taking(1)), 'a share of 50 ms spent').to.equal('found');
    expect((await refusal(budget.run('mallory@contoso.com', taking(1)))).responseCode, 'the rest of it').to.equal('ErrorServerBusy');
  });

  it("refuses, past every account's share together, the accounts that spent a quarter of their own lately, and lets the others on", async () => {
    const { budget, taking, overlapping } = budgetOnTestClock(10, 10); // each 20 ms in a burst, all together 20 ms
    await overlapping(30, ['mallory@contoso.com', 'trudy@contoso.com', 'eve@contoso.com']);
    const refused = await refusal(budget.run('trudy@contoso.com', taking(1)));
    expect([refused.responseCode, refused.httpStatus, refused.message]).to.deep.equal([
      'ErrorServerBusy',
      503,
      `the directory is busy with searches; try again in ${refused.retryAfterSeconds} s`,
    ]);
    expect(await budget.run('adele@contoso.com', taking(1)), 'a colleague who owes nothing').to.equal('found');
    expect(await budget.run('adele@contoso.com', taking(1)), 'who owes a little').to.equal('found');
  });

  it('charges searches that hold the event loop each its own time, not shared with those waiting for a turn', async () => {
    const { budget, holdingTheLoop } = budgetOnTestClock(100); // 200 ms in a burst
    // As SQLite's queries run: 30 ms each on the event loop, so the ten run one a turn.
    const sqliteQuery = () => {
      holdingTheLoop(30);
      return Promise.resolve('found');
    };
    const found = await Promise.all(Array.from({ length: SEARCHES_AT_ONCE }, () => budget.run('mallory@contoso.com', sqliteQuery)));
    expect(found).to.have.length(SEARCHES_AT_ONCE);
    // 300 ms spent in 300: 270 owed, past the 200 of a burst.
    expect((await refusal(budget.run('mallory@contoso.com', quickSearch))).responseCode).to.equal('ErrorServerBusy');
  });

  it('charges the JSON answer made of a search with it: writing 999 users cost more than finding them', async () => {
    const { budget, holdingTheLoop } = budgetOnTestClock(10); // 20 ms in a burst
    const slowToWrite = { toJSON: () => (holdingTheLoop(50), 'written') };
    expect(await budget.json('mallory@contoso.com', () => Promise.resolve({ value: slowToWrite }))).to.equal('{"value":"written"}');
    expect((await refusal(budget.run('mallory@contoso.com', quickSearch))).responseCode).to.equal('ErrorServerBusy');
    expect(await budget.run('adele@contoso.com', quickSearch)).to.equal('found');
  });

  it(`refuses a search beyond ${SEARCHES_AT_ONCE} of one account in progress`, async () => {
    const budget = new SearchBudget(1000);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = Array.from({ length: SEARCHES_AT_ONCE }, () => budget.run('mallory@contoso.com', () => held));
    const refused = await refusal(budget.run('mallory@contoso.com', () => Promise.resolve()));
    expect([refused.responseCode, refused.retryAfterSeconds]).to.deep.equal(['ErrorServerBusy', 1]);
    expect(await budget.run('adele@contoso.com', quickSearch), 'another account').to.equal('found');
    release();
    await Promise.all(running);
    expect(await budget.run('mallory@contoso.com', quickSearch), 'once they are done').to.equal('found');
  });

  it('answers a directory search past the share 503 with Retry-After, and ResolveNames, FindItem and GetFolder with the back-off fault', async () => {
    const t = await startTestBridge({ BRIDGE_SEARCH_MS_PER_SECOND: '10' });
    try {
      await t.store.upsertUsers(Array.from({ length: 300 }, (_, i) => ({ email: `acme${i}@contoso.com`, displayName: `Acme Person ${i}`, refs: {} })));
      /** Directory searches until one is refused: the account's share is then spent. */
      const spendShare = async () => {
        const statuses: number[] = [];
        let retryAfter: string | undefined;
        for (let i = 0; i < 200 && !statuses.includes(503); i++) {
          const res = await request(t.bridge.server).get('/api/people?q=acme%20person&offset=200&limit=100').set('Authorization', basic(READER));
          statuses.push(res.status);
          if (res.status === 503) retryAfter = res.headers['retry-after'];
        }
        return { statuses, retryAfter };
      };
      const { statuses, retryAfter } = await spendShare();
      expect(statuses[0]).to.equal(200);
      expect(statuses.at(-1), 'refused once its share is spent').to.equal(503);
      expect(Number(retryAfter)).to.be.at.least(1);
      // As Exchange sends its throttling faults: HTTP 500, the back-off in the detail (exchangelib reads it there only).
      const folders = '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds>';
      const ask = (operation: string) =>
        request(t.bridge.server)
          .post('/EWS/Exchange.asmx')
          .set('Authorization', basic(READER))
          .set('Content-Type', 'text/xml; charset=utf-8')
          .send(
            `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Body>${operation}</soap:Body></soap:Envelope>`,
          );
      for (const operation of [
        '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>acme</m:UnresolvedEntry></m:ResolveNames>',
        `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>${folders}</m:FindItem>`,
        '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="contacts"/></m:FolderIds></m:GetFolder>',
      ]) {
        // The share is paid back as time passes (10 ms a second here): the last search may have
        // overdrawn it by a fraction of a millisecond, which a pause of the test machine between
        // two requests pays back (one CI run in many). So the share is spent again right before
        // each operation, and an operation let through that way is asked again, a few times.
        let soap = await ask(operation);
        for (let attempt = 0; attempt < 4 && soap.status === 200; attempt++) {
          await spendShare();
          soap = await ask(operation);
        }
        expect([soap.status, /<faultcode[^>]*>a:ErrorServerBusy</.test(soap.text), /BackOffMilliseconds/.test(soap.text)], operation).to.deep.equal([
          500,
          true,
          true,
        ]);
      }
    } finally {
      await t.close();
    }
  });
});

import { expect } from 'chai';
import { encodedEnvelope } from '../../src/ews/envelope.js';
import { streamedResponse, success, type AnswerWriting } from '../../src/ews/response-messages.js';
import { createLogger } from '../../src/logger.js';
import { loopTurns } from '../../src/loop-turns.js';

const CONTEXT: AnswerWriting = {
  limits: { maxItemsPerRequest: 250, maxAnswerBytes: 4 * 1024 * 1024 },
  log: createLogger('silent'),
  requestId: 'test',
};

describe('a streamed EWS answer lets other work in between its items', () => {
  it('runs a callback queued before a long answer before the answer is done, and keeps the items in order', async () => {
    let itemsMade = 0;
    let itemsBeforeTheCallback: number | undefined;
    setImmediate(() => (itemsBeforeTheCallback = itemsMade));
    // Ten items of 3 ms each on the turns' clock, none waiting for I/O: 30 ms in all.
    let now = 0;
    const turns = loopTurns(() => now);
    const answer = (n: number) => {
      now += 3;
      itemsMade++;
      return Promise.resolve(success(`<t:N>${n}</t:N>`));
    };
    let xml = '';
    for await (const fragment of streamedResponse('GetItem', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], answer, undefined, CONTEXT, turns)) xml += fragment;
    expect([...xml.matchAll(/<t:N>(\d)<\/t:N>/g)].map((match) => Number(match[1]))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(itemsBeforeTheCallback).to.be.a('number').and.be.below(10);
  });
});

describe('a streamed EWS answer too long for its error messages', () => {
  // Below any limit the settings allow (a request holds at most 2,000 elements): the helper holds it all the same.
  const SMALL: AnswerWriting = { ...CONTEXT, limits: { maxItemsPerRequest: 1000, maxAnswerBytes: 65_536 } };
  const answer = async (items: number) => {
    let xml = '';
    for await (const fragment of streamedResponse(
      'GetItem',
      Array.from({ length: items }, (_, i) => i),
      () => Promise.resolve(success('<t:N/>')),
      undefined,
      SMALL,
    )) {
      xml += fragment;
    }
    return { bytes: encodedEnvelope(xml).length, codes: [...xml.matchAll(/<m:ResponseCode>(\w+)</g)].map((match) => match[1]), text: xml };
  };

  it('is refused whole, within the limit; as many ids as fit get a message each', async () => {
    const refused = await answer(1000);
    expect([refused.codes, refused.bytes <= 65_536]).to.deep.equal([['ErrorInvalidRequest'], true]);
    const fit = Number(/at most (\d+) ids per request fit in an answer of 65536 bytes/.exec(refused.text)?.[1]);
    expect(fit).to.be.within(100, 999);
    const answered = await answer(fit);
    expect([answered.codes.length, answered.bytes <= 65_536]).to.deep.equal([fit, true]);
    expect((await answer(fit + 1)).codes).to.deep.equal(['ErrorInvalidRequest']);
  });
});

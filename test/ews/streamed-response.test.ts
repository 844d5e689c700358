import { expect } from 'chai';
import type { EwsContext } from '../../src/ews/ews-operation.js';
import { streamedResponse, success } from '../../src/ews/response-messages.js';
import { createLogger } from '../../src/logger.js';
import { busyFor } from '../support/busy.js';

const CONTEXT = {
  limits: { maxItemsPerRequest: 250, maxAnswerBytes: 4 * 1024 * 1024 },
  log: createLogger('silent'),
  requestId: 'test',
} as unknown as EwsContext;

describe('a streamed EWS answer lets other work in between its items', () => {
  it('runs a callback queued before a long answer before the answer is done, and keeps the items in order', async () => {
    let itemsMade = 0;
    let itemsBeforeTheCallback: number | undefined;
    setImmediate(() => (itemsBeforeTheCallback = itemsMade));
    // Ten items of 3 ms each, none waiting for I/O: 30 ms in all.
    const answer = (n: number) => {
      busyFor(3);
      itemsMade++;
      return Promise.resolve(success(`<t:N>${n}</t:N>`));
    };
    let xml = '';
    for await (const fragment of streamedResponse('GetItem', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], answer, undefined, CONTEXT)) xml += fragment;
    expect([...xml.matchAll(/<t:N>(\d)<\/t:N>/g)].map((match) => Number(match[1]))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(itemsBeforeTheCallback).to.be.a('number').and.be.below(10);
  });
});

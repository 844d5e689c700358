import { expect } from 'chai';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { encodedEnvelope } from '../../src/ews/envelope.js';
import { boundedResponse, singleMessageResponse, success, type AnswerWriting } from '../../src/ews/response-messages.js';
import { createLogger } from '../../src/logger.js';

const MAX_ANSWER_BYTES = EWS_MIN_ANSWER_BYTES;
const CONTEXT: AnswerWriting = {
  limits: { maxItemsPerRequest: 1000, maxAnswerBytes: MAX_ANSWER_BYTES },
  log: createLogger('silent'),
  requestId: 'test',
};

describe('a one-message EWS answer holds the byte limit, envelope and all', () => {
  // A message a little under the limit alone: with the envelope around it, over.
  const payload = `<t:Pad>${'a'.repeat(MAX_ANSWER_BYTES - 300)}</t:Pad>`;

  it('ResolveNames (boundedResponse): a message the envelope would take past the limit is ErrorMessageSizeExceeded', () => {
    const whole = encodedEnvelope(boundedResponse('ResolveNames', success(payload), CONTEXT));
    expect(whole.length).to.be.at.most(MAX_ANSWER_BYTES);
    expect(whole.toString()).to.include('<m:ResponseCode>ErrorMessageSizeExceeded</m:ResponseCode>');
  });

  it('FindPeople (singleMessageResponse): the same', () => {
    const whole = encodedEnvelope(singleMessageResponse('m:FindPeopleResponse', success(payload), MAX_ANSWER_BYTES));
    expect(whole.length).to.be.at.most(MAX_ANSWER_BYTES);
    expect(whole.toString()).to.include('<m:ResponseCode>ErrorMessageSizeExceeded</m:ResponseCode>');
  });
});

import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';
import { AnswerTooLarge, OutboundRefused } from '../../src/sources/outbound-http.js';
import {
  failureOf,
  InconclusiveAnswerError,
  MisconfiguredSourceError,
  PermanentSourceError,
  RetryAfterError,
  UnusableAnswerError,
} from '../../src/sources/photo-source.js';

describe('failureOf: a failed lookup leaves the photo unknown ("try again") or stands for "no photo"', () => {
  const cases: [string, unknown, 'transient' | 'permanent'][] = [
    ['a source that is down', new Error('connect ECONNREFUSED'), 'transient'],
    ['throttling after the retries', new RetryAfterError('Graph answered 429', 3000), 'transient'],
    ['a setup the operator must mend (credentials refused)', new MisconfiguredSourceError('Microsoft Graph refused the credentials (401)'), 'transient'],
    ['a search cut off before it reached the person', new InconclusiveAnswerError('the directory cut off the search'), 'transient'],
    ['a refusal of this person (403 on them)', new PermanentSourceError('Microsoft Graph refused access (403)'), 'permanent'],
    ['bytes that are no usable photo', new UnusableAnswerError('unusable image'), 'permanent'],
    ['a host the operator did not allow', new OutboundRefused('host pool.fabrikam.com is not allowed'), 'transient'],
    ['an answer over the size limit', new AnswerTooLarge('response larger than 10485760 bytes'), 'permanent'],
    ['an image refused by the bridge', BridgeError.imageTooLarge('over the pixel limit'), 'permanent'],
  ];
  for (const [what, error, expected] of cases) {
    it(`${what}: ${expected}`, () => {
      expect(failureOf(error)).to.equal(expected);
    });
  }
});

import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';
import { AnswerTooLarge, OutboundRefused } from '../../src/sources/outbound-http.js';
import {
  failureOf,
  InconclusiveAnswerError,
  CredentialsRefusedError,
  MisconfiguredSourceError,
  PermanentSourceError,
  RetryAfterError,
  UnusableAnswerError,
} from '../../src/sources/photo-source.js';
import { httpFailure, signInFailure } from '../../src/sources/upstream-http.js';

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

describe('signInFailure: a sign-in service\'s failure is never one person\'s "no photo"', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: Buffer.alloc(0) });
  const cases: [number, Record<string, string>, string, 'transient' | 'permanent'][] = [
    [404, {}, 'MisconfiguredSourceError', 'transient'],
    [403, {}, 'MisconfiguredSourceError', 'transient'],
    [410, {}, 'MisconfiguredSourceError', 'transient'],
    [302, {}, 'MisconfiguredSourceError', 'transient'],
    [401, {}, 'CredentialsRefusedError', 'transient'],
    [500, {}, 'Error', 'transient'],
    [429, { 'retry-after': '3' }, 'RetryAfterError', 'transient'],
  ];
  const kinds = [CredentialsRefusedError, MisconfiguredSourceError, RetryAfterError, PermanentSourceError, Error];
  const kindOf = (error: Error) => kinds.find((kind) => error instanceof kind)!.name;
  for (const [status, headers, kind, failure] of cases) {
    it(`${status}: ${kind}, ${failure}`, () => {
      const error = signInFailure('the token endpoint', answer(status, headers), 'loginUrl');
      expect([kindOf(error), failureOf(error)]).to.deep.equal([kind, failure]);
    });
  }

  it('says which setting to mend where it makes httpFailure\'s "no photo" the setup\'s', () => {
    expect(failureOf(httpFailure('the token endpoint', answer(404)))).to.equal('permanent');
    expect(signInFailure('the token endpoint', answer(404), 'loginUrl').message).to.equal('the token endpoint answered 404: check loginUrl');
  });
});

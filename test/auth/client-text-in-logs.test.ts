import { expect } from 'chai';
import { base64url } from 'jose';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { createTestIssuer, type TestIssuer } from '../support/jwt-issuer.js';
import { basic, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A terminal's CSI (C1), a line separator, a right-to-left override and an isolate: what hides or rearranges a line when shown raw. */
const SNEAKY = '\u009b31m\u2028FAKE LINE\u202eeltit\u2066';
const RAW = /[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('what a client sent, in the log and in error answers', () => {
  let issuer: TestIssuer;
  let t: TestBridge;
  const written: string[] = [];

  before(async () => {
    issuer = await createTestIssuer();
    t = await startTestBridge({ ...issuer.env, BRIDGE_ACCESS_LOG: 'true' }, createLogger('info', { write: (line: string) => written.push(line) }));
  });
  after(async () => {
    await t.close();
    issuer.close();
  });

  /** The lines whose message is `msg`, raw (the access line may trail the answer a moment). */
  async function linesOf(msg: string, count: number): Promise<string[]> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const lines = written.filter((line) => (JSON.parse(line) as { msg: string }).msg === msg);
      if (lines.length >= count) return lines;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${count} lines "${msg}"`);
  }

  it('a Basic user name is logged escaped, in the failed login line and the access line: the same JSON value, no such character in the bytes', async () => {
    written.length = 0;
    const name = `a${SNEAKY}@contoso.com`;
    await request(t.bridge.server)
      .get('/api/me')
      .set('Authorization', basic({ username: name, password: 'guess' }))
      .expect(401);
    const [failed] = await linesOf('login failed: wrong user name or password', 1);
    const [access] = await linesOf('request', 1);
    expect(failed).not.to.match(RAW);
    expect(access).not.to.match(RAW);
    expect(failed).to.include('\\u009b31m\\u2028fake line\\u202eeltit\\u2066');
    expect((JSON.parse(failed!) as { user: string }).user).to.equal(name.toLowerCase());
    expect((JSON.parse(access!) as { attemptedUser: string }).attemptedUser).to.equal(name.toLowerCase());
  });

  it("a token's header quoted in jose's reason is logged escaped, and its 401 answer shows it escaped too", async () => {
    written.length = 0;
    const header: Record<string, unknown> = { alg: 'RS256', kid: 'test', crit: [SNEAKY] };
    header[SNEAKY] = 1;
    const token = `${base64url.encode(JSON.stringify(header))}.${base64url.encode('{}')}.AAAA`;
    const res = await request(t.bridge.server).get('/api/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect(res.text).not.to.match(RAW);
    expect(res.text).to.include('\\u009b31m\\u2028FAKE LINE\\u202eeltit\\u2066');
    const [refused] = await linesOf('login failed: bearer token refused', 1);
    expect(refused).not.to.match(RAW);
    expect((JSON.parse(refused!) as { reason: string }).reason).to.include(SNEAKY);
  });
});

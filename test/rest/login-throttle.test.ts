import { expect } from 'chai';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('login throttling over HTTP', () => {
  let t: TestBridge;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    t = await startTestBridge(
      { BRIDGE_LOGIN_MAX_FAILURES: '3', BRIDGE_LOGIN_BACKOFF_SECONDS: '30' },
      createLogger('warn', { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) }),
    );
  });
  after(() => t.close());

  const me = (username: string, password: string) => request(t.bridge.server).get('/api/me').set('Authorization', basic({ username, password }));

  it('after the allowed failures answers 429 with Retry-After and ErrorServerBusy, the same for an unknown account', async () => {
    for (let i = 0; i < 3; i++) await me(READER.username, `guess ${i}`).expect(401);
    const throttled = await me(READER.username, READER.password).expect(429);
    expect(throttled.headers['retry-after']).to.equal('30');
    expect(throttled.headers['x-ews-response-code']).to.equal('ErrorServerBusy');
    // The address is throttled too: every name now gets the same answer, known or not.
    const unknown = await me('nobody@example.com', 'guess').expect(429);
    expect(unknown.text).to.equal(throttled.text);
  });

  it('logs each failed login with the name tried and the client address, never the password', () => {
    const failures = logged.filter((line) => String(line.msg).startsWith('login failed'));
    expect(failures).to.have.length(3);
    for (const line of failures) {
      expect(line.user).to.equal(READER.username);
      expect(String(line.clientAddress)).to.match(/127\.0\.0\.1|::1/);
    }
    expect(JSON.stringify(logged)).to.not.include('guess');
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import { graphSource } from '../../src/sources/graph.js';
import {
  CredentialsRefusedError,
  failureOf as sourceFailureOf,
  MisconfiguredSourceError,
  PermanentSourceError,
  RetryAfterError,
  type PhotoReference,
  type PhotoSource,
} from '../../src/sources/photo-source.js';
import { resilient, type ResilienceOptions } from '../../src/sources/resilient-source.js';
import { graphSourceEntry, startGraphSimulator, type GraphSimulator, type GraphUser } from '../simulators/graph.js';
import { repeated } from '../simulators/photo-faults.js';
import { startSuperOfficeSimulator, type SuperOfficeSimulator } from '../simulators/superoffice.js';
import { startBridgeWithSources } from '../support/bridge-with-sources.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, type TestBridge } from '../support/test-bridge.js';

const silent = createLogger('silent');
const signal = () => AbortSignal.timeout(5000);
const ADELE = {
  id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
  userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
  mail: 'adele.vance@contoso.com',
  proxyAddresses: ['SMTP:adele.vance@contoso.com', 'smtp:adele@contoso.com', 'smtp:AdeleV@contoso.onmicrosoft.com'],
};
const byId = (graphId: string): PhotoReference => ({ kind: 'user', emails: ['nobody@example.com'], graphId });
const byEmail = (email: string): PhotoReference => ({ kind: 'user', emails: [email] });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a failure'),
    (error: Error) => error,
  );
const sizeOf = async (answer: Awaited<ReturnType<PhotoSource['fetch']>>) => {
  if (answer.kind !== 'photo') return expect.fail('expected a photo');
  const { width, height } = await sharp(answer.bytes).metadata();
  return `${width}x${height}`;
};

describe('Microsoft Graph source', () => {
  let sim: GraphSimulator;

  before(async () => {
    sim = await startGraphSimulator([
      { ...ADELE, photo: await samplePhoto(800, 800) },
      { id: 'small-1', userPrincipalName: 'small@contoso.onmicrosoft.com', photo: await samplePhoto(504, 504) },
      { id: 'none-1', userPrincipalName: 'nophoto@contoso.onmicrosoft.com' },
      { id: 'none-2', userPrincipalName: 'item@contoso.onmicrosoft.com', noPhotoCode: 'ErrorItemNotFound' },
      { id: 'none-3', userPrincipalName: 'entity@contoso.onmicrosoft.com', noPhotoCode: 'ErrorEntityNotFound' },
      { id: 'none-4', userPrincipalName: 'generic@contoso.onmicrosoft.com', noPhotoCode: 'itemNotFound' },
      { id: 'none-5', userPrincipalName: 'consumer@contoso.onmicrosoft.com', noPhotoCode: 'ConsumerPhotoIsNotSupported' },
      { id: 'none-6', userPrincipalName: 'plain@contoso.onmicrosoft.com', noPhotoCode: 'text/plain' },
      { id: 'dollar-1', userPrincipalName: "$O'Neil@contoso.onmicrosoft.com", photo: await samplePhoto(648, 648) },
      // One's sign-in name is the other's mail: the address finds both.
      { id: 'twin-1', userPrincipalName: 'twin@contoso.com', photo: await samplePhoto(648, 648) },
      { id: 'twin-2', userPrincipalName: 'twin2@contoso.onmicrosoft.com', mail: 'twin@contoso.com', photo: await samplePhoto(648, 648) },
    ]);
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.faults = [];
    sim.errorCode = undefined;
    sim.endThrottling();
    sim.listsUsers = true;
    sim.photoPaths = [];
    sim.tokenLifetimeSeconds = 3599;
  });

  const settings = (overrides: Record<string, string> = {}) =>
    graphSource.schema.parse({
      tenant: sim.tenant,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      authorityUrl: sim.authorityUrl,
      graphUrl: sim.graphUrl,
      ...overrides,
    });
  const source = (overrides?: Record<string, string>) => graphSource.create('m365', settings(overrides), silent);

  describe('against the simulator', () => {
    it('gets an app token, then the 648x648 photo of a user by graphId', async () => {
      const tokens = sim.counts.tokens;
      expect(await sizeOf(await source().fetch(byId(ADELE.id), signal()))).to.equal('648x648');
      expect(sim.photoPaths).to.deep.equal([`/v1.0/users/${ADELE.id}/photos/648x648/$value`]);
      expect(sim.counts.tokens - tokens).to.equal(1);
    });

    it('accepts a UPN as graphId, as Graph addresses users by id or user principal name', async () => {
      expect(await sizeOf(await source().fetch(byId(ADELE.userPrincipalName), signal()))).to.equal('648x648');
      expect(sim.photoPaths).to.deep.equal([`/v1.0/users/${encodeURIComponent(ADELE.userPrincipalName)}/photos/648x648/$value`]);
    });

    it('asks for a UPN beginning with $ in the key form, as /users/$… is a 400', async () => {
      expect(await sizeOf(await source().fetch(byId("$O'Neil@contoso.onmicrosoft.com"), signal()))).to.equal('648x648');
      expect(sim.photoPaths).to.deep.equal(["/v1.0/users('$O''Neil@contoso.onmicrosoft.com')/photos/648x648/$value"]);
    });

    it('finds a user by mail or proxy address once, remembers the id, and asks for the photo by id', async () => {
      const graph = source();
      const queries = sim.counts.userQueries;
      for (const address of ['adele.vance@contoso.com', 'Adele@Contoso.com', 'adele.vance@contoso.com']) {
        expect(await sizeOf(await graph.fetch(byEmail(address), signal()))).to.equal('648x648');
      }
      expect(sim.counts.userQueries - queries).to.equal(2);
      expect(sim.photoPaths).to.deep.equal(Array(3).fill(`/v1.0/users/${ADELE.id}/photos/648x648/$value`));
      expect(source().accepts({ kind: 'user', emails: [] })).to.equal(false);
    });

    it('finds a user by UPN when that is the address known', async () => {
      expect(await sizeOf(await source().fetch(byEmail('adelev@contoso.onmicrosoft.com'), signal()))).to.equal('648x648');
      expect(sim.photoPaths).to.deep.equal([`/v1.0/users/${ADELE.id}/photos/648x648/$value`]);
    });

    it('takes a refused user listing (no User.Read.All) as a setup to mend for everyone, not as "no photo"', async () => {
      sim.listsUsers = false;
      const error = await source()
        .fetch(byEmail('adele.vance@contoso.com'), signal())
        .catch((failure: unknown) => failure);
      expect(error).to.be.instanceOf(MisconfiguredSourceError);
      expect((error as Error).message).to.include('User.Read.All');
      expect(sim.photoPaths).to.deep.equal([]);
    });

    it('takes an address no user holds as "no photo", without asking for a photo', async () => {
      expect(await source().fetch(byEmail("o'brien@contoso.com"), signal())).to.deep.equal({ kind: 'none' });
      expect(sim.photoPaths).to.deep.equal([]);
    });

    it("takes an address two users answer to as a failure, never as the first one's photo", async () => {
      const error = await source()
        .fetch(byEmail('twin@contoso.com'), signal())
        .catch((failure: unknown) => failure);
      expect(error).to.be.instanceOf(PermanentSourceError);
      expect((error as Error).message).to.equal('Graph lists 2 users for twin@contoso.com: whose photo it is cannot be told');
      expect(sim.photoPaths).to.deep.equal([]);
    });

    it('falls back to /photo/$value for a photo uploaded smaller than 648 px', async () => {
      expect(await sizeOf(await source().fetch(byId('small-1'), signal()))).to.equal('504x504');
      expect(sim.photoPaths).to.deep.equal(['/v1.0/users/small-1/photos/648x648/$value', '/v1.0/users/small-1/photo/$value']);
    });

    it('takes a 404 of the photo as "no photo", whatever its body (ImageNotFound, ErrorItemNotFound, ErrorEntityNotFound, itemNotFound, ConsumerPhotoIsNotSupported, text/plain)', async () => {
      for (const id of ['none-1', 'none-2', 'none-3', 'none-4', 'none-5', 'none-6', 'no-such-user']) {
        expect(await source().fetch(byId(id), signal()), id).to.deep.equal({ kind: 'none' });
      }
    });

    it('asks for an address again when its remembered id has no photo: a user deleted and re-created under a new id is found at once', async () => {
      const meg: GraphUser = { id: 'meg-old', userPrincipalName: 'meg@contoso.com', mail: 'meg.bowen@contoso.com' };
      sim.users.push(meg);
      try {
        const graph = source();
        const queries = sim.counts.userQueries;
        // Just looked up: its 404 is "no photo" without another lookup.
        expect(await graph.fetch(byEmail('meg.bowen@contoso.com'), signal())).to.deep.equal({ kind: 'none' });
        expect(sim.counts.userQueries - queries).to.equal(1);
        // Remembered: asked once more, and the same id means "no photo".
        expect(await graph.fetch(byEmail('meg.bowen@contoso.com'), signal())).to.deep.equal({ kind: 'none' });
        expect(sim.counts.userQueries - queries).to.equal(2);

        // Deleted and re-created with a photo: the old id is answered ImageNotFound, as a user without a photo is.
        sim.users.splice(sim.users.indexOf(meg), 1, { ...meg, id: 'meg-new', photo: await samplePhoto(96, 96) });
        sim.photoPaths = [];
        expect(await sizeOf(await graph.fetch(byEmail('meg.bowen@contoso.com'), signal()))).to.equal('96x96');
        expect(sim.counts.userQueries - queries).to.equal(3);
        expect(sim.photoPaths).to.deep.equal([
          '/v1.0/users/meg-old/photos/648x648/$value',
          '/v1.0/users/meg-old/photo/$value',
          '/v1.0/users/meg-new/photos/648x648/$value',
          '/v1.0/users/meg-new/photo/$value',
        ]);
        expect(await sizeOf(await graph.fetch(byEmail('meg.bowen@contoso.com'), signal()))).to.equal('96x96');
        expect(sim.counts.userQueries - queries).to.equal(3);

        // Deleted for good: "no photo", and the address is no longer remembered.
        sim.users.splice(
          sim.users.findIndex((user) => user.id === 'meg-new'),
          1,
        );
        expect(await graph.fetch(byEmail('meg.bowen@contoso.com'), signal())).to.deep.equal({ kind: 'none' });
        expect(await graph.fetch(byEmail('meg.bowen@contoso.com'), signal())).to.deep.equal({ kind: 'none' });
        expect(sim.counts.userQueries - queries).to.equal(5);
      } finally {
        sim.users = sim.users.filter((user) => !user.id.startsWith('meg-'));
      }
    });

    it('keeps its token until shortly before it expires', async () => {
      const graph = source();
      let tokens = sim.counts.tokens;
      await graph.fetch(byId(ADELE.id), signal());
      await graph.fetch(byId(ADELE.id), signal());
      expect(sim.counts.tokens - tokens).to.equal(1);

      // A token shorter-lived than the five minutes of notice is renewed half-way through its life (a minute at least), not on every call.
      sim.tokenLifetimeSeconds = 1;
      let now = 0;
      const shortLived = graphSource.create('m365', settings(), silent, () => now);
      tokens = sim.counts.tokens;
      await shortLived.fetch(byId(ADELE.id), signal());
      await shortLived.fetch(byId(ADELE.id), signal());
      expect(sim.counts.tokens - tokens).to.equal(1);
      now = 30_001;
      await shortLived.fetch(byId(ADELE.id), signal());
      expect(sim.counts.tokens - tokens).to.equal(2);
    });

    it('takes a token endpoint whose token is over 16 KB as failing, worth a retry — never as "no photo" for everyone', async () => {
      sim.tokenPadding = 20_000;
      try {
        const error = await failureOf(source().fetch(byId(ADELE.id), signal()));
        expect(error).to.not.be.instanceOf(PermanentSourceError);
        expect(error.message).to.equal('the Microsoft Entra ID token endpoint answered 200 without a usable access_token (none, or over 16384 characters)');
      } finally {
        sim.tokenPadding = 0;
      }
    });

    it('asks for one token however many lookups need it at once', async () => {
      const graph = source();
      const tokens = sim.counts.tokens;
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => graph.fetch(byId(i % 2 ? ADELE.id : 'small-1'), signal())));
      expect(answers.every((answer) => answer.kind === 'photo')).to.equal(true);
      expect(sim.counts.tokens - tokens).to.equal(1);
    });

    it('renews a refused token once (401), and gives up if the new one is refused too', async () => {
      const graph = source();
      await graph.fetch(byId(ADELE.id), signal());
      let tokens = sim.counts.tokens;
      sim.revokeTokens();
      expect(await sizeOf(await graph.fetch(byId(ADELE.id), signal()))).to.equal('648x648');
      expect(sim.counts.tokens - tokens).to.equal(1);

      tokens = sim.counts.tokens;
      const photos = sim.counts.photos;
      sim.faults = repeated({ kind: 'status', status: 401 }, 2);
      const error = await failureOf(graph.fetch(byId(ADELE.id), signal()));
      expect(error).to.be.instanceOf(MisconfiguredSourceError);
      expect(error.message).to.equal('Microsoft Graph refused the credentials (401: InvalidAuthenticationToken)');
      expect([sim.counts.tokens - tokens, sim.counts.photos - photos]).to.deep.equal([1, 2]);
    });

    it('says plainly when Entra ID refuses the client credentials, as a failure of the setup', async () => {
      const wrongSecret = await failureOf(source({ clientSecret: 'wrong' }).fetch(byId(ADELE.id), signal()));
      expect(wrongSecret).to.be.instanceOf(MisconfiguredSourceError);
      expect(wrongSecret.message).to.equal(
        'Microsoft Entra ID refused the client credentials (invalid_client: AADSTS7000215: Invalid client secret provided.)',
      );
      const wrongTenant = await failureOf(source({ tenant: 'fabrikam.onmicrosoft.com' }).fetch(byId(ADELE.id), signal()));
      expect(wrongTenant).to.be.instanceOf(MisconfiguredSourceError);
      expect(wrongTenant.message).to.match(/AADSTS90002/);
      expect(wrongTenant.message).to.not.include(sim.clientSecret);
    });

    it('takes a token endpoint that is not there (an authorityUrl whose host answers 404) as the setup\'s fault, "try again", not "no photo"', async () => {
      const elsewhere = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
      await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = elsewhere.address() as AddressInfo;
        const error = await failureOf(source({ authorityUrl: `http://127.0.0.1:${port}` }).fetch(byId(ADELE.id), signal()));
        expect([error instanceof MisconfiguredSourceError, error instanceof CredentialsRefusedError, sourceFailureOf(error), error.message]).to.deep.equal([
          true,
          false,
          'transient',
          'the Microsoft Entra ID token endpoint answered 404: check authorityUrl',
        ]);
      } finally {
        elsewhere.close();
      }
    });

    it('never quotes the client secret, when a token endpoint echoes the request in its error code or description (a proxy, a misconfigured authority)', async () => {
      const echo = createServer((req, res) => {
        let form = '';
        req.on('data', (chunk: Buffer) => (form += chunk.toString()));
        req.on('end', () => {
          const echoed = `bad request: ${form} / ${decodeURIComponent(form).toUpperCase()} / ${sim.clientSecret.slice(3, 14)}`;
          // In the code too, where a proxy's or a hostile endpoint's answer may put it.
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: `invalid_request ${decodeURIComponent(form)}`, error_description: echoed }));
        });
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = echo.address() as AddressInfo;
        const error = await failureOf(source({ authorityUrl: `http://127.0.0.1:${port}` }).fetch(byId(ADELE.id), signal()));
        expect(error.message).to.match(/^Microsoft Entra ID refused the client credentials \(invalid_request client_id=.*: bad request: .*client_secret=…/);
        expect(error.message.toLowerCase()).to.not.include(sim.clientSecret.slice(3, 11).toLowerCase());
      } finally {
        echo.close();
      }
    });

    it('maps 403 to permanent, 5xx to retriable, and 429 to a wait of Retry-After', async () => {
      sim.faults = [
        { kind: 'status', status: 403 },
        { kind: 'status', status: 500 },
        { kind: 'status', status: 429, retryAfter: '3' },
      ];
      const forbidden = await failureOf(source().fetch(byId(ADELE.id), signal()));
      // One mailbox's, maybe: an application access policy keeps the app to some mailboxes.
      expect(forbidden).to.be.instanceOf(PermanentSourceError).and.not.be.instanceOf(MisconfiguredSourceError);
      expect(forbidden.message).to.equal('Microsoft Graph refused access (403: ErrorAccessDenied)');
      const serverError = await failureOf(source().fetch(byId(ADELE.id), signal()));
      expect(serverError).to.not.be.instanceOf(PermanentSourceError);
      expect(serverError.message).to.equal('Microsoft Graph answered 500: generalException');
      const throttled = await failureOf(source().fetch(byId(ADELE.id), signal()));
      expect(throttled).to.be.instanceOf(RetryAfterError);
      expect((throttled as RetryAfterError).delayMs).to.equal(3000);
    });

    it("never quotes its access token, when an error code echoes the Authorization header: a code not shaped like Graph's is left out", async () => {
      let sent = '';
      for (const [status, code, said] of [
        [403, (token: string) => `Denied:Bearer ${token}`, 'Microsoft Graph refused access (403)'],
        [500, (token: string) => `${token}${'x'.repeat(100_000)}`, 'Microsoft Graph answered 500'],
      ] as const) {
        sim.errorCode = (authorization) => code((sent = authorization.slice('Bearer '.length)));
        sim.faults = [{ kind: 'status', status }];
        const error = await failureOf(source().fetch(byId(ADELE.id), signal()));
        expect(error.message).to.equal(said);
      }
      // The token itself as the code: left out, or blanked when it has a code's shape.
      sim.errorCode = (authorization) => (sent = authorization.slice('Bearer '.length));
      sim.faults = [{ kind: 'status', status: 403 }];
      const error = await failureOf(source().fetch(byId(ADELE.id), signal()));
      expect(sent).to.not.equal('');
      expect(error.message).to.not.include(sent.slice(-16));
    });

    it('does not follow a redirect, and takes it as a setup to mend ("try again"), not as "no photo"', async () => {
      sim.faults = [{ kind: 'redirect', location: 'http://127.0.0.1:1/steal' }];
      const error = await failureOf(source().fetch(byId(ADELE.id), signal()));
      expect([error instanceof MisconfiguredSourceError, error.message]).to.deep.equal([
        true,
        'Microsoft Graph answered 302: redirects are not followed; check its URL',
      ]);
    });

    describe('inside the shared resilience', () => {
      const wrapped = (retries: number, timeoutMs = 2000, more: Partial<ResilienceOptions> = {}): PhotoSource =>
        resilient(source(), { timeoutMs, retries, breakerThreshold: 100, breakerHalfOpenMs: 1000, ...more });

      it('waits as long as Retry-After asks before it tries again', async () => {
        sim.faults = [{ kind: 'status', status: 429, retryAfter: '1' }];
        const waits: number[] = [];
        expect(await sizeOf(await wrapped(1, 2000, { onRetryWait: (ms) => waits.push(ms) }).fetch(byId(ADELE.id), signal()))).to.equal('648x648');
        expect(waits).to.deep.equal([1000]);
        expect(sim.photoPaths).to.have.length(2);
      });

      it("pauses every lookup as long as a 429's Retry-After asks, not only the one told: none reaches Graph meanwhile", async () => {
        sim.faults = [{ kind: 'status', status: 429, retryAfter: '1' }];
        // The pause's own clock, moved by the test: a timer of 1,000 ms may fire before 1,000 ms have passed on performance.now (CI failed on it).
        let clock = 1000;
        const graph = wrapped(0, 2000, { now: () => clock });
        expect(await failureOf(graph.fetch(byId(ADELE.id), signal()))).to.be.instanceOf(RetryAfterError);
        const paused = await failureOf(graph.fetch(byId('small-1'), signal()));
        expect([paused instanceof RetryAfterError, paused.message, sim.photoPaths.length]).to.deep.equal([true, 'm365 asked for a pause; 1 s left', 1]);
        clock += 999;
        expect((await failureOf(graph.fetch(byId('small-1'), signal()))).message).to.equal('m365 asked for a pause; 1 s left');
        clock += 1;
        sim.endThrottling();
        expect(await sizeOf(await graph.fetch(byId('small-1'), signal()))).to.equal('504x504');
      });

      it('does not wait for a Retry-After longer than a person waiting for a photo would', async () => {
        sim.faults = [{ kind: 'status', status: 429, retryAfter: '3600' }];
        expect(await failureOf(wrapped(2).fetch(byId(ADELE.id), signal()))).to.be.instanceOf(RetryAfterError);
        expect(sim.photoPaths).to.have.length(1);
      });

      it('waits for Retry-After within one budget for the whole call, not once per retry, and fails at once beyond it', async () => {
        sim.faults = repeated({ kind: 'status', status: 429, retryAfter: '1' }, 2);
        const waits: number[] = [];
        const graph = wrapped(2, 2000, { waitingMs: 1500, onRetryWait: (ms) => waits.push(ms) });
        expect(await failureOf(graph.fetch(byId(ADELE.id), signal()))).to.be.instanceOf(RetryAfterError);
        expect(waits).to.deep.equal([1000]);
        // The first wait fits; the second would not, so there is no third attempt.
        expect(sim.photoPaths).to.have.length(2);
        expect(sim.faults).to.deep.equal([]);
      });

      it('retries a slow answer after the timeout', async () => {
        sim.faults = [{ kind: 'slow', ms: 1000 }];
        expect(await sizeOf(await wrapped(1, 300).fetch(byId(ADELE.id), signal()))).to.equal('648x648');
        expect(sim.photoPaths).to.have.length(2);
      });

      it('times the whole answer, body included: hangs up on one that trickles in after its headers, and retries', async () => {
        const hungUp = new Promise<number>((closed) => (sim.faults = [{ kind: 'trickle', bytes: 100, everyMs: 50, closed }]));
        expect(await sizeOf(await wrapped(1, 300).fetch(byId(ADELE.id), signal()))).to.equal('648x648');
        expect(sim.photoPaths).to.have.length(2);
        // Cut off, not read to its end in the background once the attempt's time was up.
        expect(await hungUp).to.be.below(100);
      });
    });

    it('checks the token and a sample lookup in plain words', async () => {
      const steps = await source().check(byId('none-1'), signal());
      expect(steps).to.deep.equal([
        { step: 'reachable', ok: true, detail: 'Microsoft Entra ID answered' },
        { step: 'authenticated', ok: true, detail: `the app ${sim.clientId} has a token for ${sim.tenant}` },
        { step: 'sample lookup', ok: true, detail: 'no photo' },
      ]);
      const [, refused] = await source({ clientSecret: 'wrong' }).check(undefined, signal());
      expect(refused).to.include({ step: 'authenticated', ok: false });
      const [unreachable] = await source({ authorityUrl: 'http://127.0.0.1:9' }).check(undefined, signal());
      expect(unreachable).to.include({ step: 'reachable', ok: false });
    });

    it('checks, for a sample known by email only, which Graph user the address leads to', async () => {
      const steps = await source().check(byEmail('adele@contoso.com'), signal());
      expect(steps[2]).to.deep.equal({ step: 'user lookup', ok: true, detail: `adele@contoso.com is the Graph user ${ADELE.id}` });
      expect(steps[3]).to.include({ step: 'sample lookup', ok: true });
      const unknown = await source().check(byEmail('nobody@contoso.com'), signal());
      expect(unknown[2]).to.deep.equal({ step: 'user lookup', ok: false, detail: 'no Graph user has nobody@contoso.com as UPN, mail or proxy address' });
    });

    it("reads its settings: Microsoft's public cloud by default, a tenant that fits in a URL", () => {
      const parsed = graphSource.schema.parse({ tenant: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's' });
      expect(parsed).to.include({ authorityUrl: 'https://login.microsoftonline.com', graphUrl: 'https://graph.microsoft.com' });
      expect(graphSource.schema.safeParse({ tenant: 'contoso/../x', clientId: 'c', clientSecret: 's' }).success).to.equal(false);
      expect(graphSource.schema.safeParse({ tenant: 'contoso', clientId: 'c' }).success).to.equal(false);
    });
  });

  describe('through the bridge', () => {
    const reader = basic(READER);
    const getUserPhoto = async (t: TestBridge, email: string, size = 'HR240x240') => {
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', reader)
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(envelope(`<m:GetUserPhoto><m:Email>${email}</m:Email><m:SizeRequested>${size}</m:SizeRequested></m:GetUserPhoto>`));
      return (await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse;
    };

    it('answers GetUserPhoto PictureData for a directory user whose photo is in Microsoft 365', async () => {
      const t = await startBridgeWithSources([graphSourceEntry('m365', sim)], { users: ['m365'] });
      try {
        await t.store.upsertUsers([{ email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: { graphId: ADELE.id } }]);
        const response = await getUserPhoto(t, 'adele.vance@contoso.com');
        expect(response.ResponseCode).to.equal('NoError');
        expect(await sharp(Buffer.from(response.PictureData, 'base64')).metadata()).to.include({ format: 'jpeg', width: 240, height: 240 });
        expect((await t.store.getPhotoInfo(userOwner('adele.vance@contoso.com')))?.source).to.equal('m365');
      } finally {
        await t.close();
      }
    });

    it('serves a photo Entra ID keeps smaller than 48 px or not square: the smaller one whole, the other cropped to squares, never squashed', async () => {
      const photos = new Map([
        ['tiny-1', await samplePhoto(40, 40)],
        ['tall-1', await samplePhoto(300, 400)],
      ]);
      const fresh = await startGraphSimulator([...photos].map(([id, photo]) => ({ id, userPrincipalName: `${id}@contoso.onmicrosoft.com`, photo })));
      const t = await startBridgeWithSources([graphSourceEntry('m365', fresh)], { users: ['m365'] });
      const restPhoto = async (email: string, size: string) => {
        const res = await request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=${size}`).set('Authorization', reader);
        const { width, height } = res.status === 200 ? await sharp(res.body as Buffer).metadata() : {};
        return `${res.status} ${width}x${height}`;
      };
      try {
        await t.store.upsertUsers([...photos.keys()].map((id) => ({ email: `${id}@contoso.com`, displayName: id, refs: { graphId: id } })));
        expect(await restPhoto('tiny-1@contoso.com', 'HR96x96')).to.equal('200 40x40');
        expect(await restPhoto('tall-1@contoso.com', 'HR648x648')).to.equal('200 300x300');
        expect(await restPhoto('tall-1@contoso.com', 'HR96x96')).to.equal('200 96x96');
        // The original Graph gave, kept whole: 300x400, not a 240x240 squashed out of it.
        const stored = await t.store.getPhoto(userOwner('tall-1@contoso.com'));
        expect(stored && (await sharp(stored.bytes).metadata())).to.include({ width: 300, height: 400 });
      } finally {
        await t.close();
        await fresh.close();
      }
    });

    it('asks Graph once, with one token, for 50 concurrent GetUserPhoto requests for one uncached user', async () => {
      const fresh = await startGraphSimulator([{ ...ADELE, photo: await samplePhoto(700, 700) }]);
      const t = await startBridgeWithSources([graphSourceEntry('m365', fresh)], { users: ['m365'] });
      try {
        await t.store.upsertUsers([{ email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: { graphId: ADELE.id } }]);
        // Signs in once first, so that fifty password checks do not crowd the thread pool.
        await getUserPhoto(t, 'someone.else@contoso.com');
        const answers = await Promise.all(Array.from({ length: 50 }, () => getUserPhoto(t, 'adele.vance@contoso.com', 'HR96x96')));
        expect(answers.map((answer) => answer.ResponseCode)).to.deep.equal(Array(50).fill('NoError'));
        expect(fresh.counts).to.include({ photos: 1, tokens: 1 });
      } finally {
        await t.close();
        await fresh.close();
      }
    });

    it('removes a stored photo once Graph says the user has none any more (ErrorEntityNotFound)', async () => {
      const user: GraphUser = { id: 'was-photo', userPrincipalName: 'was@contoso.onmicrosoft.com', photo: await samplePhoto(300, 300) };
      sim.users.push(user);
      const t = await startBridgeWithSources([graphSourceEntry('m365', sim)], { users: ['m365'] });
      try {
        await t.store.upsertUsers([{ email: 'was@contoso.com', displayName: 'Was', refs: { graphId: user.id } }]);
        expect((await getUserPhoto(t, 'was@contoso.com')).ResponseCode).to.equal('NoError');
        delete user.photo;
        user.noPhotoCode = 'ErrorEntityNotFound';
        const db = new Database(t.databasePath);
        try {
          db.prepare("UPDATE user_photos SET updated_at = '2000-01-01T00:00:00.000Z' WHERE user_id = (SELECT id FROM users WHERE email = ?)").run(
            'was@contoso.com',
          );
        } finally {
          db.close();
        }
        t.bridge.photos.forgetAll();
        expect((await getUserPhoto(t, 'was@contoso.com')).ResponseCode).to.equal('ErrorItemNotFound');
        expect(await t.store.getPhotoInfo(userOwner('was@contoso.com'))).to.equal(undefined);
      } finally {
        await t.close();
        sim.users.splice(sim.users.indexOf(user), 1);
      }
    });

    it("serves Graph's photo while the store takes no writes, and stores it once the store does", async () => {
      const t = await startBridgeWithSources([graphSourceEntry('m365', sim)], { users: ['m365'] });
      const adele = userOwner('adele.vance@contoso.com');
      const restPhoto = () =>
        request(t.bridge.server).get('/ews/exchange.asmx/s/GetUserPhoto?email=adele.vance@contoso.com&size=HR648x648').set('Authorization', reader).expect(200);
      // SQLITE_READONLY on the bridge's own connection, as admin-photo.test.ts makes it: one opened on a
      // file it may not write would stay read-only until the bridge is restarted.
      const db = (t.store as unknown as { db: Database.Database }).db;
      try {
        await t.store.upsertUsers([{ email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: { graphId: ADELE.id } }]);
        db.pragma('query_only = true');
        const whileReadOnly = (await restPhoto()).body as Buffer;
        expect(await sharp(whileReadOnly).metadata()).to.include({ format: 'jpeg', width: 648, height: 648 });
        expect(await t.store.getPhotoInfo(adele)).to.equal(undefined);
        db.pragma('query_only = false');
        // Stands in for the few seconds the unrecorded photo is believed (photo-service.test.ts moves a clock through them).
        t.bridge.photos.forgetAll();
        expect(((await restPhoto()).body as Buffer).equals(whileReadOnly)).to.equal(true);
        expect((await t.store.getPhoto(adele))?.bytes.equals(whileReadOnly), 'the bytes served, stored').to.equal(true);
      } finally {
        db.pragma('query_only = false');
        await t.close();
      }
    });

    it('answers GetUserPhoto for a directory user known to Graph only by a proxy address', async () => {
      const t = await startBridgeWithSources([graphSourceEntry('m365', sim)], { users: ['m365'] });
      try {
        await t.store.upsertUsers([{ email: 'adele@contoso.com', displayName: 'Adele Vance', refs: {} }]);
        const response = await getUserPhoto(t, 'adele@contoso.com');
        expect(response.ResponseCode).to.equal('NoError');
        expect(sim.photoPaths).to.deep.equal([`/v1.0/users/${ADELE.id}/photos/648x648/$value`]);
      } finally {
        await t.close();
      }
    });

    it('answers a placeholder no cache may keep while Graph fails, else "try again" (never "no photo"), unlike for a user Graph says has no photo', async () => {
      const t = await startBridgeWithSources([graphSourceEntry('m365', sim)], { users: ['m365'] });
      try {
        await t.store.upsertUsers([
          { email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: { graphId: ADELE.id } },
          { email: 'nophoto@contoso.com', displayName: 'No Photo', refs: { graphId: 'none-1' } },
        ]);
        const restPhoto = (email: string, ifBlank = '&ifBlank=SrNoPhoto') =>
          request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=HR64x64${ifBlank}`).set('Authorization', reader);
        sim.faults = repeated({ kind: 'status', status: 503 }, 2);
        expect((await restPhoto('adele.vance@contoso.com').expect(200)).headers['cache-control']).to.equal('no-store');
        const unanswered = await restPhoto('adele.vance@contoso.com', '').expect(503);
        expect([unanswered.headers['retry-after'], unanswered.headers['x-ews-response-code']]).to.deep.equal(['5', 'ErrorServerBusy']);
        expect(sim.faults).to.deep.equal([]);
        const photoCallsDuringFailure = sim.photoPaths.length;
        const soapCall = (body: string) =>
          request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', reader).set('Content-Type', 'text/xml; charset=utf-8').send(envelope(body));
        // SOAP clients keep a 404 as "no photo" (the EWS Managed API does), so they are told to come back, as Exchange tells a busy server's.
        const soap = await soapCall('<m:GetUserPhoto><m:Email>adele.vance@contoso.com</m:Email><m:SizeRequested>HR64x64</m:SizeRequested></m:GetUserPhoto>');
        const fault = (await parseSoap(soap.text)).Envelope.Body.Fault;
        expect([soap.status, soap.headers['retry-after'], fault.detail.ResponseCode._, fault.detail.MessageXml.Value._]).to.deep.equal([
          500,
          '5',
          'ErrorServerBusy',
          '5000',
        ]);
        // Graph's photo metadata is a photo URL too.
        await request(t.bridge.server).get('/v1.0/users/adele.vance@contoso.com/photo').set('Authorization', reader).expect(503);
        // A name is still resolved, its card without the photo no one could fetch.
        const resolved = await soapCall(
          '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties"><m:UnresolvedEntry>adele.vance@contoso.com</m:UnresolvedEntry></m:ResolveNames>',
        ).expect(200);
        const message = (await parseSoap(resolved.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
        expect([message.ResponseCode, message.ResolutionSet.Resolution.Contact.HasPicture, message.ResolutionSet.Resolution.Contact.Photo]).to.deep.equal([
          'NoError',
          'false',
          undefined,
        ]);
        expect(sim.photoPaths.length, 'the failure is believed for its few seconds, not asked again').to.equal(photoCallsDuringFailure);
        expect((await restPhoto('nophoto@contoso.com').expect(200)).headers['cache-control']).to.match(/^private, max-age=[1-9]/);
      } finally {
        await t.close();
      }
    });

    it('answers "try again" while the client secret is wrong, and the photo once it is mended; a 403 on one mailbox is "no photo"', async () => {
      const t = await startBridgeWithSources([{ ...graphSourceEntry('m365', sim), clientSecret: 'wrong' }], { users: ['m365'] });
      try {
        await t.store.upsertUsers([{ email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: { graphId: ADELE.id } }]);
        const restPhoto = () =>
          request(t.bridge.server).get('/ews/exchange.asmx/s/GetUserPhoto?email=adele.vance@contoso.com&size=HR64x64').set('Authorization', reader);
        const misconfigured = await restPhoto().expect(503);
        expect([misconfigured.headers['retry-after'], misconfigured.headers['x-ews-response-code']]).to.deep.equal(['5', 'ErrorServerBusy']);
        const soap = await request(t.bridge.server)
          .post('/EWS/Exchange.asmx')
          .set('Authorization', reader)
          .set('Content-Type', 'text/xml; charset=utf-8')
          .send(envelope('<m:GetUserPhoto><m:Email>adele.vance@contoso.com</m:Email><m:SizeRequested>HR64x64</m:SizeRequested></m:GetUserPhoto>'));
        expect([soap.status, (await parseSoap(soap.text)).Envelope.Body.Fault.detail.ResponseCode._]).to.deep.equal([500, 'ErrorServerBusy']);
      } finally {
        await t.close();
      }
      const mended = await startBridgeWithSources([graphSourceEntry('m365', sim)], { users: ['m365'] });
      try {
        await mended.store.upsertUsers([
          { email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: { graphId: ADELE.id } },
          { email: 'kept.out@contoso.com', displayName: 'Kept Out', refs: { graphId: ADELE.id } },
        ]);
        const restPhoto = (email: string) =>
          request(mended.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=HR64x64`).set('Authorization', reader);
        expect((await restPhoto('adele.vance@contoso.com').expect(200)).headers['content-type']).to.equal('image/jpeg');
        sim.faults = [{ kind: 'status', status: 403 }];
        await restPhoto('kept.out@contoso.com').expect(404);
      } finally {
        await mended.close();
      }
    });

    describe('when Graph fails, the next source answers', () => {
      let crm: SuperOfficeSimulator;
      let t: TestBridge;

      before(async () => {
        crm = await startSuperOfficeSimulator();
        crm.personImages.set('7', await samplePhoto(500, 300));
        t = await startBridgeWithSources(
          [
            graphSourceEntry('m365', sim),
            {
              name: 'crm',
              type: 'superoffice',
              baseUrl: crm.baseUrl,
              auth: { scheme: 'basic', username: crm.credentials.username, password: crm.credentials.password },
            },
          ],
          { users: ['m365', 'crm'] },
        );
        await t.store.upsertUsers(
          ['down', 'garbage', 'bomb'].map((who) => ({ email: `${who}@contoso.com`, displayName: who, refs: { graphId: ADELE.id, superOfficeId: '7' } })),
        );
      });
      after(async () => {
        await t.close();
        await crm.close();
      });

      for (const [who, faults] of [
        ['down', repeated({ kind: 'status', status: 503 }, 2)],
        ['garbage', [{ kind: 'garbage' }]],
        ['bomb', [{ kind: 'bomb' }]],
      ] as const) {
        it(`serves the CRM's photo when Graph answers ${who === 'down' ? '503 on every try' : who === 'garbage' ? 'garbage bytes' : 'an image bomb'}, and counts the failure`, async () => {
          const stats = { ...t.bridge.upstream.stats };
          const crmCalls = crm.counts.images;
          sim.faults = [...faults];
          const response = await getUserPhoto(t, `${who}@contoso.com`, 'HR648x648');
          expect(response.ResponseCode).to.equal('NoError');
          expect((await t.store.getPhotoInfo(userOwner(`${who}@contoso.com`)))?.source).to.equal('crm');
          expect(t.bridge.upstream.stats.upstreamCalls - stats.upstreamCalls).to.equal(2);
          expect(t.bridge.upstream.stats.upstreamFailures - stats.upstreamFailures).to.equal(1);
          expect(crm.counts.images - crmCalls).to.equal(1);
          expect(sim.faults).to.deep.equal([]);
        });
      }
    });
  });
});

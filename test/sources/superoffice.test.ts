import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import {
  CredentialsRefusedError,
  failureOf as sourceFailureOf,
  MisconfiguredSourceError,
  PermanentSourceError,
  RetryAfterError,
  type PhotoReference,
  type PhotoSource,
} from '../../src/sources/photo-source.js';
import { resilient } from '../../src/sources/resilient-source.js';
import { superOfficeSource } from '../../src/sources/superoffice.js';
import { environmentUrls, tenantRoot } from '../../src/sources/superoffice-tenant.js';
import { retryAfterMs } from '../../src/sources/upstream-http.js';
import { repeated } from '../simulators/photo-faults.js';
import { startSuperOfficeSimulator, type SuperOfficeSimulator } from '../simulators/superoffice.js';
import { startBridgeWithSources } from '../support/bridge-with-sources.js';
import { LONG_RUN } from '../support/long-run.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, type TestBridge } from '../support/test-bridge.js';

const silent = createLogger('silent');
const contact = (superOfficeId: string): PhotoReference => ({ kind: 'contact', emails: [], superOfficeId });
const user = (superOfficeId: string): PhotoReference => ({ kind: 'user', emails: ['ola@contoso.com'], superOfficeId });
const keyDir = mkdtempSync(join(tmpdir(), 'epb-superoffice-'));
const signal = () => AbortSignal.timeout(5000);

describe('SuperOffice source', () => {
  let sim: SuperOfficeSimulator;

  let privateKeyFile: string;
  before(async () => {
    sim = await startSuperOfficeSimulator();
    sim.contactImages.set('42', await samplePhoto(900, 600, 'png'));
    sim.personImages.set('7', await samplePhoto(300, 300));
    privateKeyFile = join(keyDir, 'private.pem');
    writeFileSync(privateKeyFile, sim.privateKeyPem);
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.faults = [];
  });

  const systemUser = (overrides: Record<string, string> = {}) => ({
    scheme: 'systemUser',
    clientSecret: sim.credentials.clientSecret,
    systemUserToken: sim.credentials.systemUserToken,
    privateKeyFile,
    ...overrides,
  });
  const oauth = (overrides: Record<string, string> = {}) => ({
    scheme: 'oauth',
    clientId: sim.credentials.clientId,
    clientSecret: sim.credentials.clientSecret,
    refreshToken: sim.credentials.refreshToken,
    ...overrides,
  });
  // Online schemes ask the simulator's state API where the tenant is, as they would SuperOffice's.
  const settings = (auth: Record<string, string> = { scheme: 'basic', username: sim.credentials.username, password: sim.credentials.password }, extra = {}) =>
    superOfficeSource.schema.parse({ baseUrl: sim.baseUrl, auth, ...(auth.scheme === 'basic' ? {} : { stateUrl: sim.stateUrl }), ...extra });
  const source = (...args: Parameters<typeof settings>) => superOfficeSource.create('crm', settings(...args), silent);
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected a failure'),
      (error: Error) => error,
    );

  describe('against the simulator', () => {
    it("asks Person/{id}/Image for a directory user as JPEG, at no size (a portrait keeps its shape), and hands back SuperOffice's bytes", async () => {
      const answer = await source().fetch(user('7'), signal());
      expect(answer.kind).to.equal('photo');
      const bytes = answer.kind === 'photo' ? answer.bytes : Buffer.alloc(0);
      expect(await sharp(bytes).metadata()).to.include({ format: 'jpeg', width: 300, height: 300 });
      expect(sim.lastImageRequest).to.deep.include({ entity: 'person', id: '7', accept: 'image/jpeg' });
      expect(Object.fromEntries(sim.lastImageRequest!.query)).to.deep.equal({ type: 'JPEG' });
      sim.personImages.set('8', await samplePhoto(300, 400));
      const portrait = await source().fetch(user('8'), signal());
      expect(portrait.kind === 'photo' && (await sharp(portrait.bytes).metadata())).to.include({ width: 300, height: 400 });
    });

    it("takes a mailbox contact's id as a person's too, so nobody gets a company's logo as their face", async () => {
      expect((await source().fetch(contact('7'), signal())).kind).to.equal('photo');
      expect(sim.lastImageRequest).to.deep.include({ entity: 'person', id: '7' });
      expect(await source().fetch(contact('42'), signal())).to.deep.equal({ kind: 'none' });
      expect(sim.lastImageRequest).to.deep.include({ entity: 'person', id: '42' });
    });

    it('asks Contact/{id}/Image (a company) only where the settings say the id names a company', async () => {
      const companies = source(undefined, { superOfficeIdOf: { contacts: 'company' } });
      const answer = await companies.fetch(contact('42'), signal());
      expect(answer.kind === 'photo' && (await sharp(answer.bytes).metadata()).width).to.equal(900);
      expect(sim.lastImageRequest).to.deep.include({ entity: 'contact', id: '42' });
      await companies.fetch(user('7'), signal());
      expect(sim.lastImageRequest).to.deep.include({ entity: 'person', id: '7' });
    });

    it('takes 404 (no ifBlank) as "no photo", once the API has answered at that root', async () => {
      const principals = sim.counts.principal;
      const crm = source();
      expect(await crm.fetch(contact('404'), signal())).to.deep.equal({ kind: 'none' });
      expect(await crm.fetch(contact('405'), signal())).to.deep.equal({ kind: 'none' });
      expect(sim.lastImageRequest!.query.has('ifBlank')).to.equal(false);
      expect(sim.counts.principal - principals, 'the API shown once').to.equal(1);
    });

    it('takes a 404 from a baseUrl off the API (a wrong path, a proxy\'s page) as the setting\'s fault, never "no photo" for everyone', async () => {
      const offTheApi = superOfficeSource.create(
        'crm',
        superOfficeSource.schema.parse({
          baseUrl: `${sim.baseUrl}/WrongPath`,
          auth: { scheme: 'basic', username: sim.credentials.username, password: sim.credentials.password },
        }),
        silent,
      );
      const error = await failureOf(offTheApi.fetch(contact('7'), signal()));
      expect(error).to.be.instanceOf(MisconfiguredSourceError);
      expect(error.message).to.equal('SuperOffice answered 404 for a picture and 404 for User/currentPrincipal: check baseUrl');
    });

    it('takes a sign-in service that answers 404 (a wrong loginUrl) as the setup\'s fault, "try again", never "no photo" for everyone', async () => {
      const wrongLogin = `${new URL(sim.baseUrl).origin}/signin`;
      const kindOf = (error: Error) => [
        error instanceof MisconfiguredSourceError,
        error instanceof CredentialsRefusedError,
        sourceFailureOf(error),
        error.message,
      ];
      expect(kindOf(await failureOf(source(oauth({ loginUrl: wrongLogin })).fetch(user('7'), signal())))).to.deep.equal([
        true,
        false,
        'transient',
        'the SuperOffice token endpoint answered 404: check loginUrl',
      ]);
      expect(kindOf(await failureOf(source(systemUser({ loginUrl: wrongLogin })).fetch(user('7'), signal())))).to.deep.equal([
        true,
        false,
        'transient',
        'the SuperOffice system user service answered 404: check loginUrl',
      ]);
      // A proxy in front of the login service that passes the ticket service but not its keys.
      const partly = createServer((req, res) => {
        if (!req.url?.endsWith('/api/PartnerSystemUser/Authenticate')) return void res.writeHead(404).end();
        const body: Buffer[] = [];
        req.on('data', (chunk: Buffer) => body.push(chunk));
        req.on('end', () => {
          void fetch(`${new URL(sim.baseUrl).origin}/login/api/PartnerSystemUser/Authenticate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: Buffer.concat(body),
          }).then(async (answer) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()));
        });
      });
      await new Promise<void>((resolve) => partly.listen(0, '127.0.0.1', resolve));
      try {
        const proxied = `http://127.0.0.1:${(partly.address() as AddressInfo).port}/login`;
        const tickets = sim.counts.tickets;
        expect(kindOf(await failureOf(source(systemUser({ loginUrl: proxied })).fetch(user('7'), signal())))).to.deep.equal([
          true,
          false,
          'transient',
          'the SuperOffice JWKS endpoint answered 404: check loginUrl',
        ]);
        expect(sim.counts.tickets - tickets, 'the ticket service was reached').to.equal(1);
      } finally {
        partly.close();
      }
    });

    it('looks up only references that carry a SuperOffice id, and refuses one that is not digits', async () => {
      const crm = source();
      expect(crm.accepts({ kind: 'contact', emails: ['x@y.com'] })).to.equal(false);
      expect(crm.accepts(contact(' '))).to.equal(false);
      expect(crm.accepts(contact('42'))).to.equal(true);
      const error = await failureOf(crm.fetch(contact('42/../../User'), signal()));
      expect(error).to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.match(/not a SuperOffice id/);
    });

    it('signs in on-site with Basic, and Online through the system user flow (SOTicket + SO-AppToken) or a refresh token (Bearer)', async () => {
      expect((await source().fetch(user('7'), signal())).kind).to.equal('photo');
      expect((await source(systemUser()).fetch(user('7'), signal())).kind).to.equal('photo');
      expect(sim.lastImageRequest!.appToken).to.equal(sim.credentials.clientSecret);
      expect(sim.lastSystemUserRequest).to.include({ ApplicationToken: sim.credentials.clientSecret, ContextIdentifier: 'Cust12345', ReturnTokenType: 'JWT' });
      expect(sim.lastSystemUserRequest!.SignedSystemToken).to.match(new RegExp(`^${sim.credentials.systemUserToken}\\.\\d{12}\\.[A-Za-z0-9+/]+=*$`));
      expect((await source(oauth()).fetch(user('7'), signal())).kind).to.equal('photo');
    });

    for (const [scheme, auth, counter] of [
      ['system user ticket', () => systemUser(), 'tickets'],
      ['OAuth access token', () => oauth(), 'accessTokens'],
    ] as const) {
      it(`renews a lapsed ${scheme} once on 401, and gives up if the new one is refused too`, async () => {
        const crm = source(auth());
        await crm.fetch(user('7'), signal());
        let issued = sim.counts[counter];
        sim.expireCredentials();
        expect((await crm.fetch(user('7'), signal())).kind).to.equal('photo');
        expect(sim.counts[counter] - issued).to.equal(1);

        issued = sim.counts[counter];
        const images = sim.counts.images;
        sim.faults = repeated({ kind: 'status', status: 401 }, 2);
        const error = await failureOf(crm.fetch(user('7'), signal()));
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.equal('SuperOffice refused the credentials (401)');
        expect([sim.counts[counter] - issued, sim.counts.images - images]).to.deep.equal([1, 2]);
      });

      it(`renews a lapsed ${scheme} once however many lookups notice at once`, async () => {
        const crm = source(auth());
        await crm.fetch(user('7'), signal());
        sim.expireCredentials();
        const issued = sim.counts[counter];
        const answers = await Promise.all(Array.from({ length: 20 }, () => crm.fetch(user('7'), signal())));
        expect(answers.every((answer) => answer.kind === 'photo')).to.equal(true);
        expect(sim.counts[counter] - issued).to.equal(1);
      });
    }

    it('says plainly why SuperOffice Online refused to sign in, as a permanent failure', async () => {
      const wrongToken = await failureOf(source(systemUser({ systemUserToken: 'Photo Bridge-wrong' })).fetch(user('7'), signal()));
      expect(wrongToken).to.be.instanceOf(PermanentSourceError);
      expect(wrongToken.message).to.equal('SuperOffice refused the system user token (Unknown system user token)');
      // A service that quotes the request back: the client secret and the signed token blanked (they were logged whole).
      sim.refusalsQuoteRequest = true;
      try {
        const quoting = await failureOf(source(systemUser({ systemUserToken: 'Photo Bridge-wrong' })).fetch(user('7'), signal()));
        expect(quoting.message).to.equal('SuperOffice refused the system user token (Unknown system user token (application token …, signed …))');
      } finally {
        sim.refusalsQuoteRequest = false;
      }
      const otherKey = join(keyDir, 'other.pem');
      writeFileSync(otherKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
      expect((await failureOf(source(systemUser({ privateKeyFile: otherKey })).fetch(user('7'), signal()))).message).to.equal(
        'SuperOffice refused the system user token (Signature of the system user token is not valid)',
      );
      expect((await failureOf(source(systemUser({ privateKeyFile: join(keyDir, 'missing.pem') })).fetch(user('7'), signal()))).message).to.match(
        /^cannot read the SuperOffice private key file .*missing\.pem \(ENOENT\)$/,
      );
      const revoked = await failureOf(source(oauth({ refreshToken: 'a-revoked-refresh-token' })).fetch(user('7'), signal()));
      expect(revoked).to.be.instanceOf(PermanentSourceError);
      expect(revoked.message).to.equal('SuperOffice refused the refresh token (invalid_grant: The refresh token is not valid or has been revoked)');
    });

    it("finds an Online tenant's API through the state API, and asks again, once, when the tenant has moved (421)", async () => {
      const moving = await startSuperOfficeSimulator();
      try {
        moving.personImages.set('7', await samplePhoto(300, 300));
        const firstRoot = moving.baseUrl;
        const online = (baseUrl: string) =>
          superOfficeSource.create('crm', superOfficeSource.schema.parse({ baseUrl, stateUrl: moving.stateUrl, auth: oauth() }), silent);
        const crm = online(firstRoot);
        expect((await crm.fetch(user('7'), signal())).kind).to.equal('photo');
        expect([moving.counts.states, moving.counts.misdirected]).to.deep.equal([1, 0]);

        const secondRoot = moving.moveTenant();
        expect((await crm.fetch(user('7'), signal())).kind).to.equal('photo');
        expect((await crm.fetch(user('7'), signal())).kind).to.equal('photo');
        expect([moving.counts.states, moving.counts.misdirected, moving.counts.images]).to.deep.equal([2, 1, 3]);

        // A bridge started with the root the tenant has left goes where the state API says from the start.
        expect((await online(firstRoot).fetch(user('7'), signal())).kind).to.equal('photo');
        expect([moving.counts.states, moving.counts.misdirected]).to.deep.equal([3, 1]);

        // Moved away from its configured root while the state API is down: "try again", never one person's "no photo".
        const stranded = online(secondRoot);
        expect((await stranded.fetch(user('7'), signal())).kind).to.equal('photo');
        moving.moveTenant();
        moving.stateApiDown = true;
        const lost = await failureOf(stranded.fetch(user('7'), signal()));
        expect([lost.message, sourceFailureOf(lost)]).to.deep.equal(['SuperOffice answered 421', 'transient']);
        moving.stateApiDown = false;
        expect((await stranded.fetch(user('7'), signal())).kind).to.equal('photo');
      } finally {
        await moving.close();
      }
    });

    it('answers "try again", never "no photo", while the tenant is offline or Unknown, which SuperOffice says during an incident too', async () => {
      const stateOf = (baseUrl: string) =>
        superOfficeSource.create('crm', superOfficeSource.schema.parse({ baseUrl, stateUrl: sim.stateUrl, auth: oauth() }), silent);
      sim.tenantState = 'OfflineMaintenance';
      try {
        const offline = await failureOf(stateOf(sim.baseUrl).fetch(user('7'), signal()));
        expect(offline.message).to.equal('SuperOffice tenant Cust12345 is not running now (OfflineMaintenance)');
        expect(sourceFailureOf(offline)).to.equal('transient');
        // Deleted ("forget all about it"): the setting names a tenant that is gone, a setup to mend.
        sim.tenantState = 'Deleted';
        const deleted = await failureOf(stateOf(sim.baseUrl).fetch(user('7'), signal()));
        expect(deleted).to.be.instanceOf(MisconfiguredSourceError);
        expect(deleted.message).to.equal("SuperOffice's state API says tenant Cust12345 is Deleted");
      } finally {
        sim.tenantState = 'Running';
      }
      const unknown = await failureOf(stateOf(sim.baseUrl.replace('Cust12345', 'Cust99999')).fetch(user('7'), signal()));
      expect(unknown).to.not.be.instanceOf(PermanentSourceError);
      expect(unknown.message).to.equal(
        "SuperOffice's state API says tenant Cust99999 is Unknown: a problem on SuperOffice's side for now (an incident), or a tenant id it does not know",
      );
      expect(sourceFailureOf(unknown)).to.equal('transient');
    });

    it('believes a state answer that the tenant is not running until its ValidUntil ("when to check next time"): the lookups meanwhile fail unasked', async () => {
      const online = (baseUrl: string) =>
        superOfficeSource.create('crm', superOfficeSource.schema.parse({ baseUrl, stateUrl: sim.stateUrl, auth: oauth() }), silent);
      const lookups = async (crm: PhotoSource) => {
        const before = sim.counts.states;
        const failures = [];
        for (let i = 0; i < 5; i++) failures.push(await failureOf(crm.fetch(user('7'), signal())));
        return [sim.counts.states - before, new Set(failures.map((error) => error.message)).size, sourceFailureOf(failures[4])];
      };
      sim.tenantState = 'OfflineMaintenance';
      try {
        expect(await lookups(online(sim.baseUrl))).to.deep.equal([1, 1, 'transient']);
        sim.tenantState = 'Deleted';
        expect(await lookups(online(sim.baseUrl))).to.deep.equal([1, 1, 'transient']);
      } finally {
        sim.tenantState = 'Running';
      }
      // Unknown, with a ValidUntil of now: believed for the least time a running answer is, not asked about on every lookup.
      expect(await lookups(online(sim.baseUrl.replace('Cust12345', 'Cust99999')))).to.deep.equal([1, 1, 'transient']);
    });

    it('asks again a minute after a "not running" answer, whatever later ValidUntil it gave: a tenant back early is served', async () => {
      const crm = superOfficeSource.create('crm', superOfficeSource.schema.parse({ baseUrl: sim.baseUrl, stateUrl: sim.stateUrl, auth: oauth() }), silent);
      sim.tenantState = 'OfflineMaintenance';
      try {
        expect(sourceFailureOf(await failureOf(crm.fetch(user('7'), signal())))).to.equal('transient');
      } finally {
        sim.tenantState = 'Running';
      }
      const realNow = Date.now;
      Date.now = () => realNow() + 61_000;
      try {
        expect((await crm.fetch(user('7'), signal())).kind).to.equal('photo');
      } finally {
        Date.now = realNow;
      }
    });

    it("takes the login service and state API of a tenant URL's SuperOffice Online environment (tenant hosts move: online2, app, sod3)", () => {
      const online = { login: 'https://online.superoffice.com/login', state: 'https://online.superoffice.com/api/state' };
      expect(environmentUrls('https://online.superoffice.com/Cust1')).to.deep.equal(online);
      expect(environmentUrls('https://online2.superoffice.com/Cust1')).to.deep.equal(online);
      expect(environmentUrls('https://APP.superoffice.com/Cust1')).to.deep.equal(online);
      expect(environmentUrls('https://sod3.superoffice.com/Cust1')).to.deep.equal({
        login: 'https://sod.superoffice.com/login',
        state: 'https://sod.superoffice.com/api/state',
      });
      const stage = { login: 'https://qaonline.superoffice.com/login', state: 'https://stage.superoffice.com/api/state' };
      expect(environmentUrls('https://app-stage.superoffice.com/Cust1')).to.deep.equal(stage);
      expect(environmentUrls('https://qaonline.superoffice.com/Cust1')).to.deep.equal(stage);
      expect(environmentUrls('https://crm.example.com/SuperOffice')).to.deep.equal({ login: 'https://crm.example.com/login', state: undefined });
      expect(environmentUrls('https://online.superoffice.com.example.net/Cust1').state).to.equal(undefined);
      expect(environmentUrls('https://www.superoffice.com/Cust1').state).to.equal(undefined);
    });

    it("follows a state answer only where the tenant's credentials may go: https as the state API, no other port, host or query", () => {
      const policy = { allowedHosts: ['online.superoffice.com', '*.superoffice.com'], maxBytes: 1, timeoutMs: 1 };
      const state = 'https://online.superoffice.com/api/state';
      const root = (endpoint: string) => tenantRoot(endpoint, state, policy);
      expect(root('https://online2.superoffice.com/Cust1/')).to.equal('https://online2.superoffice.com/Cust1');
      for (const endpoint of [
        'http://online2.superoffice.com/Cust1',
        'https://online2.superoffice.com:6379/Cust1',
        'https://online2.superoffice.com/Cust1?',
        'https://online2.superoffice.com/Cust1#x',
        'https://user:pw@online2.superoffice.com/Cust1',
        'https://crm.evil.example/Cust1',
        'ftp://online2.superoffice.com/Cust1',
        'not a URL',
      ]) {
        expect(root(endpoint), endpoint).to.equal(undefined);
      }
      // The path is the answer's: a long run of slashes inside it is kept, one that ends it dropped.
      const slashes = '/'.repeat(LONG_RUN);
      expect(root(`https://online2.superoffice.com/Cust1${slashes}x`)).to.equal(`https://online2.superoffice.com/Cust1${slashes}x`);
      expect(root(`https://online2.superoffice.com/Cust1${slashes}`)).to.equal('https://online2.superoffice.com/Cust1');
      // A lab's state API on its own host may name another port of that host.
      expect(tenantRoot('http://127.0.0.1:5555/Cust1', 'http://127.0.0.1:4444/api/state', { ...policy, allowedHosts: ['127.0.0.1'] })).to.equal(
        'http://127.0.0.1:5555/Cust1',
      );
    });

    it('does not retry refused Basic credentials: on-site there is nothing to renew', async () => {
      const requests = sim.counts.total;
      const error = await failureOf(source({ scheme: 'basic', username: 'bridge', password: 'wrong' }).fetch(user('7'), signal()));
      expect(error.message).to.equal('SuperOffice refused the credentials (401)');
      expect(sim.counts.total - requests).to.equal(1);
    });

    it('treats a 5xx as worth retrying, and 429 or 503 as a wait of Retry-After (seconds or a date)', async () => {
      sim.faults = [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 429, retryAfter: '2' },
      ];
      const serverError = await failureOf(source().fetch(user('7'), signal()));
      expect(serverError).to.not.be.instanceOf(PermanentSourceError);
      expect(serverError.message).to.equal('SuperOffice answered 500');
      const throttled = await failureOf(source().fetch(user('7'), signal()));
      expect(throttled).to.be.instanceOf(RetryAfterError);
      expect((throttled as RetryAfterError).delayMs).to.equal(2000);
      // A whole second an hour ahead, as an HTTP date carries it: the wait is the time left until it, read on the clock now.
      const retryAt = Math.floor(Date.now() / 1000) * 1000 + 3600_000;
      sim.faults = [{ kind: 'status', status: 503, retryAfter: new Date(retryAt).toUTCString() }];
      const asked = Date.now();
      const unavailable = await failureOf(source().fetch(user('7'), signal()));
      const answered = Date.now();
      expect(unavailable).to.be.instanceOf(RetryAfterError);
      expect((unavailable as RetryAfterError).delayMs).to.be.within(retryAt - answered, retryAt - asked);
    });

    it('reads a Retry-After date as the time left until it, none once it has passed (RFC 9110 10.2.3: "HTTP-date / delay-seconds")', () => {
      const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
      expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', now)).to.equal(5000);
      expect(retryAfterMs('Wed, 21 Oct 2015 07:27:00 GMT', now)).to.equal(0);
      expect(retryAfterMs('120', now)).to.equal(120_000);
      expect(retryAfterMs('after lunch', now)).to.equal(undefined);
    });

    it('does not follow a redirect', async () => {
      const before = sim.counts.total;
      sim.faults = [{ kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' }];
      expect(await failureOf(source().fetch(user('7'), signal()))).to.be.instanceOf(MisconfiguredSourceError);
      expect(sim.counts.total).to.equal(before + 1);
    });

    it('hands back garbage and bombs as bytes: the photo service checks every image', async () => {
      sim.faults = [{ kind: 'garbage' }];
      const answer = await source().fetch(user('7'), signal());
      expect(answer.kind === 'photo' && answer.bytes.length).to.equal(2048);
    });

    describe('inside the shared resilience', () => {
      const wrapped = (retries: number): PhotoSource => resilient(source(), { timeoutMs: 300, retries, breakerThreshold: 100, breakerHalfOpenMs: 1000 });

      it('gives up on a slow answer at the timeout and retries', async () => {
        const before = sim.counts.images;
        sim.faults = [{ kind: 'slow', ms: 1000 }];
        expect((await wrapped(1).fetch(user('7'), signal())).kind).to.equal('photo');
        expect(sim.counts.images - before).to.equal(2);
      });

      it('retries a 5xx, but never refused credentials', async () => {
        let before = sim.counts.images;
        sim.faults = [{ kind: 'status', status: 502 }];
        expect((await wrapped(2).fetch(user('7'), signal())).kind).to.equal('photo');
        expect(sim.counts.images - before).to.equal(2);

        before = sim.counts.images;
        sim.faults = repeated({ kind: 'status', status: 403 }, 3);
        expect(await failureOf(wrapped(2).fetch(user('7'), signal()))).to.be.instanceOf(PermanentSourceError);
        expect(sim.counts.images - before).to.equal(1);
      });
    });

    it('checks reachability, credentials and a sample lookup in plain words', async () => {
      const steps = await source().check(user('7'), signal());
      expect(steps.slice(0, 2)).to.deep.equal([
        { step: 'reachable', ok: true, detail: 'SuperOffice answered' },
        { step: 'authenticated', ok: true, detail: 'signed in as Photo Bridge' },
      ]);
      expect(steps[2]).to.include({ step: 'sample lookup', ok: true });
      expect(steps[2]!.detail).to.match(/^a photo of \d+ bytes$/);
      expect(await source({ scheme: 'basic', username: 'bridge', password: 'wrong' }).check(undefined, signal())).to.deep.equal([
        { step: 'reachable', ok: true, detail: 'SuperOffice answered' },
        { step: 'authenticated', ok: false, detail: 'SuperOffice refused the credentials (401)' },
      ]);
      const nowhere = superOfficeSource.create(
        'crm',
        superOfficeSource.schema.parse({ baseUrl: 'http://127.0.0.1:9/Cust1', auth: { scheme: 'basic', username: 'u', password: 'p' } }),
        silent,
      );
      const [reachable] = await nowhere.check(undefined, signal());
      expect(reachable).to.include({ step: 'reachable', ok: false });
    });

    it('checks an Online sign-in by renewing it once, and names the step that failed', async () => {
      const tickets = sim.counts.tickets;
      const steps = await source(systemUser()).check(user('7'), signal());
      expect(steps.map((step) => [step.step, step.ok])).to.deep.equal([
        ['reachable', true],
        ['authenticated', true],
        ['renewal', true],
        ['sample lookup', true],
      ]);
      expect(sim.counts.tickets - tickets).to.equal(2);
      expect(await source(oauth({ refreshToken: 'a-revoked-refresh-token' })).check(undefined, signal())).to.deep.equal([
        { step: 'reachable', ok: true, detail: 'SuperOffice answered' },
        {
          step: 'authenticated',
          ok: false,
          detail: 'SuperOffice refused the refresh token (invalid_grant: The refresh token is not valid or has been revoked)',
        },
      ]);
    });

    it('reads its settings strictly: a known auth scheme with its secrets, an http(s) base URL, people unless told otherwise', () => {
      const parse = (value: unknown) => superOfficeSource.schema.safeParse(value).success;
      const online = 'https://online.superoffice.com/Cust12345/';
      const parsed = superOfficeSource.schema.parse({ baseUrl: online, auth: { scheme: 'oauth', clientId: 'c', clientSecret: 's', refreshToken: 'r' } });
      expect(parsed.baseUrl).to.equal('https://online.superoffice.com/Cust12345');
      expect(parsed.superOfficeIdOf).to.deep.equal({ users: 'person', contacts: 'person' });
      expect(parse({ baseUrl: online, auth: { scheme: 'systemUser', clientSecret: 's', systemUserToken: 't', privateKeyFile: '/k.pem' } })).to.equal(true);
      expect(parse({ baseUrl: online, auth: { scheme: 'systemUser', clientSecret: 's', systemUserToken: 't' } })).to.equal(false);
      expect(parse({ baseUrl: online, auth: { scheme: 'soticket', ticket: 't' } })).to.equal(false);
      expect(parse({ baseUrl: online, auth: { scheme: 'bearer', token: 't' } })).to.equal(false);
      expect(parse({ baseUrl: 'https://crm.example.com', auth: { scheme: 'basic', username: 'u' } })).to.equal(false);
      expect(parse({ baseUrl: 'ftp://crm.example.com', auth: { scheme: 'basic', username: 'u', password: 'p' } })).to.equal(false);
      expect(parse({ baseUrl: online, auth: { scheme: 'basic', username: 'u', password: 'p' }, superOfficeIdOf: { contacts: 'contact' } })).to.equal(false);
      expect(parse({ baseUrl: online, auth: { scheme: 'basic', username: 'u', password: 'p' }, appToken: 'gone' })).to.equal(false);
    });
  });

  describe('through the bridge', () => {
    let t: TestBridge;
    let olaId: number;
    const reader = basic(READER);

    before(async () => {
      t = await startBridgeWithSources([{ name: 'crm', type: 'superoffice', baseUrl: sim.baseUrl, stateUrl: sim.stateUrl, auth: systemUser() }], {
        users: ['crm'],
        contacts: ['crm'],
      });
      sim.personImages.set('42', await samplePhoto(900, 600, 'png'));
      sim.personImages.set('43', await samplePhoto(400, 400));
      sim.personImages.set('44', await samplePhoto(400, 400));
      [olaId] = (await t.store.addContacts(READER.username, [
        { displayName: 'Ola Nordmann', emailAddresses: ['ola@kunde.example'], phones: {}, refs: { superOfficeId: '42' } },
        { displayName: 'Kari Nordmann', emailAddresses: ['kari@kunde.example'], phones: {}, refs: { superOfficeId: '43' } },
        { displayName: 'Garbage Person', emailAddresses: ['garbage@kunde.example'], phones: {}, refs: { superOfficeId: '44' } },
        { displayName: 'Bomb Person', emailAddresses: ['bomb@kunde.example'], phones: {}, refs: { superOfficeId: '44' } },
      ])) as [number];
    });
    after(() => t.close());

    const soap = async (body: string) =>
      parseSoap(
        (
          await request(t.bridge.server)
            .post('/EWS/Exchange.asmx')
            .set('Authorization', reader)
            .set('Content-Type', 'text/xml; charset=utf-8')
            .send(envelope(body))
        ).text,
      );
    const facade = (path: string) => request(t.bridge.server).get(path).set('Authorization', reader).buffer(true);

    it("answers GetItem and GetAttachment t:Content with a contact's photo from SuperOffice, and the REST facade its largest square", async () => {
      const before = sim.counts.images;
      const resolved = await soap('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>Ola</m:UnresolvedEntry></m:ResolveNames>');
      const itemId = resolved.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.ItemId.$.Id;

      const item = await soap(
        `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${itemId}"/></m:ItemIds></m:GetItem>`,
      );
      const found = item.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage.Items.Contact;
      expect(found.HasPicture).to.equal('true');
      const attachmentId = found.Attachments.FileAttachment.AttachmentId.$.Id;

      const attachment = await soap(`<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attachmentId}"/></m:AttachmentIds></m:GetAttachment>`);
      const file = attachment.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage.Attachments.FileAttachment;
      expect(file.IsContactPhoto).to.equal('true');
      const content = Buffer.from(file.Content, 'base64');
      expect(await sharp(content).metadata()).to.include({ format: 'jpeg' });
      expect(sim.lastImageRequest).to.deep.include({ entity: 'person', id: '42' });

      // The attachment is the stored original; the facade serves a size code's rendition, square.
      const stored = await t.store.getPhoto(contactOwner(olaId));
      expect(Buffer.compare(content, stored!.bytes)).to.equal(0);
      const rest = await facade(`/api/attachments/${encodeURIComponent(attachmentId)}`)
        .expect(200)
        .expect('content-type', 'image/jpeg');
      const side = Math.min(stored!.width, stored!.height);
      expect(await sharp(rest.body as Buffer).metadata()).to.include({ format: 'jpeg', width: side, height: side });

      expect((await t.store.getPhotoInfo(contactOwner(olaId)))?.source).to.equal('crm');
      expect(sim.counts.images - before).to.equal(1);
    });

    it('asks SuperOffice once for 50 concurrent requests for one uncached contact', async () => {
      const before = sim.counts.images;
      const answers = await Promise.all(Array.from({ length: 50 }, () => facade('/api/people/photo?name=SMTP:kari@kunde.example&size=HR96x96')));
      expect(answers.map((res) => res.status)).to.deep.equal(Array(50).fill(200));
      expect(sim.counts.images - before).to.equal(1);
    });

    it('answers GetUserPhoto "try again" (503, Retry-After), not "no photo", while the token endpoint answers 404 (a wrong loginUrl)', async () => {
      const wrongLogin = await startBridgeWithSources(
        [
          {
            name: 'crm',
            type: 'superoffice',
            baseUrl: sim.baseUrl,
            stateUrl: sim.stateUrl,
            auth: oauth({ loginUrl: `${new URL(sim.baseUrl).origin}/signin` }),
          },
        ],
        { users: ['crm'] },
      );
      try {
        await wrongLogin.store.upsertUsers([{ email: 'ola@contoso.com', displayName: 'Ola Nordmann', refs: { superOfficeId: '7' } }]);
        const rest = await request(wrongLogin.bridge.server)
          .get('/ews/exchange.asmx/s/GetUserPhoto?email=ola@contoso.com&size=HR64x64')
          .set('Authorization', reader);
        expect([rest.status, rest.headers['retry-after'], rest.headers['x-ews-response-code']]).to.deep.equal([503, '5', 'ErrorServerBusy']);
        const soap = await request(wrongLogin.bridge.server)
          .post('/EWS/Exchange.asmx')
          .set('Authorization', reader)
          .set('Content-Type', 'text/xml; charset=utf-8')
          .send(envelope('<m:GetUserPhoto><m:Email>ola@contoso.com</m:Email><m:SizeRequested>HR64x64</m:SizeRequested></m:GetUserPhoto>'));
        const fault = (await parseSoap(soap.text)).Envelope.Body.Fault;
        expect([soap.status, soap.headers['retry-after'], fault.detail.ResponseCode._]).to.deep.equal([500, '5', 'ErrorServerBusy']);
      } finally {
        await wrongLogin.close();
      }
    });

    it('counts garbage bytes and an image bomb from SuperOffice as the source failing: no photo, and the failure counted', async () => {
      const failures = t.bridge.upstream.stats.upstreamFailures;
      // One fault per attempt (BRIDGE_SOURCE_RETRIES 1): on a machine busy enough that checking the
      // answer outlasts the attempt's second, the retry must meet the same answer, not the real photo.
      sim.faults = repeated({ kind: 'garbage' }, 2);
      await facade('/api/people/photo?name=SMTP:garbage@kunde.example').expect(404);
      sim.faults = repeated({ kind: 'bomb' }, 2);
      await facade('/api/people/photo?name=SMTP:bomb@kunde.example').expect(404);
      expect(t.bridge.upstream.stats.upstreamFailures - failures).to.equal(2);
    });
  });
});

import { createServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import { OutboundRefused } from '../../src/sources/outbound-http.js';
import {
  failureOf,
  InconclusiveAnswerError,
  NO_PHOTO,
  PermanentSourceError,
  RetryAfterError,
  type CheckStep,
  type PhotoReference,
  type PhotoSource,
} from '../../src/sources/photo-source.js';
import { resilient } from '../../src/sources/resilient-source.js';
import { autodiscoverRoots, ucwaSource, type UcwaSettings } from '../../src/sources/ucwa.js';
import { challengeParameters, UcwaClient } from '../../src/sources/ucwa-client.js';
import { upstreamPolicy } from '../../src/sources/upstream-http.js';
import { startUcwaSimulator, type UcwaPerson, type UcwaSimulator } from '../simulators/ucwa.js';
import { LONG_RUN } from '../support/long-run.js';
import { samplePhoto } from '../support/sample-images.js';
import { makeSelfSignedCertificate } from '../support/self-signed.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const user = (email: string, sipAddress?: string, refs: Partial<PhotoReference> = {}): PhotoReference => ({
  kind: 'user',
  emails: [email],
  sipAddress,
  ...refs,
});
const contact = (emails: string[], ucwaPerson?: string): PhotoReference => ({ kind: 'contact', emails, ucwaPerson });

async function people(): Promise<UcwaPerson[]> {
  return [
    // A SIP address unlike the email, in mixed case, as SearchForUsersContact's "sip:SaraD@contoso.com".
    { sip: 'sip:AlexW@contoso.com', name: 'Alex Wilber', emails: ['alex.wilber@contoso.com'], photo: await samplePhoto(600, 600) },
    { sip: 'sip:megan.bowen@contoso.com', name: 'Megan Bowen', emails: ['megan.bowen@contoso.com', 'mb@contoso.com'], photo: await samplePhoto(300, 400) },
    { sip: 'sip:lee.gu@fabrikam.com', name: 'Lee Gu', emails: ['lee.gu@fabrikam.com'], photo: await samplePhoto(200, 200) },
    { sip: 'sip:no.photo@contoso.com', name: 'No Photo', emails: ['no.photo@contoso.com'] },
    { sip: 'sip:no.link@contoso.com', name: 'No Link', emails: ['no.link@contoso.com'], photo: await samplePhoto(100, 100), noPhotoLink: true },
    { sip: 'sip:hidden@contoso.com', name: 'Hidden Person', emails: ['hidden@contoso.com'], photo: await samplePhoto(100, 100), hidden: true },
  ];
}

describe('Skype for Business UCWA source', () => {
  let sim: UcwaSimulator;
  let book: UcwaPerson[];
  let source: PhotoSource;
  const settings = (extra: Partial<UcwaSettings> = {}): UcwaSettings =>
    ucwaSource.schema.parse({ autodiscoverUrl: sim.autodiscoverUrl, username: sim.username, password: sim.password, ...extra });
  const build = (extra: Partial<UcwaSettings> = {}, now?: () => number) => ucwaSource.create('skype', settings(extra), createLogger('silent'), { now });
  const fetch = (reference: PhotoReference, signal = AbortSignal.timeout(5000)) => source.fetch(reference, signal);
  const photoOf = (sip: string) => book.find((person) => person.sip === sip)!.photo!;
  const alex = () => user('alex.wilber@contoso.com', 'sip:AlexW@contoso.com');
  const failure = (reference = alex()) =>
    fetch(reference).then(
      () => expect.fail('should have failed'),
      (error: unknown) => error as Error,
    );

  before(async () => {
    book = await people();
    sim = await startUcwaSimulator(book);
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.faults = {};
    sim.undocumented = [];
    source = build();
    for (const key of Object.keys(sim.counts) as (keyof UcwaSimulator['counts'])[]) sim.counts[key] = 0;
  });
  afterEach(() => {
    // The documented links only: the bridge never builds a URL the server does not serve.
    expect(sim.undocumented).to.deep.equal([]);
  });

  describe('settings', () => {
    it('take either a domain or an autodiscover URL, and only the EWS photo sizes', () => {
      const base = { username: 'u@contoso.com', password: 'p' };
      expect(ucwaSource.schema.parse({ ...base, domain: 'contoso.com' })).to.include({ photoSize: 648 });
      expect(ucwaSource.schema.safeParse({ ...base }).success).to.equal(false);
      expect(ucwaSource.schema.safeParse({ ...base, domain: 'contoso.com', autodiscoverUrl: 'https://lyncdiscover.contoso.com/' }).success).to.equal(false);
      expect(ucwaSource.schema.safeParse({ ...base, domain: 'https://contoso.com' }).success).to.equal(false);
      expect(ucwaSource.schema.safeParse({ ...base, domain: 'contoso.com', photoSize: 97 }).success).to.equal(false);
      expect(ucwaSource.schema.safeParse({ ...base, domain: 'contoso.com', passwrd: 'typo' }).success).to.equal(false);
    });

    it("asks a domain's internal autodiscover root first, then the external one, as the UCWA documentation's root URLs are", () => {
      expect(autodiscoverRoots({ domain: 'contoso.com' })).to.deep.equal(['https://lyncdiscoverinternal.contoso.com/', 'https://lyncdiscover.contoso.com/']);
      expect(autodiscoverRoots({ autodiscoverUrl: 'https://pool.contoso.com/' })).to.deep.equal(['https://pool.contoso.com/']);
    });

    it('accepts a reference with a UCWA person, a SIP address or an email', () => {
      expect(source.accepts(user('a@contoso.com'))).to.equal(true);
      expect(source.accepts(contact([], 'sip:lee.gu@fabrikam.com'))).to.equal(true);
      expect(source.accepts(contact([]))).to.equal(false);
    });
  });

  describe('the client flow', () => {
    it('signs in, creates an application, then follows links only: people search, contact, contactPhoto', async () => {
      expect(await fetch(alex())).to.deep.equal({ kind: 'photo', bytes: photoOf('sip:AlexW@contoso.com') });
      expect(sim.lastSearch).to.deep.equal({ query: 'alexw@contoso.com', limit: '10' });
      expect(sim.lastPhotoRequest).to.deep.equal({ size: 'HR648X648', accept: 'image/jpeg' });
      expect(sim.lastApplication).to.have.keys('UserAgent', 'EndpointId', 'Culture');
      expect(sim.counts).to.include({ autodiscover: 1, tokenRequests: 1, applicationCreations: 1, searches: 1, contactReads: 1, photoRequests: 1 });
    });

    it('passes over an autodiscover root that cannot be reached to the next, and takes the answer of one that answers, even a failure', async () => {
      // Port 1: nothing listens, as for an internal name outside the network.
      source = build({ autodiscoverUrl: ['http://127.0.0.1:1/', sim.autodiscoverUrl] });
      expect(await fetch(alex())).to.deep.equal({ kind: 'photo', bytes: photoOf('sip:AlexW@contoso.com') });
      expect(sim.counts).to.include({ autodiscover: 1 });
      const failing = createServer((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"ServiceFailure"}'));
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      try {
        source = build({ autodiscoverUrl: [`http://127.0.0.1:${(failing.address() as AddressInfo).port}/`, sim.autodiscoverUrl] });
        expect((await failure()).message).to.match(/503/);
        expect(sim.counts).to.include({ autodiscover: 1 });
      } finally {
        failing.close();
      }
    });

    it('asks for the configured size', async () => {
      source = build({ photoSize: 240 });
      await fetch(alex());
      expect(sim.lastPhotoRequest?.size).to.equal('HR240X240');
    });

    it('remembers the contact link per person: the next lookup reads the contact without searching', async () => {
      await fetch(alex());
      await fetch(contact(['mb@contoso.com']));
      expect(await fetch(alex())).to.deep.equal({ kind: 'photo', bytes: photoOf('sip:AlexW@contoso.com') });
      expect(await fetch(contact(['MB@contoso.com']))).to.deep.include({ kind: 'photo' });
      expect(sim.counts).to.include({ searches: 2, contactReads: 4, photoRequests: 4 });
    });

    it('forgets a remembered contact that no longer exists (404 ResourceNotFound) and searches again', async () => {
      const leaver: UcwaPerson = { sip: 'sip:leaver@contoso.com', name: 'Leaver', emails: ['leaver@contoso.com'], photo: await samplePhoto(64, 64) };
      book.push(leaver);
      try {
        expect(await fetch(contact(['leaver@contoso.com']))).to.deep.include({ kind: 'photo' });
      } finally {
        book.pop();
      }
      expect(await fetch(contact(['leaver@contoso.com']))).to.deep.equal(NO_PHOTO);
      expect(sim.counts).to.include({ searches: 2, contactReads: 2 });
    });

    it('asks Skype for a SIP address with an internationalised domain in its A-labels, as a SIP URI writes it, though the directory keeps its U-labels', async () => {
      // RFC 3261 §25.1: a SIP URI's host is a hostname of letters, digits and hyphens.
      const juergen: UcwaPerson = {
        sip: 'sip:juergen@xn--bcher-kva.example',
        name: 'Jürgen',
        emails: ['juergen@xn--bcher-kva.example'],
        photo: await samplePhoto(64, 64),
      };
      book.push(juergen);
      try {
        expect(await fetch(user('juergen@bücher.example', 'sip:Juergen@bücher.example'))).to.deep.equal({ kind: 'photo', bytes: juergen.photo });
        expect(sim.lastSearch?.query).to.equal('juergen@xn--bcher-kva.example');
      } finally {
        book.pop();
      }
    });

    it('finds a contact by its ucwaPerson reference (sip: optional), before any SIP address or email', async () => {
      expect(await fetch(contact(['someone.else@contoso.com'], 'lee.gu@fabrikam.com'))).to.deep.include({ kind: 'photo' });
      expect(await fetch(user('alex.wilber@contoso.com', 'sip:AlexW@contoso.com', { ucwaPerson: 'sip:lee.gu@fabrikam.com' }))).to.deep.equal({
        kind: 'photo',
        bytes: photoOf('sip:lee.gu@fabrikam.com'),
      });
      expect(sim.lastSearch?.query).to.equal('lee.gu@fabrikam.com');
    });

    it('takes a SIP address in any case, and uses the photo link exactly as the server wrote it', async () => {
      expect(await fetch(user('alex.wilber@contoso.com', 'SIP:alexw@CONTOSO.com'))).to.deep.equal({ kind: 'photo', bytes: photoOf('sip:AlexW@contoso.com') });
    });

    it('searches the address book by email when there is no SIP address, taking only an exact address match', async () => {
      expect(await fetch(contact(['MB@contoso.com']))).to.deep.equal({ kind: 'photo', bytes: photoOf('sip:megan.bowen@contoso.com') });
      // "wilber@contoso.com" is part of Alex's address: the search finds him, the source must not take him.
      expect(await fetch(contact(['wilber@contoso.com']))).to.deep.equal(NO_PHOTO);
      expect(sim.counts).to.include({ searches: 2, contactReads: 1, photoRequests: 1 });
    });

    describe('a search that lists more people than its limit (moreResultsAvailable)', () => {
      /** `count` people whose addresses contain al@contoso.com, listed before Al, who has a photo (with `al`). */
      const crowdBefore = async (count: number, al: boolean, test: () => Promise<void>) => {
        const crowd = Array.from({ length: count }, (_, n): UcwaPerson => ({
          sip: `sip:maximilian.schoenberger-${n}al@contoso.com`,
          name: `Maximilian Schönberger-Vidal ${n}`,
          emails: [`maximilian.schoenberger-${n}al@contoso.com`, `m.schoenberger${n}@contoso.com`],
        }));
        const added = [...crowd, ...(al ? [{ sip: 'sip:al@contoso.com', name: 'Al', emails: ['al@contoso.com'], photo: await samplePhoto(64, 64) }] : [])];
        book.push(...added);
        try {
          await test();
        } finally {
          book.splice(-added.length);
        }
      };

      it('asks again at the largest limit (100) and finds the person there', () =>
        crowdBefore(11, true, async () => {
          expect(await fetch(user('al@contoso.com'))).to.deep.include({ kind: 'photo' });
          expect(sim.lastSearch).to.deep.equal({ query: 'al@contoso.com', limit: '100' });
          expect(sim.counts).to.include({ searches: 2, contactReads: 1, photoRequests: 1 });
        }));

      it('reads a search answer of 100 people with every property contact_ref lists (past the 128 KB other resources are held to)', () =>
        crowdBefore(99, true, async () => {
          expect(await fetch(user('al@contoso.com'))).to.deep.include({ kind: 'photo' });
          expect(sim.counts).to.include({ searches: 2, contactReads: 1, photoRequests: 1 });
        }));

      it('answers "no photo" when the search at 100 lists everyone and nobody has the address', () =>
        crowdBefore(11, false, async () => {
          expect(await fetch(user('al@contoso.com'))).to.deep.equal(NO_PHOTO);
          expect(sim.counts).to.include({ searches: 2, contactReads: 0 });
        }));

      it('fails as "try again", not "no photo", when even 100 leave the person out', () =>
        crowdBefore(100, true, async () => {
          const error = await failure(user('al@contoso.com'));
          expect(error).to.be.instanceOf(InconclusiveAnswerError);
          expect(failureOf(error)).to.equal('transient');
          expect(error.message).to.equal("UCWA's people search for al@contoso.com matched more than 100 people, al@contoso.com not among those it listed");
          expect(sim.counts).to.include({ searches: 2, contactReads: 0 });
        }));
    });

    it('answers "no photo" for an unknown person, a photo that does not exist and a contact without a contactPhoto link', async () => {
      expect(await fetch(user('ghost@contoso.com', 'sip:ghost@contoso.com'))).to.deep.equal(NO_PHOTO);
      expect(await fetch(contact(['nobody@contoso.com']))).to.deep.equal(NO_PHOTO);
      expect(await fetch(user('no.photo@contoso.com', 'sip:no.photo@contoso.com'))).to.deep.equal(NO_PHOTO);
      expect(await fetch(user('no.link@contoso.com', 'sip:no.link@contoso.com'))).to.deep.equal(NO_PHOTO);
      expect(sim.counts).to.include({ searches: 4, contactReads: 2, photoRequests: 1 });
    });

    it('takes a UCWA 404 whose error body has only its code as "no photo" too', async () => {
      sim.faults.codeOnly = true;
      expect(await fetch(user('no.photo@contoso.com', 'sip:no.photo@contoso.com'))).to.deep.equal(NO_PHOTO);
      expect(sim.counts).to.include({ photoRequests: 1 });
    });

    it('refuses a ucwaPerson that is not a SIP address, saying so', async () => {
      const error = await fetch(contact([], 'lee gu')).catch((e: unknown) => e);
      expect(error)
        .to.be.instanceOf(PermanentSourceError)
        .with.property('message')
        .that.matches(/'lee gu' is not a SIP address/);
    });

    it('keeps the token and the application between lookups', async () => {
      await fetch(alex());
      await fetch(contact(['mb@contoso.com']));
      await fetch(contact([], 'sip:lee.gu@fabrikam.com'));
      expect(sim.counts).to.include({ autodiscover: 1, tokenRequests: 1, applicationCreations: 1, photoRequests: 3 });
    });

    it('signs in once for many concurrent lookups', async () => {
      const references = [...Array.from({ length: 10 }, alex), ...Array.from({ length: 10 }, () => contact(['megan.bowen@contoso.com']))];
      const answers = await Promise.all(references.map((reference) => fetch(reference)));
      expect(answers.every((answer) => answer.kind === 'photo')).to.equal(true);
      expect(sim.counts).to.include({ autodiscover: 1, tokenRequests: 1, applicationCreations: 1, photoRequests: 20 });
    });

    it('follows a root that names only the next hop (redirect), then signs in there', async () => {
      sim.faults.rootRedirect = true;
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
      expect(sim.counts).to.include({ autodiscover: 2, tokenRequests: 1, applicationCreations: 1 });
    });

    it('follows the redirect resource to the pool the user is homed in, signing in there', async () => {
      sim.faults.redirectOnce = true;
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
      expect(sim.counts).to.include({ autodiscover: 1, tokenRequests: 2, applicationCreations: 1 });
    });
  });

  describe('token and application lifetime', () => {
    it('renews an expired token once on 401 and keeps the application', async () => {
      await fetch(alex());
      sim.expireTokens();
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
      expect(sim.counts).to.include({ autodiscover: 1, tokenRequests: 2, applicationCreations: 1 });
    });

    it('renews the token once for concurrent lookups that all met the 401', async () => {
      await fetch(alex());
      sim.expireTokens();
      await Promise.all(Array.from({ length: 10 }, () => fetch(contact(['megan.bowen@contoso.com']))));
      expect(sim.counts.tokenRequests).to.equal(2);
    });

    for (const reason of ['ApplicationNotFound', 'InactiveApplicationExpired'] as const) {
      it(`creates the application again when the server dropped it (${reason}), with contact links of the new one`, async () => {
        await fetch(alex());
        sim.dropApplications(reason);
        expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
        expect(sim.counts).to.include({ tokenRequests: 1, applicationCreations: 2, searches: 2 });
      });
    }

    it('reports 410 TooManyApplications in words without creating another application at once; the next lookup does', async () => {
      await fetch(alex());
      sim.dropApplications('TooManyApplications');
      const error = await failure();
      expect(error).to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.equal('UCWA dropped the application: the account has too many applications (410 TooManyApplications)');
      expect(sim.counts.applicationCreations).to.equal(1);
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
      expect(sim.counts.applicationCreations).to.equal(2);
    });

    it('does not take 410 CannotRedirect for an expired application: the same application, an error that may pass', async () => {
      await fetch(alex());
      sim.faults.photo = 'cannot-redirect';
      const error = await failure();
      expect(error).not.to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.equal("UCWA contactPhoto answered 410 Gone CannotRedirect: the user's pool is unavailable and no backup pool is configured");
      sim.faults.photo = undefined;
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
      expect(sim.counts.applicationCreations).to.equal(1);
    });
  });

  describe('errors and faults', () => {
    it('reports refused credentials as permanent, naming the account and never the password', async () => {
      source = build({ password: 'wrong secret' });
      const error = await failure();
      expect(error).to.be.instanceOf(PermanentSourceError);
      expect(error.message)
        .to.match(/refused the sign-in of bridge@contoso\.com \(400 invalid_grant\)/)
        .and.not.to.include('secret');
    });

    it('treats 403 on a photo (photos turned off by the administrator) as "no photo"', async () => {
      sim.faults.photo = 'forbidden';
      expect(await fetch(alex())).to.deep.equal(NO_PHOTO);
    });

    it('reports 403 on one contact as no access to that person, not as refused credentials; others still work', async () => {
      const error = await failure(user('hidden@contoso.com', 'sip:hidden@contoso.com'));
      expect(error).to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.equal('UCWA gives this account no access to sip:hidden@contoso.com (403 on the contact)');
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
      expect(sim.counts.tokenRequests).to.equal(1);
    });

    it('reports 403 on the search as the account not being allowed to search', async () => {
      sim.faults.search = 'forbidden';
      const error = await failure();
      expect(error).to.be.instanceOf(PermanentSourceError).with.property('message', 'UCWA does not let this account search the address book (403)');
    });

    for (const where of ['search', 'photo'] as const) {
      it(`does not retry 500 InvalidExchangeServerVersion (${where}): it stays until the mailbox moves`, async () => {
        sim.faults[where] = 'wrong-exchange';
        const error = await failure();
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.match(
          /answered 500 ServiceFailure InvalidExchangeServerVersion: the Exchange mailbox is on a version Skype for Business cannot use/,
        );
      });
    }

    it('treats 504 as "try later": an error that may be retried', async () => {
      sim.faults.photo = 'gateway-timeout';
      const error = await failure();
      expect(error).not.to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.equal('UCWA contactPhoto answered 504: Timeout');
    });

    it('takes a 404 that is not UCWA\'s own (a proxy\'s page) as a failure, not as "no photo"', async () => {
      sim.faults.photo = 'proxy-not-found';
      const error = await failure();
      expect(error.message).to.equal('UCWA contactPhoto answered 404');
    });

    it('takes a 403 that is not UCWA\'s own (a firewall\'s page) as a failure, not as "no photo"', async () => {
      sim.faults.photo = 'proxy-forbidden';
      const error = await failure();
      expect(error).to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.equal('UCWA contactPhoto refused access (403)');
      expect(sim.counts.photoRequests).to.equal(1);
    });

    it('on 429 asks the shared retry to wait as long as Retry-After says, and the shared resilience sends nothing more until then', async () => {
      let now = Date.now();
      source = resilient(
        build({}, () => now),
        { timeoutMs: 2000, retries: 0, breakerThreshold: 100, breakerHalfOpenMs: 1000, now: () => now },
      );
      sim.faults.photo = 'rate-limited';
      sim.faults.retryAfter = '1';
      const first = await failure();
      expect(first).to.be.instanceOf(RetryAfterError).and.deep.include({ delayMs: 1000, message: 'UCWA request answered 429: TooManyRequests' });
      const requests = sim.counts.total;
      const lee = contact([], 'sip:lee.gu@fabrikam.com');
      expect(await failure(lee))
        .to.be.instanceOf(RetryAfterError)
        .and.deep.include({ delayMs: 1000, message: 'skype asked for a pause; 1 s left' });
      now += 999;
      expect(await failure(lee))
        .to.be.instanceOf(RetryAfterError)
        .and.deep.include({ delayMs: 1, message: 'skype asked for a pause; 1 s left' });
      expect(sim.counts.total).to.equal(requests);
      sim.faults.photo = undefined;
      now += 1;
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
    });

    it("gives up on a slow photo when the caller's time is up, and the next lookup still works", async () => {
      sim.faults.slowMs = 2000;
      const error = await fetch(alex(), AbortSignal.timeout(150)).catch((e: unknown) => e as Error);
      expect(error)
        .to.be.instanceOf(Error)
        .with.property('name')
        .that.matches(/TimeoutError|AbortError/);
      sim.faults.slowMs = undefined;
      expect(await fetch(alex())).to.deep.include({ kind: 'photo' });
    });

    it("passes garbage bytes on as they are: judging images is the photo service's job", async () => {
      sim.faults.photo = 'garbage';
      expect(await fetch(alex())).to.deep.equal({ kind: 'photo', bytes: Buffer.from('definitely not a jpeg') });
    });

    it('goes only to the allowed hosts', async () => {
      source = build({ allowedHosts: ['*.contoso.com'] });
      expect(await failure()).to.be.instanceOf(OutboundRefused);
      expect(sim.counts.total).to.equal(0);
    });
  });

  describe('links found over https', () => {
    let dir: string;
    let ca: string;
    let root: HttpsServer;
    let rootPort: number;
    let rootAsked = 0;
    /** The client as the source makes it, trusting the test root's certificate. */
    const client = (roots: string[]) =>
      new UcwaClient({
        autodiscoverUrls: roots,
        username: sim.username,
        password: sim.password,
        policy: { ...upstreamPolicy(roots), allowedHosts: ['127.0.0.1'], extraCa: ca },
      });
    const signInFailure = (roots: string[]) =>
      client(roots)
        .signIn(AbortSignal.timeout(5000))
        .then(
          () => expect.fail('should have failed'),
          (error: unknown) => error as Error,
        );

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'epb-ucwa-tls-'));
      const { keyFile, certFile } = makeSelfSignedCertificate(dir, { name: 'root', commonName: 'lyncdiscover', altNames: 'IP:127.0.0.1' });
      ca = readFileSync(certFile, 'utf8');
      // An https autodiscover root whose `user` link is the (plain http) simulator's user resource.
      root = createHttpsServer({ key: readFileSync(keyFile), cert: ca }, (_req, res) => {
        rootAsked++;
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ _links: { user: { href: `${sim.autodiscoverUrl}Autodiscover/AutodiscoverService.svc/root/oauth/user` } } }));
      });
      await new Promise<void>((resolve) => root.listen(0, '127.0.0.1', resolve));
      rootPort = (root.address() as AddressInfo).port;
    });
    after(() => {
      root.close();
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => (rootAsked = 0));

    for (const [what, roots] of [
      ['an https root written in capitals', () => [`HTTPS://127.0.0.1:${rootPort}/`]],
      ['an https root listed before an http one', () => [`https://127.0.0.1:${rootPort}/`, sim.autodiscoverUrl]],
    ] as const) {
      it(`follows no plain http link that ${what} hands out: the password never goes over http`, async () => {
        const error = await signInFailure(roots());
        expect(error).to.be.instanceOf(OutboundRefused);
        expect(error.message).to.equal(
          `UCWA at https://127.0.0.1:${rootPort} handed out a link to ${new URL(sim.autodiscoverUrl).origin}: a link found over https must be https`,
        );
        expect(rootAsked).to.equal(1);
        expect(sim.counts.total).to.equal(0);
      });
    }

    it('follows the plain http links of an http root in the same list', async () => {
      await client([sim.autodiscoverUrl, `https://127.0.0.1:${rootPort}/`]).signIn(AbortSignal.timeout(5000));
      expect(sim.counts).to.include({ autodiscover: 1, tokenRequests: 1 });
      expect(rootAsked).to.equal(0);
    });
  });

  it('takes a sign-in step that answers 404 (an autodiscoverUrl with a wrong path) as the setup\'s, "try again", never "no photo" for everyone', async () => {
    const wrong = build({ autodiscoverUrl: `${sim.autodiscoverUrl}no/such/path/` });
    const error = await wrong.fetch(alex(), AbortSignal.timeout(5000)).then(
      () => expect.fail('should have failed'),
      (thrown: unknown) => thrown as Error,
    );
    expect([error.constructor.name, failureOf(error)]).to.deep.equal(['MisconfiguredSourceError', 'transient']);
    expect(error.message).to.match(/answered 404.*: check autodiscoverUrl$/);
    // The one URL the wrong setting asked, answered as the server answers any it does not serve.
    expect(sim.undocumented.splice(0)).to.deep.equal(['GET /no/such/path/']);
  });

  describe('check', () => {
    const check = (sample?: PhotoReference) => source.check(sample, AbortSignal.timeout(5000));
    const summary = (steps: CheckStep[]) => steps.map((s) => [s.step, s.ok]);

    it('walks sign-in, application, people search, contact and contact photo, saying what each found', async () => {
      const steps = await check(alex());
      expect(summary(steps)).to.deep.equal([
        ['reachable', true],
        ['authenticated', true],
        ['application', true],
        ['people search', true],
        ['contact', true],
        ['contact photo', true],
      ]);
      expect(steps[1]!.detail).to.equal('signed in as bridge@contoso.com');
      expect(steps[2]!.detail).to.match(/^created http:\/\/127\.0\.0\.1:\d+\/ucwa\/oauth\/v1\/applications\/\d+$/);
      expect(steps[3]!.detail).to.match(/^found sip:alexw@contoso\.com: http:.*\/people\/alexw@contoso\.com$/);
      expect(steps[4]!.detail).to.match(/^read sip:AlexW@contoso\.com at http:/);
      expect(steps[5]!.detail).to.match(/^a photo of \d+ bytes$/);
    });

    it('stops after the application when there is no sample', async () => {
      expect(summary(await check())).to.deep.equal([
        ['reachable', true],
        ['authenticated', true],
        ['application', true],
      ]);
    });

    it('stops at the sign-in when the credentials are refused', async () => {
      source = build({ password: 'wrong' });
      const steps = await check(alex());
      expect(summary(steps)).to.deep.equal([
        ['reachable', true],
        ['authenticated', false],
      ]);
      expect(steps[1]!.detail).to.match(/refused the sign-in/);
    });

    it('names the search, the contact or the photo when that step fails', async () => {
      sim.faults.search = 'forbidden';
      let steps = await check(alex());
      expect(steps.at(-1)).to.deep.equal({ step: 'people search', ok: false, detail: 'UCWA does not let this account search the address book (403)' });
      sim.faults.search = undefined;
      steps = await check(user('hidden@contoso.com', 'sip:hidden@contoso.com'));
      expect(steps.at(-1)).to.deep.include({ step: 'contact', ok: false });
      sim.faults.photo = 'gateway-timeout';
      steps = await check(alex());
      expect(steps.at(-1)).to.deep.equal({ step: 'contact photo', ok: false, detail: 'UCWA contactPhoto answered 504: Timeout' });
    });

    it('says plainly when nobody in the address book has the address', async () => {
      const steps = await check(contact(['nobody@contoso.com']));
      expect(steps.at(-1)).to.deep.equal({ step: 'people search', ok: true, detail: 'nobody in the address book is nobody@contoso.com, so no photo' });
    });
  });
});

describe('UCWA photos through the bridge', () => {
  let sim: UcwaSimulator;
  let t: TestBridge;
  let dir: string;
  const reader = basic(READER);

  before(async () => {
    sim = await startUcwaSimulator(await people());
    dir = mkdtempSync(join(tmpdir(), 'epb-ucwa-'));
    const config = join(dir, 'bridge.json');
    writeFileSync(
      config,
      JSON.stringify({
        sources: [{ name: 'skype', type: 'ucwa', autodiscoverUrl: sim.autodiscoverUrl, username: sim.username, password: sim.password }],
        sourceOrder: { users: ['skype'], contacts: [] },
      }),
    );
    t = await startTestBridge({ BRIDGE_CONFIG: config, BRIDGE_SOURCE_TIMEOUT_MS: '1000', BRIDGE_SOURCE_RETRIES: '1', BRIDGE_SOURCE_BREAKER_THRESHOLD: '1000' });
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', sipAddress: 'sip:AlexW@contoso.com', refs: {} },
      { email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', sipAddress: 'sip:megan.bowen@contoso.com', refs: {} },
      { email: 'lee.gu@fabrikam.com', displayName: 'Lee Gu', refs: {} },
      { email: 'no.photo@contoso.com', displayName: 'No Photo', sipAddress: 'sip:no.photo@contoso.com', refs: {} },
    ]);
  });
  after(async () => {
    await t.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    sim.faults = {};
  });

  const widthOf = async (bytes: Buffer) => (await sharp(bytes).metadata()).width;

  it('single-flight: 50 concurrent requests for an uncached person cost one sign-in and one photo call', async () => {
    // One request first, so the reader's password is verified once rather than 50 times at once.
    await request(t.bridge.server).get('/api/people/photo?name=nobody').set('Authorization', reader).expect(404);
    expect(sim.counts.total).to.equal(0);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        request(t.bridge.server).get('/api/people/photo?name=SMTP:megan.bowen@contoso.com&size=HR96x96').set('Authorization', reader).buffer(true),
      ),
    );
    expect(responses.map((res) => res.status)).to.deep.equal(Array(50).fill(200));
    expect(sim.counts).to.include({ tokenRequests: 1, applicationCreations: 1, photoRequests: 1 });
  });

  it('GetUserPhoto (SOAP) answers PictureData for a directory user whose photo lives in Skype for Business', async () => {
    const res = await request(t.bridge.server)
      .post('/EWS/Exchange.asmx')
      .set('Authorization', reader)
      .set('Content-Type', 'text/xml; charset=utf-8')
      .send(envelope('<m:GetUserPhoto><m:Email>alex.wilber@contoso.com</m:Email><m:SizeRequested>HR120x120</m:SizeRequested></m:GetUserPhoto>'))
      .expect(200);
    const response = (await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse;
    expect(response.ResponseCode).to.equal('NoError');
    expect(await widthOf(Buffer.from(response.PictureData, 'base64'))).to.equal(120);
    expect(await t.store.getPhotoInfo(userOwner('alex.wilber@contoso.com'))).to.include({ source: 'skype' });
  });

  it('the REST facade answers the same photo as JPEG bytes, found by email search when there is no SIP address', async () => {
    const res = await request(t.bridge.server)
      .get('/api/people/photo?name=SMTP:lee.gu@fabrikam.com&size=HR96x96')
      .set('Authorization', reader)
      .buffer(true)
      .expect(200);
    expect(res.headers['content-type']).to.equal('image/jpeg');
    expect(await widthOf(res.body as Buffer)).to.equal(96);
  });

  it('a person without a photo, and photos turned off by the administrator, are "no photo", not failures', async () => {
    await t.store.upsertUsers([{ email: 'forbidden@contoso.com', displayName: 'Forbidden', sipAddress: 'sip:AlexW@contoso.com', refs: {} }]);
    const failures = t.bridge.upstream.stats.upstreamFailures;
    await request(t.bridge.server).get('/api/people/photo?name=SMTP:no.photo@contoso.com').set('Authorization', reader).expect(404);
    sim.faults.photo = 'forbidden';
    await request(t.bridge.server).get('/api/people/photo?name=SMTP:forbidden@contoso.com').set('Authorization', reader).expect(404);
    expect(t.bridge.upstream.stats.upstreamFailures).to.equal(failures);
  });

  // An answer that is no photo is "no usable photo"; no answer is "try again", never "no photo".
  for (const [fault, status] of [
    ['garbage', 404],
    ['bomb', 404],
    ['gateway-timeout', 503],
    ['proxy-forbidden', 404],
  ] as const) {
    it(`a ${fault} answer from UCWA counts as the source failing (${status}), and nothing is stored`, async () => {
      const email = `${fault}@contoso.com`;
      await t.store.upsertUsers([{ email, displayName: fault, sipAddress: 'sip:AlexW@contoso.com', refs: {} }]);
      sim.faults.photo = fault;
      const failures = t.bridge.upstream.stats.upstreamFailures;
      await request(t.bridge.server).get(`/api/people/photo?name=SMTP:${email}`).set('Authorization', reader).expect(status);
      expect(t.bridge.upstream.stats.upstreamFailures).to.equal(failures + 1);
      expect(await t.store.getPhotoInfo(userOwner(email))).to.equal(undefined);
    });
  }

  it('a setup no photo can get past (a refused sign-in, a host not allowed) is "try again" (503), never "no photo"', async () => {
    const setUp = async (source: Record<string, unknown>) => {
      writeFileSync(
        join(dir, 'wrong.json'),
        JSON.stringify({ sources: [{ name: 'skype', type: 'ucwa', ...source }], sourceOrder: { users: ['skype'], contacts: [] } }),
      );
      const wrong = await startTestBridge({ BRIDGE_CONFIG: join(dir, 'wrong.json'), BRIDGE_SOURCE_TIMEOUT_MS: '1000', BRIDGE_SOURCE_RETRIES: '1' });
      try {
        await wrong.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', sipAddress: 'sip:AlexW@contoso.com', refs: {} }]);
        const res = await request(wrong.bridge.server)
          .get('/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR96x96')
          .set('Authorization', reader);
        return [res.status, res.headers['retry-after']];
      } finally {
        await wrong.close();
      }
    };
    const settings = { autodiscoverUrl: sim.autodiscoverUrl, username: sim.username, password: sim.password };
    expect(await setUp({ ...settings, password: 'wrong' })).to.deep.equal([503, '5']);
    const requests = sim.counts.total;
    expect(await setUp({ ...settings, allowedHosts: ['*.contoso.com'] })).to.deep.equal([503, '5']);
    expect(sim.counts.total, 'nothing reached the host not allowed').to.equal(requests);
  });

  // What is worth asking again is "try again" (503) to the client too; what is not stands for "no photo".
  for (const [fault, photoRequests, status, title] of [
    ['gateway-timeout', 2, 503, '504 is asked again by the shared retry'],
    ['wrong-exchange', 1, 404, '500 InvalidExchangeServerVersion is not asked again'],
  ] as const) {
    it(title, async () => {
      const email = `retry-${fault}@contoso.com`;
      await t.store.upsertUsers([{ email, displayName: fault, sipAddress: 'sip:AlexW@contoso.com', refs: {} }]);
      sim.faults.photo = fault;
      const before = sim.counts.photoRequests;
      await request(t.bridge.server).get(`/api/people/photo?name=SMTP:${email}`).set('Authorization', reader).expect(status);
      expect(sim.counts.photoRequests - before).to.equal(photoRequests);
    });
  }
});

describe("UCWA's MsRtcOAuth challenge", () => {
  // Its shape in UCWA's documentation (Create an application, step 4), as the simulator sends it.
  const challenge = 'href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"';

  it('reads its parameters, names in lower case, quoted or not', () => {
    expect(Object.fromEntries(challengeParameters(`${challenge}, Realm=lync`))).to.deep.equal({
      href: 'https://lyncweb.contoso.com/WebTicket/oauthtoken',
      grant_type: 'urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password',
      realm: 'lync',
    });
  });

  it('reads them past a long word without =', () => {
    const word = 'a'.repeat(LONG_RUN);
    expect(Object.fromEntries(challengeParameters(`${word} ${challenge} ${word}`))).to.deep.equal({
      href: 'https://lyncweb.contoso.com/WebTicket/oauthtoken',
      grant_type: 'urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password',
    });
  });
});

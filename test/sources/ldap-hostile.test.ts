import { expect } from 'chai';
import { readLdapDirectory } from '../../src/import/ldap-directory.js';
import { createLogger } from '../../src/logger.js';
import { ldapSource, LOOKUP_MAX_BYTES } from '../../src/sources/ldap.js';
import { diagnosticOf } from '../../src/sources/ldap-connection.js';
import { CredentialsRefusedError, failureOf, MisconfiguredSourceError, PermanentSourceError } from '../../src/sources/photo-source.js';
import { SourcePausedError } from '../../src/sources/credential-gate.js';
import { resilient } from '../../src/sources/resilient-source.js';
import { startHostileDirectory, startRefusingDirectory, type HostileDirectory } from '../simulators/hostile-directory.js';
import { LONG_RUN } from '../support/long-run.js';

describe('LDAP source against a directory that sends without end', () => {
  let directory: HostileDirectory | undefined;
  afterEach(async () => {
    await directory?.close();
    directory = undefined;
  });

  const lookUp = (url: string) =>
    ldapSource
      .create('ad', ldapSource.schema.parse({ url, baseDn: 'dc=example' }), createLogger('silent'))
      .fetch({ kind: 'user', emails: ['someone@example.com'] }, AbortSignal.timeout(30_000))
      .then(
        () => expect.fail('the lookup should have failed'),
        (error: unknown) => error,
      );

  for (const [what, start] of [
    ['endless entries of 1 MiB, past the sizeLimit', () => startHostileDirectory('endless')],
    ['one entry whose photo is 64 MiB', () => startHostileDirectory('huge', 64 * 1024 * 1024)],
  ] as const) {
    it(`stops reading ${what} at ${LOOKUP_MAX_BYTES / 1024 / 1024} MiB, as a permanent failure`, async () => {
      directory = await start();
      const failure = await lookUp(directory.url);
      expect(failure).to.be.instanceOf(PermanentSourceError);
      expect((failure as Error).message).to.equal(`the directory sent more than ${LOOKUP_MAX_BYTES} bytes for one read of a photo lookup`);
      // The connection was closed past the limit, not read to the end: the sockets' buffers take some MiB more of the server's writes (8 MiB and 83 bytes once), far short of the 64 MiB photo.
      expect(await directory.searchClosed()).to.be.below(LOOKUP_MAX_BYTES + 16 * 1024 * 1024);
    });
  }

  it('has `sources check` name the sample lookup, not the reaching of the directory, as what failed at the byte limit', async () => {
    directory = await startHostileDirectory('huge', 64 * 1024 * 1024);
    const steps = await ldapSource
      .create('ad', ldapSource.schema.parse({ url: directory.url, baseDn: 'dc=example' }), createLogger('silent'))
      .check({ kind: 'user', emails: ['someone@example.com'] }, AbortSignal.timeout(30_000));
    expect(steps).to.deep.equal([
      { step: 'reachable', ok: true, detail: `${directory.url} answers` },
      { step: 'authenticated', ok: true, detail: 'anonymous (no bindDn configured)' },
      { step: 'sample lookup', ok: false, detail: `the directory sent more than ${LOOKUP_MAX_BYTES} bytes for one read of a photo lookup` },
    ]);
  });

  it('stops a directory import at importMaxMiB, as a permanent failure: its entries are held until the last page', async () => {
    directory = await startHostileDirectory('endless');
    const settings = ldapSource.schema.parse({ url: directory.url, baseDn: 'dc=example', importMaxMiB: 8 });
    const failure = await readLdapDirectory(settings, AbortSignal.timeout(30_000)).then(
      () => expect.fail('the import should have failed'),
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(PermanentSourceError);
    expect((failure as Error).message).to.equal(`the directory sent more than ${8 * 1024 * 1024} bytes for the import (importMaxMiB)`);
    expect(await directory.searchClosed()).to.be.below((8 + 16) * 1024 * 1024);
  });
});

describe('LDAP source against a directory that quotes the bind password back', () => {
  const BIND = { dn: 'cn=photo-reader,dc=example', password: 'Tr0ub4dor&3-LdapBindSecret' };
  const source = (url: string) =>
    ldapSource.create('ad', ldapSource.schema.parse({ url, baseDn: 'dc=example', bindDn: BIND.dn, bindPassword: BIND.password }), createLogger('silent'));
  const lookUp = (url: string) =>
    source(url)
      .fetch({ kind: 'user', emails: ['someone@example.com'] }, AbortSignal.timeout(5000))
      .then(
        () => expect.fail('the lookup should have failed'),
        (error: unknown) => error as Error,
      );
  /** Whether `text` holds the password, or eight characters of it together, in any case. */
  const quotesPassword = (text: string) =>
    Array.from({ length: BIND.password.length - 7 }, (_, at) => BIND.password.slice(at, at + 8).toLowerCase()).some((run) => text.toLowerCase().includes(run));

  // unwillingToPerform as the red team's directory answered; busy (51), a refusal the bridge retries, quoted as well.
  for (const resultCode of [53, 51]) {
    it(`blanks the password from a refusal (${resultCode}) that quotes it, in the failure the log shows and in \`sources check\``, async () => {
      const directory = await startRefusingDirectory(resultCode, (bind) => `bind refused for ${bind.dn} with password ${bind.password} (policy)`);
      try {
        const failure = await lookUp(directory.url);
        expect(failure.message).to.include(`bind refused for ${BIND.dn} with password … (policy)`);
        expect(quotesPassword(failure.message)).to.equal(false);
        const steps = await source(directory.url).check(undefined, AbortSignal.timeout(5000));
        expect(steps.at(-1)).to.include({ step: 'authenticated', ok: false });
        expect(steps.at(-1)!.detail).to.include('with password … (policy)');
        expect(quotesPassword(JSON.stringify(steps))).to.equal(false);
      } finally {
        await directory.close();
      }
    });
  }

  it('blanks the password before it cuts a long diagnostic: no piece of it is left at the cut', async () => {
    // The password across the 300th character of what is quoted, then 100 KB more.
    const diagnostic = (bind: { password: string }) => `${'x'.repeat(290)} ${bind.password} ${'pad '.repeat(25_000)}`;
    const directory = await startRefusingDirectory(53, diagnostic);
    try {
      const failure = await lookUp(directory.url);
      expect(quotesPassword(failure.message)).to.equal(false);
      expect(failure.message).to.include(`${'x'.repeat(290)} … pad`);
      expect(failure.message.length).to.be.below(400);
    } finally {
      await directory.close();
    }
  });
});

describe("a directory's diagnostic", () => {
  it("is ldapts's message without the code it appends, past a long run of blanks too", () => {
    expect(diagnosticOf('Insufficient access Code: 0x32')).to.equal('Insufficient access');
    expect(diagnosticOf(' Code: 0x32')).to.equal('');
    const blanks = ' '.repeat(LONG_RUN);
    expect(diagnosticOf(`no${blanks}access${blanks}Code: 0x32`)).to.equal(`no${blanks}access`);
    expect(diagnosticOf(`no${blanks}access Code: 0x32!`)).to.equal(`no${blanks}access Code: 0x32!`);
  });
});

describe('LDAP source whose bind is refused', () => {
  const source = (url: string) =>
    resilient(
      ldapSource.create(
        'ad',
        ldapSource.schema.parse({ url, baseDn: 'dc=example', bindDn: 'cn=photo-reader,dc=example', bindPassword: 'secret' }),
        createLogger('silent'),
      ),
      { timeoutMs: 5000, retries: 2, breakerThreshold: 100, breakerHalfOpenMs: 1000 },
    );
  const twoLookups = async (url: string) => {
    const gated = source(url);
    const failures: unknown[] = [];
    for (const email of ['ada@example.com', 'bob@example.com']) {
      failures.push(
        await gated.fetch({ kind: 'user', emails: [email] }, AbortSignal.timeout(5000)).then(
          () => expect.fail('the lookup should have failed'),
          (error: unknown) => error,
        ),
      );
    }
    return failures;
  };

  // insufficientAccessRights: an account barred; confidentialityRequired: sent again, the password would cross in clear again.
  for (const resultCode of [50, 13]) {
    it(`pauses credentials refused (${resultCode}): sent once, the next lookup not asked`, async () => {
      const directory = await startRefusingDirectory(resultCode, () => 'refused');
      try {
        const [first, second] = await twoLookups(directory.url);
        expect([first instanceof CredentialsRefusedError, second instanceof SourcePausedError, directory.binds]).to.deep.equal([true, true, 1]);
      } finally {
        await directory.close();
      }
    });
  }

  // unwillingToPerform: also a directory's answer while it starts or is read-only; operationsError, a failing server's.
  for (const resultCode of [53, 1]) {
    it(`answers another refusal (${resultCode}) "try again", never "no photo", and binds again at the next lookup`, async () => {
      const directory = await startRefusingDirectory(resultCode, () => 'not now');
      try {
        const failures = await twoLookups(directory.url);
        expect(failures.map((error) => [error instanceof MisconfiguredSourceError, error instanceof CredentialsRefusedError, failureOf(error)])).to.deep.equal(
          Array(2).fill([true, false, 'transient']),
        );
        expect(directory.binds).to.equal(2);
      } finally {
        await directory.close();
      }
    });
  }
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli } from '../support/run-cli.js';

describe('ews-photo-bridge photo lock / unlock', function () {
  // One node start per command; on a loaded machine each can take seconds.
  this.timeout(60_000);
  let dir: string;
  let db: string;
  const cli = (args: string[]) => runCli(['--db', db, ...args]);
  const lockedIn = async (email: string) => {
    const store = new SqliteStore(db);
    try {
      return await store.isPhotoLocked(email);
    } finally {
      await store.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-photo-lock-'));
    db = join(dir, 'bridge.db');
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: 'adele.vance@contoso.com', displayName: 'Adele Vance', refs: {} }]);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('locks a user’s photo against self-service changes, and unlocks it, by any spelling of the address', async () => {
    const lock = cli(['photo', 'lock', 'Adele.Vance@Contoso.com']);
    expect([lock.status, lock.stdout, lock.stderr]).to.deep.equal([0, 'locked the photo of adele.vance@contoso.com\n', '']);
    expect(await lockedIn('adele.vance@contoso.com')).to.equal(true);

    const again = cli(['photo', 'lock', 'adele.vance@contoso.com']);
    expect(again.status, 'locking twice is not an error').to.equal(0);
    expect(await lockedIn('adele.vance@contoso.com')).to.equal(true);

    const unlock = cli(['photo', 'unlock', 'adele.vance@contoso.com']);
    expect([unlock.status, unlock.stdout, unlock.stderr]).to.deep.equal([0, 'unlocked the photo of adele.vance@contoso.com\n', '']);
    expect(await lockedIn('adele.vance@contoso.com')).to.equal(false);
  });

  it('answers an unknown user with one plain line and exit status 1', () => {
    for (const command of ['lock', 'unlock']) {
      const result = cli(['photo', command, 'nobody@contoso.com']);
      expect([result.status, result.stdout, result.stderr]).to.deep.equal([1, '', "ews-photo-bridge: no directory user 'nobody@contoso.com'\n"]);
    }
  });

  it('is listed in the help of photo', () => {
    const help = runCli(['photo', '--help']);
    expect(help.stdout).to.match(/^ {2}lock <email> +stop the user changing their own photo/m);
    expect(help.stdout).to.match(/^ {2}unlock <email> +let the user change their own photo again/m);
  });
});

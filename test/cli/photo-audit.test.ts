import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { userOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli, type CliResult } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';

/** The JSON log lines a command wrote to stderr. */
function logLines(result: CliResult): Record<string, unknown>[] {
  return result.stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('ews-photo-bridge photo set / remove / lock / unlock write the audit line', function () {
  // One node start per command; on a loaded machine each can take seconds.
  this.timeout(60_000);
  const ADELE = 'adele.vance@contoso.com';
  const operator = { actor: userInfo().username, actorRole: 'operator', door: 'cli', audit: 'photo', target: ADELE };
  let dir: string;
  let db: string;
  // The server's log level applies: at info, the line the HTTP doors write.
  const cli = (args: string[]) => runCli(['--db', db, ...args], { env: { BRIDGE_LOG_LEVEL: 'info' } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-photo-audit-'));
    db = join(dir, 'bridge.db');
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: ADELE, displayName: 'Adele Vance', refs: {} }]);
    await store.close();
    writeFileSync(join(dir, 'adele.png'), await samplePhoto(300, 300, 'png'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('logs a set with the operating-system user as actor, role operator, door cli and the new photo’s sha256, not its bytes', async () => {
    const result = cli(['photo', 'set', 'Adele.Vance@Contoso.com', join(dir, 'adele.png')]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.equal(`stored a 300×300 photo for ${ADELE}\n`);
    const store = new SqliteStore(db);
    const stored = await store.getPhoto(userOwner(ADELE));
    await store.close();
    const lines = logLines(result);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ ...operator, action: 'set photo', sha256: stored!.sha256, msg: `${userInfo().username}: set photo of ${ADELE}` });
    expect(result.stderr.length, 'no image bytes in the line').to.be.below(600);
  });

  it('logs a lock, an unlock and a removal, one line each', () => {
    for (const [args, action] of [
      [['photo', 'lock', ADELE], 'lock photo'],
      [['photo', 'unlock', ADELE], 'unlock photo'],
      [['photo', 'remove', ADELE], 'remove photo'],
    ] as const) {
      const result = cli([...args]);
      expect(result.status, result.stderr).to.equal(0);
      const lines = logLines(result);
      expect(lines, action).to.have.length(1);
      expect(lines[0]).to.include({ ...operator, action });
      expect(lines[0]).to.not.have.property('sha256');
    }
  });

  it('prints and audits the person’s primary address when another of their addresses is named (as the admin API does)', async () => {
    const MEGAN = 'megan.bowen@contoso.com';
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: MEGAN, displayName: 'Megan Bowen', refs: {}, otherAddresses: ['megan@contoso.com'] }]);
    await store.close();
    for (const [args, action, said] of [
      [['photo', 'set', 'Megan@Contoso.com', join(dir, 'adele.png')], 'set photo', `stored a 300×300 photo for ${MEGAN}\n`],
      [['photo', 'lock', 'megan@contoso.com'], 'lock photo', `locked the photo of ${MEGAN}\n`],
      [['photo', 'unlock', 'megan@contoso.com'], 'unlock photo', `unlocked the photo of ${MEGAN}\n`],
      [['photo', 'remove', 'megan@contoso.com'], 'remove photo', `removed the photo of ${MEGAN}\n`],
    ] as const) {
      const result = cli([...args]);
      expect([result.status, result.stdout], action).to.deep.equal([0, said]);
      expect(logLines(result).map((line) => [line.action, line.target])).to.deep.equal([[action, MEGAN]]);
    }
    const after = new SqliteStore(db);
    expect(await after.getPhoto(userOwner('megan@contoso.com'))).to.equal(undefined);
    await after.close();
  });

  it('logs nothing for a lock that repeats the lock as it is (as the admin API), and says the same', async () => {
    const LEE = 'lee.gu@contoso.com';
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: LEE, displayName: 'Lee Gu', refs: {} }]);
    await store.close();
    for (const [command, lines] of [
      ['unlock', 0],
      ['lock', 1],
      ['lock', 0],
      ['unlock', 1],
    ] as const) {
      const result = cli(['photo', command, LEE]);
      expect([result.status, result.stdout], command).to.deep.equal([0, `${command}ed the photo of ${LEE}\n`]);
      expect(logLines(result).length, `${command}: audit lines`).to.equal(lines);
    }
  });

  it('logs the removal of a user, whose photo goes with them; nothing for no such user', async () => {
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: 'leaving@contoso.com', displayName: 'Leaving', refs: {} }]);
    await store.close();
    const removed = cli(['user', 'remove', 'leaving@contoso.com']);
    expect(removed.status, removed.stderr).to.equal(0);
    expect(logLines(removed)).to.have.length(1);
    expect(logLines(removed)[0]).to.include({ ...operator, target: 'leaving@contoso.com', action: 'remove user' });
    const again = cli(['user', 'remove', 'leaving@contoso.com']);
    expect([again.status, again.stderr]).to.deep.equal([1, "ews-photo-bridge: no directory user 'leaving@contoso.com'\n"]);
  });

  it('removes a user named by another of their addresses, as the admin API does, printing and logging their primary address', async () => {
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: 'pradeep.gupta@contoso.com', displayName: 'Pradeep Gupta', refs: {}, otherAddresses: ['pradeep@contoso.com'] }]);
    await store.close();
    const removed = cli(['user', 'remove', 'Pradeep@Contoso.com']);
    expect([removed.status, removed.stdout]).to.deep.equal([0, 'removed pradeep.gupta@contoso.com from the directory\n']);
    expect(logLines(removed).map((line) => [line.action, line.target])).to.deep.equal([['remove user', 'pradeep.gupta@contoso.com']]);
    const after = new SqliteStore(db);
    expect(await after.getUser('pradeep.gupta@contoso.com')).to.equal(undefined);
    await after.close();
  });

  it('logs nothing when nothing changed: no photo to remove, no such user to lock, an unreadable image', () => {
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    for (const args of [
      ['photo', 'remove', ADELE],
      ['photo', 'lock', 'nobody@contoso.com'],
      ['photo', 'set', ADELE, join(dir, 'notes.txt')],
    ]) {
      const result = cli(args);
      expect(result.status, args.join(' ')).to.equal(1);
      expect(result.stderr, args.join(' ')).to.match(/^ews-photo-bridge: [^\n]+\n$/);
    }
  });

  it('follows BRIDGE_LOG_LEVEL as the server does: silent writes no line', () => {
    const result = runCli(['--db', db, 'photo', 'lock', ADELE], { env: { BRIDGE_LOG_LEVEL: 'silent' } });
    expect([result.status, result.stderr]).to.deep.equal([0, '']);
  });
});

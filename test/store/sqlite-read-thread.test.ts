import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ShuttingDownError } from '../../src/domain/errors.js';
import { SqliteReadThread } from '../../src/store/sqlite-read-thread.js';

describe('the read thread of the embedded store', () => {
  let dir: string;
  let path: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-read-thread-'));
    path = join(dir, 'bridge.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (n INTEGER)');
    db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const rejectionOf = (read: Promise<unknown>) =>
    read.then(
      () => expect.fail('the read should have failed'),
      (error: unknown) => error as Error & { code?: string },
    );
  const tagged = (tag: string) => [{ sql: 'SELECT @tag AS tag', parameters: { tag }, first: true }];

  it("gives the mailboxes turns: another mailbox's read goes before a second of one that already had a turn", async () => {
    const thread = new SqliteReadThread(path, 1000, () => expect.fail('the thread failed'));
    try {
      const order: string[] = [];
      const reads = [
        ...['a1', 'a2', 'a3'].map((tag) => ['a@contoso.com', tag] as const),
        ['b@contoso.com', 'b1'] as const,
        ['c@contoso.com', 'c1'] as const,
      ].map(([mailbox, tag]) => thread.read(mailbox, tagged(tag)).then(([row]) => order.push((row as { tag: string }).tag)));
      await Promise.all(reads);
      expect(order).to.deep.equal(['a1', 'b1', 'c1', 'a2', 'a3']);
    } finally {
      await thread.stop();
    }
  });

  it('fails the reads still waiting when stopped, and every read after', async () => {
    const thread = new SqliteReadThread(path, 1000, () => expect.fail('a stop is no failure'));
    const waiting = thread.read('a@contoso.com', tagged('late'));
    await thread.stop();
    // The bridge's shutdown abandons them: refusals no one logs as a fault.
    expect(await rejectionOf(waiting)).to.be.instanceOf(ShuttingDownError);
    expect(await rejectionOf(thread.read('a@contoso.com', tagged('after')))).to.be.instanceOf(ShuttingDownError);
  });

  it('says once when the thread stops on its own (a file it cannot open), and fails its reads', async () => {
    const failures: Error[] = [];
    const thread = new SqliteReadThread(join(dir, 'gone.db'), 1000, (error) => failures.push(error));
    const refused = await rejectionOf(thread.read('a@contoso.com', tagged('x')));
    await thread.stop();
    expect(failures).to.have.length(1);
    expect([refused, refused.code]).to.deep.equal([failures[0], 'SQLITE_CANTOPEN']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { watchStoreChanges } from '../../src/store/change-watcher.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { eventually } from '../support/eventually.js';

/** The embedded store, its looks at the change counter counted; while `busy`, a look fails as SQLITE_BUSY would. */
class WatchedStore extends SqliteStore {
  looks = 0;
  busy = false;
  override async changeCounter(): Promise<number> {
    try {
      if (this.busy) throw new Error('SQLITE_BUSY');
      return await super.changeCounter();
    } finally {
      this.looks++;
    }
  }
}

describe('watchStoreChanges (polling the embedded store)', () => {
  let dir: string;
  /** The store the watcher looks at, and another connection to its file: the CLI importing, another process. */
  let watched: WatchedStore;
  let other: SqliteStore;
  let changes: number;
  let stop: () => void;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-watch-'));
    const path = join(dir, 'bridge.db');
    watched = new WatchedStore(path);
    other = new SqliteStore(path);
    changes = 0;
    stop = watchStoreChanges(watched, () => changes++, undefined, 5);
  });
  afterEach(async () => {
    stop();
    await Promise.all([watched.close(), other.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Until the watcher has looked three more times: whatever it was to hear by now, it has. */
  const threeMoreLooks = async () => {
    const before = watched.looks;
    await eventually('three more looks at the counter', () => watched.looks >= before + 3);
  };
  const commitElsewhere = (n: number) => other.putAccount(`user${n}@contoso.com`, 'scrypt$hash', 'user');

  it("hears each of another connection's commits once, and nothing while the counter stays", async () => {
    await threeMoreLooks();
    expect(changes, 'nothing committed').to.equal(0);
    for (const commit of [1, 2]) {
      await commitElsewhere(commit);
      await eventually(`commit ${commit} heard`, () => changes >= commit);
      await threeMoreLooks();
      expect(changes, `commit ${commit} heard once, nothing since`).to.equal(commit);
    }
  });

  it('counts a look that failed as a change once the counter is read again: a commit may have landed meanwhile', async () => {
    await threeMoreLooks();
    watched.busy = true;
    await threeMoreLooks();
    watched.busy = false;
    await threeMoreLooks();
    expect(changes, 'nothing committed, but the failed looks might have missed it').to.equal(1);
    watched.busy = true;
    await threeMoreLooks();
    await commitElsewhere(1);
    watched.busy = false;
    await threeMoreLooks();
    expect(changes, 'a commit while the looks failed: heard once').to.equal(2);
  });
});

import { expect } from 'chai';
import type { DirectoryUser } from '../../src/domain/directory.js';
import type { Store } from '../../src/store/store.js';
import { storeBackends } from './backends.js';

/** More rows than one upsert statement of the SQLite store takes (10,000), so an import spans several. */
const LARGE_IMPORT = 10_050;

const person = (n: number, displayName = `Person${String(n).padStart(5, '0')} Importer`): DirectoryUser => ({
  email: `p${n}@contoso.com`,
  displayName,
  refs: {},
});

for (const backend of storeBackends()) {
  describe(`A large import on ${backend.name}`, () => {
    let store: Store;

    before(() => backend.setUp());
    after(() => backend.tearDown());
    beforeEach(async () => {
      await backend.reset();
      store = await backend.open();
    });
    afterEach(() => store.close());

    const names = async (q: string) => (await store.searchDirectory(q, 0, 5)).map((entry) => entry.user.displayName);

    it('lands whole, searchable, and the same address twice keeps the later row', async () => {
      const rows = Array.from({ length: LARGE_IMPORT }, (_, i) => person(i));
      // The first row again, in the last statement's share and another case: one person, renamed.
      rows.push({ ...person(0, 'Renamed Lastrow'), email: 'P0@Contoso.com' });
      await store.upsertUsers(rows);

      expect(await store.countUsers()).to.equal(LARGE_IMPORT);
      expect((await store.getUser('p0@contoso.com'))?.displayName).to.equal('Renamed Lastrow');
      expect(await names('lastrow')).to.deep.equal(['Renamed Lastrow']);
      expect(await names('person00000')).to.deep.equal([]);
      expect(await names(`person${LARGE_IMPORT - 1}`)).to.deep.equal([`Person${LARGE_IMPORT - 1} Importer`]);
    });

    it('leaves nothing behind, in the table or the search, when its last row fails', async () => {
      await store.upsertUsers([person(0, 'Kept Before')]);
      const rows = Array.from({ length: LARGE_IMPORT }, (_, i) => person(i + 1, `Ghost${i} Importer`));
      rows.push({ ...person(LARGE_IMPORT + 1), displayName: null as unknown as string });

      let failed = false;
      await store.upsertUsers(rows).catch(() => (failed = true));

      expect(failed).to.equal(true);
      expect(await store.countUsers()).to.equal(1);
      expect(await names('importer')).to.deep.equal([]);
      expect(await names('ghost0')).to.deep.equal([]);
      expect(await names('kept')).to.deep.equal(['Kept Before']);
    });
  });
}

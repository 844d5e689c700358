import { expect } from 'chai';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { contactOwner, userOwner } from '../../src/domain/photo-owner.js';
import { timeMatch, type ContactMatch, type NewContact, type PhotoVersion, type Store, type StoreSeed } from '../../src/store/store.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_LOGIN, demoContacts, demoDirectory } from '../../src/demo/demo-directory.js';
import { seedDemoIfEmpty } from '../../src/demo/seed-demo.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { storeBackends } from './backends.js';
import { DELTA_TOKENS_PER_MAILBOX } from '../../src/store/delta-tokens.js';
import { BridgeError } from '../../src/domain/errors.js';
import { rejectionOf } from '../support/rejection.js';

/** Each replica decodes with its own limits, as each process does. */
const demoLimits = () => imageLimitsOf(loadConfig({}));

const photo = (seed: string) => ({ bytes: Buffer.from(seed), contentType: 'image/jpeg' as const, width: 10, height: 20, sha256: seed.padEnd(64, '0') });

/** A seed of one user with a photo, a login, and `contacts`. */
const seedOf = (contacts: NewContact[]): StoreSeed => ({
  account: { username: 'seed.admin@contoso.com', passwordHash: 'scrypt$seed', role: 'admin' },
  users: [{ email: 'seed.user@contoso.com', displayName: 'Seed User', refs: {} }],
  photos: { source: 'demo', photos: [{ email: 'seed.user@contoso.com', photo: photo('seed') }] },
  contacts,
});

/** More rows than one upsert statement of the SQLite store takes (10,000), so an import spans several. */
const LARGE_IMPORT = 10_050;

const person = (n: number, displayName = `Person${String(n).padStart(5, '0')} Importer`): DirectoryUser => ({
  email: `p${n}@contoso.com`,
  displayName,
  refs: {},
});

for (const backend of storeBackends()) {
  describe(`Store on ${backend.name}`, () => {
    let store: Store;
    /** The wall clock `store` stamps rows with, which a test moves on rather than waiting for the real one. */
    let now: number;
    const later = (ms = 1000) => (now += ms);

    before(() => backend.setUp());
    after(() => backend.tearDown());
    beforeEach(async () => {
      await backend.reset();
      now = Date.parse('2026-12-01T09:00:00.000Z');
      store = await backend.open({ now: () => now });
    });
    afterEach(() => store.close());

    it('seeds the demo once when several bridge processes open a new store together, and never a store with an account', async () => {
      const replicas = [store, await backend.open(), await backend.open()];
      try {
        const seeded = await Promise.all(replicas.map((replica) => seedDemoIfEmpty(replica, demoLimits())));
        expect(seeded.filter(Boolean)).to.have.length(1);
        expect((await store.listAccounts()).map((account) => account.username)).to.deep.equal([DEMO_LOGIN.username]);
        expect((await store.pageContacts(DEMO_LOGIN.username, undefined, 0, 100)).total).to.equal(demoContacts().length);
        expect(await store.countUsers()).to.equal(demoDirectory().length);
      } finally {
        await Promise.all(replicas.slice(1).map((replica) => replica.close()));
      }
      await backend.reset();
      const operated = await backend.open();
      try {
        await operated.putAccount('operator@contoso.com', 'scrypt$hash', 'admin');
        expect(
          await operated.seedEmptyStore({ ...seedOf([]), account: { username: DEMO_LOGIN.username, passwordHash: 'scrypt$demo', role: 'admin' } }),
        ).to.equal(false);
        expect(await seedDemoIfEmpty(operated, demoLimits())).to.equal(false);
        expect((await operated.listAccounts()).map((account) => account.username)).to.deep.equal(['operator@contoso.com']);
      } finally {
        await operated.close();
      }
    });

    it('seeds all or nothing: a seed that fails part way leaves the store empty, and the next start seeds it', async () => {
      // A contact the table refuses (a display name is required), after the login, the directory and its photos.
      const broken = seedOf([
        { displayName: 'Kept?', emailAddresses: [], phones: {}, refs: {} },
        { displayName: null as unknown as string, emailAddresses: [], phones: {}, refs: {} },
      ]);
      let failure: unknown;
      await store.seedEmptyStore(broken).catch((error: unknown) => (failure = error));
      expect(failure).to.be.instanceOf(Error);
      expect(await store.listAccounts()).to.deep.equal([]);
      expect(await store.countUsers()).to.equal(0);
      expect(await store.getPhoto(userOwner('seed.user@contoso.com'))).to.equal(undefined);
      expect(await seedDemoIfEmpty(store, demoLimits())).to.equal(true);
      expect((await store.pageContacts(DEMO_LOGIN.username, undefined, 0, 100)).total).to.equal(demoContacts().length);
    });

    it('reopens an existing database without migrating it again', async () => {
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      await store.close();
      store = await backend.open();
      expect(await store.countUsers()).to.equal(1);
    });

    it('keeps every directory field and reference', async () => {
      const user = {
        email: 'lee.gu@contoso.com',
        displayName: 'Lee Gu',
        givenName: 'Lee',
        surname: 'Gu',
        alias: 'leeg',
        company: 'Contoso',
        department: 'Manufacturing',
        title: 'Director',
        businessPhone: '+1 425 555 0100',
        mobilePhone: '+1 425 555 0199',
        sipAddress: 'sip:lee.gu@contoso.com',
        manager: 'megan.bowen@contoso.com',
        refs: { ldapDn: 'cn=Lee Gu,ou=People,dc=contoso,dc=com', superOfficeId: '42', whatsappPhone: '+5511999990000' },
      };
      await store.upsertUsers([user]);
      expect(await store.getUser('lee.gu@contoso.com')).to.deep.equal(user);
    });

    it('stores every name and phone number composed (NFC) whichever form it came in, and finds them exactly by either form', async () => {
      // Each field decomposed (NFD): "e" + U+0301 for "é", "n" + U+0303 for "ñ".
      const nfd = (text: string) => text.normalize('NFD');
      const names = { givenName: 'Renée', surname: 'Núñez', company: 'Société', department: 'Señor Staff', mobilePhone: '+34 ６００' };
      const decomposed = Object.fromEntries(Object.entries(names).map(([field, text]) => [field, nfd(text)]));
      await store.upsertUsers([
        { email: 'renee@contoso.com', displayName: nfd('Renée Núñez'), alias: nfd('renée'), title: nfd('Directrice générale'), refs: {}, ...decomposed },
      ]);
      expect(await store.getUser('renee@contoso.com')).to.deep.equal({
        email: 'renee@contoso.com',
        displayName: 'Renée Núñez',
        alias: 'renée',
        title: 'Directrice générale',
        refs: {},
        ...names,
      });
      const contact = (displayName: string) => ({
        displayName,
        givenName: nfd('Renée'),
        surname: nfd('Núñez'),
        company: nfd('Société'),
        department: nfd('Señor Staff'),
        jobTitle: nfd('Directrice'),
        emailAddresses: [],
        phones: { home: nfd('+34 ６００ ñ') },
        refs: {},
      });
      const [added, replaced] = await store.addContacts('adele@contoso.com', [contact(nfd('Renée Núñez')), contact('Old Name')]);
      await store.saveContacts('adele@contoso.com', [{ id: replaced!, contact: contact(nfd('Zoë Núñez')) }], []);
      const stored = {
        givenName: 'Renée',
        surname: 'Núñez',
        company: 'Société',
        department: 'Señor Staff',
        jobTitle: 'Directrice',
        phones: { home: '+34 ６００ ñ' },
      };
      expect(await store.getContact('adele@contoso.com', added!)).to.deep.include({ displayName: 'Renée Núñez', ...stored });
      expect(await store.getContact('adele@contoso.com', replaced!)).to.deep.include({ displayName: 'Zoë Núñez', ...stored });
      const exactly = async (text: string, mode: 'whole' | 'prefix' | 'substring') =>
        (await store.pageContacts('adele@contoso.com', { text, mode, ignoreCase: false }, 0, 5)).contacts.map((c) => c.id);
      expect(await exactly('Renée Núñez', 'whole')).to.deep.equal([added]);
      expect(await exactly(nfd('Renée Núñez'), 'whole')).to.deep.equal([added]);
      expect(await exactly(nfd('Zoë'), 'prefix')).to.deep.equal([replaced]);
      expect(await exactly(nfd('ë Nú'), 'substring')).to.deep.equal([replaced]);
    });

    it('treats the primary SMTP address as unique whatever its case, keeping its first spelling', async () => {
      await store.upsertUsers([{ email: 'Megan.Bowen@Contoso.com', displayName: 'Megan', refs: {} }]);
      await store.upsertUsers([{ email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
      expect(await store.countUsers()).to.equal(1);
      expect(await store.getUser('MEGAN.BOWEN@CONTOSO.COM')).to.deep.include({ email: 'Megan.Bowen@Contoso.com', displayName: 'Megan Bowen' });
    });

    it('takes one address twice in one import as it would one after the other', async () => {
      await store.upsertUsers([
        { email: 'Alex@contoso.com', displayName: 'Alex', refs: {} },
        { email: 'alex@CONTOSO.com', displayName: 'Alex Wilber', refs: {} },
      ]);
      expect(await store.listUsers()).to.deep.equal([{ email: 'Alex@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    });

    it('imports all users in one transaction: a failing row leaves nothing behind', async () => {
      const bad = { email: 'b@contoso.com', displayName: null as unknown as string, refs: {} };
      let failure: unknown;
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }, bad]).catch((error: unknown) => (failure = error));
      expect((failure as Error | undefined)?.message).to.match(/NOT NULL|not-null/);
      expect(await store.countUsers()).to.equal(0);
    });

    it('imports users with their photos in one transaction: a failing photo leaves neither users nor photos behind', async () => {
      const users = [1, 2, 3].map((n) => person(n));
      const bad = { ...photo('bad'), contentType: null as unknown as 'image/jpeg' };
      let failure: unknown;
      const photos = [photo('one'), bad, photo('three')].map((each, i) => ({ email: users[i]!.email, photo: each }));
      await store.upsertUsers(users, { source: 'ldif', photos }).catch((error: unknown) => (failure = error));
      expect((failure as Error | undefined)?.message).to.match(/NOT NULL|not-null/);
      expect(await store.countUsers()).to.equal(0);
      expect(await store.getPhotoInfo(userOwner(users[0]!.email))).to.equal(undefined);

      await store.upsertUsers(users, { source: 'ldif', photos: photos.filter((_, i) => i !== 1) });
      expect(await store.countUsers()).to.equal(3);
      expect((await store.getPhotoInfo(userOwner(users[2]!.email)))?.source).to.equal('ldif');
    });

    it('imports a directory larger than one batch in one go', async () => {
      const users = Array.from({ length: 2500 }, (_, i) => ({ email: `user${i}@contoso.com`, displayName: `User ${String(i).padStart(4, '0')}`, refs: {} }));
      await store.upsertUsers(users);
      expect(await store.countUsers()).to.equal(2500);
      expect((await store.getUser('user2499@contoso.com'))?.displayName).to.equal('User 2499');
    });

    it('stores a photo for a user, replaces it, and removes it with the user', async () => {
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      expect(await store.setPhoto(userOwner('A@contoso.com'), photo('one'), 'test')).to.equal(true);
      expect(await store.setPhoto(userOwner('a@contoso.com'), photo('two'), 'cli')).to.equal(true);
      const stored = await store.getPhoto(userOwner('a@contoso.com'));
      expect(stored?.bytes).to.deep.equal(Buffer.from('two'));
      expect(stored).to.include({ width: 10, height: 20, source: 'cli', contentType: 'image/jpeg' });
      expect(await store.getPhotoInfo(userOwner('a@contoso.com'))).to.deep.include({ sha256: 'two'.padEnd(64, '0'), width: 10, height: 20, source: 'cli' });
      expect(await store.removeUser('a@contoso.com')).to.equal(true);
      expect(await store.getPhoto(userOwner('a@contoso.com'))).to.equal(undefined);
    });

    it("stores a user's own upload only while the photo is not locked, looked at in the write itself; an administrator's regardless", async () => {
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      expect(await store.setPhoto(userOwner('a@contoso.com'), photo('own'), 'upload', true)).to.equal(true);
      await store.setPhotoLocked('a@contoso.com', true);
      expect(await store.setPhoto(userOwner('A@contoso.com'), photo('late'), 'upload', true)).to.equal(false);
      expect(await store.getPhotoInfo(userOwner('a@contoso.com'))).to.deep.include({ sha256: 'own'.padEnd(64, '0') });
      expect(await store.setPhoto(userOwner('a@contoso.com'), photo('admin'), 'upload')).to.equal(true);
      expect(await store.setPhoto(userOwner('nobody@contoso.com'), photo('x'), 'upload', true)).to.equal(false);
    });

    it('keeps every byte of a photo (all 256 values)', async () => {
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256));
      await store.setPhoto(userOwner('a@contoso.com'), { ...photo('raw'), bytes }, 'test');
      expect((await store.getPhoto(userOwner('a@contoso.com')))?.bytes).to.deep.equal(bytes);
    });

    it('removes a photo and says whether there was one', async () => {
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      await store.setPhoto(userOwner('a@contoso.com'), photo('one'), 'test');
      expect(await store.removePhoto(userOwner('a@contoso.com'))).to.equal(true);
      expect(await store.removePhoto(userOwner('a@contoso.com'))).to.equal(false);
      expect(await store.getPhotoInfo(userOwner('a@contoso.com'))).to.equal(undefined);
    });

    it('changes or removes a photo only where the condition given holds for the photo stored as it is written; two such changes of one photo take turns', async () => {
      const owner = userOwner('a@contoso.com');
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      const conflict = BridgeError.preconditionFailed('another photo');
      /** Holds for the photo `sha` (none: no photo). */
      const storedIs = (sha?: string) => (stored: PhotoVersion | undefined) => {
        if (stored?.sha256 !== (sha === undefined ? undefined : sha.padEnd(64, '0'))) throw conflict;
      };
      expect(await rejectionOf(store.setPhoto(owner, photo('two'), 'upload', false, storedIs('one')))).to.equal(conflict);
      expect(await store.getPhotoInfo(owner)).to.equal(undefined);
      // Two changes made from one state (no photo), side by side: one lands, the other is refused and writes nothing.
      const outcomes = await Promise.allSettled([
        store.setPhoto(owner, photo('one'), 'upload', false, storedIs()),
        store.setPhoto(owner, photo('two'), 'upload', false, storedIs()),
      ]);
      expect(outcomes.map((outcome) => outcome.status).toSorted()).to.deep.equal(['fulfilled', 'rejected']);
      const landed = outcomes[0].status === 'fulfilled' ? 'one' : 'two';
      expect((await store.getPhotoInfo(owner))?.sha256).to.equal(landed.padEnd(64, '0'));
      expect(await rejectionOf(store.removePhoto(owner, storedIs(landed === 'one' ? 'two' : 'one')))).to.equal(conflict);
      expect(await store.removePhoto(owner, storedIs(landed))).to.equal(true);
      expect(await store.getPhotoInfo(owner)).to.equal(undefined);
    });

    it('shows a condition what the stored photo’s ETags are made of: its hash, width, height and source', async () => {
      const owner = userOwner('a@contoso.com');
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      await store.setPhoto(owner, photo('one'), 'upload');
      const seen: unknown[] = [];
      await store.setPhoto(owner, photo('two'), 'upload', false, (stored) => void seen.push(stored && { ...stored }));
      await store.removePhoto(owner, (stored) => void seen.push(stored && { ...stored }));
      const shown = (sha: string) => ({ sha256: sha.padEnd(64, '0'), width: 10, height: 20, source: 'upload' });
      expect(seen.map((stored) => stored && Object.fromEntries(Object.entries(stored).filter(([key]) => key !== 'updatedAt')))).to.deep.equal([
        shown('one'),
        shown('two'),
      ]);
    });

    it("records a source's answer only over the photo the lookup read: an upload meanwhile stays", async () => {
      const owner = userOwner('a@contoso.com');
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      expect(await store.recordFetchedPhoto(owner, { photo: photo('hr'), source: 'ldap' }, undefined)).to.equal(true);
      const read = await store.getPhotoInfo(owner);
      expect(read).to.deep.include({ sha256: 'hr'.padEnd(64, '0'), source: 'ldap' });
      await store.setPhoto(owner, photo('upload'), 'upload');
      expect(await store.recordFetchedPhoto(owner, { photo: photo('newer'), source: 'ldap' }, read)).to.equal(false);
      expect(await store.recordFetchedPhoto(owner, null, read)).to.equal(false);
      expect(await store.getPhotoInfo(owner)).to.deep.include({ sha256: 'upload'.padEnd(64, '0'), source: 'upload' });
      // Read as none, found stored by the time the answer is recorded.
      expect(await store.recordFetchedPhoto(owner, { photo: photo('hr'), source: 'ldap' }, undefined)).to.equal(false);
      expect(await store.getPhotoInfo(owner)).to.deep.include({ source: 'upload' });
    });

    it("replaces, renews and removes a source's photo as its answers change", async () => {
      const owner = userOwner('a@contoso.com');
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      await store.recordFetchedPhoto(owner, { photo: photo('hr'), source: 'ldap' }, undefined);
      const first = (await store.getPhotoInfo(owner))!;
      later();
      expect(await store.recordFetchedPhoto(owner, { photo: photo('hr'), source: 'ldap' }, first)).to.equal(true);
      const renewed = (await store.getPhotoInfo(owner))!;
      expect(renewed.sha256).to.equal(first.sha256);
      expect(renewed.updatedAt > first.updatedAt, 'fetch time renewed').to.equal(true);
      expect(await store.recordFetchedPhoto(owner, { photo: photo('hr2'), source: 'ldap' }, renewed)).to.equal(true);
      const replaced = (await store.getPhotoInfo(owner))!;
      expect(replaced.sha256).to.equal('hr2'.padEnd(64, '0'));
      expect(await store.recordFetchedPhoto(owner, null, replaced)).to.equal(true);
      expect(await store.getPhotoInfo(owner)).to.equal(undefined);
      expect(await store.recordFetchedPhoto(userOwner('ghost@contoso.com'), { photo: photo('x'), source: 'ldap' }, undefined)).to.equal(false);
    });

    it('finds a user, their photo and their lock by another of their addresses, and forgets an address an import drops', async () => {
      await store.upsertUsers([
        { email: 'megan@contoso.com', otherAddresses: ['megan.bowen@contoso.com', 'mbowen@corp.contoso.com'], displayName: 'Megan', refs: {} },
        // Claimed as another's address too: a primary address names its own mailbox.
        { email: 'alex@contoso.com', otherAddresses: ['megan@contoso.com'], displayName: 'Alex', refs: {} },
      ]);
      expect(await store.getUser('MBowen@Corp.Contoso.com')).to.deep.include({ email: 'megan@contoso.com', displayName: 'Megan' });
      expect((await store.getUser('megan@contoso.com'))?.otherAddresses).to.deep.equal(['megan.bowen@contoso.com', 'mbowen@corp.contoso.com']);
      expect(await store.setPhoto(userOwner('megan.bowen@contoso.com'), photo('by-alias'), 'admin')).to.equal(true);
      expect((await store.getPhoto(userOwner('megan@contoso.com')))?.sha256).to.equal(photo('by-alias').sha256);
      expect((await store.getPhotoInfo(userOwner('mbowen@corp.contoso.com')))?.sha256).to.equal(photo('by-alias').sha256);
      expect(await store.setPhotoLocked('mbowen@corp.contoso.com', true)).to.equal(true);
      expect(await store.isPhotoLocked('megan@contoso.com')).to.equal(true);

      await store.upsertUsers([{ email: 'megan@contoso.com', otherAddresses: ['megan.bowen@contoso.com'], displayName: 'Megan', refs: {} }]);
      expect(await store.getUser('mbowen@corp.contoso.com')).to.equal(undefined);
      expect(await store.getPhotoInfo(userOwner('mbowen@corp.contoso.com'))).to.equal(undefined);
      expect((await store.getUser('megan.bowen@contoso.com'))?.email).to.equal('megan@contoso.com');
      expect(await store.removeUser('megan@contoso.com')).to.equal(true);
      expect(await store.getUser('megan.bowen@contoso.com')).to.equal(undefined);
    });

    it('answers an address two users claim for the earliest claimant, and for the other once the first lets it go', async () => {
      const alice = (others: string[]) => ({ email: 'alice@contoso.com', otherAddresses: others, displayName: 'Alice', refs: {} });
      const carol = { email: 'carol@contoso.com', otherAddresses: ['shared@contoso.com', 'alice@contoso.com'], displayName: 'Carol', refs: {} };
      const owner = async (address: string) => (await store.getUser(address))?.email;
      await store.upsertUsers([alice(['shared@contoso.com'])]);
      await store.upsertUsers([carol]);
      expect([await owner('shared@contoso.com'), await owner('alice@contoso.com')]).to.deep.equal(['alice@contoso.com', 'alice@contoso.com']);
      await store.upsertUsers([alice([])]);
      expect(await owner('shared@contoso.com')).to.equal('carol@contoso.com');
      await store.upsertUsers([alice(['SHARED@contoso.com'])]);
      expect(await owner('shared@contoso.com')).to.equal('alice@contoso.com');
      await store.removeUser('alice@contoso.com');
      expect(await owner('shared@contoso.com')).to.equal('carol@contoso.com');
    });

    it('keeps the fields an update leaves out as stored, hidden from address lists and out of every search included; sets and clears the rest', async () => {
      await store.upsertUsers([
        {
          email: 'ann@contoso.com',
          displayName: 'Ann Lee',
          title: 'Engineer',
          manager: 'boss@contoso.com',
          hiddenFromAddressLists: true,
          otherAddresses: ['ann.old@contoso.com'],
          refs: { ldapDn: 'CN=Ann,DC=contoso', graphId: 'g-1' },
        },
      ]);
      const kept = ['title', 'manager', 'hiddenFromAddressLists', 'ldapDn', 'otherAddresses'] as const;
      await store.upsertUsers([
        { email: 'ANN@contoso.com', displayName: 'Ann Lee-Smith', mobilePhone: '+1 555 0199', refs: {}, kept },
        // Someone new keeps nothing: the fields left out are not set.
        { email: 'newcomer@contoso.com', displayName: 'Newcomer', refs: {}, kept },
      ]);

      expect(await store.getUser('ann.old@contoso.com')).to.deep.equal({
        email: 'ann@contoso.com',
        displayName: 'Ann Lee-Smith',
        mobilePhone: '+1 555 0199',
        title: 'Engineer',
        manager: 'boss@contoso.com',
        hiddenFromAddressLists: true,
        otherAddresses: ['ann.old@contoso.com'],
        // graphId was not kept: the update cleared it.
        refs: { ldapDn: 'CN=Ann,DC=contoso' },
      });
      expect(await store.getUser('newcomer@contoso.com')).to.deep.equal({ email: 'newcomer@contoso.com', displayName: 'Newcomer', refs: {} });
      expect((await store.searchUsers('ann', 10)).map((user) => user.email)).to.deep.equal([]);
      expect((await store.searchDirectory('smith', 0, 10)).map((entry) => entry.user.email)).to.deep.equal([]);

      // A person renamed by the update keeps their fields under the new address.
      await store.upsertUsers([
        {
          email: 'ann.smith@contoso.com',
          displayName: 'Ann Lee-Smith',
          otherAddresses: ['ann@contoso.com'],
          refs: {},
          kept: ['title', 'hiddenFromAddressLists'],
        },
      ]);
      expect(await store.getUser('ann@contoso.com')).to.deep.include({ email: 'ann.smith@contoso.com', title: 'Engineer', hiddenFromAddressLists: true });
    });

    it('keeps a person whose primary address changed, their old one now another address: photo, lock and reports follow', async () => {
      await store.upsertUsers([
        { email: 'jane.doe@contoso.com', otherAddresses: ['jdoe@corp.contoso.com'], displayName: 'Jane Doe', givenName: 'Jane', surname: 'Doe', refs: {} },
        { email: 'bob@contoso.com', displayName: 'Bob', manager: 'Jane.Doe@contoso.com', refs: {} },
      ]);
      await store.setPhoto(userOwner('jane.doe@contoso.com'), photo('jane'), 'admin');
      await store.setPhotoLocked('jane.doe@contoso.com', true);

      const imported = await store.upsertUsers([
        {
          email: 'jane.smith@contoso.com',
          otherAddresses: ['JANE.DOE@contoso.com', 'jdoe@corp.contoso.com'],
          displayName: 'Jane Smith',
          givenName: 'JANE',
          surname: 'Smith',
          refs: {},
        },
      ]);

      expect(imported.renamed).to.deep.equal([{ from: 'jane.doe@contoso.com', to: 'jane.smith@contoso.com' }]);
      expect(await store.countUsers()).to.equal(2);
      expect(await store.getUser('jane.doe@contoso.com')).to.deep.include({ email: 'jane.smith@contoso.com', displayName: 'Jane Smith' });
      expect((await store.getPhotoInfo(userOwner('jane.smith@contoso.com')))?.sha256).to.equal(photo('jane').sha256);
      expect(await store.isPhotoLocked('jane.smith@contoso.com')).to.equal(true);
      expect((await store.getUser('bob@contoso.com'))?.manager).to.equal('jane.smith@contoso.com');
      expect((await store.pageDirectReports('jane.smith@contoso.com', undefined, 5)).users.map((user) => user.email)).to.deep.equal(['bob@contoso.com']);
      expect((await store.searchUsers('jane', 10)).map((user) => user.displayName)).to.deep.equal(['Jane Smith']);
      // Imported again, nothing is renamed: the old address is already theirs.
      expect(
        (await store.upsertUsers([{ email: 'jane.smith@contoso.com', otherAddresses: ['jane.doe@contoso.com'], displayName: 'Jane Smith', refs: {} }])).renamed,
      ).to.deep.equal([]);
    });

    it('renames no one when the import names the old address too, the new address is taken, someone listed the old one first, or no name is shared', async () => {
      const user = (email: string, displayName: string, otherAddresses?: string[]) => ({ email, displayName, givenName: 'Sam', otherAddresses, refs: {} });
      await store.upsertUsers([
        user('old1@contoso.com', 'Old One'),
        user('old2@contoso.com', 'Old Two'),
        user('taken@contoso.com', 'Taken'),
        { email: 'left@contoso.com', displayName: 'Left Company', givenName: 'Lee', refs: {} },
      ]);

      const imported = await store.upsertUsers([
        // The old address is still someone's primary in this import: two people.
        user('new1@contoso.com', 'New One', ['old1@contoso.com']),
        user('old1@contoso.com', 'Old One'),
        // The new address is someone's already: an update of them, and old2 is another's claim.
        user('taken@contoso.com', 'Taken', ['old2@contoso.com']),
        // Listed second: old2 was claimed first above.
        user('new2@contoso.com', 'New Two', ['old2@contoso.com']),
        // The address of someone who left, given to a newcomer who shares no name with them.
        { email: 'newcomer@contoso.com', displayName: 'New Comer', givenName: 'Nia', otherAddresses: ['left@contoso.com'], refs: {} },
      ]);

      expect(imported.renamed).to.deep.equal([]);
      expect((await store.listUsers()).map((stored) => stored.email).sort()).to.deep.equal([
        'left@contoso.com',
        'new1@contoso.com',
        'new2@contoso.com',
        'newcomer@contoso.com',
        'old1@contoso.com',
        'old2@contoso.com',
        'taken@contoso.com',
      ]);
    });

    it('renames each stored person once when an import lists two of them under one new address', async () => {
      await store.upsertUsers([
        { email: 'a.old@contoso.com', displayName: 'A', alias: 'ab', refs: {} },
        { email: 'b.old@contoso.com', displayName: 'B', alias: 'ab', refs: {} },
      ]);
      const merged = { email: 'merged@contoso.com', otherAddresses: ['a.old@contoso.com', 'b.old@contoso.com'], displayName: 'Merged', alias: 'AB', refs: {} };
      const imported = await store.upsertUsers([merged]);
      expect(imported.renamed).to.deep.equal([{ from: 'a.old@contoso.com', to: 'merged@contoso.com' }]);
      expect((await store.listUsers()).map((stored) => stored.email)).to.deep.equal(['b.old@contoso.com', 'merged@contoso.com']);
    });

    it('finds users by the start of their primary SMTP or their SIP address, case ignored, in its order', async () => {
      await store.upsertUsers([
        { email: 'Megan.Bowen@contoso.com', displayName: 'Megan', sipAddress: 'sip:Megan.Bowen@contoso.com', refs: {} },
        { email: 'megan@contoso.com', displayName: 'Megan Two', refs: {} },
        { email: 'alex@contoso.com', displayName: 'Alex', otherAddresses: ['megan.old@contoso.com'], sipAddress: 'sip:alex@contoso.com', refs: {} },
      ]);
      const emails = (users: { email: string }[]) => users.map((user) => user.email);
      expect(emails(await store.usersByAddressPrefix('smtp', 'megan', 10))).to.deep.equal(['Megan.Bowen@contoso.com', 'megan@contoso.com']);
      expect(emails(await store.usersByAddressPrefix('smtp', 'megan', 1))).to.deep.equal(['Megan.Bowen@contoso.com']);
      expect(emails(await store.usersByAddressPrefix('sip', 'sip:megan.b', 10))).to.deep.equal(['Megan.Bowen@contoso.com']);
      expect(emails(await store.usersByAddressPrefix('sip', 'sip:', 10))).to.deep.equal(['alex@contoso.com', 'Megan.Bowen@contoso.com']);
      expect(emails(await store.usersByAddressPrefix('smtp', 'nobody', 10))).to.deep.equal([]);
    });

    it('finds users by the start of their address in another spelling: decomposed, or with whole A-labels; an A-label typed in part finds no one', async () => {
      await store.upsertUsers([
        { email: 'jürgen@müller.example', displayName: 'J. Müller', refs: {} },
        { email: 'anna@bücher.example', displayName: 'A. Bücher', refs: {} },
        { email: 'anna@bcher.example', displayName: 'A. Bcher', refs: {} },
      ]);
      const emails = (users: { email: string }[]) => users.map((user) => user.email);
      const starting = async (prefix: string) => emails(await store.usersByAddressPrefix('smtp', prefix, 10));
      expect(await starting('Ju\u0308rg')).to.deep.equal(['jürgen@müller.example']);
      expect(await starting('jürgen@xn--mller-kva')).to.deep.equal(['jürgen@müller.example']);
      expect(await starting('anna@XN--BCHER-KVA.ex')).to.deep.equal(['anna@bücher.example']);
      expect(await starting('anna@xn--bcher-k')).to.deep.equal([]);
      expect(await starting('anna@xn--bcher-')).to.deep.equal([]);
      const searched = async (text: string) => emails(await store.searchUsers(text, 10));
      expect(await searched('anna@xn--bcher-kva')).to.deep.equal(['anna@bücher.example']);
    });

    it('keeps a SIP address in the spelling of an email address but for ASCII case, and finds users by its start in any spelling', async () => {
      await store.upsertUsers([
        { email: 'juergen@contoso.com', displayName: 'J. Müller', sipAddress: 'sip:Ju\u0308rgen@xn--bcher-kva.example', refs: {} },
        { email: 'anna@contoso.com', displayName: 'A. Bücher', sipAddress: 'SIP:Anna@Bücher.example', refs: {} },
        { email: 'alex@contoso.com', displayName: 'Alex', sipAddress: 'sip:Alex@Contoso.com', refs: {} },
      ]);
      const sipAddresses = async () => (await store.listUsers()).map((user) => user.sipAddress);
      expect(await sipAddresses()).to.deep.equal(['sip:anna@bücher.example', 'sip:Alex@Contoso.com', 'sip:jürgen@bücher.example']);
      const starting = async (prefix: string) => (await store.usersByAddressPrefix('sip', prefix, 10)).map((user) => user.email);
      expect(await starting('sip:Ju\u0308rg')).to.deep.equal(['juergen@contoso.com']);
      expect(await starting('sip:jürgen@xn--bcher-kva')).to.deep.equal(['juergen@contoso.com']);
      expect(await starting('SIP:ANNA@XN--BCHER-KVA.EXAMPLE')).to.deep.equal(['anna@contoso.com']);
      expect(await starting('sip:alex@contoso.com')).to.deep.equal(['alex@contoso.com']);
      expect(await starting('sip:anna@xn--bcher-k')).to.deep.equal([]);
    });

    it('pages users in name or address order from where the last page ended, by the start of a folded name or an address, and counts them', async () => {
      const named = (email: string, displayName: string): DirectoryUser => ({ email, displayName, refs: {} });
      await store.upsertUsers([
        named('adele.vance@contoso.com', 'Adele Vance'),
        named('ädele.b@contoso.com', 'Ädele B'),
        named('alex@contoso.com', 'Alex Wilber'),
        named('zed@contoso.com', 'Adele Vance'),
        named('bob@fabrikam.com', 'Bob'),
      ]);
      const walk = async (order: 'name' | 'address', prefix: string, size: number, descending = false) => {
        const pages: string[][] = [];
        let page = await store.pageUsers(order, prefix, undefined, size, descending);
        for (; ; page = await store.pageUsers(order, prefix, page.next, size, descending)) {
          pages.push(page.users.map((user) => user.email));
          if (!page.next) return pages;
        }
      };
      // Folded: Ädele is an adele, between the two Adele Vances, who go by address.
      expect(await walk('name', '', 2)).to.deep.equal([
        ['ädele.b@contoso.com', 'adele.vance@contoso.com'],
        ['zed@contoso.com', 'alex@contoso.com'],
        ['bob@fabrikam.com'],
      ]);
      expect(await walk('name', 'ADELE', 3)).to.deep.equal([['ädele.b@contoso.com', 'adele.vance@contoso.com', 'zed@contoso.com']]);
      expect(await walk('name', 'adele v', 5)).to.deep.equal([['adele.vance@contoso.com', 'zed@contoso.com']]);
      expect(await walk('address', 'A', 1)).to.deep.equal([['adele.vance@contoso.com'], ['alex@contoso.com']]);
      expect(await walk('name', '...', 5)).to.deep.equal([[]]);
      // Descending: the same orders backwards, from either end of the range.
      expect(await walk('name', '', 2, true)).to.deep.equal([
        ['bob@fabrikam.com', 'alex@contoso.com'],
        ['zed@contoso.com', 'adele.vance@contoso.com'],
        ['ädele.b@contoso.com'],
      ]);
      expect(await walk('name', 'adele', 2, true)).to.deep.equal([['zed@contoso.com', 'adele.vance@contoso.com'], ['ädele.b@contoso.com']]);
      expect(await walk('address', 'A', 1, true)).to.deep.equal([['alex@contoso.com'], ['adele.vance@contoso.com']]);
      expect(await walk('address', '', 10, true)).to.deep.equal([
        ['ädele.b@contoso.com', 'zed@contoso.com', 'bob@fabrikam.com', 'alex@contoso.com', 'adele.vance@contoso.com'],
      ]);
      // A position whose user is gone since still says where the next page starts.
      const first = await store.pageUsers('name', '', undefined, 2);
      await store.removeUser('adele.vance@contoso.com');
      expect((await store.pageUsers('name', '', first.next, 2)).users.map((user) => user.email)).to.deep.equal(['zed@contoso.com', 'alex@contoso.com']);
      // A position before the prefix's range (a forged skiptoken) starts at the range, never before it.
      const emails = async (order: 'name' | 'address', prefix: string, nameKey: string, email: string) =>
        (await store.pageUsers(order, prefix, { nameKey, email }, 5)).users.map((user) => user.email);
      expect(await emails('name', 'b', 'a', 'zzz@zzz')).to.deep.equal(['bob@fabrikam.com']);
      expect(await emails('address', 'b', '', 'a@a')).to.deep.equal(['bob@fabrikam.com']);
      expect(await emails('address', 'a', '', 'alex@contoso.com')).to.deep.equal([]);
      // Descending, a position after the range starts at its end.
      const before = async (order: 'name' | 'address', prefix: string, nameKey: string, email: string) =>
        (await store.pageUsers(order, prefix, { nameKey, email }, 5, true)).users.map((user) => user.email);
      expect(await before('name', 'a', 'zzz', 'zzz@zzz')).to.deep.equal(['alex@contoso.com', 'zed@contoso.com', 'ädele.b@contoso.com']);
      expect(await before('address', 'a', '', 'b@b')).to.deep.equal(['alex@contoso.com']);
      expect(await before('address', 'b', '', 'bob@fabrikam.com')).to.deep.equal([]);
      expect(await store.countUsersByPrefix('name', 'adele')).to.equal(2);
      expect(await store.countUsersByPrefix('address', 'ALEX@')).to.equal(1);
      expect(await store.countUsersByPrefix('name', '')).to.equal(4);
      expect(await store.countUsersByPrefix('name', '!')).to.equal(0);
    });

    it("pages a manager's direct reports in name order from a position, the manager's address in any ASCII case", async () => {
      await store.upsertUsers([
        { email: 'boss@contoso.com', displayName: 'Boss', refs: {} },
        ...['Zed', 'Amy', 'Kim'].map((name) => ({ email: `${name.toLowerCase()}@contoso.com`, displayName: name, manager: 'BOSS@contoso.com', refs: {} })),
        { email: 'other@contoso.com', displayName: 'Other', manager: 'someone@contoso.com', refs: {} },
      ]);
      const first = await store.pageDirectReports('boss@contoso.com', undefined, 2);
      const rest = await store.pageDirectReports('Boss@Contoso.com', first.next, 2);
      expect([first.users.map((u) => u.displayName), rest.users.map((u) => u.displayName), rest.next]).to.deep.equal([['Amy', 'Kim'], ['Zed'], undefined]);
      expect((await store.pageDirectReports('nobody@contoso.com', undefined, 5)).users).to.deep.equal([]);
    });

    it("lists a manager's first 50 direct reports in name order with a directory entry, and counts them all, the manager's address in any ASCII case", async () => {
      const name = (i: number) => `Report ${String(i).padStart(2, '0')}`;
      await store.upsertUsers([
        { email: 'boss@contoso.com', displayName: 'Boss', refs: {} },
        ...Array.from({ length: 53 }, (_, i) => ({
          email: `report${i}@contoso.com`,
          displayName: name(i),
          manager: i % 2 ? 'BOSS@contoso.com' : 'boss@contoso.com',
          ...(i === 52 ? { hiddenFromAddressLists: true as const } : {}),
          refs: {},
        })),
      ]);
      const [boss] = await store.searchDirectory('boss', 0, 1);
      expect([boss!.directReports.map((report) => report.displayName), boss!.directReportCount]).to.deep.equal([
        Array.from({ length: 50 }, (_, i) => name(i)),
        52,
      ]);
      expect((await store.searchDirectory('report 07', 0, 1))[0]!.directReportCount).to.equal(0);
    });

    it("lists as a manager's reports those who name another of the manager's addresses, whether the manager came before, with or after them", async () => {
      const boss = (otherAddresses: string[]): DirectoryUser => ({ email: 'boss@contoso.com', displayName: 'Boss', otherAddresses, refs: {} });
      const report = (name: string, manager: string): DirectoryUser => ({ email: `${name.toLowerCase()}@contoso.com`, displayName: name, manager, refs: {} });
      await store.upsertUsers([report('Amy', 'Boss@Corp.contoso.com'), report('Lee', 'chief@contoso.com')]);
      await store.upsertUsers([
        boss(['boss@corp.contoso.com', 'pat@contoso.com']),
        report('Kim', 'boss@corp.contoso.com'),
        { email: 'pat@contoso.com', displayName: 'Pat', refs: {} },
        report('Ann', 'pat@contoso.com'),
      ]);
      await store.upsertUsers([report('Zed', 'BOSS@corp.contoso.com')]);
      // An address the manager is given later: their primary one changed, the old one kept as another.
      await store.upsertUsers([boss(['boss@corp.contoso.com', 'pat@contoso.com', 'chief@contoso.com'])]);
      const reports = ['Amy', 'Kim', 'Lee', 'Zed'];
      expect((await store.pageDirectReports('boss@contoso.com', undefined, 10)).users.map((user) => user.displayName)).to.deep.equal(reports);
      const [entry] = await store.searchDirectory('boss', 0, 1);
      expect([entry!.directReports.map((ref) => ref.displayName), entry!.directReportCount]).to.deep.equal([reports, 4]);
      expect((await store.searchDirectory('zed', 0, 1))[0]!.manager).to.deep.equal({ email: 'boss@contoso.com', displayName: 'Boss' });
      // The address the source gave is kept: an export writes it.
      expect((await store.getUser('amy@contoso.com'))?.manager).to.equal('Boss@Corp.contoso.com');
      // An address that is one person's primary is theirs, whoever else lists it.
      expect((await store.pageDirectReports('pat@contoso.com', undefined, 10)).users.map((user) => user.displayName)).to.deep.equal(['Ann']);
      const [first, rest] = [
        await store.pageDirectReports('boss@corp.contoso.com', undefined, 3),
        await store.pageDirectReports('boss@contoso.com', { nameKey: 'kim', email: 'kim@contoso.com' }, 3),
      ];
      expect([first.users.map((user) => user.displayName), first.next?.email, rest.users.map((user) => user.displayName), rest.next]).to.deep.equal([
        ['Amy', 'Kim', 'Lee'],
        'lee@contoso.com',
        ['Lee', 'Zed'],
        undefined,
      ]);
    });

    it('gives a report whose manager names an address the manager who owns that address now, as it changes hands', async () => {
      const person = (name: string, otherAddresses: string[] = []): DirectoryUser => ({
        email: `${name}@contoso.com`,
        displayName: name,
        ...(otherAddresses.length > 0 ? { otherAddresses } : {}),
        refs: {},
      });
      const reportsOf = async (name: string) => (await store.pageDirectReports(`${name}@contoso.com`, undefined, 10)).users.map((user) => user.email);
      const managerOf = async (name: string) => {
        const [entry] = (await store.searchDirectory(name, 0, 10)).filter((found) => found.user.displayName === name);
        return entry!.manager?.email;
      };
      const owners = async (address: string, names: string[]) => ({
        owner: (await store.getUser(address))?.email,
        reports: Object.fromEntries(await Promise.all(names.map(async (name) => [name, await reportsOf(name)]))),
        counts: Object.fromEntries(
          await Promise.all(
            names.map(async (name) => [name, (await store.searchDirectory(name, 0, 10)).find((found) => found.user.displayName === name)?.directReportCount]),
          ),
        ),
      });
      // A: a secondary address, then the primary address of someone new.
      await store.upsertUsers([{ ...person('rep2'), manager: 'vp@contoso.com' }]);
      await store.upsertUsers([person('olduser', ['vp@contoso.com'])]);
      expect([await owners('vp@contoso.com', ['olduser']), await managerOf('rep2')]).to.deep.equal([
        { owner: 'olduser@contoso.com', reports: { olduser: ['rep2@contoso.com'] }, counts: { olduser: 1 } },
        'olduser@contoso.com',
      ]);
      await store.upsertUsers([person('olduser'), person('vp')]);
      expect([await owners('vp@contoso.com', ['olduser', 'vp']), await managerOf('rep2')]).to.deep.equal([
        { owner: 'vp@contoso.com', reports: { olduser: [], vp: ['rep2@contoso.com'] }, counts: { olduser: 0, vp: 1 } },
        'vp@contoso.com',
      ]);
      expect((await store.getUser('rep2@contoso.com'))?.manager).to.equal('vp@contoso.com');
      // B: two people claim an address in turn; the earliest claimant owns it until they drop it.
      await store.upsertUsers([{ ...person('rep3'), manager: 'ceo@contoso.com' }, person('alice', ['ceo@contoso.com'])]);
      await store.upsertUsers([person('bob', ['ceo@contoso.com'])]);
      expect([await owners('ceo@contoso.com', ['alice', 'bob']), await managerOf('rep3')]).to.deep.equal([
        { owner: 'alice@contoso.com', reports: { alice: ['rep3@contoso.com'], bob: [] }, counts: { alice: 1, bob: 0 } },
        'alice@contoso.com',
      ]);
      await store.upsertUsers([person('alice')]);
      expect([await owners('ceo@contoso.com', ['alice', 'bob']), await managerOf('rep3')]).to.deep.equal([
        { owner: 'bob@contoso.com', reports: { alice: [], bob: ['rep3@contoso.com'] }, counts: { alice: 0, bob: 1 } },
        'bob@contoso.com',
      ]);
    });

    it("leaves a manager hidden from address lists out of their report's directory entry, as out of every list", async () => {
      await store.upsertUsers([
        { email: 'hilda@contoso.com', displayName: 'Hilda Hidden', hiddenFromAddressLists: true, refs: {} },
        { email: 'rita@contoso.com', displayName: 'Rita Report', manager: 'hilda@contoso.com', refs: {} },
        { email: 'sam@contoso.com', displayName: 'Sam Shown', manager: 'rita@contoso.com', refs: {} },
      ]);
      const managers = (await store.searchDirectory('', 0, 10)).map((entry) => [entry.user.email, entry.manager?.email]);
      expect(managers).to.deep.equal([
        ['rita@contoso.com', undefined],
        ['sam@contoso.com', 'rita@contoso.com'],
      ]);
    });

    it('leaves a user hidden from address lists out of every list and search, finds them by address, and lists them again once shown', async () => {
      const boss: DirectoryUser = { email: 'boss@contoso.com', displayName: 'Boss', refs: {} };
      const adele: DirectoryUser = {
        email: 'adele.vance@contoso.com',
        displayName: 'Adele Vance',
        department: 'Finance',
        manager: 'boss@contoso.com',
        refs: {},
      };
      const hidden: DirectoryUser = {
        email: 'adele.hidden@contoso.com',
        otherAddresses: ['ah@corp.contoso.com'],
        displayName: 'Adele Hidden',
        alias: 'adeleh',
        department: 'Finance',
        sipAddress: 'sip:adele.hidden@contoso.com',
        manager: 'boss@contoso.com',
        hiddenFromAddressLists: true,
        refs: {},
      };
      await store.upsertUsers([boss, adele, hidden]);
      const emails = (users: { email: string }[]) => users.map((user) => user.email);
      const listed = async () => ({
        names: emails(await store.searchUsers('adele', 10)),
        words: emails(await store.searchUsers('hidden', 10)),
        directory: (await store.searchDirectory('finance', 0, 10)).map((entry) => entry.user.email),
        everyone: (await store.searchDirectory('', 0, 10)).map((entry) => entry.user.email),
        reportsOfBoss: (await store.searchDirectory('boss', 0, 1))[0]!.directReports.map((report) => report.email),
        smtp: emails(await store.usersByAddressPrefix('smtp', 'adele', 10)),
        sip: emails(await store.usersByAddressPrefix('sip', 'sip:adele', 10)),
        byName: emails((await store.pageUsers('name', '', undefined, 10)).users),
        byAddress: emails((await store.pageUsers('address', 'adele', undefined, 10)).users),
        counts: [await store.countUsersByPrefix('name', ''), await store.countUsersByPrefix('address', ''), await store.countUsersByPrefix('address', 'adele')],
        pagedReports: emails((await store.pageDirectReports('boss@contoso.com', undefined, 10)).users),
      });
      expect(await listed()).to.deep.equal({
        names: ['adele.vance@contoso.com'],
        words: [],
        directory: ['adele.vance@contoso.com'],
        everyone: ['adele.vance@contoso.com', 'boss@contoso.com'],
        reportsOfBoss: ['adele.vance@contoso.com'],
        smtp: ['adele.vance@contoso.com'],
        sip: [],
        byName: ['adele.vance@contoso.com', 'boss@contoso.com'],
        byAddress: ['adele.vance@contoso.com'],
        counts: [2, 2, 1],
        pagedReports: ['adele.vance@contoso.com'],
      });
      // A mailbox lookup and an export find them, marked.
      expect(await store.getUser('AH@corp.contoso.com')).to.deep.equal(hidden);
      expect(emails(await store.usersByAddressPrefix('smtp', 'adele', 10, 'allMailboxes'))).to.deep.equal([
        'adele.hidden@contoso.com',
        'adele.vance@contoso.com',
      ]);
      expect(emails(await store.usersByAddressPrefix('sip', 'sip:adele', 10, 'allMailboxes'))).to.deep.equal(['adele.hidden@contoso.com']);
      expect(emails(await store.usersByDnName('adeleh', 10))).to.deep.equal(['adele.hidden@contoso.com']);
      expect((await store.listUsers()).find((user) => user.email === hidden.email)?.hiddenFromAddressLists).to.equal(true);

      const { hiddenFromAddressLists: _, ...shown } = hidden;
      await store.upsertUsers([shown]);
      const both = ['adele.hidden@contoso.com', 'adele.vance@contoso.com'];
      expect(await listed()).to.deep.equal({
        names: both,
        words: ['adele.hidden@contoso.com'],
        directory: both,
        everyone: [...both, 'boss@contoso.com'],
        reportsOfBoss: both,
        smtp: both,
        sip: ['adele.hidden@contoso.com'],
        byName: [...both, 'boss@contoso.com'],
        byAddress: both,
        counts: [3, 3, 2],
        pagedReports: both,
      });
      await store.upsertUsers([hidden]);
      expect((await listed()).names).to.deep.equal(['adele.vance@contoso.com']);
      expect((await listed()).words).to.deep.equal([]);
    });

    it("finds the users a legacy DN's name stands for: by their alias, its ASCII case ignored, or with none by their address's local part, in address order", async () => {
      await store.upsertUsers([
        { email: 'alex@fabrikam.com', displayName: 'Alex F', alias: 'AlexW', refs: {} },
        { email: 'alex@contoso.com', displayName: 'Alex C', alias: 'alexw', refs: {} },
        { email: 'alexw@contoso.com', displayName: 'Alex W', alias: 'alexwilber', refs: {} },
        { email: 'diego@contoso.com', displayName: 'Diego', refs: {} },
      ]);
      const emails = (users: { email: string }[]) => users.map((user) => user.email);
      expect(emails(await store.usersByDnName('ALEXW', 10))).to.deep.equal(['alex@contoso.com', 'alex@fabrikam.com']);
      expect(emails(await store.usersByDnName('alexw', 1))).to.deep.equal(['alex@contoso.com']);
      expect(emails(await store.usersByDnName('alex', 10))).to.deep.equal([]);
      expect(emails(await store.usersByDnName('Diego', 10))).to.deep.equal(['diego@contoso.com']);
    });

    it("finds both bearers of a legacy DN's name however many others' addresses share its local part", async () => {
      await store.upsertUsers([
        { email: 'xavier@contoso.com', displayName: 'Xavier', alias: 'john', refs: {} },
        ...Array.from({ length: 10 }, (_, i) => ({ email: `john@d${i}.example`, displayName: `John ${i}`, alias: `john${i}`, refs: {} })),
        { email: 'john@dz.example', displayName: 'John Z', refs: {} },
      ]);
      const emails = (users: { email: string }[]) => users.map((user) => user.email);
      expect(emails(await store.usersByDnName('john', 2))).to.deep.equal(['john@dz.example', 'xavier@contoso.com']);
    });

    it('does not store a photo for an unknown user', async () => {
      expect(await store.setPhoto(userOwner('ghost@contoso.com'), photo('x'), 'test')).to.equal(false);
    });

    it('keeps accounts with their hash and role, names case-insensitive', async () => {
      await store.putAccount('Admin@Contoso.com', 'scrypt$hash', 'admin');
      await store.putAccount('admin@contoso.com', 'scrypt$other', 'user');
      expect(await store.getAccount('admin@contoso.com')).to.deep.equal({ username: 'Admin@Contoso.com', passwordHash: 'scrypt$other', role: 'user' });
      await store.putAccount('b@contoso.com', 'scrypt$b', 'user');
      expect(await store.listAccounts()).to.deep.equal([
        { username: 'Admin@Contoso.com', role: 'user' },
        { username: 'b@contoso.com', role: 'user' },
      ]);
      expect(await store.removeAccount('ADMIN@contoso.com')).to.equal(true);
      expect(await store.getAccount('admin@contoso.com')).to.equal(undefined);
    });

    it('counts changes made by another connection, for cache invalidation', async () => {
      const before = await store.changeCounter();
      const other = await backend.open();
      await other.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      await other.close();
      expect(await store.changeCounter()).to.not.equal(before);
    });

    it('answers a ping while it is open and fails one once it is closed', async () => {
      const other = await backend.open();
      expect(await other.ping()).to.equal(undefined);
      await other.close();
      const closed = await other.ping().then(
        () => 'answered',
        (error: unknown) => error,
      );
      expect(closed).to.be.instanceOf(Error);
    });

    describe('contacts', () => {
      const lee = {
        displayName: 'Lee Gu',
        givenName: 'Lee',
        surname: 'Gu',
        emailAddresses: ['lee@fabrikam.com'],
        phones: { business: '+1 555' },
        refs: { superOfficeId: '7' },
      };

      it('keeps a contact in its own mailbox only', async () => {
        const [id] = await store.addContacts('adele@contoso.com', [lee]);
        expect(await store.getContact('ADELE@contoso.com', id!)).to.deep.include({ ...lee, mailbox: 'adele@contoso.com' });
        expect(await store.getContactById(id!)).to.deep.include({ id, mailbox: 'adele@contoso.com' });
        expect(await store.getContact('megan@contoso.com', id!)).to.equal(undefined);
        expect(await store.listContacts('megan@contoso.com')).to.deep.equal([]);
        expect(await store.removeContact('megan@contoso.com', id!)).to.equal(false);
        expect(await store.removeContact('adele@contoso.com', id!)).to.equal(true);
      });

      it("never gives a deleted contact's id to another contact: an id is an ItemId for life", async () => {
        const [first, newest] = await store.addContacts('adele@contoso.com', [lee, { ...lee, displayName: 'Newest' }]);
        expect(await store.removeContact('adele@contoso.com', newest!)).to.equal(true);
        const [mine] = await store.addContacts('adele@contoso.com', [{ ...lee, displayName: 'Made After' }]);
        const [theirs] = await store.addContacts('megan@contoso.com', [{ ...lee, displayName: 'Made Elsewhere' }]);
        expect([mine, theirs].filter((id) => id! <= newest!)).to.deep.equal([]);
        expect(await store.getContactById(newest!)).to.equal(undefined);
        expect(first).to.be.below(newest!);
      });

      it("reads many of a mailbox's contacts at once, in id order, and none of another's", async () => {
        const ids = await store.addContacts(
          'adele@contoso.com',
          ['Zoe', 'Adam', 'Mia'].map((displayName) => ({ ...lee, displayName })),
        );
        const [foreign] = await store.addContacts('megan@contoso.com', [lee]);
        const names = async (mailbox: string, wanted: number[]) => (await store.getContacts(mailbox, wanted)).map((c) => c.displayName);
        expect(await names('ADELE@contoso.com', [ids[2]!, foreign!, ids[0]!, 999_999])).to.deep.equal(['Zoe', 'Mia']);
        expect(await names('megan@contoso.com', ids)).to.deep.equal([]);
        expect(await names('adele@contoso.com', [])).to.deep.equal([]);
        expect((await store.getContacts('adele@contoso.com', [ids[1]!]))[0]).to.deep.equal(await store.getContact('adele@contoso.com', ids[1]!));
      });

      it('returns the ids of added contacts in the order given', async () => {
        const names = ['Zoe', 'Adam', 'Mia'];
        const ids = await store.addContacts(
          'adele@contoso.com',
          names.map((displayName) => ({ ...lee, displayName })),
        );
        for (const [i, id] of ids.entries()) expect((await store.getContactById(id))?.displayName).to.equal(names[i]);
        expect(new Set(ids).size).to.equal(3);
      });

      it('adds contacts all or nothing', async () => {
        const broken = { ...lee, displayName: null as unknown as string };
        let failure: unknown;
        await store.addContacts('adele@contoso.com', [lee, broken]).catch((error: unknown) => (failure = error));
        expect((failure as Error | undefined)?.message).to.match(/NOT NULL|not-null/);
        expect(await store.listContacts('adele@contoso.com')).to.deep.equal([]);
      });

      it('finds contacts by the start of a name, of every word of their names in any order, or of an address, with % and _ taken literally', async () => {
        await store.addContacts('adele@contoso.com', [lee, { ...lee, displayName: '100% Gu_x', givenName: undefined, surname: undefined, emailAddresses: [] }]);
        const names = async (prefix: string) => (await store.searchContacts('adele@contoso.com', prefix, 10)).map((c) => c.displayName);
        expect(await names('le')).to.deep.equal(['Lee Gu']);
        expect(await names('GU')).to.deep.equal(['100% Gu_x', 'Lee Gu']);
        expect(await names('lee@fab')).to.deep.equal(['Lee Gu']);
        expect(await names('100%')).to.deep.equal(['100% Gu_x']);
        expect(await names('%')).to.deep.equal([]);
        expect(await names('_')).to.deep.equal([]);
        // Every word the start of a word of the names, in any order, as ANR matches a surname before a given name.
        expect(await names('gu lee')).to.deep.equal(['Lee Gu']);
        expect(await names('Gu, L')).to.deep.equal(['Lee Gu']);
        expect(await names('gu leo')).to.deep.equal([]);
        expect(await store.searchContacts('megan@contoso.com', 'Lee', 10)).to.deep.equal([]);
      });

      it('finds contacts with case and accents ignored, as people are found', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: "Zoë O'Brien Ünïcode", givenName: 'Zoë', surname: "O'Brien", emailAddresses: [] },
          { ...lee, displayName: 'Ángela Núñez', givenName: 'Ángela', surname: 'Núñez', emailAddresses: [] },
        ]);
        const names = async (prefix: string) => (await store.searchContacts('adele@contoso.com', prefix, 10)).map((c) => c.displayName);
        expect(await names('ZOË')).to.deep.equal(["Zoë O'Brien Ünïcode"]);
        expect(await names('zoe o')).to.deep.equal(["Zoë O'Brien Ünïcode"]);
        expect(await names('angela')).to.deep.equal(['Ángela Núñez']);
        expect(await names('NUN')).to.deep.equal(['Ángela Núñez']);
        const page = async (match: Parameters<Store['pageContacts']>[1]) =>
          (await store.pageContacts('adele@contoso.com', match, 0, 10)).contacts.map((c) => c.displayName);
        expect(await page({ text: 'üNÏ', mode: 'substring', ignoreCase: true })).to.deep.equal(["Zoë O'Brien Ünïcode"]);
        expect(await page({ text: "ZOË O'BRIEN ÜNÏCODE", mode: 'whole', ignoreCase: true })).to.deep.equal(["Zoë O'Brien Ünïcode"]);
        expect(await page({ text: 'nu', mode: 'wordPrefix', ignoreCase: true })).to.deep.equal(['Ángela Núñez']);
        expect(await page({ text: 'nu', mode: 'prefix', ignoreCase: true })).to.deep.equal([]);
        expect(await page({ text: 'Núñ', mode: 'wordPrefix', ignoreCase: false })).to.deep.equal(['Ángela Núñez']);
        expect(await page({ text: 'nuñ', mode: 'wordPrefix', ignoreCase: false })).to.deep.equal([]);
      });

      it('finds contacts as people type their names: a final Σ in capitals, an apostrophe, hyphen or ZWNJ left out or typed as a break', async () => {
        const named = (displayName: string, givenName: string, surname: string) => ({ ...lee, displayName, givenName, surname, emailAddresses: [] });
        await store.addContacts('adele@contoso.com', [
          named('Κώστας Σαμαράς', 'Κώστας', 'Σαμαράς'),
          named("Mary O'Neill", 'Mary', "O'Neill"),
          named('Marie-Claire Dubois', 'Marie-Claire', 'Dubois'),
          named('Kirsten McDonald-Smith', 'Kirsten', 'McDonald-Smith'),
          named('علی\u200cرضا رضایی', 'علی\u200cرضا', 'رضایی'),
        ]);
        const names = async (prefix: string) => (await store.searchContacts('adele@contoso.com', prefix, 10)).map((c) => c.displayName);
        const started = async (text: string) =>
          (await store.pageContacts('adele@contoso.com', { text, mode: 'prefix', ignoreCase: true }, 0, 10)).contacts.map((c) => c.displayName);
        for (const typed of ['ΚΩΣ', 'σαμαρασ']) expect(await names(typed), typed).to.deep.equal(['Κώστας Σαμαράς']);
        expect(await started('ΚΩΣ')).to.deep.equal(['Κώστας Σαμαράς']);
        for (const typed of ['oneill', 'ONeill', "o'neill", 'o neill']) expect(await names(typed), typed).to.deep.equal(["Mary O'Neill"]);
        for (const typed of ['marieclaire', 'marie-claire', 'claire']) expect(await names(typed), typed).to.deep.equal(['Marie-Claire Dubois']);
        expect(await names('mcdonaldsmith')).to.deep.equal(['Kirsten McDonald-Smith']);
        expect(await names('علیرضا')).to.deep.equal(['علی\u200cرضا رضایی']);
        expect(await started('علیرضا')).to.deep.equal(['علی\u200cرضا رضایی']);
      });

      it('pages a mailbox in display-name order, by the match EWS asked for, with the total', async () => {
        const names = ['Bob', 'alice', 'Alan', 'Zed Alan', 'Älan'];
        await store.addContacts(
          'adele@contoso.com',
          names.map((displayName) => ({ ...lee, displayName })),
        );
        await store.addContacts('megan@contoso.com', [{ ...lee, displayName: 'Alan' }]);
        const page = async (match: Parameters<Store['pageContacts']>[1], offset = 0, limit = 10) => {
          const { total, contacts } = await store.pageContacts('ADELE@contoso.com', match, offset, limit);
          return { total, names: contacts.map((c) => c.displayName) };
        };
        // As Exchange lists them, case and accents ignored (by code point, alice and Älan came after Zed); an equal fold by code point.
        expect(await page(undefined)).to.deep.equal({ total: 5, names: ['Alan', 'Älan', 'alice', 'Bob', 'Zed Alan'] });
        expect(await page(undefined, 1, 2)).to.deep.equal({ total: 5, names: ['Älan', 'alice'] });
        // Case and accents ignored: Älan is an Alan too.
        expect(await page({ text: 'al', mode: 'prefix', ignoreCase: true })).to.deep.equal({ total: 3, names: ['Alan', 'Älan', 'alice'] });
        expect(await page({ text: 'Al', mode: 'prefix', ignoreCase: false })).to.deep.equal({ total: 1, names: ['Alan'] });
        expect(await page({ text: 'alan', mode: 'substring', ignoreCase: true })).to.deep.equal({ total: 3, names: ['Alan', 'Älan', 'Zed Alan'] });
        expect(await page({ text: 'lan', mode: 'substring', ignoreCase: false })).to.deep.equal({ total: 3, names: ['Alan', 'Älan', 'Zed Alan'] });
        expect(await page({ text: 'ALAN', mode: 'whole', ignoreCase: true })).to.deep.equal({ total: 2, names: ['Alan', 'Älan'] });
        expect(await page({ text: 'ALAN', mode: 'whole', ignoreCase: false })).to.deep.equal({ total: 0, names: [] });
        expect(await page({ text: '%', mode: 'substring', ignoreCase: true })).to.deep.equal({ total: 0, names: [] });
      });

      it('pages by tests on the given name, surname and company: ASCII case ignored or as written, an unset one empty, sorted as they sort', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Megan', givenName: 'Megan', surname: 'Bowen', company: 'Fabrikam' },
          { ...lee, displayName: 'Lidia', givenName: 'lidia', surname: 'Holloway', company: 'fabrikam ltd' },
          { ...lee, displayName: 'Desk', givenName: undefined, surname: undefined, company: undefined },
        ]);
        const page = async (match: Parameters<Store['pageContacts']>[1]) =>
          (await store.pageContacts('adele@contoso.com', match, 0, 10)).contacts.map((c) => c.displayName);
        expect(await page({ text: 'FABRIKAM', mode: 'whole', ignoreCase: true, field: 'companyName' })).to.deep.equal(['Megan']);
        expect(await page({ text: 'fab', mode: 'prefix', ignoreCase: false, field: 'companyName' })).to.deep.equal(['Lidia']);
        expect(await page({ text: '%', mode: 'substring', ignoreCase: true, field: 'surname' })).to.deep.equal([]);
        expect(await page({ not: { text: 'L', mode: 'prefix', ignoreCase: true, field: 'givenName' } })).to.deep.equal(['Desk', 'Megan']);
        expect(await page({ bound: 'lt', text: 'C', field: 'surname' })).to.deep.equal(['Desk', 'Megan']);
        expect(await page({ exists: 'companyName' })).to.deep.equal(['Lidia', 'Megan']);
        expect(await page({ not: { exists: 'givenName' } })).to.deep.equal(['Desk']);
      });

      it('pages by the time a contact was made or last changed, compared with an instant (timeMatch)', async () => {
        const [early] = await store.addContacts('adele@contoso.com', [{ ...lee, displayName: 'Early' }]);
        const made = (await store.getContact('adele@contoso.com', early!))!.createdAt;
        // The next contact is made, and the first changed, a few milliseconds after it.
        later();
        await store.addContacts('adele@contoso.com', [{ ...lee, displayName: 'Late' }]);
        await store.setPhoto(contactOwner(early!), photo('early'), 'test');
        const page = async (match: ContactMatch) => (await store.pageContacts('adele@contoso.com', match, 0, 10)).contacts.map((c) => c.displayName);
        expect(await page(timeMatch('gt', 'createdAt', made))).to.deep.equal(['Late']);
        expect(await page(timeMatch('le', 'createdAt', made))).to.deep.equal(['Early']);
        expect(await page(timeMatch('eq', 'createdAt', made))).to.deep.equal(['Early']);
        expect(await page(timeMatch('ne', 'createdAt', made))).to.deep.equal(['Late']);
        expect(await page(timeMatch('gt', 'updatedAt', made))).to.deep.equal(['Early', 'Late']);
        expect(await page(timeMatch('lt', 'updatedAt', '2000-01-01T00:00:00.000Z'))).to.deep.equal([]);
      });

      it("lists the version parts of a mailbox's contacts in id order, a photo among them, another mailbox's not", async () => {
        const ids = await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Zed' },
          { ...lee, displayName: 'Amy' },
        ]);
        await store.addContacts('megan@contoso.com', [{ ...lee, displayName: 'Other' }]);
        await store.setPhoto(contactOwner(ids[1]!), photo('amy'), 'test');
        const versions = await store.listContactVersions('ADELE@contoso.com');
        const contacts = await Promise.all(ids.map((id) => store.getContact('adele@contoso.com', id)));
        expect(versions).to.deep.equal(
          contacts.map((contact) => ({
            id: contact!.id,
            updatedAt: contact!.updatedAt,
            ...(contact!.photo ? { photo: { sha256: contact!.photo.sha256 } } : {}),
          })),
        );
        expect(versions[1]!.photo).to.deep.equal({ sha256: photo('amy').sha256 });
      });

      it('pages by And, Or and Not of name tests and by bounds on the folded name, as a FindItem Restriction asks', async () => {
        await store.addContacts(
          'adele@contoso.com',
          ['Bob', 'alice', 'Alan', 'Zed Alan', 'Älan', '100% Real'].map((displayName) => ({ ...lee, displayName })),
        );
        await store.addContacts('megan@contoso.com', [{ ...lee, displayName: 'Bob' }]);
        const page = async (match: Parameters<Store['pageContacts']>[1], offset = 0, limit = 10) => {
          const { total, contacts } = await store.pageContacts('adele@contoso.com', match, offset, limit);
          return { total, names: contacts.map((c) => c.displayName) };
        };
        const whole = (text: string) => ({ text, mode: 'whole' as const, ignoreCase: true });
        expect(await page({ or: [whole('bob'), whole('ALAN'), whole('nobody')] })).to.deep.equal({ total: 3, names: ['Alan', 'Älan', 'Bob'] });
        expect(await page({ or: [whole('bob'), whole('ALAN')] }, 1, 1)).to.deep.equal({ total: 3, names: ['Älan'] });
        expect(await page({ not: whole('alan') })).to.deep.equal({ total: 4, names: ['100% Real', 'alice', 'Bob', 'Zed Alan'] });
        const startsWithA = { text: 'a', mode: 'prefix' as const, ignoreCase: true };
        expect(await page({ and: [startsWithA, { not: { text: 'Al', mode: 'prefix', ignoreCase: false } }] })).to.deep.equal({
          total: 2,
          names: ['Älan', 'alice'],
        });
        expect(await page({ and: [] })).to.deep.equal({ total: 6, names: ['100% Real', 'Alan', 'Älan', 'alice', 'Bob', 'Zed Alan'] });
        expect(await page({ not: { and: [] } })).to.deep.equal({ total: 0, names: [] });
        // Bounds compare folded names, as the folder is listed: Älan is an alan, before alice; a LIKE wildcard is a plain character.
        expect(
          await page({
            and: [
              { bound: 'ge', text: 'ALAN' },
              { bound: 'lt', text: 'bob' },
            ],
          }),
        ).to.deep.equal({ total: 3, names: ['Alan', 'Älan', 'alice'] });
        expect(await page({ bound: 'le', text: 'alan' })).to.deep.equal({ total: 3, names: ['100% Real', 'Alan', 'Älan'] });
        expect(await page({ bound: 'gt', text: 'bob' })).to.deep.equal({ total: 1, names: ['Zed Alan'] });
        expect(
          await page({
            or: [
              { text: '%', mode: 'substring', ignoreCase: true },
              { text: '0%', mode: 'prefix', ignoreCase: false },
            ],
          }),
        ).to.deep.equal({
          total: 1,
          names: ['100% Real'],
        });
      });

      it('pages the contacts one of whose addresses is the one asked, its ASCII case ignored', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Lee Gu', emailAddresses: ['lee@fabrikam.com'] },
          { ...lee, displayName: 'Lee Again', emailAddresses: ['other@fabrikam.com', 'Lee@Fabrikam.com'] },
          { ...lee, displayName: 'Leeward', emailAddresses: ['lee@fabrikam.com.au'] },
        ]);
        await store.addContacts('megan@contoso.com', [{ ...lee, displayName: 'Megan’s Lee', emailAddresses: ['lee@fabrikam.com'] }]);
        const page = async (address: string, offset = 0, limit = 10) => {
          const { total, contacts } = await store.pageContacts('adele@contoso.com', { address }, offset, limit);
          return { total, names: contacts.map((c) => c.displayName) };
        };
        expect(await page('LEE@fabrikam.COM')).to.deep.equal({ total: 2, names: ['Lee Again', 'Lee Gu'] });
        expect(await page('lee@fabrikam.com', 1, 1)).to.deep.equal({ total: 2, names: ['Lee Gu'] });
        expect(await page('lee@fabrikam')).to.deep.equal({ total: 0, names: [] });
        expect(await page('%')).to.deep.equal({ total: 0, names: [] });
      });

      it('compares one address slot or a part of any, and the phone numbers as written; an unset one is empty, so a Not around it holds', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Ann', emailAddresses: ['ann@fabrikam.com'], phones: { business: '+1 425 555 0100' } },
          { ...lee, displayName: 'Bea', emailAddresses: ['bea@contoso.com', 'Ann@Fabrikam.com'], phones: { mobile: '+44 20 7946 0000' } },
          { ...lee, displayName: 'Cy', emailAddresses: [], phones: {} },
        ]);
        const names = async (match: ContactMatch) => (await store.pageContacts('adele@contoso.com', match, 0, 10)).contacts.map((c) => c.displayName);
        expect(await names({ address: 'ANN@fabrikam.com', slot: 'email1' })).to.deep.equal(['Ann']);
        expect(await names({ address: 'ann@fabrikam.com', slot: 'email2' })).to.deep.equal(['Bea']);
        expect(await names({ address: 'ann@fabrikam.com' })).to.deep.equal(['Ann', 'Bea']);
        expect(await names({ not: { address: 'ann@fabrikam.com' } })).to.deep.equal(['Cy']);
        expect(await names({ not: { address: 'ann@fabrikam.com', slot: 'email1' } })).to.deep.equal(['Bea', 'Cy']);
        expect(await names({ address: 'FABRIKAM', part: 'substring' })).to.deep.equal(['Ann', 'Bea']);
        expect(await names({ address: 'n@f', part: 'substring', slot: 'email2' })).to.deep.equal(['Bea']);
        expect(await names({ address: '%', part: 'substring' })).to.deep.equal([]);
        expect(await names({ address: 'bea@', part: 'prefix', slot: 'email1' })).to.deep.equal(['Bea']);
        expect(await names({ exists: 'email2' })).to.deep.equal(['Bea']);
        expect(await names({ not: { exists: 'email1' } })).to.deep.equal(['Cy']);
        expect(await names({ text: '+1 425', mode: 'prefix', ignoreCase: false, field: 'businessPhone' })).to.deep.equal(['Ann']);
        expect(await names({ text: '+44 20 7946 0000', mode: 'whole', ignoreCase: true, field: 'mobilePhone' })).to.deep.equal(['Bea']);
        expect(await names({ not: { text: '7946', mode: 'substring', ignoreCase: false, field: 'mobilePhone' } })).to.deep.equal(['Ann', 'Cy']);
        expect(await names({ exists: 'homePhone' })).to.deep.equal([]);
      });

      it("keeps a contact's addresses in one spelling and finds it by any other: composed, the domain's U-label, ASCII capitals as typed", async () => {
        const [id] = await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Jürgen Müller', emailAddresses: ['Ju\u0308rgen@mu\u0308ller.example', 'anna@xn--bcher-kva.example', 'Lee@Fabrikam.com'] },
        ]);
        await store.addContacts('adele@contoso.com', [{ ...lee, displayName: 'Renée', emailAddresses: ['rene\u0301e@xn--caf-dma.example'] }]);
        expect((await store.getContact('adele@contoso.com', id!))?.emailAddresses).to.deep.equal([
          'jürgen@müller.example',
          'anna@bücher.example',
          'Lee@Fabrikam.com',
        ]);
        const byAddress = async (address: string, prefix = false) =>
          (await store.pageContacts('adele@contoso.com', { address, part: prefix ? 'prefix' : undefined }, 0, 5)).contacts.map((c) => c.displayName);
        expect(await byAddress('jürgen@xn--mller-kva.example')).to.deep.equal(['Jürgen Müller']);
        expect(await byAddress('JU\u0308RGEN@MÜLLER.example')).to.deep.equal(['Jürgen Müller']);
        expect(await byAddress('anna@bücher.example')).to.deep.equal(['Jürgen Müller']);
        expect(await byAddress('lee@fabrikam.com')).to.deep.equal(['Jürgen Müller']);
        expect(await byAddress('renée@café.example')).to.deep.equal(['Renée']);
        expect(await byAddress('anna@xn--bcher-kva.ex', true)).to.deep.equal(['Jürgen Müller']);
        expect(await byAddress('ju\u0308r', true)).to.deep.equal(['Jürgen Müller']);
        const found = async (prefix: string) => (await store.searchContacts('adele@contoso.com', prefix, 5)).map((c) => c.displayName);
        expect(await found('jürgen@xn--mller-kva.example')).to.deep.equal(['Jürgen Müller']);
        expect(await found('rene\u0301e@caf')).to.deep.equal(['Renée']);
      });

      it('pages the contacts one of whose addresses starts with the prefix asked, however many match by name', async () => {
        const paul = (i: number) => ({ displayName: `Paul P${i}`, emailAddresses: [`pp${i}@paul.example`], phones: {}, refs: {} });
        await store.addContacts('megan@contoso.com', [
          ...Array.from({ length: 5 }, (_, i) => paul(i)),
          { displayName: 'Zed Zulu', emailAddresses: ['other@zz.example', 'Paula_x%@ZZ.example'], phones: {}, refs: {} },
        ]);
        const names = async (prefix: string, limit = 10) =>
          (await store.pageContacts('megan@contoso.com', { address: prefix, part: 'prefix' }, 0, limit)).contacts.map((c) => c.displayName);
        expect(await names('paula')).to.deep.equal(['Zed Zulu']);
        expect(await names('paula_x%')).to.deep.equal(['Zed Zulu']);
        expect(await names('paula%')).to.deep.equal([]);
        expect(await names('pp', 2)).to.deep.equal(['Paul P0', 'Paul P1']);
        expect(await names('pp4@')).to.deep.equal(['Paul P4']);
      });

      it('sorts a page by the keys asked, most significant first, case ignored, a missing name as an empty one, a key asked again ignored', async () => {
        const people: [string, string | undefined, string | undefined][] = [
          ['Ann Zed', 'Ann', 'Zed'],
          ['Bob Young', 'Bob', 'Young'],
          ['Cy', 'Cy', undefined],
          ['ann Young', 'ann', 'Young'],
        ];
        await store.addContacts(
          'adele@contoso.com',
          people.map(([displayName, givenName, surname]) => ({ ...lee, displayName, givenName, surname })),
        );
        const names = async (order: Parameters<Store['pageContacts']>[4], offset = 0, limit = 10) =>
          (await store.pageContacts('adele@contoso.com', undefined, offset, limit, order)).contacts.map((c) => c.displayName);
        expect(await names([{ key: 'displayName', descending: true }])).to.deep.equal(['Cy', 'Bob Young', 'Ann Zed', 'ann Young']);
        expect(await names([{ key: 'displayName', descending: true }], 1, 2)).to.deep.equal(['Bob Young', 'Ann Zed']);
        expect(
          await names([
            { key: 'surname', descending: false },
            { key: 'givenName', descending: true },
          ]),
        ).to.deep.equal(['Cy', 'Bob Young', 'ann Young', 'Ann Zed']);
        // Equal names in the order they were made, backwards going down: each key's index read straight through.
        expect(await names([{ key: 'surname', descending: true }])).to.deep.equal(['Ann Zed', 'ann Young', 'Bob Young', 'Cy']);
        expect(
          await names([
            { key: 'surname', descending: true },
            { key: 'surname', descending: false },
          ]),
        ).to.deep.equal(['Ann Zed', 'ann Young', 'Bob Young', 'Cy']);
      });

      it('matches the contacts with a photo, or those without one', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Pictured', photo: photo('one') },
          { ...lee, displayName: 'Plain' },
        ]);
        const names = async (hasPhoto: boolean) => (await store.pageContacts('adele@contoso.com', { hasPhoto }, 0, 10)).contacts.map((c) => c.displayName);
        expect([await names(true), await names(false)]).to.deep.equal([['Pictured'], ['Plain']]);
      });

      it('sorts and matches by department and job title as by the other names, case ignored, an unset one as empty', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Ann', department: 'sales', jobTitle: 'Director' },
          { ...lee, displayName: 'Bob', department: 'Engineering', jobTitle: 'engineer' },
          { ...lee, displayName: 'Cy', department: 'Sales' },
        ]);
        const names = async (match: ContactMatch | undefined, order?: Parameters<Store['pageContacts']>[4]) =>
          (await store.pageContacts('adele@contoso.com', match, 0, 10, order)).contacts.map((c) => c.displayName);
        expect(await names(undefined, [{ key: 'jobTitle', descending: false }])).to.deep.equal(['Cy', 'Ann', 'Bob']);
        expect(await names(undefined, [{ key: 'department', descending: true }])).to.deep.equal(['Cy', 'Ann', 'Bob']);
        expect(await names({ text: 'SALES', mode: 'whole', ignoreCase: true, field: 'department' })).to.deep.equal(['Ann', 'Cy']);
        expect(await names({ bound: 'lt', text: 'f', field: 'jobTitle' })).to.deep.equal(['Ann', 'Bob', 'Cy']);
      });

      it('sorts and compares the other names with case and accents ignored, as the display name', async () => {
        await store.addContacts('adele@contoso.com', [
          { ...lee, displayName: 'Zimmer', surname: 'Zimmer', company: 'Zeta' },
          { ...lee, displayName: 'Öztürk', surname: 'Öztürk', company: 'ÉCOLE' },
          { ...lee, displayName: 'Müller', surname: 'Müller', company: 'Alpha' },
          { ...lee, displayName: 'Ostrom', surname: 'ostrom', company: 'école normale' },
        ]);
        const names = async (match: ContactMatch | undefined, order?: Parameters<Store['pageContacts']>[4]) =>
          (await store.pageContacts('adele@contoso.com', match, 0, 10, order)).contacts.map((c) => c.displayName);
        expect(await names(undefined, [{ key: 'surname', descending: false }])).to.deep.equal(['Müller', 'Ostrom', 'Öztürk', 'Zimmer']);
        expect(await names({ text: 'MÜLLER', mode: 'whole', ignoreCase: true, field: 'surname' })).to.deep.equal(['Müller']);
        expect(await names({ text: 'école', mode: 'prefix', ignoreCase: true, field: 'companyName' })).to.deep.equal(['Ostrom', 'Öztürk']);
        expect(await names({ bound: 'lt', text: 'P', field: 'surname' })).to.deep.equal(['Müller', 'Ostrom', 'Öztürk']);
        expect(await names({ text: 'ÉCOLE', mode: 'whole', ignoreCase: false, field: 'companyName' })).to.deep.equal(['Öztürk']);
      });

      it('changes the contact when its photo changes, and removes the photo with the contact', async () => {
        const [id] = await store.addContacts('adele@contoso.com', [{ ...lee, photo: photo('one') }]);
        const before = await store.getContact('adele@contoso.com', id!);
        expect(before?.photo).to.include({ sha256: 'one'.padEnd(64, '0'), bytesLength: 3 });
        later();
        await store.setPhoto(contactOwner(id!), photo('two'), 'test');
        const after = await store.getContact('adele@contoso.com', id!);
        expect(after?.updatedAt).to.not.equal(before?.updatedAt);
        await store.removeContact('adele@contoso.com', id!);
        expect(await store.getPhoto(contactOwner(id!))).to.equal(undefined);
      });

      it("removes a mailbox's contacts, photos and all, with its login; another mailbox's stay", async () => {
        await store.putAccount('adele@contoso.com', 'hash', 'user');
        await store.putAccount('megan@contoso.com', 'hash', 'user');
        const [adeles] = await store.addContacts('adele@contoso.com', [{ ...lee, photo: photo('one') }]);
        const [megans] = await store.addContacts('megan@contoso.com', [lee]);
        expect(await store.removeAccount('Adele@contoso.com')).to.equal(true);
        expect(await store.getContact('adele@contoso.com', adeles!)).to.equal(undefined);
        expect(await store.getPhoto(contactOwner(adeles!))).to.equal(undefined);
        // The name given to someone new comes with nothing.
        await store.putAccount('adele@contoso.com', 'hash', 'user');
        expect((await store.pageContacts('adele@contoso.com', undefined, 0, 10)).total).to.equal(0);
        expect((await store.getContact('megan@contoso.com', megans!))?.displayName).to.equal(lee.displayName);
      });

      it("removes a mailbox's contacts with its login when the login was kept in another ASCII case than they were", async () => {
        // Before logins were stored folded (c2130ca), `account add Adele@Contoso.com` kept the name as typed, while
        // `contacts import` has always written the mailbox lower-cased; no schema step folds either, and migrate-store copies both.
        await store.putAccount('Adele@Contoso.com', 'hash', 'user');
        const [id] = await store.addContacts('adele@contoso.com', [{ ...lee, photo: photo('one') }]);
        expect(await store.removeAccount('adele@contoso.com')).to.equal(true);
        expect(await store.getContact('adele@contoso.com', id!)).to.equal(undefined);
        expect(await store.getPhoto(contactOwner(id!))).to.equal(undefined);
      });

      it('leaves the contact as it was when a source answers the photo it has again', async () => {
        const [id] = await store.addContacts('adele@contoso.com', [lee]);
        const owner = contactOwner(id!);
        await store.recordFetchedPhoto(owner, { photo: photo('wa'), source: 'whatsapp' }, undefined);
        const before = await store.getContact('adele@contoso.com', id!);
        later();
        expect(await store.recordFetchedPhoto(owner, { photo: photo('wa'), source: 'whatsapp' }, await store.getPhotoInfo(owner))).to.equal(true);
        expect((await store.getContact('adele@contoso.com', id!))?.updatedAt).to.equal(before?.updatedAt);
        expect(await store.recordFetchedPhoto(owner, { photo: photo('wa2'), source: 'whatsapp' }, await store.getPhotoInfo(owner))).to.equal(true);
        expect((await store.getContact('adele@contoso.com', id!))?.updatedAt).to.not.equal(before?.updatedAt);
      });
    });

    it('finds directory users by the start of any word of their names, alias or address', async () => {
      await store.upsertUsers([
        { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', givenName: 'Alex', surname: 'Wilber', alias: 'alexw', refs: {} },
        { email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} },
      ]);
      const emails = async (prefix: string) => (await store.searchUsers(prefix, 10)).map((u) => u.email);
      expect(await emails('wil')).to.deep.equal(['alex.wilber@contoso.com']);
      expect(await emails('alexw')).to.deep.equal(['alex.wilber@contoso.com']);
      expect(await emails('MEGAN.B')).to.deep.equal(['megan.bowen@contoso.com']);
      expect(await emails('bowen')).to.deep.equal(['megan.bowen@contoso.com']);
      expect(await emails('_')).to.deep.equal([]);
      expect(await store.searchUsers('', 1)).to.have.length(1);
    });

    it('pages the directory search by name, department or title, with each photo hash', async () => {
      await store.upsertUsers([
        { email: 'b@contoso.com', displayName: 'Bea', department: 'Sales', refs: {} },
        { email: 'a@contoso.com', displayName: 'Ann', title: 'Head of SALES', refs: {} },
        { email: 'c@contoso.com', displayName: 'Cy', department: 'Legal', refs: {} },
      ]);
      await store.setPhoto(userOwner('b@contoso.com'), photo('bea'), 'test');
      const found = await store.searchDirectory('sales', 0, 10);
      expect(found.map((entry) => [entry.user.displayName, entry.photoSha256])).to.deep.equal([
        ['Ann', undefined],
        ['Bea', 'bea'.padEnd(64, '0')],
      ]);
      expect((await store.searchDirectory('', 1, 1)).map((entry) => entry.user.displayName)).to.deep.equal(['Bea']);
    });

    it('makes a named secret once and keeps it across reopening', async () => {
      const first = await store.secret('item-ids', 32);
      expect(first).to.have.length(32);
      expect(await store.secret('item-ids', 32)).to.deep.equal(first);
      await store.close();
      store = await backend.open();
      expect(await store.secret('item-ids', 32)).to.deep.equal(first);
      expect(await store.secret('other', 32)).to.not.deep.equal(first);
    });

    it("keeps a mailbox's newest delta states of each kind by their tokens, for that mailbox only, and lets them go with its account", async () => {
      const first = await store.saveDeltaState('Ann@contoso.com', 'state-0', 'delta');
      expect(first).to.match(/^[A-Za-z0-9_-]{24}$/);
      expect(await store.deltaState('ann@CONTOSO.com', first)).to.deep.equal({ state: 'state-0', kind: 'delta' });
      expect(await store.deltaState('bea@contoso.com', first)).to.equal(undefined);
      expect(await store.deltaState('ann@contoso.com', 'no-such-token')).to.equal(undefined);
      // A round's pages, more than the bound, push out older pages only: not a deltaLink.
      const pages = [];
      for (let i = 0; i <= DELTA_TOKENS_PER_MAILBOX.page; i++) pages.push(await store.saveDeltaState('ann@contoso.com', `page-${i}`, 'page'));
      expect(await store.deltaState('ann@contoso.com', first)).to.deep.equal({ state: 'state-0', kind: 'delta' });
      expect(await store.deltaState('ann@contoso.com', pages[0]!)).to.equal(undefined);
      expect(await store.deltaState('ann@contoso.com', pages[1]!)).to.deep.equal({ state: 'page-1', kind: 'page' });
      const later = [];
      for (let i = 1; i <= DELTA_TOKENS_PER_MAILBOX.delta; i++) later.push(await store.saveDeltaState('ann@contoso.com', `state-${i}`, 'delta'));
      const bea = await store.saveDeltaState('bea@contoso.com', 'bea-state', 'delta');
      // The oldest past the bound is gone; the newest are kept, the pages, and another mailbox's too.
      expect(await store.deltaState('ann@contoso.com', first)).to.equal(undefined);
      expect((await store.deltaState('ann@contoso.com', later[0]!))?.state).to.equal('state-1');
      expect((await store.deltaState('ann@contoso.com', later.at(-1)!))?.state).to.equal(`state-${DELTA_TOKENS_PER_MAILBOX.delta}`);
      expect((await store.deltaState('ann@contoso.com', pages.at(-1)!))?.state).to.equal(`page-${DELTA_TOKENS_PER_MAILBOX.page}`);
      expect((await store.deltaState('bea@contoso.com', bea))?.state).to.equal('bea-state');
      await store.putAccount('ann@contoso.com', 'scrypt$hash', 'user');
      await store.removeAccount('ANN@contoso.com');
      expect(await store.deltaState('ann@contoso.com', later.at(-1)!)).to.equal(undefined);
      expect(await store.deltaState('ann@contoso.com', pages.at(-1)!)).to.equal(undefined);
      expect((await store.deltaState('bea@contoso.com', bea))?.state).to.equal('bea-state');
    });

    it('keeps a delta token renewed among the newest: the least recently used go first', async () => {
      const kept = await store.saveDeltaState('cy@contoso.com', 'kept', 'delta');
      const next = await store.saveDeltaState('cy@contoso.com', 'next', 'delta');
      for (let i = 0; i < DELTA_TOKENS_PER_MAILBOX.delta - 2; i++) await store.saveDeltaState('cy@contoso.com', `other-${i}`, 'delta');
      await store.renewDeltaToken('CY@contoso.com', kept);
      await store.renewDeltaToken('dee@contoso.com', next);
      await store.saveDeltaState('cy@contoso.com', 'newest', 'delta');
      expect(await store.deltaState('cy@contoso.com', kept)).to.deep.equal({ state: 'kept', kind: 'delta' });
      expect(await store.deltaState('cy@contoso.com', next), "another mailbox's renewal is none").to.equal(undefined);
    });

    it('gives two stores that ask for a new secret at the same time the same one', async () => {
      const others = await Promise.all([backend.open(), backend.open(), backend.open()]);
      try {
        const secrets = await Promise.all(others.map((other) => other.secret('item-ids', 32)));
        expect(secrets[1]).to.deep.equal(secrets[0]);
        expect(secrets[2]).to.deep.equal(secrets[0]);
      } finally {
        await Promise.all(others.map((other) => other.close()));
      }
    });

    // Into an empty directory the SQLite store builds its indexes after the rows; into a larger
    // one it updates them, a statement per 10,000 rows. Either way the same must hold.
    for (const [situation, before] of [
      ['an empty directory', 0],
      ['a directory larger than the import', LARGE_IMPORT + 10],
    ] as const) {
      describe(`a large import into ${situation}`, () => {
        const largeImportNames = async (q: string) => (await store.searchDirectory(q, 0, 5)).map((entry) => entry.user.displayName);
        const earlier = (n: number) => person(1_000_000 + n, `Earlier${n} Resident`);

        beforeEach(() => store.upsertUsers(Array.from({ length: before }, (_, i) => earlier(i))));

        it('lands whole, searchable, and the same address twice keeps the later row', async () => {
          const rows: DirectoryUser[] = Array.from({ length: LARGE_IMPORT }, (_, i) => person(i));
          rows[7] = { ...rows[7]!, hiddenFromAddressLists: true };
          // The first row again, in the last statement's share and another case: one person, renamed.
          rows.push({ ...person(0, 'Renamed Lastrow'), email: 'P0@Contoso.com' });
          await store.upsertUsers(rows);

          expect(await store.countUsers()).to.equal(before + LARGE_IMPORT);
          expect((await store.getUser('p0@contoso.com'))?.displayName).to.equal('Renamed Lastrow');
          expect(await largeImportNames('lastrow')).to.deep.equal(['Renamed Lastrow']);
          expect(await largeImportNames('person00000')).to.deep.equal([]);
          expect(await largeImportNames(`person${LARGE_IMPORT - 1}`)).to.deep.equal([`Person${LARGE_IMPORT - 1} Importer`]);
          expect(await largeImportNames('person0000')).to.have.length(5);
          // One of them hidden from address lists: there, and in no search.
          expect((await store.getUser('p7@contoso.com'))?.hiddenFromAddressLists).to.equal(true);
          expect(await largeImportNames('person00007')).to.deep.equal([]);
          if (before > 0) expect(await largeImportNames(`earlier${before - 1}`)).to.deep.equal([`Earlier${before - 1} Resident`]);
        });

        it('updates the people it names and keeps the rest, photos and locks included', async () => {
          await store.upsertUsers([person(0, 'Kept Before'), person(1, 'Locked Before')]);
          await store.setPhoto(userOwner('p0@contoso.com'), photo('kept'), 'admin');
          await store.setPhotoLocked('p1@contoso.com', true);
          const rows = Array.from({ length: LARGE_IMPORT }, (_, i) => person(i + 1, `Newcomer${i + 1} Importer`));
          await store.upsertUsers(rows);

          expect(await store.countUsers()).to.equal(before + LARGE_IMPORT + 1);
          expect((await store.getPhoto(userOwner('p0@contoso.com')))?.sha256).to.equal(photo('kept').sha256);
          expect(await store.isPhotoLocked('p1@contoso.com')).to.equal(true);
          expect(await largeImportNames('locked')).to.deep.equal([]);
          expect(await largeImportNames(`newcomer${LARGE_IMPORT}`)).to.deep.equal([`Newcomer${LARGE_IMPORT} Importer`]);
          expect(await largeImportNames('kept')).to.deep.equal(['Kept Before']);
        });

        it('finds each person by their other addresses, and no longer by one they lost', async () => {
          await store.upsertUsers([{ ...person(0), otherAddresses: ['lost@contoso.com'] }]);
          const rows = Array.from({ length: LARGE_IMPORT }, (_, i) => ({ ...person(i), otherAddresses: [`alias${i}@corp.contoso.com`] }));
          await store.upsertUsers(rows);

          expect((await store.getUser('alias0@corp.contoso.com'))?.email).to.equal('p0@contoso.com');
          expect((await store.getUser(`alias${LARGE_IMPORT - 1}@corp.contoso.com`))?.email).to.equal(`p${LARGE_IMPORT - 1}@contoso.com`);
          expect(await store.getUser('lost@contoso.com')).to.equal(undefined);
        });

        it('keeps a person it finds under a new primary address, with their photo', async () => {
          await store.upsertUsers([{ ...person(0, 'Maiden Name'), email: 'maiden@contoso.com', givenName: 'Mia' }]);
          await store.setPhoto(userOwner('maiden@contoso.com'), photo('maiden'), 'admin');
          const rows = Array.from({ length: LARGE_IMPORT }, (_, i) => ({ ...person(i), otherAddresses: [`alias${i}@corp.contoso.com`] }));
          rows[LARGE_IMPORT - 1] = { ...person(LARGE_IMPORT - 1, 'Married Name'), givenName: 'Mia', otherAddresses: ['maiden@contoso.com'] };

          expect((await store.upsertUsers(rows)).renamed).to.deep.equal([{ from: 'maiden@contoso.com', to: `p${LARGE_IMPORT - 1}@contoso.com` }]);
          expect(await store.countUsers()).to.equal(before + LARGE_IMPORT);
          expect((await store.getPhotoInfo(userOwner(`p${LARGE_IMPORT - 1}@contoso.com`)))?.sha256).to.equal(photo('maiden').sha256);
          expect(await largeImportNames('maiden')).to.deep.equal([]);
          expect(await largeImportNames('married')).to.deep.equal(['Married Name']);
        });

        it('leaves nothing behind, in the table or the search, when its last row fails', async () => {
          await store.upsertUsers([person(0, 'Kept Before')]);
          const rows = Array.from({ length: LARGE_IMPORT }, (_, i) => person(i + 1, `Ghost${i} Importer`));
          rows.push({ ...person(LARGE_IMPORT + 1), displayName: null as unknown as string });

          let failed = false;
          await store.upsertUsers(rows).catch(() => (failed = true));

          expect(failed).to.equal(true);
          expect(await store.countUsers()).to.equal(before + 1);
          expect(await largeImportNames('importer')).to.deep.equal([]);
          expect(await largeImportNames('ghost0')).to.deep.equal([]);
          expect(await largeImportNames('kept')).to.deep.equal(['Kept Before']);
        });
      });
    }
  });
}

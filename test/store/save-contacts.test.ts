import { expect } from 'chai';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { storeBackends, storePerTest } from './backends.js';

const photo = (seed: string) => ({ bytes: Buffer.from(seed), contentType: 'image/jpeg' as const, width: 10, height: 20, sha256: seed.padEnd(64, '0') });
const MAILBOX = 'adele@contoso.com';
const lee = { displayName: 'Lee Gu', emailAddresses: ['lee@fabrikam.com'], phones: { business: '+1 555' }, refs: { vcardUid: 'urn:uuid:lee' } };

for (const backend of storeBackends()) {
  describe(`saveContacts on ${backend.name}`, () => {
    const t = storePerTest(backend);

    it('overwrites contacts in place, keeping their ids, and adds the new ones', async () => {
      const [leeId, meganId] = await t.store.addContacts(MAILBOX, [
        { ...lee, photo: photo('old') },
        { displayName: 'Megan', emailAddresses: [], phones: {}, refs: {} },
      ]);
      const added = await t.store.saveContacts(
        MAILBOX,
        [
          { id: leeId!, contact: { ...lee, displayName: 'Lee Gu (Fabrikam)', phones: { mobile: '+1 556' }, photo: photo('new') } },
          { id: meganId!, contact: { displayName: 'Megan Bowen', emailAddresses: ['megan@tailspin.com'], phones: {}, refs: {} } },
        ],
        [{ displayName: 'Nestor', emailAddresses: [], phones: {}, refs: {} }],
      );
      expect(added).to.have.length(1);
      const contacts = await t.store.listContacts(MAILBOX);
      expect(contacts.map((c) => [c.id, c.displayName])).to.deep.equal([
        [leeId, 'Lee Gu (Fabrikam)'],
        [meganId, 'Megan Bowen'],
        [added[0], 'Nestor'],
      ]);
      expect(contacts[0]).to.deep.include({ phones: { mobile: '+1 556' }, refs: { vcardUid: 'urn:uuid:lee' } });
      expect(contacts[0]!.photo?.sha256).to.equal('new'.padEnd(64, '0'));
      expect(contacts[1]!.emailAddresses).to.deep.equal(['megan@tailspin.com']);
    });

    it("writes a replaced contact's addresses in the one spelling it keeps them in", async () => {
      const [id] = await t.store.addContacts(MAILBOX, [lee]);
      await t.store.saveContacts(MAILBOX, [{ id: id!, contact: { ...lee, emailAddresses: ['lee@fabrikam.com', 'rene\u0301e@xn--caf-dma.example'] } }], []);
      expect((await t.store.getContact(MAILBOX, id!))?.emailAddresses).to.deep.equal(['lee@fabrikam.com', 'renée@café.example']);
      expect((await t.store.pageContacts(MAILBOX, { address: 'renée@xn--caf-dma.example' }, 0, 5)).total).to.equal(1);
    });

    it('removes the photo of a contact whose new content has none', async () => {
      const [id] = await t.store.addContacts(MAILBOX, [{ ...lee, photo: photo('old') }]);
      await t.store.saveContacts(MAILBOX, [{ id: id!, contact: lee }], []);
      expect(await t.store.getPhoto(contactOwner(id!))).to.equal(undefined);
    });

    it("writes nothing when a replaced contact is not the mailbox's", async () => {
      const [id] = await t.store.addContacts('megan@contoso.com', [lee]);
      let failure: unknown;
      await t.store.saveContacts(MAILBOX, [{ id: id!, contact: { ...lee, displayName: 'Taken over' } }], [lee]).catch((error: unknown) => (failure = error));
      expect((failure as Error | undefined)?.message).to.match(/no longer in adele@contoso.com/);
      expect(await t.store.listContacts(MAILBOX)).to.deep.equal([]);
      expect((await t.store.getContactById(id!))?.displayName).to.equal('Lee Gu');
    });
  });
}

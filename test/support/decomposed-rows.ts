import { expect } from 'chai';
import type { Store } from '../../src/store/store.js';

/** A user's names, phone number and references written decomposed (NFD) by a bridge from before composeStoredText, as SQL parameters. */
export const DECOMPOSED_USER = ['Rene\u0301e Dubois', 'Rene\u0301e', '+34 \uff16\uff10\uff10', '{"ldapDn":"cn=Rene\u0301e"}'];
/** A contact's display name, surname and job title so written. */
export const DECOMPOSED_CONTACT = ['Jose\u0301 Nu\u0301n\u0303ez', 'Nu\u0301n\u0303ez', 'Directeur ge\u0301ne\u0301ral'];

/** What an upgraded store gives back of those rows (renee@ and contact 1 of adele@, beside an ASCII alex@): composed, the rest as it was. */
export async function expectComposed(store: Store): Promise<void> {
  expect(await store.getUser('renee@contoso.com')).to.deep.equal({
    email: 'renee@contoso.com',
    displayName: 'Ren\u00e9e Dubois',
    givenName: 'Ren\u00e9e',
    title: 'Director',
    // NFC, not NFKC: full-width digits stay; references are not names, and are kept as written.
    mobilePhone: '+34 \uff16\uff10\uff10',
    refs: { ldapDn: 'cn=Rene\u0301e' },
  });
  expect((await store.getUser('alex@contoso.com'))?.displayName).to.equal('Alex Wilber');
  expect(await store.getContact('adele@contoso.com', 1)).to.deep.include({
    displayName: 'Jos\u00e9 N\u00fa\u00f1ez',
    surname: 'N\u00fa\u00f1ez',
    company: 'Contoso',
    jobTitle: 'Directeur g\u00e9n\u00e9ral',
    phones: { home: 'x' },
    updatedAt: 'u',
  });
  const { contacts } = await store.pageContacts('adele@contoso.com', { text: 'Jos\u00e9 N\u00fa\u00f1ez', mode: 'whole', ignoreCase: false }, 0, 5);
  expect(contacts.map((contact) => contact.id)).to.deep.equal([1]);
}

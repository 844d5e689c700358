import type { DirectoryUser } from '../../../src/domain/directory.js';
import type { NormalizedPhoto } from '../../../src/domain/photo.js';
import { userOwner } from '../../../src/domain/photo-owner.js';
import { ItemIds } from '../../../src/ews/item-ids.js';
import { imageLimitsOf } from '../../../src/photos/image-limits.js';
import { normalizePhoto } from '../../../src/photos/normalize.js';
import type { NewContact } from '../../../src/store/store.js';
import { samplePhoto } from '../../support/sample-images.js';
import { ADMIN, READER, type TestBridge } from '../../support/test-bridge.js';

/** Directory users. Alex has an 800×600 photo (kept as 648×486); Adele and Allan have none. */
export const ALEX: DirectoryUser = {
  email: 'alex.wilber@contoso.com',
  displayName: 'Alex Wilber',
  givenName: 'Alex',
  surname: 'Wilber',
  company: 'Contoso',
  department: 'Marketing',
  title: 'Product Manager',
  businessPhone: '+1 425 555 0100',
  refs: {},
};
export const ADELE: DirectoryUser = { email: 'adele.vance@contoso.com', displayName: 'Adele Vance', givenName: 'Adele', surname: 'Vance', refs: {} };
export const ALLAN: DirectoryUser = { email: 'allan.deyoung@contoso.com', displayName: 'Allan Deyoung', givenName: 'Allan', surname: 'Deyoung', refs: {} };
/** A mailbox hidden from address lists, with a photo: no name resolves to her, her address still shows her photo. */
export const AVA: DirectoryUser = { email: 'ava.hidden@contoso.com', displayName: 'Ava Hidden', hiddenFromAddressLists: true, refs: {} };

/** The reader's contacts: Zoë has a 400×300 photo; Yusuf has none. Non-ASCII and '&' on purpose. */
export const ZOE: Omit<NewContact, 'photo'> = {
  displayName: 'Zoë Zimmermann',
  givenName: 'Zoë',
  surname: 'Zimmermann',
  company: 'Fabrikam & Söhne',
  jobTitle: 'Head of Procurement',
  emailAddresses: ['zoe.zimmermann@fabrikam.example', 'zoe@home.example'],
  phones: { business: '+1 206 555 0199', mobile: '+1 206 555 0142' },
  refs: {},
};
export const YUSUF: NewContact = {
  displayName: 'Yusuf Yilmaz',
  givenName: 'Yusuf',
  surname: 'Yilmaz',
  company: 'Northwind',
  emailAddresses: ['yusuf@northwind.example'],
  phones: { business: '+1 312 555 0117' },
  refs: {},
};
/** A contact in the admin's mailbox: the reader must neither resolve nor fetch it. */
const XAVER: NewContact = { displayName: 'Xaver Hidden', emailAddresses: ['xaver@elsewhere.example'], phones: {}, refs: {} };

export interface InteropFixture {
  /** Zoë's photo exactly as stored: what GetAttachment must return byte for byte. */
  zoePhoto: NormalizedPhoto;
  /** A genuine ItemId of the admin's contact, as the bridge would write it. */
  foreignItemId: string;
  /** The EWS endpoint of the listening bridge. */
  endpoint: string;
}

/** Seeds the directory, photos and both mailboxes' contacts, then opens the port. */
export async function seedInteropFixture(t: TestBridge): Promise<InteropFixture> {
  await t.store.upsertUsers([ALEX, ADELE, ALLAN, AVA]);
  await t.bridge.photos.setPhoto(userOwner(ALEX.email), await samplePhoto(800, 600), 'test');
  await t.bridge.photos.setPhoto(userOwner(AVA.email), await samplePhoto(120, 120), 'test');
  const zoePhoto = await normalizePhoto(await samplePhoto(400, 300), imageLimitsOf(t.config));
  await t.store.addContacts(READER.username.toLowerCase(), [{ ...ZOE, photo: zoePhoto }, YUSUF]);
  const [xaverId] = await t.store.addContacts(ADMIN.username.toLowerCase(), [XAVER]);
  const foreignItemId = new ItemIds(await t.store.secret('item-ids', 32)).encode('contact', xaverId!);
  const address = await t.bridge.listen();
  return { zoePhoto, foreignItemId, endpoint: `http://127.0.0.1:${address.port}/EWS/Exchange.asmx` };
}

/** Bytes a script returned as base64. */
export const fromBase64 = (value: unknown): Buffer => {
  if (typeof value !== 'string' || value === '') throw new Error(`expected base64 bytes, got ${JSON.stringify(value)}`);
  return Buffer.from(value, 'base64');
};

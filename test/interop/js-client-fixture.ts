import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { contactOwner, userOwner } from '../../src/domain/photo-owner.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import type { NewContact } from '../../src/store/store.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/**
 * A bridge listening on 127.0.0.1 for the JavaScript EWS clients (ews-javascript-api,
 * node-soap): directory users with and without photos, contacts in the reader's
 * mailbox, and one contact in the admin's mailbox the reader must never reach.
 */
export interface InteropWorld {
  t: TestBridge;
  address: AddressInfo;
  /** http://127.0.0.1:PORT/EWS/Exchange.asmx */
  ewsUrl: string;
  /** Row ids of the reader's contacts, by display name. */
  readerContactIds: Record<string, number>;
  adminContactId: number;
  /** The stored (normalized) JPEG of a reader contact, as GetAttachment must return it. */
  storedContactPhoto(id: number): Promise<Buffer>;
  close(): Promise<void>;
}

const READER_MAILBOX = READER.username.toLowerCase();

/** Directory users; Alex's photo is 800×600, so HR96x96 is 96×72 and HR648x648 is 648×486. */
const DIRECTORY = [
  {
    email: 'alex.wilber@contoso.com',
    displayName: 'Alex Wilber',
    givenName: 'Alex',
    surname: 'Wilber',
    title: 'Marketing Assistant',
    company: 'Contoso',
    refs: {},
  },
  { email: 'diego.siciliani@contoso.com', displayName: 'Diego Siciliani', givenName: 'Diego', surname: 'Siciliani', refs: {} },
  { email: 'nestor.wilke@contoso.com', displayName: 'Nestor Wilke', givenName: 'Nestor', surname: 'Wilke', refs: {} },
];

/** The reader's contacts. Megan's photo arrives as a 300×200 PNG and is kept as a 300×200 JPEG. */
export const READER_CONTACTS = {
  megan: {
    displayName: 'Megan Bowen',
    givenName: 'Megan',
    surname: 'Bowen',
    company: 'Fabrikam',
    jobTitle: 'Marketing Manager',
    emailAddresses: ['megan.bowen@fabrikam.com', 'megan@home.example'],
    phones: { business: '+1 425 555 0100' },
    refs: {},
  },
  lidia: {
    displayName: 'Lidia Holloway',
    givenName: 'Lidia',
    surname: 'Holloway',
    company: 'Northwind',
    jobTitle: 'Product Manager',
    emailAddresses: ['lidia.holloway@northwind.example'],
    phones: { business: '+1 206 555 0199', mobile: '+1 206 555 0142' },
    refs: {},
  },
  patti: {
    displayName: 'Patti Fernandez',
    givenName: 'Patti',
    surname: 'Fernandez',
    company: 'Tailspin',
    jobTitle: 'President',
    emailAddresses: ['patti@tailspin.example'],
    phones: { business: '+1 312 555 0177' },
    refs: {},
  },
  /** Shares a name with a directory user, to tell the search orders apart. */
  alexHome: {
    displayName: 'Alex Wilber (home)',
    givenName: 'Alex',
    surname: 'Wilber',
    emailAddresses: ['alex@wilber-family.example'],
    phones: {},
    refs: {},
  },
} satisfies Record<string, NewContact>;

export const PHOTO_SIZES = {
  alex: { width: 800, height: 600 },
  megan: { width: 300, height: 200 },
  lidia: { width: 240, height: 320 },
};

export async function startInteropBridge(): Promise<InteropWorld> {
  const t = await startTestBridge();
  try {
    const limits = imageLimitsOf(t.config);
    await t.store.upsertUsers(DIRECTORY);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(PHOTO_SIZES.alex.width, PHOTO_SIZES.alex.height), 'test');
    await t.bridge.photos.setPhoto(userOwner('diego.siciliani@contoso.com'), await samplePhoto(100, 100, 'png'), 'test');

    const { megan, lidia, patti, alexHome } = READER_CONTACTS;
    const ids = await t.store.addContacts(READER_MAILBOX, [
      { ...megan, photo: await normalizePhoto(await samplePhoto(PHOTO_SIZES.megan.width, PHOTO_SIZES.megan.height, 'png'), limits) },
      { ...lidia, photo: await normalizePhoto(await samplePhoto(PHOTO_SIZES.lidia.width, PHOTO_SIZES.lidia.height), limits) },
      patti,
      alexHome,
    ]);
    const [adminContactId] = await t.store.addContacts(ADMIN.username.toLowerCase(), [
      {
        displayName: 'Adele Vance',
        givenName: 'Adele',
        surname: 'Vance',
        emailAddresses: ['adele.vance@contoso.com'],
        phones: {},
        refs: {},
        photo: await normalizePhoto(await samplePhoto(200, 200), limits),
      },
    ]);
    const address = await t.bridge.listen();
    return {
      t,
      address,
      ewsUrl: `http://127.0.0.1:${address.port}/EWS/Exchange.asmx`,
      readerContactIds: { [megan.displayName]: ids[0]!, [lidia.displayName]: ids[1]!, [patti.displayName]: ids[2]!, [alexHome.displayName]: ids[3]! },
      adminContactId: adminContactId!,
      async storedContactPhoto(id) {
        const photo = await t.store.getPhoto(contactOwner(id));
        if (!photo) throw new Error(`contact ${id} has no stored photo`);
        return photo.bytes;
      },
      close: () => t.close(),
    };
  } catch (error) {
    await t.close();
    throw error;
  }
}

/** Format and pixel size of an image, decoded by libvips. */
export async function imageInfo(bytes: Buffer): Promise<{ format: string | undefined; width: number | undefined; height: number | undefined }> {
  const { format, width, height } = await sharp(bytes).metadata();
  return { format, width, height };
}

/** Flips one character inside an id's MAC, keeping it valid base64 of the right length. */
export function tamperId(id: string): string {
  const i = id.length - 4;
  const flipped = id[i] === 'A' ? 'B' : 'A';
  return id.slice(0, i) + flipped + id.slice(i + 1);
}

import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from './sample-images.js';
import { READER, startTestBridge, type TestBridge } from './test-bridge.js';

/**
 * A bridge for the Graph-shaped photo APIs (Graph's, the Outlook REST API's): Alex with an
 * 800x600 photo, stored as 648x486, so the largest square he has is 486x486; someone without
 * one; and the reader with a 300x300 photo. Uploads are limited to 200,000 bytes.
 */
export async function startPhotoPeopleBridge(): Promise<TestBridge> {
  const t = await startTestBridge({ BRIDGE_MAX_UPLOAD_BYTES: '200000' });
  await t.store.upsertUsers([
    { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
    { email: 'no.photo@contoso.com', displayName: 'No Photo', refs: {} },
    { email: READER.username, displayName: 'The Reader', refs: {} },
  ]);
  await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(800, 600), 'test');
  await t.bridge.photos.setPhoto(userOwner(READER.username), await samplePhoto(300, 300), 'test');
  return t;
}

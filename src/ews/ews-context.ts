import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PhotoService } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import type { ItemIds } from './item-ids.js';

/** What an operation may use: the caller's mailbox and the services behind the front door. */
export interface EwsContext {
  /** The authenticated account's mailbox (its SMTP address); undefined for anonymous reads. */
  mailbox: string | undefined;
  store: Store;
  photos: PhotoService;
  ids: ItemIds;
  photoMaxAgeSeconds: number;
  req: IncomingMessage;
  res: ServerResponse;
}

import type { Store } from '../store/store.js';
import type { AdvertisedUrls } from './exchange-server.js';

/** What answering an authenticated Autodiscover request (SOAP or POX) may use. */
export interface AutodiscoverContext {
  store: Store;
  urls: AdvertisedUrls;
  /** The caller's own mailbox (its login name), answered even when the directory does not list it. */
  callerMailbox: string | undefined;
}
